package httpapi_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/paylinks/paylinks/shared/domain"
)

// The link routes in the fast tier (see fast_test.go).

// linkFields are the members of a link as docs/api.md lists them.
var linkFields = []string{"id", "url", "qr_url", "status", "amount", "amount_refunded", "description", "reference", "customer", "language",
	"expires_at", "created_at", "updated_at", "clicked_at", "click_count", "paid_at", "paid_after_expiry", "psp", "psp_reference", "archived",
	"origin", "metadata"}

const smallLink = `{"amount":{"currency":"EUR","value":"10.00"},"description":"d","customer":{"first_name":"Ana","last_name":"Peeters"}}`

// create makes a link of "shop" through the API and returns it.
func (f *fastAPI) create(c caller, body string, hdr ...string) map[string]any {
	f.t.Helper()
	r := f.do(c, "POST", "/v1/payment-links", body, hdr...)
	if r.status != 201 {
		f.t.Fatalf("create: %d %s", r.status, r.body)
	}
	return r.object(f.t)
}

// TestFastCreateLink: 201 with the link as docs/api.md shows it, written
// once with its created event and its new customer; reading it back is
// the same answer; the defaults (30 days, origin api, language en).
func TestFastCreateLink(t *testing.T) {
	f := newFastAPI(t)
	c := f.key()
	now := f.clock.Now().Add(time.Second) // the request's
	before := f.st.written()
	r := f.do(c, "POST", "/v1/payment-links", fullBody)
	if r.status != 201 || r.header.Get("Content-Type") != "application/json" {
		t.Fatalf("%d %s", r.status, r.body)
	}
	l := r.object(t)
	for _, k := range linkFields {
		if _, ok := l[k]; !ok {
			t.Errorf("the link has no %s: %s", k, r.body)
		}
	}
	lid, _ := l["id"].(string)
	if !domain.ValidID(domain.PrefixLink, lid) || r.header.Get("Location") != "/v1/payment-links/"+lid {
		t.Fatalf("id %q, Location %q", lid, r.header.Get("Location"))
	}
	fullLinkShown(t, l, now)
	stored, err := f.st.Get(t.Context(), "shop", lid)
	if err != nil || !strings.HasSuffix(l["url"].(string), "/l/"+stored.Code) || stored.Customer.ID != l["customer"].(map[string]any)["id"] {
		t.Fatalf("stored %+v (%v), shown %s", stored, err, r.body)
	}
	if w := f.dataWrites(before); len(w) != 1 || w[0] != "CreateLink "+lid {
		t.Fatalf("writes %v, want the one create", w)
	}
	if evs, _ := f.st.EventsOf(t.Context(), stored); len(evs) != 1 || evs[0].Type != domain.EventCreated || evs[0].Actor.Type != domain.ActorAPIKey {
		t.Fatalf("events %+v", evs)
	}
	if got := f.do(c, "GET", "/v1/payment-links/"+lid, ""); got.status != 200 || string(got.body) != string(r.body) {
		t.Fatalf("read back: %d\n%s\n%s", got.status, got.body, r.body)
	}
	createDefaults(t, f, c, stored)
}

// createDefaults: a link made for a customer by id carries their details;
// one given nothing more expires in 30 days, from the API, in English.
func createDefaults(t *testing.T, f *fastAPI, c caller, stored *domain.Link) {
	t.Helper()
	byID := f.create(c, `{"amount":{"currency":"EUR","value":"5"},"description":"x","customer_id":"`+stored.Customer.ID+`"}`)
	if cu := byID["customer"].(map[string]any); cu["id"] != stored.Customer.ID || cu["email"] != "ana@example.be" {
		t.Fatalf("customer_id: %v", cu)
	}
	d := f.create(c, `{"amount":{"currency":"JPY","value":"1200"},"description":"x","customer":{"company_name":"ACME NV"}}`)
	exp, _ := time.Parse(time.RFC3339, d["expires_at"].(string))
	if d["origin"] != "api" || d["language"] != "en" || d["amount"].(map[string]any)["value"] != "1200" || !exp.Equal(f.clock.Now().Add(30*24*time.Hour).Truncate(time.Second)) {
		t.Fatalf("defaults: %v", d)
	}
}

