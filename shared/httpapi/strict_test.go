package httpapi_test

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/paylinks/paylinks/shared/testkit/testenv"
)

// Strict input (issue 17): every JSON body is read with exact, case-sensitive
// member names, no duplicates, valid UTF-8 and an application/json type;
// every unknown member is named with its full path; text a payer sees
// carries no bidi controls and is not blank; countries are assigned ISO
// codes; redirect domains are not public suffixes.

const strictCustomer = `"customer":{"first_name":"Ana","last_name":"Peeters","email":"ana@example.be"}`

func strictBody(extra string) string {
	return `{"amount":{"currency":"EUR","value":"1.00"},"description":"Invoice 1",` + strictCustomer + extra + `}`
}

// fields are the problem's field names, sorted.
func fields(t *testing.T, raw []byte) []string {
	t.Helper()
	var out []string
	errs, _ := decode(t, raw)["errors"].([]any)
	for _, e := range errs {
		out = append(out, e.(jsonMap)["field"].(string))
	}
	sort.Strings(out)
	return out
}

func hasField(t *testing.T, raw []byte, field string) bool {
	t.Helper()
	for _, f := range fields(t, raw) {
		if f == field {
			return true
		}
	}
	return false
}

// TestCreateRefusesSmuggledNames: names that encoding/json would fold onto a
// field (other case, ſ for s, the Kelvin sign for k) or duplicates that it
// would resolve to the last one never reach a link.
func TestCreateRefusesSmuggledNames(t *testing.T) {
	env := testenv.New(t)
	key := env.Merchant(t, "shop")
	srv := env.Serve(t)
	cases := []struct {
		name, body string
		status     int
		field      string
	}{
		{"other case at the top", strictBody(`,"Amount":{"currency":"EUR","value":"999.00"}`), 422, "Amount"},
		{"other case inside amount", `{"amount":{"currency":"EUR","value":"1.00","VALUE":"999.00"},"description":"d",` + strictCustomer + `}`, 422, "amount.VALUE"},
		{"upper-case only", `{"AMOUNT":{"currency":"EUR","value":"999.00"},"description":"d",` + strictCustomer + `}`, 422, "AMOUNT"},
		{"long s folds to s", strictBody(`,"ſend":{"channel":"email"}`), 422, "ſend"},
		{"duplicate inside send", strictBody(`,"send":{"channel":"email","channel":"sms"}`), 400, "send.channel"},
		{"other case in reminder", strictBody(`,"reminder":{"Before_Expiry_Hours":1}`), 422, "reminder.Before_Expiry_Hours"},
		{"duplicate amount", strictBody(`,"amount":{"currency":"EUR","value":"999.00"}`), 400, "amount"},
		{"duplicate inside amount", `{"amount":{"currency":"EUR","value":"1.00","value":"999.00"},"description":"d",` + strictCustomer + `}`, 400, "amount.value"},
		{"duplicate in customer", `{"amount":{"currency":"EUR","value":"1.00"},"description":"d","customer":{"company_name":"A","company_name":"B"}}`, 400, "customer.company_name"},
		{"duplicate metadata key", strictBody(`,"metadata":{"k":"1","k":"2"}`), 400, "metadata.k"},
	}
	for _, c := range cases {
		st, h, raw := call(t, "POST", srv.URL+"/v1/payment-links", key, c.body, nil, false)
		if st != c.status || h.Get("Content-Type") != "application/problem+json" || !hasField(t, raw, c.field) {
			t.Errorf("%s: got %d %s, want %d naming %s", c.name, st, raw, c.status, c.field)
		}
	}
	// The Kelvin sign folds to k in encoding/json: "webhooK_url" with U+212A
	// is not webhook_url.
	st, _, raw := call(t, "PUT", srv.URL+"/v1/settings", key, `{"webhoo`+"\u212a"+`_url":"https://erp.shop.example/h"}`, nil, false)
	if st != 422 || !hasField(t, raw, "webhoo\u212a_url") {
		t.Errorf("Kelvin sign in settings: %d %s", st, raw)
	}
	if n, _ := env.Store.CountLinks(t.Context(), "shop"); n != 0 {
		t.Fatalf("%d links written by refused bodies", n)
	}
}

