package httpapi_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/service"
	"github.com/paylinks/paylinks/shared/testkit/testenv"
)

type jsonMap = map[string]any

func decode(t *testing.T, raw []byte) jsonMap {
	t.Helper()
	var m jsonMap
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("decode %s: %v", raw, err)
	}
	return m
}

const fullBody = `{
 "amount": {"currency": "EUR", "value": 120.98},
 "description": "Invoice 2026-113",
 "reference": "ORDER-8812",
 "expires_in_days": 14,
 "customer": {"first_name": "Ana", "last_name": "Peeters", "email": "ana@example.be", "phone": "+32470123456", "language": "fr", "country": "BE"},
 "redirect_url": "https://www.shop.example/thanks?order=8812",
 "beneficiary": {"name": "Demo Shop BV", "iban": "BE71 0961 2345 6769", "bic": "GKCCBEBB"},
 "end_to_end_id": "E2E-1234",
 "payment_methods": ["card", "bancontact"],
 "origin": "invoice",
 "metadata": {"order": "8812", "channel": "erp"}
}`

func TestCreateWithEveryField(t *testing.T) {
	env := testenv.New(t)
	key := env.Merchant(t, "shop")
	srv := env.Serve(t)
	st, h, raw := call(t, "POST", srv.URL+"/v1/payment-links", key, fullBody, nil, true)
	if st != 201 {
		t.Fatalf("%d %s", st, raw)
	}
	l := decode(t, raw)
	if h.Get("Location") != "/v1/payment-links/"+l["id"].(string) {
		t.Fatalf("Location %q", h.Get("Location"))
	}
	fullLinkFields(t, l)
	// Read back: the same.
	st, _, raw2 := call(t, "GET", srv.URL+"/v1/payment-links/"+l["id"].(string), key, "", nil, true)
	if st != 200 || string(raw2) != string(raw) {
		t.Fatalf("get: %d\n%s\n%s", st, raw2, raw)
	}
	// Defaults: 30 days, origin api, language en, the merchant's default beneficiary when set.
	st, _, raw = call(t, "POST", srv.URL+"/v1/payment-links", key, `{"amount":{"currency":"JPY","value":"1200"},"description":"x","customer":{"company_name":"ACME NV"}}`, nil, true)
	d := decode(t, raw)
	exp, _ := time.Parse(time.RFC3339, d["expires_at"].(string))
	if st != 201 || d["origin"] != "api" || d["language"] != "en" || d["amount"].(jsonMap)["value"] != "1200" || time.Until(exp) < 29*24*time.Hour {
		t.Fatalf("defaults: %d %s", st, raw)
	}
}

// fullLinkFields checks every field of fullBody's link.
func fullLinkFields(t *testing.T, l jsonMap) {
	t.Helper()
	want := map[string]any{"status": "created", "description": "Invoice 2026-113", "reference": "ORDER-8812", "language": "fr",
		"redirect_url": "https://www.shop.example/thanks?order=8812", "end_to_end_id": "E2E-1234", "origin": "invoice", "psp": "sandbox"}
	for k, v := range want {
		if l[k] != v {
			t.Errorf("%s = %v, want %v", k, l[k], v)
		}
	}
	if b := l["beneficiary"].(jsonMap); b["iban"] != "BE71096123456769" || b["bic"] != "GKCCBEBB" {
		t.Errorf("beneficiary %v", b)
	}
	if c := l["customer"].(jsonMap); c["phone"] != "+32470123456" || c["country"] != "BE" {
		t.Errorf("customer %v", c)
	}
	if pm := l["payment_methods"].([]any); len(pm) != 2 || pm[1] != "bancontact" {
		t.Errorf("payment_methods %v", pm)
	}
	if a := l["amount"].(jsonMap); a["value"] != "120.98" {
		t.Errorf("amount %v", a)
	}
	exp, _ := time.Parse(time.RFC3339, l["expires_at"].(string))
	if d := time.Until(exp); d < 13*24*time.Hour || d > 14*24*time.Hour {
		t.Errorf("expires_at %v", exp)
	}
}

