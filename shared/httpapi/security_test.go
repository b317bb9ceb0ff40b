package httpapi_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/paylinks/paylinks/shared/devkit/seed"
	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/httpapi"
	"github.com/paylinks/paylinks/shared/links"
	"github.com/paylinks/paylinks/shared/money"
	"github.com/paylinks/paylinks/shared/psp"
	"github.com/paylinks/paylinks/shared/psp/sandbox"
	"github.com/paylinks/paylinks/shared/reqlog"
	"github.com/paylinks/paylinks/shared/service"
	"github.com/paylinks/paylinks/shared/store"
	"github.com/paylinks/paylinks/shared/testkit/testenv"
)

// Every route that names a resource answers 404 to another merchant's key
// and changes nothing; the test fails when a route is added without a case.
func TestTenantIsolationEveryRoute(t *testing.T) {
	env := testenv.New(t)
	keyA := env.Merchant(t, "tenant-a")
	keyB := env.Merchant(t, "tenant-b")
	srv := env.Serve(t)
	ids := resourcesOfA(t, env, srv.URL, keyA)
	everyRouteRefusesB(t, srv.URL, keyB, ids)
	aUntouchedByB(t, env, srv.URL, keyA, keyB, ids)
}

// resourcesOfA makes one of each of merchant A's resources (a paid and
// partly refunded link, an import, an API key, a delivery, a payment under
// review) and returns their ids by route prefix.
func resourcesOfA(t *testing.T, env *testenv.Env, base, keyA string) map[string]string {
	t.Helper()
	link := paidLinkOf(t, env, base, keyA, "tenant-a", "50.00")
	st, _, raw := call(t, "POST", base+"/v1/payment-links/"+link+"/refunds", keyA, `{"amount":{"currency":"EUR","value":"5.00"}}`, nil, true)
	if st != 201 {
		t.Fatalf("refund %d %s", st, raw)
	}
	imp := importOf(t, base, keyA)
	_, _, raw = call(t, "GET", base+"/v1/api-keys", keyA, "", nil, true)
	keyID := decode(t, raw)["data"].([]any)[0].(map[string]any)["id"].(string)
	ev := "ev_01M84EF81GKHNN70CRNQ5HZ5K9"
	if _, err := env.Store.PutDelivery(context.Background(), &store.Delivery{ID: store.DeliveryIDFor(ev), Merchant: "tenant-a", EventID: ev,
		EventType: "payment_link.paid", LinkID: link, Body: `{}`}, time.Now()); err != nil {
		t.Fatal(err)
	}
	delivery := store.DeliveryIDFor(ev)
	if _, err := env.Store.PutFeedEvent(context.Background(), &store.FeedEvent{ID: delivery, Merchant: "tenant-a", Type: "payment_link.paid", LinkID: link,
		Body: `{"type":"payment_link.paid","timestamp":"2026-12-07T10:00:00Z","data":{"event_id":"` + ev + `","sequence":2,"link":{}}}`}, "", time.Now); err != nil {
		t.Fatal(err)
	}
	usd := money.MustParse("USD", "0.01")
	if _, err := links.ApplyPayment(t.Context(), env.Store, "tenant-a", "sandbox", domain.PaymentEvent{ID: "evt_wrong", Kind: domain.PaymentSucceeded, LinkID: link,
		PaymentRef: "pay_wrong", Amount: &usd}, time.Now()); err != nil {
		t.Fatal(err)
	}
	reviewPage, err := env.Store.ReviewPayments(t.Context(), "tenant-a", store.ReviewQuery{Limit: 1})
	if err != nil || len(reviewPage.Items) != 1 {
		t.Fatalf("review payment of A: %v %+v", err, reviewPage)
	}
	review := reviewPage.Items[0].ID
	now := time.Now().UTC()
	mem := domain.Member{ID: domain.NewID("mem_", now), Merchant: "tenant-a", Email: "ana@tenant-a.example", Role: domain.RoleViewer,
		Status: domain.MemberInvited, Sub: "sub-ana", Username: "sub-ana", InvitedBy: domain.System, Created: now}
	if err := env.Store.AddMember(t.Context(), mem, store.NewAuditEntry(t.Context(), now, "member.invited", mem.ID, nil, mem)); err != nil {
		t.Fatal(err)
	}
	cus := domain.CustomerRecord{ID: domain.NewID("cus_", now), Type: "company", CompanyName: "Buyer of A", Metadata: map[string]string{}, Created: now, Updated: now}
	if err := env.Store.CreateCustomer(t.Context(), "tenant-a", &cus, store.NewAuditEntry(t.Context(), now, "customer.created", cus.ID, nil, nil)); err != nil {
		t.Fatal(err)
	}
	stmt := &store.Statement{ID: domain.NewID(domain.PrefixStatement, now), Merchant: "tenant-a", Source: "api", File: "statements/tenant-a/x"}
	if err := env.Store.CreateStatement(t.Context(), stmt, now); err != nil {
		t.Fatal(err)
	}
	ids := map[string]string{"/v1/customers/{id}": cus.ID, "/v1/payment-links/{id}": link, "/v1/imports/{id}": imp, "/v1/api-keys/{id}": keyID, "/v1/webhook-deliveries/{id}": delivery,
		"/v1/payments/review/{id}": review, "/v1/members/{id}": mem.ID, "/v1/bank-statements/{id}": stmt.ID,
		"/v1/bank-refund-files/{id}": bankFileOf(t, env, base, keyA, "tenant-a"), "/v1/events/{id}": delivery}
	return ids
}

