package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/httpapi"
	"github.com/paylinks/paylinks/shared/merchant"
	"github.com/paylinks/paylinks/shared/openapi"
	"github.com/paylinks/paylinks/shared/testkit/testenv"
)

// TestEveryRouteDeclaresPermission: a route added without a known
// permission fails here.
func TestEveryRouteDeclaresPermission(t *testing.T) {
	for _, rt := range httpapi.AllRoutes() {
		if rt.MemberOnly != (rt.Permission == "") || (!rt.MemberOnly && !rt.Permission.Known()) {
			t.Errorf("route %q declares no known permission (%q) and is not for members only", rt.Pattern, rt.Permission)
		}
		for _, p := range rt.AlsoNeeds {
			if !p.Known() {
				t.Errorf("route %q also needs an unknown permission %q", rt.Pattern, p)
			}
		}
	}
}

// TestRoutePermissions holds each route to the permission it needs.
func TestRoutePermissions(t *testing.T) {
	want := map[string]domain.Permission{
		"POST /v1/payment-links":                   domain.LinksWrite,
		"GET /v1/payment-links":                    domain.LinksRead,
		"GET /v1/payment-links/summary":            domain.LinksRead,
		"GET /v1/insights":                         domain.LinksRead,
		"POST /v1/payment-links/import":            domain.LinksWrite,
		"GET /v1/payment-links/export":             domain.ExportsRead,
		"GET /v1/imports/{id}":                     domain.LinksRead,
		"GET /v1/payment-links/{id}":               domain.LinksRead,
		"PATCH /v1/payment-links/{id}":             domain.LinksWrite,
		"POST /v1/payment-links/{id}/archive":      domain.LinksWrite,
		"POST /v1/payment-links/{id}/duplicate":    domain.LinksWrite,
		"GET /v1/payment-links/{id}/events":        domain.LinksRead,
		"GET /v1/events":                           domain.LinksRead,
		"GET /v1/events/{id}":                      domain.LinksRead,
		"GET /v1/payment-links/{id}/preview":       domain.LinksRead,
		"GET /v1/payment-links/{id}/preview/email": domain.LinksRead,
		"POST /v1/payment-links/{id}/send":         domain.LinksSend,
		"POST /v1/payment-links/{id}/refunds":      domain.RefundsWrite,
		"GET /v1/payment-links/{id}/refunds":       domain.LinksRead,
		"GET /v1/settings":                         domain.SettingsRead,
		"PUT /v1/settings":                         domain.SettingsWrite,
		"GET /v1/settings/brand":                   domain.SettingsRead,
		"PUT /v1/settings/brand":                   domain.SettingsWrite,
		"GET /v1/settings/brand/logo":              domain.SettingsRead,
		"PUT /v1/settings/brand/logo":              domain.SettingsWrite,
		"DELETE /v1/settings/brand/logo":           domain.SettingsWrite,
		"GET /v1/api-keys":                         domain.KeysWrite,
		"POST /v1/api-keys":                        domain.KeysWrite,
		"DELETE /v1/api-keys/{id}":                 domain.KeysWrite,
		"GET /v1/webhook-deliveries":               domain.SettingsRead,
		"GET /v1/webhook-deliveries/{id}":          domain.SettingsRead,
		"POST /v1/webhook-deliveries/{id}/retry":   domain.SettingsWrite,
		"GET /v1/payments/review":                  domain.PaymentsReview,
		"POST /v1/payments/review/{id}/refund":     domain.PaymentsReview,
		"POST /v1/payments/review/{id}/match":      domain.PaymentsReview,
		"POST /v1/bank-statements":                 domain.PaymentsReview,
		"GET /v1/bank-statements":                  domain.PaymentsReview,
		"GET /v1/bank-statements/{id}":             domain.PaymentsReview,
		"GET /v1/bank-statements/{id}/entries":     domain.PaymentsReview,
		"POST /v1/bank-refund-files":               domain.PaymentsReview,
		"GET /v1/bank-refund-files":                domain.PaymentsReview,
		"GET /v1/bank-refund-files/next":           domain.PaymentsReview,
		"GET /v1/bank-refund-files/{id}":           domain.PaymentsReview,
		"GET /v1/members":                          domain.SettingsRead,
		"POST /v1/members":                         domain.MembersWrite,
		"PATCH /v1/members/{id}":                   domain.MembersWrite,
		"DELETE /v1/members/{id}":                  domain.MembersWrite,
		"DELETE /v1/members/me":                    "", // members only, whatever their role
		"GET /v1/members/me":                       "", // members only, whatever their role
		"PATCH /v1/members/me":                     "", // members only, whatever their role
		"GET /v1/audit-log":                        domain.AuditRead,
		"POST /v1/customers":                       domain.CustomersWrite,
		"GET /v1/customers":                        domain.CustomersRead,
		"GET /v1/customers/{id}":                   domain.CustomersRead,
		"PATCH /v1/customers/{id}":                 domain.CustomersWrite,
		"POST /v1/customers/{id}/archive":          domain.CustomersWrite,
		"GET /v1/customers/{id}/payment-links":     domain.LinksRead,
		"POST /v1/customers/{id}/erase":            domain.CustomersErase,
		"GET /v1/customers/{id}/erasure-preview":   domain.CustomersErase,
		"POST /v1/customers/{id}/merge":            domain.CustomersWrite,
		"GET /v1/customers/{id}/totals":            domain.LinksRead,
		"POST /v1/customers/import":                domain.CustomersWrite,
		"GET /v1/customers/export":                 domain.CustomersRead,
	}
	seen := map[string]bool{}
	for _, rt := range httpapi.AllRoutes() {
		seen[rt.Pattern] = true
		w, ok := want[rt.Pattern]
		if !ok {
			t.Errorf("route %q: add its permission to this table", rt.Pattern)
			continue
		}
		if rt.Permission != w {
			t.Errorf("route %q needs %q, want %q", rt.Pattern, rt.Permission, w)
		}
	}
	for p := range want {
		if !seen[p] {
			t.Errorf("no route %q", p)
		}
	}
}