// TestBadCreateBodies sends malformed create bodies: each is refused with a
// problem naming the field, and nothing reaches the table.
func TestBadCreateBodies(t *testing.T) {
	env := testenv.New(t)
	key := env.Merchant(t, "shop")
	// Many bodies in a row: the rate limit is not what this test is about.
	srv := env.ServeWith(t, func(o *service.Options) { o.RateLimit, o.RateBurst = 1000, 1000 })
	usedKey(t, env, srv.URL, key)
	okAmount := `"amount":{"currency":"EUR","value":"10.00"}`
	okCustomer := `"customer":{"first_name":"Ana","last_name":"Peeters"}`
	base := func(extra string) string { return "{" + okAmount + `,"description":"d",` + okCustomer + extra + "}" }
	soon := time.Now().Add(5 * time.Minute).UTC().Format(time.RFC3339)
	late := time.Now().Add(91 * 24 * time.Hour).UTC().Format(time.RFC3339)
	meta := "{"
	for i := 0; i < 21; i++ {
		meta += fmt.Sprintf(`"k%d":"v"`, i)
		if i < 20 {
			meta += ","
		}
	}
	meta += "}"
	cases := []struct {
		body   string
		status int
		field  string
	}{
		{`{`, 400, ""},
		{`not json`, 400, ""},
		{`[]`, 400, ""},
		{base(``) + `{}`, 400, ""},
		{`{"description":"d",` + okCustomer + `}`, 422, "amount"},
		{`{"amount":"10.00","description":"d",` + okCustomer + `}`, 422, "amount"},
		{`{"amount":{"currency":"EUR","value":"10.001"},"description":"d",` + okCustomer + `}`, 422, "amount.value"},
		{`{"amount":{"currency":"EUR","value":"0"},"description":"d",` + okCustomer + `}`, 422, "amount.value"},
		{`{"amount":{"currency":"EUR","value":"-5"},"description":"d",` + okCustomer + `}`, 422, "amount.value"},
		{`{"amount":{"currency":"EUR","value":"1e2"},"description":"d",` + okCustomer + `}`, 422, "amount.value"},
		{`{"amount":{"currency":"EUR","value":1E2},"description":"d",` + okCustomer + `}`, 422, "amount.value"},
		{`{"amount":{"currency":"EUR","value":"1000000000.01"},"description":"d",` + okCustomer + `}`, 422, "amount.value"},
		{`{"amount":{"currency":"XXX","value":"1"},"description":"d",` + okCustomer + `}`, 422, "amount.currency"},
		{`{"amount":{"currency":"JPY","value":"1.5"},"description":"d",` + okCustomer + `}`, 422, "amount.value"},
		{`{"amount":{"currency":"EUR"},"description":"d",` + okCustomer + `}`, 422, "amount.value"},
		{`{` + okAmount + `,` + okCustomer + `}`, 422, "description"},
		{`{` + okAmount + `,"description":"",` + okCustomer + `}`, 422, "description"},
		{`{` + okAmount + `,"description":"` + strings.Repeat("x", 141) + `",` + okCustomer + `}`, 422, "description"},
		{`{` + okAmount + `,"description":"a\u0007b",` + okCustomer + `}`, 422, "description"},
		{`{` + okAmount + `,"description":42,` + okCustomer + `}`, 422, "description"},
		{`{` + okAmount + `,"description":"d"}`, 422, "customer"},
		{`{` + okAmount + `,"description":"d","customer":{}}`, 422, "customer"},
		{`{` + okAmount + `,"description":"d","customer":{"first_name":"Ana"}}`, 422, "customer.last_name"},
		{`{` + okAmount + `,"description":"d","customer":{"company_name":"ACME","email":"not-an-email"}}`, 422, "customer.email"},
		{`{` + okAmount + `,"description":"d","customer":{"company_name":"ACME","phone":"0470123456"}}`, 422, "customer.phone"},
		{`{` + okAmount + `,"description":"d","customer":{"company_name":"ACME","language":"es"}}`, 422, "customer.language"},
		{`{` + okAmount + `,"description":"d","customer":{"company_name":"ACME","country":"Belgium"}}`, 422, "customer.country"},
		{`{` + okAmount + `,"description":"d","customer":{"company_name":"ACME","nickname":"x"}}`, 422, "customer.nickname"},
		{base(`,"reference":""`), 422, "reference"},
		{base(`,"reference":"` + strings.Repeat("r", 65) + `"`), 422, "reference"},
		{base(`,"expires_in_days":0`), 422, "expires_in_days"},
		{base(`,"expires_in_days":91`), 422, "expires_in_days"},
		{base(`,"expires_in_days":1.5`), 422, "expires_in_days"},
		{base(`,"expires_in_days":5,"expires_at":"` + late + `"`), 422, "expires_in_days"},
		{base(`,"expires_at":"` + soon + `"`), 422, "expires_at"},
		{base(`,"expires_at":"` + late + `"`), 422, "expires_at"},
		{base(`,"expires_at":"tomorrow"`), 422, "expires_at"},
		{base(`,"redirect_url":"http://shop.example/thanks"`), 422, "redirect_url"},
		{base(`,"redirect_url":"https://evil.example/thanks"`), 422, "redirect_url"},
		{base(`,"redirect_url":"https://127.0.0.1/thanks"`), 422, "redirect_url"},
		{base(`,"redirect_url":"https://user:pw@shop.example/"`), 422, "redirect_url"},
		{base(`,"redirect_url":"https://localhost/"`), 422, "redirect_url"},
		{base(`,"redirect_url":"https://shop.example.evil.example/"`), 422, "redirect_url"},
		{base(`,"beneficiary":{"name":"X","iban":"BE71096123456768"}`), 422, "beneficiary.iban"},
		{base(`,"beneficiary":{"iban":"BE71096123456769"}`), 422, "beneficiary.name"},
		{base(`,"beneficiary":{"name":"X","iban":"BE71096123456769","bic":"XX"}`), 422, "beneficiary.bic"},
		{base(`,"end_to_end_id":"` + strings.Repeat("e", 36) + `"`), 422, "end_to_end_id"},
		{base(`,"end_to_end_id":"e2e#1"`), 422, "end_to_end_id"},
		{base(`,"payment_methods":["bitcoin"]`), 422, "payment_methods[0]"},
		{base(`,"payment_methods":[]`), 422, "payment_methods"},
		{base(`,"payment_methods":["card","card"]`), 422, "payment_methods[1]"},
		{base(`,"origin":"web"`), 422, "origin"},
		{base(`,"metadata":` + meta), 422, "metadata"},
		{base(`,"metadata":{"k":"` + strings.Repeat("v", 501) + `"}`), 422, "metadata.k"},
		{base(`,"metadata":{"k":1}`), 422, "metadata"},
		{base(`,"unknown":1`), 422, "unknown"},
	}
	if len(cases) < 40 {
		t.Fatalf("only %d cases", len(cases))
	}
	env.Count.Reset()
	for i, c := range cases {
		st, h, raw := call(t, "POST", srv.URL+"/v1/payment-links", key, c.body, map[string]string{"Idempotency-Key": fmt.Sprintf("bad-%d", i)}, false)
		if st != c.status || h.Get("Content-Type") != "application/problem+json" {
			t.Errorf("case %d %s: got %d %s, want %d", i, c.body, st, raw, c.status)
			continue
		}
		p := decode(t, raw)
		if p["status"].(float64) != float64(c.status) || p["title"] == "" {
			t.Errorf("case %d: problem %s", i, raw)
		}
		if c.field == "" {
			continue
		}
		found := false
		errs, _ := p["errors"].([]any)
		for _, e := range errs {
			if e.(jsonMap)["field"] == c.field {
				found = true
			}
		}
		if !found {
			t.Errorf("case %d %s: no error for field %q in %s", i, c.body, c.field, raw)
		}
	}
	if n, _ := env.Store.CountLinks(t.Context(), "shop"); n != 0 {
		t.Fatalf("%d links written by refused requests", n)
	}
	if s := env.Count.Snapshot(); s["TransactWriteItems"] != 0 {
		t.Fatalf("a refused request reached a write transaction: %v", s)
	}
	// The refused requests released their idempotency keys: the same key with
	// a corrected body now works.
	st, _, raw := call(t, "POST", srv.URL+"/v1/payment-links", key, base(""), map[string]string{"Idempotency-Key": "bad-0"}, true)
	if st != 201 {
		t.Fatalf("corrected request: %d %s", st, raw)
	}
}