// TestCreateRefusesInvalidUTF8 in raw bytes or as lone surrogate escapes,
// which encoding/json would turn into U+FFFD.
func TestCreateRefusesInvalidUTF8(t *testing.T) {
	env := testenv.New(t)
	key := env.Merchant(t, "shop")
	srv := env.Serve(t)
	for name, desc := range map[string]string{
		"raw byte":       "Invoice \xff",
		"overlong":       "Invoice \xc0\xaf",
		"lone high":      `Invoice \ud800`,
		"lone low":       `Invoice \udc00x`,
		"high then char": `Invoice \ud83dx`,
	} {
		body := `{"amount":{"currency":"EUR","value":"1.00"},"description":"` + desc + `",` + strictCustomer + `}`
		if st, _, raw := call(t, "POST", srv.URL+"/v1/payment-links", key, body, nil, false); st != 400 {
			t.Errorf("%s: %d %s", name, st, raw)
		}
	}
	// A pair is a character: accepted.
	body := `{"amount":{"currency":"EUR","value":"1.00"},"description":"Cake \ud83c\udf82",` + strictCustomer + `}`
	if st, _, raw := call(t, "POST", srv.URL+"/v1/payment-links", key, body, nil, true); st != 201 || decode(t, raw)["description"] != "Cake 🎂" {
		t.Fatalf("surrogate pair: %d %s", st, raw)
	}
	if n, _ := env.Store.CountLinks(t.Context(), "shop"); n != 1 {
		t.Fatalf("%d links", n)
	}
}

// TestUnknownFieldsAllReported: every unknown member, at any depth, with
// its path; metadata is a free map.
func TestUnknownFieldsAllReported(t *testing.T) {
	env := testenv.New(t)
	key := env.Merchant(t, "shop")
	srv := env.Serve(t)
	body := `{"amount":{"currency":"EUR","value":"1.00","cents":100},"description":"d","foo":1,
	 "customer":{"company_name":"X","ssn":"123","address":{"street":"x"}},
	 "beneficiary":{"name":"X","iban":"BE71096123456769","x":true},
	 "send":{"channel":"email","when":"now"},"reminder":{"before_expiry_hours":24,"hours":1},
	 "metadata":{"free":"yes","ssn":"fine here"}}`
	st, _, raw := call(t, "POST", srv.URL+"/v1/payment-links", key, body, nil, false)
	want := []string{"amount.cents", "beneficiary.x", "customer.address", "customer.ssn", "foo", "reminder.hours", "send.when"}
	if got := fields(t, raw); st != 422 || fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("%d %s: fields %v, want %v", st, raw, got, want)
	}
	for _, c := range []struct{ method, path, body, field string }{
		{"PUT", "/v1/settings", `{"default_beneficiary":{"name":"X","iban":"BE71096123456769","Iban":"x"},"psp_credentials":{"free":"v"}}`, "default_beneficiary.Iban"},
		{"POST", "/v1/payment-links/pl_01M844JMR1Q6KRCVXQN02ZJWPF/send", `{"channel":"email","Channel":"sms"}`, "Channel"},
		{"PATCH", "/v1/payment-links/pl_01M844JMR1Q6KRCVXQN02ZJWPF", `{"language":"fr","Language":"de"}`, "Language"},
		{"POST", "/v1/payment-links/pl_01M844JMR1Q6KRCVXQN02ZJWPF/refunds", `{"reason":"x","amount":{"currency":"EUR","value":"1.00","Value":"9"}}`, "amount.Value"},
	} {
		st, _, raw := call(t, c.method, srv.URL+c.path, key, c.body, nil, false)
		if st != 422 || fmt.Sprint(fields(t, raw)) != "["+c.field+"]" {
			t.Errorf("%s %s: %d %s, want 422 naming only %s", c.method, c.path, st, raw, c.field)
		}
	}
}