// restrictedKey creates a key with the given permissions through the API.
func restrictedKey(t *testing.T, base, full string, perms ...string) (secret, id string) {
	t.Helper()
	body := `{"name":"` + strings.Join(perms, "+") + `","permissions":["` + strings.Join(perms, `","`) + `"]}`
	st, _, raw := call(t, "POST", base+"/v1/api-keys", full, body, nil, true)
	k := decode(t, raw)
	if st != 201 {
		t.Fatalf("create restricted key %v: %d %s", perms, st, raw)
	}
	return k["secret"].(string), k["id"].(string)
}

func wantMissing(t *testing.T, st int, raw []byte, perm domain.Permission) {
	t.Helper()
	if st != 403 {
		t.Fatalf("want 403 missing %s: %d %s", perm, st, raw)
	}
	p := decode(t, raw)
	if p["missing_permission"] != string(perm) || !strings.Contains(p["detail"].(string), string(perm)) {
		t.Fatalf("want missing_permission %s: %s", perm, raw)
	}
}

// TestRestrictedKeys, through the emulators: a links-only key creates links
// and is refused refunds and keys; a read-only key cannot archive; a key
// hands out no permission it lacks; unknown permissions are 422; the listing
// shows permissions; restricted keys are outside the two full keys; a full
// key does everything.
func TestRestrictedKeys(t *testing.T) {
	env := testenv.New(t)
	full := env.Merchant(t, "shop")
	srv := env.Serve(t)
	base := srv.URL
	paid := paidLinkOf(t, env, base, full, "shop", "10.00")
	links, linksID := restrictedKey(t, base, full, "links:write", "links:read")
	reader, readerID := restrictedKey(t, base, full, "links:read")

	created := linksKeyOnlyLinks(t, base, links, paid)
	readerCannotArchive(t, base, reader, full, created)
	noEscalation(t, base, full)
	invalidPermissions(t, env, base, full)
	listed(t, base, full, linksID)
	second := rotationBesideRestricted(t, base, full, readerID)

	// A full key does everything the restricted ones were refused.
	if st, _, raw := call(t, "POST", base+"/v1/payment-links/"+paid+"/refunds", second, `{"reason":"x"}`, nil, true); st != 201 {
		t.Fatalf("full refund: %d %s", st, raw)
	}
	// (never opened: archiving deletes it)
	if st, _, raw := call(t, "POST", base+"/v1/payment-links/"+created+"/archive", second, "", nil, true); st != 204 {
		t.Fatalf("full archive: %d %s", st, raw)
	}
	if st, _, raw := call(t, "GET", base+"/v1/settings", second, "", nil, true); st != 200 {
		t.Fatalf("full settings: %d %s", st, raw)
	}
}

