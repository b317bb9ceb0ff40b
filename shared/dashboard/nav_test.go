package dashboard

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/merchant"
	"github.com/paylinks/paylinks/shared/store"
)

// oneMerchant is a Store whose only use here is the merchant an app page
// reads (its time zone).
type oneMerchant struct{ Store }

func (oneMerchant) GetMerchant(_ context.Context, id string) (*merchant.Merchant, error) {
	return &merchant.Merchant{ID: id, TimeZone: "Europe/Brussels"}, nil
}

// answer is the status and body of an app page for a member of the role.
func answer(p appPage, role domain.Role) (int, string) {
	d := &Dashboard{Store: oneMerchant{}}
	cur := current{s: store.Session{CSRF: "csrf"}, member: domain.Member{Merchant: "m", Role: role, Email: "x@example.com"}}
	path := strings.TrimPrefix(strings.ReplaceAll(p.pattern, "{$}", ""), "GET ")
	path = strings.ReplaceAll(path, "{id}", "x_1")
	r := httptest.NewRequest(http.MethodGet, path, nil)
	r.SetPathValue("id", "x_1")
	r = r.WithContext(context.WithValue(r.Context(), currentKey{}, cur))
	w := httptest.NewRecorder()
	d.serveApp(p)(w, r)
	return w.Code, w.Body.String()
}

// TestNavigationOffersExactlyThePagesThatOpen: for every role and every
// app page (all the cases there are), the page opens (200) exactly when
// the role holds its permission or its other one, and is refused (403)
// otherwise; every entry of the navigation names an app page, and a member
// sees an entry exactly when that page opens for them (the bank pages and
// the import for finance, no bank entry for an operator).
func TestNavigationOffersExactlyThePagesThatOpen(t *testing.T) {
	for _, it := range navItems {
		if pageAt(it.path) == nil {
			t.Errorf("the navigation's %s names no page (%s)", it.key, it.path)
		}
	}
	for _, role := range domain.RoleNames {
		grants := domain.Roles[role]
		_, home := answer(appPages[0], role)
		for _, p := range appPages {
			st, body := answer(p, role)
			want := domain.Allows(grants, p.need) || (p.or != "" && domain.Allows(grants, p.or))
			if (st == http.StatusOK) != want || (st != http.StatusOK && st != http.StatusForbidden) {
				t.Errorf("%s opens %s with %d, want open=%v", role, p.pattern, st, want)
			}
			if st == http.StatusForbidden && strings.Contains(body, `id="app"`) {
				t.Errorf("%s is refused %s but gets its script", role, p.pattern)
			}
		}
		for _, it := range navItems {
			shown := strings.Contains(home, `href="`+it.path+`"`)
			st, _ := answer(*pageAt(it.path), role)
			if shown != (st == http.StatusOK) {
				t.Errorf("%s: the navigation shows %s=%v but the page answers %d", role, it.key, shown, st)
			}
		}
	}
	if st, _ := answer(*pageAt("/dashboard/import"), domain.RoleFinance); st != http.StatusOK {
		t.Errorf("finance cannot open the import (bank statements): %d", st)
	}
	if st, _ := answer(*pageAt("/dashboard/bank-statements"), domain.RoleOperator); st != http.StatusForbidden {
		t.Errorf("an operator opens the bank statements: %d", st)
	}
}