// everyRouteRefusesB: every route with an {id} answers 404 to merchant B
// for merchant A's resource.
func everyRouteRefusesB(t *testing.T, srvURL, keyB string, ids map[string]string) {
	t.Helper()
	bodies := map[string]string{"PATCH": `{"language":"de"}`, "POST /v1/payment-links/{id}/refunds": `{"amount":{"currency":"EUR","value":"1.00"}}`,
		"POST /v1/payment-links/{id}/send": `{"channel":"email"}`, "PATCH /v1/members/{id}": `{"role":"owner"}`,
		"PATCH /v1/customers/{id}":              `{"company_name":"Taken by B"}`,
		"POST /v1/customers/{id}/merge":         `{"into":"cus_01JD3Q4ZK1W8Y6N0M5C2B7V9XA"}`,
		"POST /v1/payment-links/{id}/duplicate": `{"reference":"DUP-BY-B"}`,
		"POST /v1/payments/review/{id}/match":   `{"link_id":"pl_01JD3Q4ZK1W8Y6N0M5C2B7V9XA"}`}
	covered := 0
	for _, rt := range httpapi.AllRoutes() {
		method, path, _ := strings.Cut(rt.Pattern, " ")
		if !strings.Contains(path, "{id}") {
			continue
		}
		base := path[:strings.Index(path, "{id}")+4]
		id, ok := ids[base]
		if !ok {
			t.Errorf("%s: no resource of merchant A to try", rt.Pattern)
			continue
		}
		body := bodies[method]
		if b, ok := bodies[rt.Pattern]; ok {
			body = b
		}
		if st, _, raw := call(t, method, srvURL+strings.Replace(path, "{id}", id, 1), keyB, body, nil, false); st != 404 {
			t.Errorf("B %s: %d %s", rt.Pattern, st, raw)
		}
		covered++
	}
	if covered < 10 {
		t.Fatalf("only %d routes tried", covered)
	}
}

// aUntouchedByB: A's resources are as they were, and B's lists show none.
func aUntouchedByB(t *testing.T, env *testenv.Env, base, keyA, keyB string, ids map[string]string) {
	t.Helper()
	link, delivery, keyID, review := ids["/v1/payment-links/{id}"], ids["/v1/webhook-deliveries/{id}"], ids["/v1/api-keys/{id}"], ids["/v1/payments/review/{id}"]
	// A's resources are as they were.
	_, _, raw := call(t, "GET", base+"/v1/payment-links/"+link, keyA, "", nil, true)
	if l := decode(t, raw); l["language"] == "de" || l["archived"] != false || l["amount_refunded"].(map[string]any)["value"] == "1.00" {
		t.Fatalf("A's link changed: %s", raw)
	}
	if st, _, _ := call(t, "GET", base+"/v1/api-keys", keyA, "", nil, true); st != 200 {
		t.Fatal("A's key revoked by B")
	}
	if mem, err := env.Store.GetMember(t.Context(), "tenant-a", ids["/v1/members/{id}"]); err != nil || mem.Role != domain.RoleViewer {
		t.Fatalf("A's member changed by B: %+v %v", mem, err)
	}
	// B's duplicate of A's link made no link, for either merchant.
	for _, key := range []string{keyA, keyB} {
		_, _, raw := call(t, "GET", base+"/v1/payment-links?reference=DUP-BY-B", key, "", nil, true)
		if n := len(decode(t, raw)["data"].([]any)); n != 0 {
			t.Errorf("B's duplicate made %d links: %s", n, raw)
		}
	}
	// Lists only ever show the caller's own.
	if p, err := env.Store.GetReviewPayment(t.Context(), "tenant-a", review); err != nil || p.State != store.ReviewOpen {
		t.Fatalf("A's review payment changed: %+v %v", p, err)
	}
	if c, err := env.Store.GetCustomer(t.Context(), "tenant-a", ids["/v1/customers/{id}"]); err != nil || c.CompanyName != "Buyer of A" || c.Archived {
		t.Fatalf("A's customer changed: %+v %v", c, err)
	}
	for _, path := range []string{"/v1/payment-links", "/v1/webhook-deliveries", "/v1/api-keys", "/v1/payments/review", "/v1/members", "/v1/audit-log", "/v1/customers"} {
		_, _, raw := call(t, "GET", base+path, keyB, "", nil, true)
		if strings.Contains(string(raw), link) || strings.Contains(string(raw), delivery) || strings.Contains(string(raw), keyID) || strings.Contains(string(raw), review) {
			t.Errorf("B's %s shows A's data: %s", path, raw)
		}
	}
}