func TestTransportErrors(t *testing.T) {
	env := testenv.New(t)
	key := env.Merchant(t, "shop")
	srv := env.Serve(t)
	big := `{"description":"` + strings.Repeat("x", 1<<20) + `"}`
	if st, _, raw := call(t, "POST", srv.URL+"/v1/payment-links", key, big, nil, false); st != 413 {
		t.Fatalf("big body: %d %s", st, raw)
	}
	if st, _, _ := call(t, "POST", srv.URL+"/v1/payment-links", key, `{"a":`, nil, false); st != 400 {
		t.Fatalf("truncated: %d", st)
	}
	deep := strings.Repeat(`{"a":`, 100000) + "1" + strings.Repeat("}", 100000)
	if st, _, _ := call(t, "POST", srv.URL+"/v1/payment-links", key, deep[:min(len(deep), 1<<20)], nil, false); st != 400 && st != 413 && st != 422 {
		t.Fatalf("deep nesting: %d", st)
	}
	if st, _, _ := call(t, "POST", srv.URL+"/v1/payment-links", key, fullBody, map[string]string{"Idempotency-Key": strings.Repeat("k", 256)}, false); st != 400 {
		t.Fatalf("long idempotency key: %d", st)
	}
	for _, k := range []string{"", "sk_test_nope0000000000000000000000", "Basic abc"} {
		if st, _, _ := call(t, "GET", srv.URL+"/v1/payment-links", k, "", nil, false); st != 401 {
			t.Fatalf("key %q: %d", k, st)
		}
	}
	st, _, raw := call(t, "GET", srv.URL+"/openapi.json", "", "", nil, true)
	var doc struct {
		Servers []struct{ URL string } `json:"servers"`
	}
	if err := json.Unmarshal(raw, &doc); st != 200 || err != nil || len(doc.Servers) != 1 || doc.Servers[0].URL != srv.URL {
		t.Fatalf("openapi: %d %v, servers %+v, want %s (the serving address)", st, err, doc.Servers, srv.URL)
	}
}