// fullLinkShown checks fullBody's link as made at now.
func fullLinkShown(t *testing.T, l map[string]any, now time.Time) {
	t.Helper()
	want := map[string]any{"status": "created", "description": "Invoice 2026-113", "reference": "ORDER-8812", "language": "fr", "origin": "invoice",
		"psp": "sandbox", "archived": false, "click_count": 0.0, "paid_after_expiry": false, "clicked_at": nil, "paid_at": nil, "psp_reference": nil,
		"created_at": now.Format(time.RFC3339), "expires_at": now.Add(14 * 24 * time.Hour).Format(time.RFC3339)}
	for k, v := range want {
		if l[k] != v {
			t.Errorf("%s = %v, want %v", k, l[k], v)
		}
	}
	if a := l["amount"].(map[string]any); a["currency"] != "EUR" || a["value"] != "120.98" {
		t.Errorf("amount %v", a)
	}
	if c := l["customer"].(map[string]any); c["email"] != "ana@example.be" || !strings.HasPrefix(fmt.Sprint(c["id"]), "cus_") {
		t.Errorf("customer %v", c)
	}
	if u := l["url"].(string); !strings.HasPrefix(u, fastBase+"/l/") || l["qr_url"] == nil {
		t.Errorf("url %q qr_url %v", u, l["qr_url"])
	}
	if m := l["metadata"].(map[string]any); m["order"] != "8812" {
		t.Errorf("metadata %v", m)
	}
}

// TestFastCreateRefusesBadBodies: a malformed or invalid create is a
// problem naming the field, and nothing is written; under an
// Idempotency-Key the key is given back, so the corrected request runs.
func TestFastCreateRefusesBadBodies(t *testing.T) {
	f := newFastAPI(t)
	c := f.key()
	okCustomer := `"customer":{"first_name":"Ana","last_name":"Peeters"}`
	known := f.do(c, "POST", "/v1/customers", `{"company_name":"ACME"}`).object(t)["id"].(string)
	cases := []struct {
		body, contentType string
		status            int
		field             string
	}{
		{`{`, "", 400, ""},
		{`{"description":"a","description":"b"}`, "", 400, "description"},
		{`{"description":"d",` + okCustomer + `}`, "", 422, "amount"},
		{`{"amount":{"currency":"EUR","value":"10.001"},"description":"d",` + okCustomer + `}`, "", 422, "amount.value"},
		{`{"amount":{"currency":"XXX","value":"1"},"description":"d",` + okCustomer + `}`, "", 422, "amount.currency"},
		{`{"amount":{"currency":"EUR","value":"1"},"description":"",` + okCustomer + `}`, "", 422, "description"},
		{`{"amount":{"currency":"EUR","value":"1"},"description":"d",` + okCustomer + `,"nickname":"x"}`, "", 422, "nickname"},
		{`{"amount":{"currency":"EUR","value":"1"},"description":"d","customer":{"first_name":"Ana","last_name":"P","nick":"x"}}`, "", 422, "customer.nick"},
		{`{"amount":{"currency":"EUR","value":"1"},"description":"d","customer_id":"cus_nobody"}`, "", 422, "customer_id"},
		{`{"amount":{"currency":"EUR","value":"1"},"description":"d","customer_id":"` + known + `",` + okCustomer + `}`, "", 422, "customer_id"},
		{`{"amount":{"currency":"EUR","value":"1"},"description":"d",` + okCustomer + `,"redirect_url":"https://evil.example/"}`, "", 422, "redirect_url"},
		{`{"amount":{"currency":"EUR","value":"1"},"description":"d",` + okCustomer + `,"expires_in_days":91}`, "", 422, "expires_in_days"},
		{smallLink, "text/plain", 415, ""},
	}
	before := f.st.written()
	for i, tc := range cases {
		var hdr []string
		if tc.contentType != "" {
			hdr = []string{"Content-Type", tc.contentType}
		}
		r := f.do(c, "POST", "/v1/payment-links", tc.body, hdr...)
		wantProblem(t, fmt.Sprintf("case %d %s", i, tc.body), r, tc.status, tc.field)
	}
	if w := f.dataWrites(before); len(w) != 0 {
		t.Fatalf("refused creates wrote %v", w)
	}
	idem := []string{"Idempotency-Key", "fix-me"}
	wantProblem(t, "refused under a key", f.do(c, "POST", "/v1/payment-links", cases[3].body, idem...), 422, "amount.value")
	if len(f.st.idem) != 0 {
		t.Fatalf("the refused request keeps its Idempotency-Key: %v", f.st.idem)
	}
	if r := f.do(c, "POST", "/v1/payment-links", smallLink, idem...); r.status != 201 {
		t.Fatalf("the corrected request under the same key: %d %s", r.status, r.body)
	}
}