func paidLinkOf(t *testing.T, env *testenv.Env, srvURL, key, merchant, value string) string {
	t.Helper()
	st, _, raw := call(t, "POST", srvURL+"/v1/payment-links", key, `{"amount":{"currency":"EUR","value":"`+value+`"},"description":"d","customer":{"company_name":"ACME"}}`, nil, true)
	if st != 201 {
		t.Fatalf("%d %s", st, raw)
	}
	id := decode(t, raw)["id"].(string)
	cur, _ := env.Store.Get(t.Context(), merchant, id)
	next := *cur
	next.Status = domain.StatusPaid
	now := time.Now().UTC()
	next.PaidAt, next.PSP, next.PSPReference = &now, "sandbox", "pay_sb_"+id[len(id)-8:]
	if err := env.Store.Transition(t.Context(), cur, &next, domainEvent(id, now)); err != nil {
		t.Fatal(err)
	}
	return id
}

func importOf(t *testing.T, srvURL, key string) string {
	t.Helper()
	req := httptest.NewRequest("POST", srvURL+"/v1/payment-links/import", strings.NewReader("amount,currency,description,company_name\n1.00,EUR,d,X\n"))
	req.RequestURI = ""
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "text/csv")
	resp, err := noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	_, _ = buf.ReadFrom(resp.Body)
	if resp.StatusCode != 202 {
		t.Fatalf("import %d %s", resp.StatusCode, buf.String())
	}
	return decode(t, buf.Bytes())["id"].(string)
}