// linksKeyOnlyLinks: a links:write+links:read key creates a link (its id
// returned) and gets 403 missing_permission on refunds and on keys.
func linksKeyOnlyLinks(t *testing.T, base, links, paid string) string {
	t.Helper()
	st, _, raw := call(t, "POST", base+"/v1/payment-links", links, `{"amount":{"currency":"EUR","value":"5.00"},"description":"restricted","customer":{"company_name":"ACME"}}`, nil, true)
	if st != 201 {
		t.Fatalf("links key create: %d %s", st, raw)
	}
	created := decode(t, raw)["id"].(string)
	st, _, raw = call(t, "POST", base+"/v1/payment-links/"+paid+"/refunds", links, `{"reason":"x"}`, nil, true)
	wantMissing(t, st, raw, domain.RefundsWrite)
	st, _, raw = call(t, "POST", base+"/v1/api-keys", links, "", nil, true)
	wantMissing(t, st, raw, domain.KeysWrite)
	st, _, raw = call(t, "GET", base+"/v1/api-keys", links, "", nil, true)
	wantMissing(t, st, raw, domain.KeysWrite)
	return created
}

// readerCannotArchive: a links:read key reads, cannot archive nor read the
// settings; the link is untouched.
func readerCannotArchive(t *testing.T, base, reader, full, created string) {
	t.Helper()
	if st, _, raw := call(t, "GET", base+"/v1/payment-links/"+created, reader, "", nil, true); st != 200 {
		t.Fatalf("reader get: %d %s", st, raw)
	}
	st, _, raw := call(t, "POST", base+"/v1/payment-links/"+created+"/archive", reader, "", nil, true)
	wantMissing(t, st, raw, domain.LinksWrite)
	st, _, raw = call(t, "GET", base+"/v1/settings", reader, "", nil, true)
	wantMissing(t, st, raw, domain.SettingsRead)
	st, _, raw = call(t, "GET", base+"/v1/payment-links/"+created, full, "", nil, true)
	if l := decode(t, raw); st != 200 || l["archived"] == true {
		t.Fatalf("archived by a reader: %d %s", st, raw)
	}
}

// noEscalation: a key with keys:write hands out only permissions it holds:
// one asked for beyond them is 403, one made without a list holds the
// maker's; another key's creation is never replayed to it.
func noEscalation(t *testing.T, base, full string) {
	t.Helper()
	keyMaker, _ := restrictedKey(t, base, full, "keys:write", "links:read")
	st, _, raw := call(t, "POST", base+"/v1/api-keys", keyMaker, `{"name":"escalate","permissions":["refunds:write"]}`, nil, true)
	wantMissing(t, st, raw, domain.RefundsWrite)
	st, _, raw = call(t, "POST", base+"/v1/api-keys", keyMaker, `{"name":"copy"}`, nil, true)
	if k := decode(t, raw); st != 201 || k["restricted"] != true || fmt.Sprint(k["permissions"]) != "[keys:write links:read]" {
		t.Fatalf("a key made without a list by a keys:write+links:read key: %d %s", st, raw)
	}
	restrictedKey(t, base, keyMaker, "links:read")

	// Nor by replaying another key's creation: the Idempotency-Key is the
	// caller's own, and no answer stored holds a secret.
	idem := map[string]string{"Idempotency-Key": "make-a-full-key"}
	st, _, raw = call(t, "POST", base+"/v1/api-keys", full, `{"name":"replayed"}`, idem, true)
	if st != 201 {
		t.Fatalf("full key with Idempotency-Key: %d %s", st, raw)
	}
	revoke := decode(t, raw)["id"].(string)
	st, _, raw = call(t, "POST", base+"/v1/api-keys", keyMaker, `{"name":"replayed"}`, idem, true)
	if k := decode(t, raw); st != 201 || k["id"] == revoke || k["restricted"] != true {
		t.Fatalf("a keys:write key with another key's Idempotency-Key: %d %s", st, raw)
	}
	if st, _, raw := call(t, "DELETE", base+"/v1/api-keys/"+revoke, full, "", nil, true); st != 204 {
		t.Fatalf("revoke the replayed key: %d %s", st, raw)
	}
}

// invalidPermissions: unknown, empty or repeated permissions are 422 naming
// permissions, and nothing is written.
func invalidPermissions(t *testing.T, env *testenv.Env, base, full string) {
	t.Helper()
	before, err := env.Store.ListKeys(context.Background(), "shop")
	if err != nil {
		t.Fatal(err)
	}
	for _, body := range []string{`{"name":"x","permissions":["links:nuke"]}`, `{"name":"x","permissions":[]}`, `{"name":"x","permissions":["links:read","links:read"]}`} {
		st, _, raw := call(t, "POST", base+"/v1/api-keys", full, body, nil, false)
		if st != 422 || !strings.Contains(string(raw), `"field":"permissions"`) {
			t.Fatalf("%s: %d %s", body, st, raw)
		}
	}
	after, err := env.Store.ListKeys(context.Background(), "shop")
	if err != nil || len(after) != len(before) {
		t.Fatalf("keys written by refused requests: %d -> %d %v", len(before), len(after), err)
	}
}