// TestFastCreateIdempotencyKey: the same key and request (its JSON value)
// replays the first answer and writes nothing more; another body is 422;
// the same request while the first runs is 409; another caller's key of
// the same name is its own; a reused reference is 409 naming it.
func TestFastCreateIdempotencyKey(t *testing.T) {
	f := newFastAPI(t)
	c := f.key()
	first := f.do(c, "POST", "/v1/payment-links", smallLink, "Idempotency-Key", "k1")
	if first.status != 201 {
		t.Fatalf("%d %s", first.status, first.body)
	}
	before := f.st.written()
	spaced := "{ \"description\": \"d\", \"customer\": {\"last_name\":\"Peeters\",\"first_name\":\"Ana\"}, \"amount\": {\"value\":\"10.00\",\"currency\":\"EUR\"} }"
	again := f.do(c, "POST", "/v1/payment-links", spaced, "Idempotency-Key", "k1")
	if again.status != 201 || string(again.body) != string(first.body) || again.header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("replay: %d %s %v", again.status, again.body, again.header)
	}
	wantProblem(t, "another body", f.do(c, "POST", "/v1/payment-links", strings.Replace(smallLink, `"d"`, `"e"`, 1), "Idempotency-Key", "k1"), 422, "")
	if w := f.dataWrites(before); len(w) != 0 || len(f.st.links) != 1 {
		t.Fatalf("a replay or a mismatch wrote %v (%d links)", w, len(f.st.links))
	}
	// Another caller's key of the same name is another request.
	if other := f.do(f.key(), "POST", "/v1/payment-links", smallLink, "Idempotency-Key", "k1"); other.status != 201 || string(other.body) == string(first.body) {
		t.Fatalf("another key's request: %d %s", other.status, other.body)
	}
	inFlight(t, f, c)
	f.create(c, `{"amount":{"currency":"EUR","value":"1"},"description":"d","reference":"R-1",`+`"customer":{"company_name":"ACME"}}`)
	n := f.st.written()
	wantProblem(t, "a reused reference", f.do(c, "POST", "/v1/payment-links", `{"amount":{"currency":"EUR","value":"2"},"description":"d","reference":"R-1","customer":{"company_name":"ACME"}}`), 409, "reference")
	if w := f.dataWrites(n); len(w) != 0 {
		t.Fatalf("a reused reference wrote %v", w)
	}
}

// inFlight holds a create in the store while the same request comes
// again: 409; once the first is done, the request replays it.
func inFlight(t *testing.T, f *fastAPI, c caller) {
	t.Helper()
	entered, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	f.st.beforeCreate = func() { once.Do(func() { close(entered); <-release }) }
	defer func() { f.st.beforeCreate = nil }()
	done := make(chan fastAnswer)
	body := strings.Replace(smallLink, `"d"`, `"slow"`, 1)
	req := func() fastAnswer { return f.do(c, "POST", "/v1/payment-links", body, "Idempotency-Key", "k2") }
	go func() { done <- req() }()
	<-entered
	wantProblem(t, "the same request in flight", req(), 409, "")
	close(release)
	first := <-done
	if first.status != 201 {
		t.Fatalf("the first: %d %s", first.status, first.body)
	}
	if again := req(); again.status != 201 || string(again.body) != string(first.body) {
		t.Fatalf("after the first: %d %s", again.status, again.body)
	}
}