// TestContentTypeIsJSON: a JSON body under another type (or none) is 415;
// parameters are allowed; optional bodies may be absent with no type.
func TestContentTypeIsJSON(t *testing.T) {
	env := testenv.New(t)
	key := env.Merchant(t, "shop")
	srv := env.Serve(t)
	for _, ct := range []string{"text/plain", "", "application/x-www-form-urlencoded", "text/csv", "application/jsonx", "application/json-patch+json"} {
		st, h, raw := call(t, "POST", srv.URL+"/v1/payment-links", key, strictBody(""), map[string]string{"Content-Type": ct, "Idempotency-Key": "ct-" + ct}, false)
		if st != 415 || h.Get("Content-Type") != "application/problem+json" {
			t.Errorf("create as %q: %d %s", ct, st, raw)
		}
	}
	for _, c := range []struct{ method, path, body string }{
		{"PUT", "/v1/settings", `{"name":"Shop"}`},
		{"POST", "/v1/payment-links/pl_01M844JMR1Q6KRCVXQN02ZJWPF/send", `{"channel":"email"}`},
		{"PATCH", "/v1/payment-links/pl_01M844JMR1Q6KRCVXQN02ZJWPF", `{"language":"fr"}`},
		{"POST", "/v1/payment-links/pl_01M844JMR1Q6KRCVXQN02ZJWPF/refunds", `{"reason":"x"}`},
	} {
		if st, _, raw := call(t, c.method, srv.URL+c.path, key, c.body, map[string]string{"Content-Type": "text/plain"}, false); st != 415 {
			t.Errorf("%s %s as text/plain: %d %s", c.method, c.path, st, raw)
		}
	}
	if n, _ := env.Store.CountLinks(t.Context(), "shop"); n != 0 {
		t.Fatalf("%d links written by refused bodies", n)
	}
	// The key of a 415 is released: the same key with the right type works.
	if st, _, raw := call(t, "POST", srv.URL+"/v1/payment-links", key, strictBody(""), map[string]string{"Idempotency-Key": "ct-text/plain"}, true); st != 201 {
		t.Fatalf("after 415, same key: %d %s", st, raw)
	}
	for _, ct := range []string{"application/json; charset=utf-8", "Application/JSON"} {
		if st, _, raw := call(t, "POST", srv.URL+"/v1/payment-links", key, strictBody(""), map[string]string{"Content-Type": ct}, false); st != 201 {
			t.Errorf("create as %q: %d %s", ct, st, raw)
		}
	}
	// JSON to the import route is 415 (it takes text/csv).
	if st, _, raw := call(t, "POST", srv.URL+"/v1/payment-links/import", key, strictBody(""), nil, false); st != 415 {
		t.Errorf("import as JSON: %d %s", st, raw)
	}
	// An optional body may be absent with no type: the refund of the rest
	// of an unpaid link is refused for the link, not for the body.
	st, _, raw := call(t, "POST", srv.URL+"/v1/payment-links", key, strictBody(`,"reference":"R-2"`), nil, true)
	if st != 201 {
		t.Fatalf("create: %d %s", st, raw)
	}
	id := decode(t, raw)["id"].(string)
	if st, _, raw = call(t, "POST", srv.URL+"/v1/payment-links/"+id+"/refunds", key, "", nil, true); st != 409 {
		t.Errorf("refund with no body: %d %s", st, raw)
	}
	if st, _, raw = call(t, "POST", srv.URL+"/v1/payment-links/"+id+"/archive", key, "", nil, true); st != 204 {
		t.Errorf("archive with no body: %d %s", st, raw)
	}
}