// listed: the listing shows each key's name and permissions; a full key
// shows every permission.
func listed(t *testing.T, base, full, linksID string) {
	t.Helper()
	st, _, raw := call(t, "GET", base+"/v1/api-keys", full, "", nil, true)
	if st != 200 {
		t.Fatalf("list: %d %s", st, raw)
	}
	byID := map[string]jsonMap{}
	for _, k := range decode(t, raw)["data"].([]any) {
		byID[k.(jsonMap)["id"].(string)] = k.(jsonMap)
	}
	if len(byID) != 7 { // the full key, links, reader, keyMaker and the three keyMaker made
		t.Fatalf("list: %d keys %s", len(byID), raw)
	}
	if got := byID[linksID]; got["name"] != "links:write+links:read" || strings.Join(toStrings(got["permissions"]), ",") != "links:write,links:read" || got["restricted"] != true {
		t.Fatalf("links key listed as %v", got)
	}
	fullID := merchant.KeyFor("shop", full).ID()
	if got := byID[fullID]; len(toStrings(got["permissions"])) != len(domain.AllPermissions) || got["restricted"] != false {
		t.Fatalf("full key listed as %v", got)
	}
}

// rotationBesideRestricted: restricted keys do not count in the two full
// keys; a restricted key is revoked freely; the last full key is not. It
// returns the second full key.
func rotationBesideRestricted(t *testing.T, base, full, readerID string) string {
	t.Helper()
	st, _, raw := call(t, "POST", base+"/v1/api-keys", full, `{"name":"rotation"}`, nil, true)
	if st != 201 {
		t.Fatalf("second full key beside restricted ones: %d %s", st, raw)
	}
	second := decode(t, raw)["secret"].(string)
	if st, _, _ := call(t, "POST", base+"/v1/api-keys", full, "", nil, true); st != 409 {
		t.Fatalf("third full key: %d", st)
	}
	if st, _, raw := call(t, "DELETE", base+"/v1/api-keys/"+readerID, full, "", nil, true); st != 204 {
		t.Fatalf("revoke restricted: %d %s", st, raw)
	}
	if st, _, raw := call(t, "DELETE", base+"/v1/api-keys/"+merchant.KeyFor("shop", full).ID(), second, "", nil, true); st != 204 {
		t.Fatalf("revoke first full: %d %s", st, raw)
	}
	if st, _, raw := call(t, "DELETE", base+"/v1/api-keys/"+merchant.KeyFor("shop", second).ID(), second, "", nil, true); st != 409 {
		t.Fatalf("revoke the last full key beside restricted ones: %d %s", st, raw)
	}
	return second
}

func toStrings(v any) []string {
	l, _ := v.([]any)
	out := make([]string, len(l))
	for i, x := range l {
		out[i], _ = x.(string)
	}
	return out
}

// TestOpenAPIForbiddenEveryOperation: every integrator operation documents
// its 403 answer and the permission it needs (x-permission), as Routes says.
func TestOpenAPIForbiddenEveryOperation(t *testing.T) {
	var doc struct {
		Paths map[string]map[string]struct {
			Permission string                     `json:"x-permission"`
			AlsoNeeds  []string                   `json:"x-also-needs"`
			MemberOnly bool                       `json:"x-member-only"`
			Responses  map[string]json.RawMessage `json:"responses"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(openapi.Document(), &doc); err != nil {
		t.Fatal(err)
	}
	for _, rt := range httpapi.AllRoutes() {
		method, path, _ := strings.Cut(rt.Pattern, " ")
		op, ok := doc.Paths[path][strings.ToLower(method)]
		if !ok {
			t.Errorf("%s: not in openapi.json", rt.Pattern)
			continue
		}
		if _, ok := op.Responses["403"]; !ok {
			t.Errorf("%s: no 403 answer in openapi.json", rt.Pattern)
		}
		if op.Permission != string(rt.Permission) || op.MemberOnly != rt.MemberOnly || fmt.Sprint(op.AlsoNeeds) != fmt.Sprint(rt.AlsoNeeds) {
			t.Errorf("%s: x-permission %q x-also-needs %v x-member-only %v, the route needs %q and %v (members only %v)", rt.Pattern, op.Permission, op.AlsoNeeds, op.MemberOnly, rt.Permission, rt.AlsoNeeds, rt.MemberOnly)
		}
	}
}