// TestFastGetLink: the caller's link; another merchant's, an unknown and
// a malformed id are 404 problems.
func TestFastGetLink(t *testing.T) {
	f := newFastAPI(t)
	c := f.key(domain.LinksRead, domain.LinksWrite)
	mine := f.create(c, smallLink)["id"].(string)
	theirs := f.create(f.keyOf("other", ""), smallLink)["id"].(string)
	if r := f.do(c, "GET", "/v1/payment-links/"+mine, ""); r.status != 200 || r.object(t)["id"] != mine {
		t.Fatalf("%d %s", r.status, r.body)
	}
	for _, p := range []string{theirs, domain.NewID(domain.PrefixLink, f.clock.Now()), "pl_", "x", strings.Repeat("p", 200)} {
		wantProblem(t, "GET "+p, f.do(c, "GET", "/v1/payment-links/"+p, ""), 404, "")
	}
}

// TestFastListLinks: newest first, page by page (every link once), by
// status and reference; archived ones only when asked; bad parameters are
// 422 naming them, a made-up cursor 400.
func TestFastListLinks(t *testing.T) {
	f := newFastAPI(t)
	c := f.key()
	var made []string
	for i := range 5 {
		made = append(made, f.create(c, fmt.Sprintf(`{"amount":{"currency":"EUR","value":"%d"},"description":"d","reference":"R-%d","customer":{"company_name":"ACME"}}`, i+1, i))["id"].(string))
	}
	f.create(f.keyOf("other", ""), smallLink)
	var seen []string
	cursor := ""
	for range 4 {
		r := f.do(c, "GET", "/v1/payment-links?limit=2"+cursor, "")
		page := r.data(t)
		for _, l := range page {
			seen = append(seen, l["id"].(string))
		}
		next, _ := r.object(t)["next_cursor"].(string)
		if next == "" {
			break
		}
		cursor = "&cursor=" + next
	}
	if want := []string{made[4], made[3], made[2], made[1], made[0]}; fmt.Sprint(seen) != fmt.Sprint(want) {
		t.Fatalf("pages %v, want newest first %v", seen, want)
	}
	if r := f.do(c, "GET", "/v1/payment-links?reference=R-2", "").data(t); len(r) != 1 || r[0]["id"] != made[2] {
		t.Fatalf("by reference: %v", r)
	}
	if r := f.do(c, "GET", "/v1/payment-links?status=paid", "").data(t); len(r) != 0 {
		t.Fatalf("paid: %v", r)
	}
	f.do(c, "POST", "/v1/payment-links/"+made[0]+"/archive", "")
	if r := f.do(c, "GET", "/v1/payment-links", "").data(t); len(r) != 4 {
		t.Fatalf("a deleted link listed: %d", len(r))
	}
	for q, field := range map[string]string{"status=bogus": "status", "limit=0": "limit", "limit=501": "limit", "colour=red": "colour",
		"archived=yes": "archived", "amount_min=5&amount_max=1": "amount_min", "created_from=yesterday": "created_from"} {
		wantProblem(t, q, f.do(c, "GET", "/v1/payment-links?"+q, ""), 422, field)
	}
	wantProblem(t, "a made-up cursor", f.do(c, "GET", "/v1/payment-links?cursor=abc", ""), 400, "cursor")
}

// TestFastPatchLink: the language and metadata change (an empty value
// deletes its key) with an event on the timeline, which lists it after
// the creation; a bad change is 422 naming it and writes nothing.
func TestFastPatchLink(t *testing.T) {
	f := newFastAPI(t)
	c := f.key()
	lid := f.create(c, `{"amount":{"currency":"EUR","value":"1"},"description":"d","customer":{"company_name":"ACME"},"metadata":{"a":"1","b":"2"}}`)["id"].(string)
	r := f.do(c, "PATCH", "/v1/payment-links/"+lid, `{"language":"nl","metadata":{"a":"","c":"3"}}`)
	l := r.object(t)
	if r.status != 200 || l["language"] != "nl" || fmt.Sprint(l["metadata"]) != "map[b:2 c:3]" {
		t.Fatalf("%d %s", r.status, r.body)
	}
	if got := f.do(c, "GET", "/v1/payment-links/"+lid, ""); string(got.body) != string(r.body) {
		t.Fatalf("read back:\n%s\n%s", got.body, r.body)
	}
	evs := f.do(c, "GET", "/v1/payment-links/"+lid+"/events", "").data(t)
	if len(evs) != 2 || evs[0]["type"] != domain.EventCreated || evs[1]["type"] != "payment_link.updated" {
		t.Fatalf("timeline %v", evs)
	}
	before := f.st.written()
	wantProblem(t, "a bad language", f.do(c, "PATCH", "/v1/payment-links/"+lid, `{"language":"xx"}`), 422, "language")
	wantProblem(t, "nothing to change", f.do(c, "PATCH", "/v1/payment-links/"+lid, `{}`), 422, "language")
	wantProblem(t, "an unknown link", f.do(c, "PATCH", "/v1/payment-links/"+domain.NewID(domain.PrefixLink, f.clock.Now()), `{"language":"fr"}`), 404, "")
	if w := f.dataWrites(before); len(w) != 0 {
		t.Fatalf("refused patches wrote %v", w)
	}
}

