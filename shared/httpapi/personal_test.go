package httpapi_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/paylinks/paylinks/shared/devkit/seed"
	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/httpapi"
	"github.com/paylinks/paylinks/shared/merchant"
	"github.com/paylinks/paylinks/shared/service"
	"github.com/paylinks/paylinks/shared/store"
	"github.com/paylinks/paylinks/shared/testkit/testenv"
)

// People's data in the walk: a customer's and a member's, each string
// found nowhere else.
var (
	customerData = []string{"Quintessa", "Vandermarkt", "quintessa.v@private.example", "+32470998877", "Rue des Marqueurs"}
	memberData   = []string{"member.marker@team.example"}
)

// walkIDs are the resources the walk's paths name.
type walkIDs struct {
	link, kept, customer, spare, member, delivery string
}

// TestPersonalDataNeedsItsPermission (finding 6): every route, called with
// a key of each single permission (and a full key), answers no customer's
// data without links:read or customers:read, and no member's e-mail without
// members:write or settings:write, whatever the route (webhook deliveries'
// payloads, members, audit entries, keys' makers, links' snapshots).
func TestPersonalDataNeedsItsPermission(t *testing.T) {
	rcv := newReceiver(t, nil)
	testenv.NeedStream(t)
	env := testenv.New(t)
	m := seed.Demo("hooks")
	m.WebhookURL = rcv.URL + "/paylinks"
	full := env.MerchantWith(t, m)
	srv := env.ServeWith(t, func(o *service.Options) {
		o.AllowLoopbackWebhooks, o.MerchantTTL = true, time.Millisecond
		o.UserPool, o.AWS = testenv.NewPool(t), testenv.AWSConfig(t)
		o.RateLimit, o.RateBurst = 10000, 10000 // the walk's 700 calls are no 429s
	})
	srv.Consume(t)
	srv.Tail(t, env)
	ids := seedPeople(t, env, srv.URL, full)
	keys := map[domain.Permission]string{}
	for _, p := range domain.AllPermissions {
		keys[p] = makeKey(t, env, "hooks", p)
	}
	seen := map[string]bool{}
	// customers:erase last: it erases the customer the others read.
	order := append(append([]domain.Permission{}, domain.AllPermissions...), "")
	for _, p := range order {
		secret := full
		if p != "" {
			secret = keys[p]
		}
		grants := []domain.Permission{p}
		if p == "" {
			grants = domain.AllPermissions
		}
		for _, rt := range routesInWalkOrder() {
			method, path := walkRequest(rt.Pattern, ids)
			st, body := raw(t, method, srv.URL+path, secret, walkBody(rt.Pattern, ids))
			if st >= 500 || st == 429 {
				t.Errorf("%s %s with %v: %d %s", method, path, grants, st, body)
			}
			checkPeople(t, rt.Pattern, grants, body, seen)
		}
	}
	// The walk saw the data where it may be seen: it would have seen it
	// anywhere else.
	for _, want := range []string{"customer GET /v1/payment-links/{id}", "customer GET /v1/webhook-deliveries/{id}", "customer GET /v1/customers/{id}",
		"member GET /v1/members", "member GET /v1/audit-log", "member GET /v1/api-keys", "customer GET /v1/payment-links/export"} {
		if !seen[want] {
			t.Errorf("the walk never saw the %s data allowed there", want)
		}
	}
}

// checkPeople fails when body holds data grants may not read; it notes
// where allowed data was seen.
func checkPeople(t *testing.T, route string, grants []domain.Permission, body string, seen map[string]bool) {
	t.Helper()
	customers := domain.Allows(grants, domain.LinksRead) || domain.Allows(grants, domain.CustomersRead)
	members := domain.Allows(grants, domain.MembersWrite) || domain.Allows(grants, domain.SettingsWrite)
	for _, c := range []struct {
		kind    string
		data    []string
		allowed bool
	}{{"customer", customerData, customers}, {"member", memberData, members}} {
		for _, d := range c.data {
			if !strings.Contains(body, d) {
				continue
			}
			if !c.allowed {
				t.Errorf("%s with %v answers the %s's %q:\n%s", route, grants, c.kind, d, body)
			} else if len(grants) == len(domain.AllPermissions) {
				seen[c.kind+" "+route] = true
			}
		}
	}
}