func TestIdempotencyReplayAndMismatch(t *testing.T) {
	env := testenv.New(t)
	key := env.Merchant(t, "shop")
	srv := env.Serve(t)
	hdr := map[string]string{"Idempotency-Key": "order-8812-create"}
	st1, _, raw1 := call(t, "POST", srv.URL+"/v1/payment-links", key, fullBody, hdr, true)
	env.Count.Reset()
	st2, h2, raw2 := call(t, "POST", srv.URL+"/v1/payment-links", key, fullBody, hdr, true)
	if st1 != 201 || st2 != 201 || string(raw1) != string(raw2) || h2.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("replay: %d %d\n%s\n%s", st1, st2, raw1, raw2)
	}
	if s := env.Count.Snapshot(); s["TransactWriteItems"] != 0 {
		t.Fatalf("replay wrote: %v", s)
	}
	other := strings.Replace(fullBody, "120.98", "99.00", 1)
	if st, _, raw := call(t, "POST", srv.URL+"/v1/payment-links", key, other, hdr, true); st != 422 {
		t.Fatalf("other body: %d %s", st, raw)
	}
	if n, _ := env.Store.CountLinks(t.Context(), "shop"); n != 1 {
		t.Fatalf("%d links", n)
	}
	// The same key belongs to each merchant separately.
	key2 := env.Merchant(t, "other")
	if st, _, raw := call(t, "POST", srv.URL+"/v1/payment-links", key2, fullBody, hdr, true); st != 201 {
		t.Fatalf("other merchant, same key: %d %s", st, raw)
	}
	// A create with a key costs the reservation and the create transaction.
	env.Count.Reset()
	if st, _, _ := call(t, "POST", srv.URL+"/v1/payment-links", key, strings.Replace(fullBody, "ORDER-8812", "ORDER-2", 1), map[string]string{"Idempotency-Key": "k2"}, true); st != 201 {
		t.Fatal(st)
	}
	// The reservation, the customer's match by e-mail, the transaction.
	if s := env.Count.Snapshot(); s["PutItem"] != 1 || s["TransactWriteItems"] != 1 || s["Query"] != 1 || env.Count.Total() != 3 {
		t.Fatalf("create with key: %v", s)
	}
	// A 409 (reference reused) is a real outcome: stored and replayed.
	dupe := map[string]string{"Idempotency-Key": "dupe"}
	stA, _, rawA := call(t, "POST", srv.URL+"/v1/payment-links", key, fullBody, dupe, true)
	stB, hB, rawB := call(t, "POST", srv.URL+"/v1/payment-links", key, fullBody, dupe, true)
	if stA != 409 || stB != 409 || string(rawA) != string(rawB) || hB.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("409 replay: %d %d", stA, stB)
	}
}