// TestFastArchiveLink: a never-opened link is deleted (204, gone); an
// opened one is archived (200), hidden from the default listing and shown
// with archived=true; archiving it again changes nothing.
func TestFastArchiveLink(t *testing.T) {
	f := newFastAPI(t)
	c := f.key()
	fresh := f.create(c, smallLink)["id"].(string)
	if r := f.do(c, "POST", "/v1/payment-links/"+fresh+"/archive", ""); r.status != 204 {
		t.Fatalf("a never-opened link: %d %s", r.status, r.body)
	}
	wantProblem(t, "the deleted link", f.do(c, "GET", "/v1/payment-links/"+fresh, ""), 404, "")
	opened := f.create(c, smallLink)["id"].(string)
	f.st.mu.Lock()
	f.st.links[mkey("shop", opened)].Status = domain.StatusClicked
	f.st.mu.Unlock()
	r := f.do(c, "POST", "/v1/payment-links/"+opened+"/archive", "")
	if r.status != 200 || r.object(t)["archived"] != true || r.object(t)["status"] != "clicked" {
		t.Fatalf("an opened link: %d %s", r.status, r.body)
	}
	if l := f.do(c, "GET", "/v1/payment-links", "").data(t); len(l) != 0 {
		t.Fatalf("an archived link listed by default: %v", l)
	}
	if l := f.do(c, "GET", "/v1/payment-links?archived=true", "").data(t); len(l) != 1 || l[0]["id"] != opened {
		t.Fatalf("archived=true: %v", l)
	}
	before := f.st.written()
	if again := f.do(c, "POST", "/v1/payment-links/"+opened+"/archive", ""); again.status != 200 || string(again.body) != string(r.body) {
		t.Fatalf("again: %d %s", again.status, again.body)
	}
	if w := f.dataWrites(before); len(w) != 0 {
		t.Fatalf("archiving again wrote %v", w)
	}
}

// TestFastDuplicateLink: a new link with the original's terms (201), its
// created event naming the original; a reused reference is 409 naming
// it, an unknown link 404, and neither writes.
func TestFastDuplicateLink(t *testing.T) {
	f := newFastAPI(t)
	c := f.key()
	orig := f.create(c, fullBody)
	r := f.do(c, "POST", "/v1/payment-links/"+orig["id"].(string)+"/duplicate", `{"reference":"ORDER-8813","expires_in_days":3}`)
	d := r.object(t)
	if r.status != 201 || d["id"] == orig["id"] || d["reference"] != "ORDER-8813" || d["description"] != orig["description"] ||
		fmt.Sprint(d["amount"]) != fmt.Sprint(orig["amount"]) || d["status"] != "created" || r.header.Get("Location") != "/v1/payment-links/"+d["id"].(string) {
		t.Fatalf("%d %s", r.status, r.body)
	}
	l, _ := f.st.Get(t.Context(), "shop", d["id"].(string))
	evs, _ := f.st.EventsOf(t.Context(), l)
	if len(evs) != 1 || evs[0].Data[domain.DataDuplicatedFrom] != orig["id"] {
		t.Fatalf("events %+v", evs)
	}
	before := f.st.written()
	wantProblem(t, "a reused reference", f.do(c, "POST", "/v1/payment-links/"+orig["id"].(string)+"/duplicate", `{"reference":"ORDER-8812"}`), 409, "reference")
	wantProblem(t, "an unknown link", f.do(c, "POST", "/v1/payment-links/"+domain.NewID(domain.PrefixLink, f.clock.Now())+"/duplicate", ``), 404, "")
	if w := f.dataWrites(before); len(w) != 0 {
		t.Fatalf("refused duplicates wrote %v", w)
	}
}
