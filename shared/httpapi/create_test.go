package httpapi_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/paylinks/paylinks/shared/testkit/testenv"
)

// TestCreateHandlerServesOnlyTheCreate: the create function's handler
// creates links exactly as the full API does (auth, Idempotency-Key), and
// every other route is a 404 problem.
func TestCreateHandlerServesOnlyTheCreate(t *testing.T) {
	env := testenv.New(t)
	key := env.Merchant(t, "shop")
	srv := env.Serve(t)
	create := httptest.NewServer(srv.Service.API.CreateHandler())
	t.Cleanup(create.Close)

	idem := map[string]string{"Idempotency-Key": "create-only-1"}
	st, h, raw := call(t, "POST", create.URL+"/v1/payment-links", key, fullBody, idem, true)
	if st != 201 || h.Get("Location") == "" {
		t.Fatalf("create: %d %s", st, raw)
	}
	id := decode(t, raw)["id"].(string)
	st, h, again := call(t, "POST", create.URL+"/v1/payment-links", key, fullBody, idem, true)
	if st != 201 || h.Get("Idempotent-Replayed") != "true" || string(again) != string(raw) {
		t.Fatalf("replay: %d %q %s", st, h.Get("Idempotent-Replayed"), again)
	}
	// The link is the full API's link.
	if st, _, got := call(t, "GET", srv.URL+"/v1/payment-links/"+id, key, "", nil, true); st != 200 || decode(t, got)["id"] != id {
		t.Fatalf("full API get: %d %s", st, got)
	}
	if st, _, _ := call(t, "POST", create.URL+"/v1/payment-links", "sk_test_"+"wrongwrongwrongwrongwrongwrongwr", fullBody, nil, true); st != 401 {
		t.Errorf("wrong key: %d, want 401", st)
	}
	for _, rt := range []struct{ method, path string }{
		{"GET", "/v1/payment-links"}, {"GET", "/v1/payment-links/" + id}, {"POST", "/v1/payment-links/import"},
		{"GET", "/v1/settings"}, {"POST", "/v1/payment-links/" + id + "/refunds"}, {"GET", "/l/x"}, {"GET", "/"},
	} {
		req, _ := http.NewRequest(rt.method, create.URL+rt.path, nil)
		req.Header.Set("Authorization", "Bearer "+key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 404 || resp.Header.Get("Content-Type") != "application/problem+json" {
			t.Errorf("%s %s: %d %q, want a 404 problem", rt.method, rt.path, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
	}
}