func TestConcurrentCreatesOneKey(t *testing.T) {
	env := testenv.New(t)
	key := env.Merchant(t, "shop")
	srv := env.Serve(t)
	hdr := map[string]string{"Idempotency-Key": "burst-1"}
	type answer struct {
		st  int
		raw string
	}
	answers := make(chan answer, 20)
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			st, _, raw := call(t, "POST", srv.URL+"/v1/payment-links", key, fullBody, hdr, true)
			answers <- answer{st, string(raw)}
		}()
	}
	wg.Wait()
	close(answers)
	var created string
	n201, n409 := 0, 0
	for a := range answers {
		switch a.st {
		case 201:
			n201++
			if created != "" && created != a.raw {
				t.Fatalf("two different 201 bodies:\n%s\n%s", created, a.raw)
			}
			created = a.raw
		case 409:
			n409++
		default:
			t.Fatalf("unexpected %d %s", a.st, a.raw)
		}
	}
	if n201 < 1 || n201+n409 != 20 {
		t.Fatalf("201: %d, 409: %d", n201, n409)
	}
	if n, _ := env.Store.CountLinks(t.Context(), "shop"); n != 1 {
		t.Fatalf("%d links exist, want 1", n)
	}
	t.Logf("20 concurrent creates with one key: %d x 201 (same body), %d x 409", n201, n409)
}

func TestTenantIsolation(t *testing.T) {
	env := testenv.New(t)
	keyA := env.Merchant(t, "merchant-a")
	keyB := env.Merchant(t, "merchant-b")
	srv := env.Serve(t)
	_, _, raw := call(t, "POST", srv.URL+"/v1/payment-links", keyA, fullBody, nil, true)
	id := decode(t, raw)["id"].(string)
	for _, c := range []struct{ method, path, body string }{
		{"GET", "/v1/payment-links/" + id, ""},
		{"GET", "/v1/payment-links/" + id + "/events", ""},
		{"PATCH", "/v1/payment-links/" + id, `{"language":"de"}`},
		{"POST", "/v1/payment-links/" + id + "/archive", ""},
	} {
		if st, _, raw := call(t, c.method, srv.URL+c.path, keyB, c.body, nil, true); st != 404 {
			t.Errorf("B %s %s: %d %s", c.method, c.path, st, raw)
		}
	}
	_, _, raw = call(t, "GET", srv.URL+"/v1/payment-links?reference=ORDER-8812", keyB, "", nil, true)
	if d := decode(t, raw)["data"].([]any); len(d) != 0 {
		t.Fatalf("B's list holds A's link: %s", raw)
	}
	_, _, raw = call(t, "GET", srv.URL+"/v1/payment-links", keyB, "", nil, true)
	if d := decode(t, raw)["data"].([]any); len(d) != 0 {
		t.Fatalf("B's list holds A's link: %s", raw)
	}
	// A still has it, untouched.
	_, _, raw = call(t, "GET", srv.URL+"/v1/payment-links/"+id, keyA, "", nil, true)
	if l := decode(t, raw); l["language"] != "fr" || l["archived"] != false {
		t.Fatalf("A's link changed: %s", raw)
	}
	// B's cursor pointing into A's partition is refused, not served.
	_, _, raw = call(t, "GET", srv.URL+"/v1/payment-links?limit=1", keyA, "", nil, true)
	if d := decode(t, raw)["data"].([]any); len(d) != 1 || d[0].(map[string]any)["id"] != id {
		t.Fatalf("A's first page is not its one link %s: %s", id, raw)
	}
	call(t, "POST", srv.URL+"/v1/payment-links", keyA, strings.Replace(fullBody, "ORDER-8812", "ORDER-2", 1), nil, true)
	_, _, raw = call(t, "GET", srv.URL+"/v1/payment-links?limit=1", keyA, "", nil, true)
	cur, _ := decode(t, raw)["next_cursor"].(string)
	if cur == "" {
		t.Fatalf("no cursor: %s", raw)
	}
	if st, _, raw := call(t, "GET", srv.URL+"/v1/payment-links?cursor="+cur, keyB, "", nil, true); st != 400 {
		t.Fatalf("foreign cursor: %d %s", st, raw)
	}
}