// No secret reaches the logs: API keys (right, wrong, malformed, new),
// webhook and PSP secrets set in the settings, signatures, IBANs in full.
func TestSecretsNeverLogged(t *testing.T) {
	env := testenv.New(t)
	key := env.Merchant(t, "logs")
	var sink testenv.LogBuffer
	log := slog.New(slog.NewJSONHandler(&sink, &slog.HandlerOptions{Level: slog.LevelDebug}))
	svc := service.New(env.Store, service.Options{PublicBaseURL: "http://127.0.0.1:1", LinkCodeKey: testenv.CodeKey, SandboxSecret: []byte("s"), SQS: env.SQS, Queues: env.Queues, Log: log})
	srv := httptest.NewServer(reqlog.Middleware(log, svc.Handler()))
	defer srv.Close()

	secrets := []string{key, "sk_test_wrongwrongwrongwrongwrongwrong", "whsec_c2Vjb25kLXNlY3JldC1mb3ItdGhlLXJvdGF0aW9u", "sk_test_stripe_credential_value",
		"BE71096123456769", seed.Demo("logs").PSPWebhookSecret}
	call(t, "GET", srv.URL+"/v1/payment-links", secrets[1], "", nil, true)
	call(t, "GET", srv.URL+"/v1/payment-links", "Basic "+secrets[1], "", nil, false)
	call(t, "PUT", srv.URL+"/v1/settings", key, `{"webhook_secret":"`+secrets[2]+`","psp_credentials":{"secret_key":"`+secrets[3]+`"}}`, nil, true)
	call(t, "PUT", srv.URL+"/v1/settings", key, `{"webhook_secret":"whsec_tooshort_`+secrets[3]+`"}`, nil, false)
	call(t, "POST", srv.URL+"/v1/payment-links", key, `{"amount":{"currency":"EUR","value":"5"},"description":"d","customer":{"company_name":"X"},"beneficiary":{"name":"B","iban":"`+secrets[4]+`"}}`, nil, true)
	call(t, "POST", srv.URL+"/v1/payment-links", key, `{"amount":{"currency":"EUR","value":"5"},"description":"d","customer":{"company_name":"X"},"beneficiary":{"name":"B","iban":"`+secrets[4]+`X"}}`, nil, false)
	_, _, raw := call(t, "POST", srv.URL+"/v1/api-keys", key, "", nil, true)
	secrets = append(secrets, decode(t, raw)["secret"].(string))
	body := []byte(`{"id":"evt_sb_log","type":"payment.failed","created":1,"data":{"link_id":"pl_01M84EF81GKHNN70CRNQ5HZ5K9","attempt":1}}`)
	sig := psp.SignedHeader(secrets[5], time.Now(), body)
	call(t, "POST", srv.URL+"/webhooks/psp/sandbox/logs", "", string(body), map[string]string{sandbox.SignatureHeader: sig}, false)
	call(t, "POST", srv.URL+"/webhooks/psp/sandbox/logs", "", string(body), map[string]string{sandbox.SignatureHeader: sig + "00"}, false)
	secrets = append(secrets, sig[strings.Index(sig, "v1=")+3:])

	logs := sink.String()
	if strings.Count(logs, "\n") < 9 {
		t.Fatalf("too few log lines to judge: %s", logs)
	}
	for _, s := range secrets {
		if strings.Contains(logs, s) || strings.Contains(logs, s[len(s)/2:]) {
			t.Errorf("a secret (%s...) is in the logs", s[:6])
		}
	}
	if regexp.MustCompile(`sk_(test|live)_[A-Za-z0-9_-]{20,}`).MatchString(logs) {
		t.Error("something shaped like an API key is in the logs")
	}
}

// Bodies too large, too deep or with open redirects are refused before any
// write.
func TestHostileBodies(t *testing.T) {
	env := testenv.New(t)
	key := env.Merchant(t, "hostile")
	srv := env.Serve(t)
	usedKey(t, env, srv.URL, key)
	deep := strings.Repeat("[", 100000) + strings.Repeat("]", 100000)
	nestedMeta := `{"amount":{"currency":"EUR","value":"5"},"description":"d","customer":{"company_name":"X"},"metadata":{"a":` + strings.Repeat(`{"a":`, 5000) + `1` + strings.Repeat("}", 5000) + `}}`
	huge := `{"amount":{"currency":"EUR","value":"5"},"description":"` + strings.Repeat("x", 2<<20) + `","customer":{"company_name":"X"}}`
	base := `{"amount":{"currency":"EUR","value":"5"},"description":"d","customer":{"company_name":"X"},"redirect_url":"%s"}`
	for _, c := range []struct {
		name, body string
		status     int
	}{
		{"deeply nested", deep, 400},
		{"nested metadata", nestedMeta, 422},
		{"over 1 MiB", huge, 413},
		{"redirect off the allow-list", strings.Replace(base, "%s", "https://evil.example/phish", 1), 422},
		{"redirect to a look-alike", strings.Replace(base, "%s", "https://shop.example.evil.example/", 1), 422},
		{"protocol-relative redirect", strings.Replace(base, "%s", "//evil.example/", 1), 422},
		{"javascript redirect", strings.Replace(base, "%s", "javascript:alert(1)", 1), 422},
		{"redirect with credentials", strings.Replace(base, "%s", "https://user@shop.example/", 1), 422},
	} {
		env.Count.Reset()
		st, _, raw := call(t, "POST", srv.URL+"/v1/payment-links", key, c.body, nil, false)
		if st != c.status || !strings.Contains(string(raw), `"status":`) {
			t.Errorf("%s: %d %.200s", c.name, st, raw)
		}
		if s := env.Count.Snapshot(); s["TransactWriteItems"]+s["PutItem"]+s["UpdateItem"] != 0 {
			t.Errorf("%s: wrote %v", c.name, s)
		}
	}
	if n, _ := env.Store.CountLinks(context.Background(), "hostile"); n != 0 {
		t.Fatalf("%d links made", n)
	}
}

func domainEvent(linkID string, at time.Time) domain.Event {
	return domain.NewEvent(linkID, domain.EventPaid, domain.StatusCreated, domain.StatusPaid, at, nil)
}
