package service_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/paylinks/paylinks/shared/testkit/testenv"
)

// client never follows redirects, so the test sees each 302.
var client = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func do(t *testing.T, method, url, key, body string) (*http.Response, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if strings.Contains(resp.Header.Get("Content-Type"), "json") {
		if err := json.Unmarshal(raw, &out); err != nil {
			t.Fatalf("%s %s: %v: %s", method, url, err, raw)
		}
	}
	return resp, out
}

const createBody = `{"amount":{"currency":"EUR","value":"120.98"},"description":"Invoice 2026-113","reference":"%s",
 "customer":{"first_name":"Ana","last_name":"Peeters","email":"ana@example.be","language":"nl"},"expires_in_days":7}`

func TestWalkingSkeleton(t *testing.T) {
	env := testenv.New(t)
	key := env.Merchant(t, "demo")
	srv := env.Serve(t)

	// Warm the key and merchant cache, as a warm function would be.
	if resp, _ := do(t, "GET", srv.URL+"/v1/payment-links/pl_01M844JMR1Q6KRCVXQN02ZJWPF", key, ""); resp.StatusCode != 404 {
		t.Fatalf("warm-up: %d", resp.StatusCode)
	}
	id, url := createInOneWrite(t, env, srv.URL, key)

	resp, got := do(t, "GET", srv.URL+"/v1/payment-links/"+id, key, "")
	if resp.StatusCode != 200 || got["id"] != id || got["click_count"].(float64) != 0 {
		t.Fatalf("get: %d %v", resp.StatusCode, got)
	}

	loc := firstClick(t, srv.URL, key, id, url)
	secondClickInOneUpdate(t, env, url, loc)

	resp, evs := do(t, "GET", srv.URL+"/v1/payment-links/"+id+"/events", key, "")
	data := evs["data"].([]any)
	if resp.StatusCode != 200 || len(data) != 2 || data[0].(map[string]any)["type"] != "payment_link.created" || data[1].(map[string]any)["type"] != "payment_link.clicked" {
		t.Fatalf("events: %v", evs)
	}
}

// createInOneWrite creates a link, in one TransactWriteItems, and returns
// its id and url.
func createInOneWrite(t *testing.T, env *testenv.Env, base, key string) (id, url string) {
	t.Helper()
	env.Count.Reset()
	resp, link := do(t, "POST", base+"/v1/payment-links", key, strings.Replace(createBody, "%s", "ORDER-1", 1))
	if resp.StatusCode != 201 {
		t.Fatalf("create: %d %v", resp.StatusCode, link)
	}
	// One read matching the customer by e-mail (a new one is written with
	// the link), one write.
	if s := env.Count.Snapshot(); env.Count.Total() != 2 || s["TransactWriteItems"] != 1 || s["Query"] != 1 {
		t.Fatalf("create path must be one Query (the customer) and one TransactWriteItems, got %v", s)
	}
	id = link["id"].(string)
	url = link["url"].(string)
	if link["status"] != "created" || !strings.HasPrefix(url, base+"/l/demo_") || link["language"] != "nl" {
		t.Fatalf("created link %v", link)
	}
	if amt := link["amount"].(map[string]any); amt["value"] != "120.98" || amt["currency"] != "EUR" {
		t.Fatalf("amount %v", amt)
	}
	return id, url
}

// firstClick: a person clicks, is sent (302) to the sandbox checkout, which
// answers, and the link is clicked once. It returns the checkout's address.
func firstClick(t *testing.T, base, key, id, url string) string {
	t.Helper()
	resp, _ := do(t, "GET", url, "", "")
	loc := resp.Header.Get("Location")
	if resp.StatusCode != 302 || !strings.HasPrefix(loc, base+"/sandbox/checkout/cs_") {
		t.Fatalf("click: %d %q", resp.StatusCode, loc)
	}
	resp, _ = do(t, "GET", loc, "", "")
	if resp.StatusCode != 200 {
		t.Fatalf("checkout page: %d", resp.StatusCode)
	}
	_, got := do(t, "GET", base+"/v1/payment-links/"+id, key, "")
	if got["status"] != "clicked" || got["click_count"].(float64) != 1 || got["clicked_at"] == nil {
		t.Fatalf("after click: %v", got)
	}
	return loc
}

// secondClickInOneUpdate: a click on an opened link is one UpdateItem and
// the same checkout, loc.
func secondClickInOneUpdate(t *testing.T, env *testenv.Env, url, loc string) {
	t.Helper()
	env.Count.Reset()
	resp, _ := do(t, "GET", url, "", "")
	if resp.StatusCode != 302 || resp.Header.Get("Location") != loc {
		t.Fatalf("second click: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if s := env.Count.Snapshot(); env.Count.Total() != 1 || s["UpdateItem"] != 1 {
		t.Fatalf("click must be one UpdateItem, got %v", s)
	}
}

func TestSameReferenceTwice(t *testing.T) {
	env := testenv.New(t)
	key := env.Merchant(t, "demo")
	srv := env.Serve(t)
	body := strings.Replace(createBody, "%s", "ORDER-42", 1)
	r1, _ := do(t, "POST", srv.URL+"/v1/payment-links", key, body)
	r2, p := do(t, "POST", srv.URL+"/v1/payment-links", key, body)
	if r1.StatusCode != 201 || r2.StatusCode != 409 {
		t.Fatalf("got %d then %d", r1.StatusCode, r2.StatusCode)
	}
	if r2.Header.Get("Content-Type") != "application/problem+json" || p["errors"].([]any)[0].(map[string]any)["field"] != "reference" {
		t.Fatalf("problem %v", p)
	}
	n, err := env.Store.CountLinks(t.Context(), "demo")
	if err != nil || n != 1 {
		t.Fatalf("%d links, %v", n, err)
	}
}

func TestUnauthorized(t *testing.T) {
	env := testenv.New(t)
	env.Merchant(t, "demo")
	srv := env.Serve(t)
	for _, key := range []string{"", "sk_test_wrongwrongwrongwrongwrong", "garbage"} {
		resp, p := do(t, "POST", srv.URL+"/v1/payment-links", key, strings.Replace(createBody, "%s", "X", 1))
		if resp.StatusCode != 401 || p["status"].(float64) != 401 {
			t.Fatalf("key %q: %d", key, resp.StatusCode)
		}
	}
	if n, _ := env.Store.CountLinks(t.Context(), "demo"); n != 0 {
		t.Fatalf("%d links written without a key", n)
	}
}