func TestPatchAndEvents(t *testing.T) {
	env := testenv.New(t)
	key := env.Merchant(t, "shop")
	srv := env.Serve(t)
	_, _, raw := call(t, "POST", srv.URL+"/v1/payment-links", key, fullBody, nil, true)
	id := decode(t, raw)["id"].(string)
	st, _, raw := call(t, "PATCH", srv.URL+"/v1/payment-links/"+id, key, `{"language":"de","metadata":{"channel":"","note":"vip"}}`, nil, true)
	l := decode(t, raw)
	meta := l["metadata"].(jsonMap)
	if st != 200 || l["language"] != "de" || meta["note"] != "vip" || meta["order"] != "8812" || meta["channel"] != nil {
		t.Fatalf("patch: %d %s", st, raw)
	}
	for _, c := range []struct{ body, field string }{
		{`{"language":"es"}`, "language"}, {`{"status":"paid"}`, "status"}, {`{"amount":{"currency":"EUR","value":"1"}}`, "amount"}, {`{}`, "language"},
	} {
		if st, _, raw := call(t, "PATCH", srv.URL+"/v1/payment-links/"+id, key, c.body, nil, false); st != 422 || !strings.Contains(string(raw), `"field":"`+c.field+`"`) {
			t.Errorf("patch %s: %d %s", c.body, st, raw)
		}
	}
	// A paid link's language may still change.
	cur, _ := env.Store.Get(t.Context(), "shop", id)
	paid := *cur
	paid.Status = domain.StatusPaid
	if err := env.Store.Transition(t.Context(), cur, &paid, domain.NewEvent(id, domain.EventPaid, cur.Status, paid.Status, time.Now(), nil)); err != nil {
		t.Fatal(err)
	}
	if st, _, raw := call(t, "PATCH", srv.URL+"/v1/payment-links/"+id, key, `{"language":"nl"}`, nil, true); st != 200 || decode(t, raw)["status"] != "paid" {
		t.Fatalf("patch paid: %d %s", st, raw)
	}
	if st, _, _ := call(t, "PATCH", srv.URL+"/v1/payment-links/pl_01M844JMR1Q6KRCVXQN02ZJWPF", key, `{"language":"nl"}`, nil, true); st != 404 {
		t.Fatalf("patch unknown: %d", st)
	}
	_, _, raw = call(t, "GET", srv.URL+"/v1/payment-links/"+id+"/events", key, "", nil, true)
	var types []string
	for _, e := range decode(t, raw)["data"].([]any) {
		types = append(types, e.(jsonMap)["type"].(string))
	}
	if strings.Join(types, ",") != "payment_link.created,payment_link.updated,payment_link.paid,payment_link.updated" {
		t.Fatalf("timeline %v", types)
	}
	if st, _, _ := call(t, "GET", srv.URL+"/v1/payment-links/pl_01M844JMR1Q6KRCVXQN02ZJWPF/events", key, "", nil, true); st != 404 {
		t.Fatalf("events of unknown: %d", st)
	}
}