// TestIdempotencyComparesJSONValues: key order and whitespace do not make
// another request; another value does.
func TestIdempotencyComparesJSONValues(t *testing.T) {
	env := testenv.New(t)
	key := env.Merchant(t, "shop")
	srv := env.Serve(t)
	hdr := map[string]string{"Idempotency-Key": "order-json-1"}
	first := `{"amount":{"currency":"EUR","value":"12.50"},"description":"Invoice 9","customer":{"company_name":"ACME","email":"a@example.be"},"metadata":{"a":"1","b":"2"}}`
	same := "{\n  \"metadata\": {\"b\": \"2\", \"a\": \"1\"},\n  \"customer\": {\"email\": \"a@example.be\", \"company_name\": \"ACME\"},\n\t\"description\": \"Invoice 9\",\n  \"amount\": {\"value\": \"12.50\", \"currency\": \"EUR\"}\n}\n"
	st1, _, raw1 := call(t, "POST", srv.URL+"/v1/payment-links", key, first, hdr, true)
	st2, h2, raw2 := call(t, "POST", srv.URL+"/v1/payment-links", key, same, hdr, true)
	if st1 != 201 || st2 != 201 || string(raw1) != string(raw2) || h2.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("same value reordered: %d %d\n%s\n%s", st1, st2, raw1, raw2)
	}
	// The charset parameter does not make another request either.
	hdrCS := map[string]string{"Idempotency-Key": "order-json-1", "Content-Type": "application/json; charset=utf-8"}
	if st, h, raw := call(t, "POST", srv.URL+"/v1/payment-links", key, same, hdrCS, false); st != 201 || h.Get("Idempotent-Replayed") != "true" || string(raw) != string(raw1) {
		t.Fatalf("with charset: %d %s", st, raw)
	}
	for _, other := range []string{
		strings.Replace(first, `"12.50"`, `"12.51"`, 1),
		strings.Replace(first, `"b":"2"`, `"b":"2","c":"3"`, 1),
		strings.Replace(first, `"12.50"`, `12.50`, 1), // a number is another value than a string
	} {
		if st, _, raw := call(t, "POST", srv.URL+"/v1/payment-links", key, other, hdr, true); st != 422 {
			t.Errorf("another value: %d %s", st, raw)
		}
	}
	// A duplicate name is never taken for the value it would decode to: not
	// replayed under the used key (another body: 422), refused under a new one.
	dup := strings.Replace(first, `"description":"Invoice 9"`, `"description":"Invoice 9","description":"Invoice 9"`, 1)
	if st, _, raw := call(t, "POST", srv.URL+"/v1/payment-links", key, dup, hdr, false); st != 422 {
		t.Errorf("duplicate under the used key: %d %s", st, raw)
	}
	if st, _, raw := call(t, "POST", srv.URL+"/v1/payment-links", key, dup, map[string]string{"Idempotency-Key": "order-json-2"}, false); st != 400 {
		t.Errorf("duplicate under a new key: %d %s", st, raw)
	}
	if n, _ := env.Store.CountLinks(t.Context(), "shop"); n != 1 {
		t.Fatalf("%d links", n)
	}
}