func raw(t *testing.T, method, url, key, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+key)
	if strings.HasPrefix(body, "{") {
		req.Header.Set("Content-Type", "application/json")
	} else if body != "" {
		req.Header.Set("Content-Type", "text/csv")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// makeKey stores a key of one permission, as a member would have made it
// (its maker's name is a member's e-mail).
func makeKey(t *testing.T, env *testenv.Env, m string, p domain.Permission) string {
	t.Helper()
	secret, k, err := merchant.NewKey(m, false)
	if err != nil {
		t.Fatal(err)
	}
	k.Name, k.Permissions, k.Created = string(p), []domain.Permission{p}, time.Now().UTC().Format(time.RFC3339)
	k.CreatedBy = domain.Actor{Type: domain.ActorMember, ID: "mem_01JD3Q4ZK1W8Y6N0M5C2B7V9XA", Name: memberData[0]}
	if err := env.Store.PutKey(context.Background(), k); err != nil {
		t.Fatal(err)
	}
	return secret
}

// seedPeople makes the customer, links of theirs (one to read, one kept
// to archive), a spare customer to archive and erase, a member, the
// member's audit entry, and waits for a webhook delivery of the link.
func seedPeople(t *testing.T, env *testenv.Env, base, full string) walkIDs {
	t.Helper()
	var ids walkIDs
	st, _, b := call(t, "POST", base+"/v1/customers", full, `{"first_name":"Quintessa","last_name":"Vandermarkt","email":"quintessa.v@private.example","phone":"+32470998877","address":{"line1":"Rue des Marqueurs 1","city":"Bruxelles","postal_code":"1000","country":"BE"}}`, nil, false)
	if st != 201 {
		t.Fatalf("customer: %d %s", st, b)
	}
	ids.customer = decode(t, b)["id"].(string)
	st, _, b = call(t, "POST", base+"/v1/customers", full, `{"company_name":"Spare Ltd"}`, nil, true)
	if st != 201 {
		t.Fatalf("spare customer: %d %s", st, b)
	}
	ids.spare = decode(t, b)["id"].(string)
	link := func(origin string) string {
		st, _, b := call(t, "POST", base+"/v1/payment-links", full, `{"amount":{"currency":"EUR","value":"10.00"},"description":"walk","origin":"`+origin+`","customer_id":"`+ids.customer+`"}`, nil, true)
		if st != 201 {
			t.Fatalf("link: %d %s", st, b)
		}
		return decode(t, b)["id"].(string)
	}
	ids.link, ids.kept = link("api"), link("dunning")
	ctx := domain.WithActor(context.Background(), domain.Actor{Type: domain.ActorMember, ID: "mem_01JD3Q4ZK1W8Y6N0M5C2B7V9XA", Name: memberData[0]})
	mem := domain.Member{ID: "mem_01JD3Q4ZK1W8Y6N0M5C2B7V9XA", Merchant: "hooks", Email: memberData[0], Role: domain.RoleViewer, Status: domain.MemberActive,
		Sub: "walk-sub", Username: "walk", InvitedBy: domain.Actor{Type: domain.ActorOperator, ID: "operator"}, Created: time.Now().UTC()}
	if err := env.Store.AddMember(ctx, mem, store.NewAuditEntry(ctx, time.Now(), "member.invited", mem.ID, nil, mem)); err != nil {
		t.Fatal(err)
	}
	ids.member = mem.ID
	testenv.Eventually(t, 20*time.Second, "a webhook delivery of the link", func() bool {
		_, _, b := call(t, "GET", base+"/v1/webhook-deliveries?link_id="+ids.link, full, "", nil, true)
		data, _ := decode(t, b)["data"].([]any)
		if len(data) > 0 {
			ids.delivery = data[0].(map[string]any)["id"].(string)
		}
		return ids.delivery != ""
	})
	return ids
}

// routesInWalkOrder are every route, the ones that destroy what the walk
// reads (erase, archive, removals) last.
func routesInWalkOrder() []httpapi.Route {
	var first, last []httpapi.Route
	for _, rt := range httpapi.AllRoutes() {
		if strings.Contains(rt.Pattern, "/erase") || strings.HasPrefix(rt.Pattern, "DELETE") || strings.Contains(rt.Pattern, "/archive") || strings.Contains(rt.Pattern, "/merge") {
			last = append(last, rt)
		} else {
			first = append(first, rt)
		}
	}
	return append(first, last...)
}

// walkRequest is a route's method and path with its ids filled.
func walkRequest(pattern string, ids walkIDs) (string, string) {
	method, path, _ := strings.Cut(pattern, " ")
	id := ids.link
	switch {
	case strings.Contains(path, "/customers/{id}/erase"), strings.Contains(path, "/customers/{id}/archive"), strings.Contains(path, "/customers/{id}/merge"):
		id = ids.spare
	case strings.HasPrefix(path, "/v1/customers/"):
		id = ids.customer
	case strings.HasPrefix(path, "/v1/payment-links/{id}/archive"):
		id = ids.kept
	case strings.HasPrefix(path, "/v1/members/"):
		id = ids.member
		if method == "DELETE" {
			id = "mem_01JUNKJUNKJUNKJUNKJUNKJUNK"
		}
	case strings.HasPrefix(path, "/v1/webhook-deliveries/"):
		id = ids.delivery
	case strings.HasPrefix(path, "/v1/api-keys/"), strings.HasPrefix(path, "/v1/imports/"), strings.HasPrefix(path, "/v1/payments/review/"):
		id = "x_unknown"
	}
	return method, strings.ReplaceAll(path, "{id}", id)
}

// walkBody is a valid body for a route that takes one.
func walkBody(pattern string, ids walkIDs) string {
	switch pattern {
	case "POST /v1/payment-links":
		return `{"amount":{"currency":"EUR","value":"3.00"},"description":"walk","customer_id":"` + ids.customer + `"}`
	case "PATCH /v1/payment-links/{id}", "PATCH /v1/customers/{id}":
		return `{"language":"fr"}`
	case "POST /v1/payment-links/{id}/duplicate":
		return `{}`
	case "POST /v1/payment-links/{id}/send":
		return `{"channel":"email"}`
	case "POST /v1/payment-links/{id}/refunds":
		return `{"reason":"walk"}`
	case "PUT /v1/settings":
		return `{"name":"Hooks"}`
	case "POST /v1/customers/{id}/merge":
		return `{"into":"` + ids.customer + `"}`
	case "POST /v1/api-keys":
		return `{"name":"walk"}`
	case "POST /v1/members":
		return `{"email":"new.member@team.example","role":"viewer"}`
	case "PATCH /v1/members/{id}":
		return `{"role":"viewer"}`
	case "POST /v1/customers":
		return `{"first_name":"Quintessa","last_name":"Vandermarkt","email":"quintessa.v@private.example"}`
	case "POST /v1/payment-links/import":
		return "amount,currency,description,first_name,last_name\n4.00,EUR,walk,Ana,Lopez\n"
	case "POST /v1/customers/import":
		return "first_name,last_name\nAna,Lopez\n"
	}
	return ""
}
