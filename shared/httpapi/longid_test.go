package httpapi_test

import (
	"strings"
	"testing"

	"github.com/paylinks/paylinks/shared/httpapi"
	"github.com/paylinks/paylinks/shared/testkit/testenv"
)

// TestLongIDsAreNoResource (found probing the running system: a member id
// over the store's 1 KB sort key, an import id over its 2 KB partition key
// were 500s): every route naming an id, given one of 130 or 3,000 bytes,
// answers 404 or a 4xx, never a 5xx.
func TestLongIDsAreNoResource(t *testing.T) {
	env := testenv.New(t)
	key := env.Merchant(t, "shop")
	srv := env.Serve(t)
	for _, n := range []int{130, 3000} {
		id := strings.Repeat("m", n)
		for _, rt := range httpapi.AllRoutes() {
			method, path, _ := strings.Cut(rt.Pattern, " ")
			if !strings.Contains(path, "{id}") {
				continue
			}
			body := ""
			if method != "GET" && method != "DELETE" {
				body = "{}"
			}
			st, out := raw(t, method, srv.URL+strings.ReplaceAll(path, "{id}", id), key, body)
			if st >= 500 || st < 400 {
				t.Errorf("%s with an id of %d bytes: %d %s", rt.Pattern, n, st, out)
			}
		}
	}
}

// TestKeyCannotLeave: leaving a merchant is a member's (DELETE
// /v1/members/me); a key, even a full one, is refused and revoked instead.
// GET and PATCH /v1/members/me are a member's too.
func TestKeyCannotLeave(t *testing.T) {
	env := testenv.New(t)
	key := env.Merchant(t, "shop")
	srv := env.Serve(t)
	if st, _, raw := call(t, "DELETE", srv.URL+"/v1/members/me", key, "", nil, true); st != 403 || !strings.Contains(string(raw), "member") {
		t.Fatalf("a key leaves: %d %s", st, raw)
	}
	// Nor has a key a member's own page or dashboard language (the
	// member's side: shared/dashboard's TestMemberLanguage
	// and TestMembersMeIsTheirOwn).
	for _, c := range []struct{ method, body string }{{"GET", ""}, {"PATCH", `{"language":"nl"}`}} {
		if st, _, raw := call(t, c.method, srv.URL+"/v1/members/me", key, c.body, nil, true); st != 403 || !strings.Contains(string(raw), "member") {
			t.Fatalf("a key's %s /v1/members/me: %d %s", c.method, st, raw)
		}
	}
}