// TestPayerTextRefusesBidiAndBlank: what payers see carries no bidi
// overrides or isolates and is not only invisible characters.
func TestPayerTextRefusesBidiAndBlank(t *testing.T) {
	env := testenv.New(t)
	key := env.Merchant(t, "shop")
	srv := env.Serve(t)
	desc := func(s string) string {
		return `{"amount":{"currency":"EUR","value":"1.00"},"description":"` + s + `",` + strictCustomer + `}`
	}
	cust := func(c string) string {
		return `{"amount":{"currency":"EUR","value":"1.00"},"description":"d","customer":{` + c + `}}`
	}
	cases := []struct{ body, field string }{
		{desc(`Invoice \u202egnp.exe`), "description"},
		{desc("Invoice \u202a1\u202c"), "description"},
		{desc(`Pay \u2066here\u2069`), "description"},
		{desc(`\u2067x`), "description"},
		{desc(`\u200b\u200c\u200d`), "description"},
		{desc(`   `), "description"},
		{desc(`\ufeff\u2060 \u00a0`), "description"},
		{desc(`\u3164`), "description"},
		{cust(`"company_name":"ACME \u202eVN"`), "customer.company_name"},
		{cust(`"company_name":"\u200b"`), "customer.company_name"},
		{cust(`"first_name":"\u2068Ana","last_name":"P"`), "customer.first_name"},
		{cust(`"first_name":"Ana","last_name":" "`), "customer.last_name"},
		{strictBody(`,"beneficiary":{"name":"Shop \u202dBV","iban":"BE71096123456769"}`), "beneficiary.name"},
		{strictBody(`,"beneficiary":{"name":"\u200d","iban":"BE71096123456769"}`), "beneficiary.name"},
	}
	for _, c := range cases {
		if st, _, raw := call(t, "POST", srv.URL+"/v1/payment-links", key, c.body, nil, true); st != 422 || !hasField(t, raw, c.field) {
			t.Errorf("%s: %d %s, want 422 on %s", c.body, st, raw, c.field)
		}
	}
	for _, c := range []struct{ body, field string }{
		{`{"name":"Shop \u202eVB"}`, "name"},
		{`{"name":"\u200b "}`, "name"},
		{`{"default_beneficiary":{"name":"\u2066Shop","iban":"BE71096123456769"}}`, "default_beneficiary.name"},
	} {
		if st, _, raw := call(t, "PUT", srv.URL+"/v1/settings", key, c.body, nil, true); st != 422 || !hasField(t, raw, c.field) {
			t.Errorf("settings %s: %d %s, want 422 on %s", c.body, st, raw, c.field)
		}
	}
	if n, _ := env.Store.CountLinks(t.Context(), "shop"); n != 0 {
		t.Fatalf("%d links written by refused bodies", n)
	}
	// Right-to-left text, its marks and joiners inside words are text.
	for _, ok := range []string{`שלום עולם`, `فاتورة \u200f12`, `Caf\u00e9 \u200dx`, `👩\u200d💻 course`} {
		if st, _, raw := call(t, "POST", srv.URL+"/v1/payment-links", key, desc(ok), nil, true); st != 201 {
			t.Errorf("%q: %d %s", ok, st, raw)
		}
	}
}

// TestCountriesAreAssignedCodes: ISO 3166-1 alpha-2 codes that are assigned.
func TestCountriesAreAssignedCodes(t *testing.T) {
	env := testenv.New(t)
	key := env.Merchant(t, "shop")
	srv := env.Serve(t)
	body := func(c string) string {
		return `{"amount":{"currency":"EUR","value":"1.00"},"description":"d","customer":{"company_name":"X","country":"` + c + `"}}`
	}
	for _, c := range []string{"XX", "ZZ", "UK", "AA", "EU", "QM", "be"} {
		if st, _, raw := call(t, "POST", srv.URL+"/v1/payment-links", key, body(c), nil, true); st != 422 || !hasField(t, raw, "customer.country") {
			t.Errorf("%s: %d %s", c, st, raw)
		}
	}
	for _, c := range []string{"BE", "GB", "NL", "AX", "SS", "CW", "ZW"} {
		if st, _, raw := call(t, "POST", srv.URL+"/v1/payment-links", key, body(c), nil, true); st != 201 {
			t.Errorf("%s: %d %s", c, st, raw)
		}
	}
}

// TestRedirectDomainsRefusePublicSuffixes: a public suffix on the
// allow-list would allow every site under it.
func TestRedirectDomainsRefusePublicSuffixes(t *testing.T) {
	env := testenv.New(t)
	key := env.Merchant(t, "shop")
	srv := env.Serve(t)
	for _, d := range []string{"co.uk", "github.io", "com", "s3.amazonaws.com", "blogspot.com", "gov.uk"} {
		body := `{"redirect_domains":["shop.example","` + d + `"]}`
		if st, _, raw := call(t, "PUT", srv.URL+"/v1/settings", key, body, nil, true); st != 422 || !hasField(t, raw, "redirect_domains[1]") {
			t.Errorf("%s: %d %s", d, st, raw)
		}
	}
	m, _ := env.Store.GetMerchant(t.Context(), "shop")
	for _, d := range m.RedirectDomains {
		if d != "shop.example" && d != "www.shop.example" {
			t.Fatalf("stored %v", m.RedirectDomains)
		}
	}
	st, _, raw := call(t, "PUT", srv.URL+"/v1/settings", key, `{"redirect_domains":["shop.example.co.uk","me.github.io","shop.example"]}`, nil, true)
	if st != 200 {
		t.Fatalf("registrable domains: %d %s", st, raw)
	}
}
