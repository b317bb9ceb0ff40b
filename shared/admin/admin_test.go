package admin_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/paylinks/paylinks/shared/admin"
	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/testkit/testenv"
)

func do(t *testing.T, method, url, key, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(raw)
}

// An operator's merchant works end to end: created in test mode (with the
// sandbox), a key issued, a link made and opened; suspended, its API
// answers 403 and its link 404; resumed, both work again; its key revoked,
// 401.
func TestOperatorLifecycle(t *testing.T) {
	env := testenv.New(t)
	srv := env.Serve(t)
	a := &admin.Admin{Store: env.Store, Sandbox: true, Now: time.Now}
	ctx := context.Background()
	act := func(r admin.Request) admin.Response {
		t.Helper()
		resp, err := a.Handle(ctx, r)
		if err != nil {
			t.Fatalf("%s: %v", r.Action, err)
		}
		return resp
	}
	m := act(admin.Request{Action: "create_merchant", Merchant: "acme", Name: "Acme Ltd"}).Merchant
	if m.Mode != "test" || m.PSP != "sandbox" || m.Suspended {
		t.Fatalf("created %+v", m)
	}
	if _, err := a.Handle(ctx, admin.Request{Action: "create_merchant", Merchant: "acme", Name: "Again"}); !errors.Is(err, domain.ErrConflict) {
		t.Fatalf("second create: %v", err)
	}
	k := act(admin.Request{Action: "issue_key", Merchant: "acme"}).Key
	if !strings.HasPrefix(k.Secret, "sk_test_") || k.ID == "" {
		t.Fatalf("key %+v", k)
	}
	if keys := act(admin.Request{Action: "list_keys", Merchant: "acme"}).Keys; len(keys) != 1 || keys[0].Secret != "" || keys[0].ID != k.ID {
		t.Fatalf("keys %+v", keys)
	}
	st, body := do(t, "POST", srv.URL+"/v1/payment-links", k.Secret, `{"amount":{"currency":"EUR","value":"12.00"},"description":"Order 1","customer":{"company_name":"Buyer"}}`)
	var link struct{ URL string }
	if err := json.Unmarshal([]byte(body), &link); st != 201 || err != nil {
		t.Fatalf("create link: %d %s", st, body)
	}
	if st, _ := do(t, "GET", link.URL, "", ""); st != 302 {
		t.Fatalf("open link: %d", st)
	}

	checkSuspension(t, env, act, k, link.URL, srv.URL)
}

// checkSuspension: suspended, acme's API answers 403 and its link 404;
// resumed, both work again; its key revoked, 401.
func checkSuspension(t *testing.T, env *testenv.Env, act func(admin.Request) admin.Response, key *admin.Key, linkURL, base string) {
	t.Helper()
	if m := act(admin.Request{Action: "suspend_merchant", Merchant: "acme"}).Merchant; !m.Suspended {
		t.Fatalf("suspend: %+v", m)
	}
	list := act(admin.Request{Action: "list_merchants"}).Merchants
	if len(list) != 1 || list[0].ID != "acme" || !list[0].Suspended || list[0].Mode != "test" {
		t.Fatalf("list %+v", list)
	}
	// The API and the redirect cache merchants for 30 s in a warm function;
	// a fresh server reads the suspension at once.
	srv2 := env.Serve(t)
	if st, body := do(t, "GET", srv2.URL+"/v1/payment-links", key.Secret, ""); st != 403 || !strings.Contains(body, "suspended") {
		t.Fatalf("suspended API: %d %s", st, body)
	}
	if st, _ := do(t, "GET", strings.Replace(linkURL, base, srv2.URL, 1), "", ""); st != 404 {
		t.Fatalf("suspended link: %d", st)
	}
	act(admin.Request{Action: "resume_merchant", Merchant: "acme"})
	srv3 := env.Serve(t)
	if st, _ := do(t, "GET", srv3.URL+"/v1/payment-links", key.Secret, ""); st != 200 {
		t.Fatalf("resumed API: %d", st)
	}
	act(admin.Request{Action: "revoke_key", Merchant: "acme", KeyID: key.ID})
	srv4 := env.Serve(t)
	if st, _ := do(t, "GET", srv4.URL+"/v1/payment-links", key.Secret, ""); st != 401 {
		t.Fatalf("revoked key: %d", st)
	}
}

func TestOperatorMistakes(t *testing.T) {
	env := testenv.New(t)
	a := &admin.Admin{Store: env.Store, Now: time.Now}
	ctx := context.Background()
	for _, r := range []admin.Request{
		{Action: "create_merchant", Merchant: "Bad Id", Name: "x"},
		{Action: "create_merchant", Merchant: "shop", Name: " "},
		{Action: "create_merchant", Merchant: "shop", Name: "Shop", Mode: "prod"},
		{Action: "explode", Merchant: "shop"},
	} {
		if _, err := a.Handle(ctx, r); !errors.Is(err, admin.ErrInvalid) {
			t.Errorf("%+v: %v, want invalid", r, err)
		}
	}
	if _, err := a.Handle(ctx, admin.Request{Action: "suspend_merchant", Merchant: "ghost"}); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("suspend unknown: %v", err)
	}
	if _, err := a.Handle(ctx, admin.Request{Action: "issue_key", Merchant: "ghost"}); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("key for unknown: %v", err)
	}
	// A live merchant: no sandbox, and only live keys.
	m, err := a.CreateMerchant(ctx, "live-shop", "Live Shop", "live")
	if err != nil || m.Mode != "live" || m.PSP != "" {
		t.Fatalf("live merchant %+v %v", m, err)
	}
	if _, err := a.IssueKey(ctx, "live-shop", "sk_test_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1VMJj8"); !errors.Is(err, admin.ErrInvalid) {
		t.Errorf("test key for a live merchant: %v", err)
	}
	if k, err := a.IssueKey(ctx, "live-shop", ""); err != nil || !strings.HasPrefix(k.Secret, "sk_live_") {
		t.Errorf("live key %+v %v", k, err)
	}
}
