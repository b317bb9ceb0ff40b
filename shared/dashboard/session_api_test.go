package dashboard_test

import (
	"encoding/json"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/paylinks/paylinks/shared/session"
)

// call is a dashboard page's call to the API: the session cookie, and the
// CSRF header when csrf is not empty.
func (b *browser) call(method, path, body, csrf string) (int, map[string]any) {
	b.t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, _ := http.NewRequest(method, b.base+path, r)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if csrf != "" {
		req.Header.Set(session.CSRFHeader, csrf)
	}
	resp, raw := b.send(req)
	var out map[string]any
	_ = json.Unmarshal(raw, &out)
	return resp.StatusCode, out
}

// sessionCSRF is the signed-in page's CSRF token.
func (b *browser) sessionCSRF() string {
	b.t.Helper()
	_, _, page := b.do("GET", "/dashboard", nil)
	return field(b.t, csrfField, page)
}

// TestSessionCallsTheAPI: the dashboard's pages call the API with the
// session cookie: the member's role decides (a viewer reads and is refused a
// refund and a new link), a change without the session's CSRF token is
// refused with nothing written, the actor is the member, and a signed-out
// session is a 401.
func TestSessionCallsTheAPI(t *testing.T) {
	p := newPeople(t)
	key, owner := signedInOwner(t, p, "shop-a")
	csrf := owner.sessionCSRF()
	body := `{"amount":{"currency":"EUR","value":"25.00"},"description":"from the dashboard","origin":"dashboard","customer":{"company_name":"ACME"}}`

	if st, pr := owner.call("POST", "/v1/payment-links", body, ""); st != 403 || !strings.Contains(pr["detail"].(string), session.CSRFHeader) {
		t.Fatalf("a change without the CSRF header: %d %v", st, pr)
	}
	if st, pr := owner.call("POST", "/v1/payment-links", body, "forged-token-forged-token-forged-token-00"); st != 403 {
		t.Fatalf("a change with another token: %d %v", st, pr)
	}
	if st, list := owner.call("GET", "/v1/payment-links", "", ""); st != 200 || len(list["data"].([]any)) != 0 {
		t.Fatalf("refused changes wrote something: %d %v", st, list)
	}
	st, link := owner.call("POST", "/v1/payment-links", body, csrf)
	if st != 201 || link["origin"] != "dashboard" {
		t.Fatalf("the owner's page creates a link: %d %v", st, link)
	}
	_, audit := p.api(t, "GET", "/v1/audit-log?resource="+link["id"].(string), key, "", nil)
	if entries := audit["data"].([]any); len(entries) == 0 || entries[0].(map[string]any)["actor"].(map[string]any)["name"] != "owner@shop-a.example" {
		t.Fatalf("the actor of a dashboard change: %v", audit)
	}
	if st, inv := owner.call("POST", "/v1/members", `{"email":"viewer@shop-a.example","role":"viewer"}`, csrf); st != 201 {
		t.Fatalf("invite a viewer: %d %v", st, inv)
	}
	viewer := p.browser(t)
	viewer.firstSignIn("viewer@shop-a.example", p.temporaryPassword(t, "viewer@shop-a.example"), "Viewer-pass-2026!")
	viewer.join("shop-a")
	vcsrf := viewer.sessionCSRF()
	if st, _ := viewer.call("GET", "/v1/payment-links/"+link["id"].(string), "", ""); st != 200 {
		t.Fatalf("a viewer reads a link: %d", st)
	}
	for _, c := range []struct{ path, body, perm string }{
		{"/v1/payment-links/" + link["id"].(string) + "/refunds", `{"reason":"viewer"}`, "refunds:write"},
		{"/v1/payment-links", body, "links:write"},
	} {
		if st, pr := viewer.call("POST", c.path, c.body, vcsrf); st != 403 || pr["missing_permission"] != c.perm {
			t.Errorf("viewer POST %s: %d %v", c.path, st, pr)
		}
	}
	old := owner.cookies[session.Cookie].Value
	if st, _, _ := owner.do("POST", "/dashboard/sign-out", map[string][]string{"csrf": {csrf}}); st != http.StatusSeeOther {
		t.Fatalf("sign out: %d", st)
	}
	owner.cookies[session.Cookie] = &http.Cookie{Name: session.Cookie, Value: old}
	if st, _ := owner.call("GET", "/v1/payment-links", "", ""); st != 401 {
		t.Fatalf("a signed-out session on the API: %d", st)
	}
}

// TestSignInReturnsToThePage: a signed-out person sent to sign in from a
// dashboard page comes back to it after signing in; a next= naming another
// site, the sign-in or a path out of the dashboard leads home instead.
func TestSignInReturnsToThePage(t *testing.T) {
	p := newPeople(t)
	email := demoMember(t, p, "viewer")
	b := p.browser(t)
	st, loc, _ := b.do("GET", "/dashboard/links/pl_01JD3Q4ZK1W8Y6N0M5C2B7V9XA?x=1", nil)
	want := "/dashboard/sign-in?next=" + url.QueryEscape("/dashboard/links/pl_01JD3Q4ZK1W8Y6N0M5C2B7V9XA?x=1")
	if st != http.StatusSeeOther || loc != want {
		t.Fatalf("a signed-out page: %d %s, want %s", st, loc, want)
	}
	signInWith := func(next string) string {
		b := p.browser(t)
		_, _, page := b.do("GET", "/dashboard/sign-in?next="+url.QueryEscape(next), nil)
		form := url.Values{"csrf": {field(t, csrfField, page)}, "email": {email}, "password": {memberPassword}}
		if m := regexp.MustCompile(`name="next" value="([^"]*)"`).FindStringSubmatch(page); m != nil {
			form.Set("next", html.UnescapeString(m[1]))
		}
		st, loc, body := b.do("POST", "/dashboard/sign-in", form)
		if st != http.StatusSeeOther {
			t.Fatalf("sign in with next=%q: %d\n%s", next, st, body)
		}
		return loc
	}
	if got := signInWith("/dashboard/links/pl_01JD3Q4ZK1W8Y6N0M5C2B7V9XA?x=1"); got != "/dashboard/links/pl_01JD3Q4ZK1W8Y6N0M5C2B7V9XA?x=1" {
		t.Fatalf("back to the page: %s", got)
	}
	for _, hostile := range []string{"//evil.example/x", "https://evil.example/", "/dashboard//evil.example", "/dashboard/../v1/api-keys",
		"/dashboard/sign-out", "/dashboard\\evil", "/elsewhere", "/dashboard/x\r\nSet-Cookie: a=b"} {
		if got := signInWith(hostile); got != "/dashboard" {
			t.Errorf("next=%q led to %s, want /dashboard", hostile, got)
		}
	}
}