func TestArchive(t *testing.T) {
	env := testenv.New(t)
	key := env.Merchant(t, "shop")
	srv := env.Serve(t)
	create := func(ref, origin string) (string, string) {
		body := strings.Replace(strings.Replace(fullBody, "ORDER-8812", ref, 1), `"invoice"`, `"`+origin+`"`, 1)
		st, _, raw := call(t, "POST", srv.URL+"/v1/payment-links", key, body, nil, true)
		if st != 201 {
			t.Fatalf("%d %s", st, raw)
		}
		l := decode(t, raw)
		return l["id"].(string), l["url"].(string)
	}
	// Never opened, not dunning: deleted for good, reference free again.
	id, url := create("R-1", "api")
	if st, _, raw := call(t, "POST", srv.URL+"/v1/payment-links/"+id+"/archive", key, "", nil, true); st != 204 {
		t.Fatalf("archive created: %d %s", st, raw)
	}
	if st, _, _ := call(t, "GET", srv.URL+"/v1/payment-links/"+id, key, "", nil, true); st != 404 {
		t.Fatal("deleted link still readable")
	}
	if resp, err := http.Get(url); err != nil || resp.StatusCode != 404 {
		t.Fatalf("deleted link's page: %v %v", resp.StatusCode, err)
	}
	create("R-1", "api")
	// Dunning: archived, kept.
	idD, _ := create("R-2", "dunning")
	if st, _, raw := call(t, "POST", srv.URL+"/v1/payment-links/"+idD+"/archive", key, "", nil, true); st != 200 || decode(t, raw)["archived"] != true {
		t.Fatalf("archive dunning: %d %s", st, raw)
	}
	// Opened: archived, kept; archiving again is the same answer.
	idC, urlC := create("R-3", "api")
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	if resp, err := client.Get(urlC); err != nil || resp.StatusCode != 302 {
		t.Fatalf("click: %v", err)
	}
	for i := 0; i < 2; i++ {
		if st, _, raw := call(t, "POST", srv.URL+"/v1/payment-links/"+idC+"/archive", key, "", nil, true); st != 200 || decode(t, raw)["status"] != "clicked" {
			t.Fatalf("archive clicked: %d %s", st, raw)
		}
	}
	if resp, _ := http.Get(urlC); resp.StatusCode != 404 {
		t.Fatalf("archived link's page: %d", resp.StatusCode)
	}
	// Hidden from the default listing, shown with archived=true.
	_, _, raw := call(t, "GET", srv.URL+"/v1/payment-links", key, "", nil, true)
	if d := decode(t, raw)["data"].([]any); len(d) != 1 {
		t.Fatalf("default listing: %d links", len(d))
	}
	_, _, raw = call(t, "GET", srv.URL+"/v1/payment-links?archived=true", key, "", nil, true)
	if d := decode(t, raw)["data"].([]any); len(d) != 2 {
		t.Fatalf("archived listing: %d links", len(d))
	}
	if st, _, _ := call(t, "POST", srv.URL+"/v1/payment-links/pl_01M844JMR1Q6KRCVXQN02ZJWPF/archive", key, "", nil, true); st != 404 {
		t.Fatalf("archive unknown: %d", st)
	}
}

// usedKey makes a first request with key, so that the write recording the
// key's use (once an hour) is not counted as one of the requests a test
// then makes, and resets the env's counts.
func usedKey(t *testing.T, env *testenv.Env, base, key string) {
	t.Helper()
	if st, _, raw := call(t, "GET", base+"/v1/payment-links?limit=1", key, "", nil, true); st != 200 {
		t.Fatalf("first use of the key: %d %s", st, raw)
	}
	env.Count.Reset()
}
