package httpapi_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/testkit/testenv"
)

// dupBody is fullBody with a second-chance reminder.
var dupBody = strings.Replace(fullBody, `"origin": "invoice",`, `"origin": "invoice", "reminder": {"before_expiry_hours": 24},`, 1)

// paidOriginal creates dupBody's link, changes its language to de (apart
// from its customer's fr) and marks it paid; it returns the link as shown.
func paidOriginal(t *testing.T, env *testenv.Env, base, key string) jsonMap {
	t.Helper()
	st, _, raw := call(t, "POST", base+"/v1/payment-links", key, dupBody, nil, true)
	if st != 201 {
		t.Fatalf("create: %d %s", st, raw)
	}
	id := decode(t, raw)["id"].(string)
	if st, _, raw := call(t, "PATCH", base+"/v1/payment-links/"+id, key, `{"language":"de"}`, nil, true); st != 200 {
		t.Fatalf("patch: %d %s", st, raw)
	}
	cur, err := env.Store.Get(t.Context(), "shop", id)
	if err != nil {
		t.Fatal(err)
	}
	paid := *cur
	now := time.Now().UTC()
	paid.Status, paid.PaidAt, paid.PSP, paid.PSPReference = domain.StatusPaid, &now, "sandbox", "pay_sb_"+id[len(id)-8:]
	if err := env.Store.Transition(t.Context(), cur, &paid, domain.NewEvent(id, domain.EventPaid, cur.Status, paid.Status, now, nil)); err != nil {
		t.Fatal(err)
	}
	return linkJSON(t, base, key, id)
}

// TestDuplicatePaidLink, through the emulators: a paid link's duplicate is
// a new created link with the same amount, description, customer,
// beneficiary, language, methods, redirect URL, reminder and metadata, a
// new id, code, expiry and reference; its timeline and the audit log say
// where it came from; the original is untouched.
func TestDuplicatePaidLink(t *testing.T) {
	env := testenv.New(t)
	key := env.Merchant(t, "shop")
	srv := env.Serve(t)
	orig := paidOriginal(t, env, srv.URL, key)
	id := orig["id"].(string)
	before := time.Now()
	st, h, raw := call(t, "POST", srv.URL+"/v1/payment-links/"+id+"/duplicate", key, `{"reference":"ORDER-8813","expires_in_days":10}`, nil, true)
	if st != 201 {
		t.Fatalf("duplicate: %d %s", st, raw)
	}
	d := decode(t, raw)
	nid := d["id"].(string)
	if h.Get("Location") != "/v1/payment-links/"+nid {
		t.Fatalf("Location %q", h.Get("Location"))
	}
	checkDupFields(t, orig, d, raw)
	checkDupTimes(t, d, before)
	checkDupReadBack(t, srv.URL, key, orig, d)
	checkDupTimeline(t, srv.URL, key, id, nid)
	checkDupAudit(t, srv.URL, key, id, nid)
	checkDupWithoutBody(t, srv.URL, key, id)
}

// checkDupFields: the duplicate d copies the original's amount,
// description, customer, beneficiary, language, methods, redirect URL and
// metadata, and is a new created link with its own id, URL and reference,
// from the API, not paid.
func checkDupFields(t *testing.T, orig, d jsonMap, raw []byte) {
	t.Helper()
	for _, f := range []string{"amount", "description", "customer", "beneficiary", "language", "payment_methods", "redirect_url", "metadata"} {
		if !sameJSON(orig[f], d[f]) {
			t.Errorf("%s: %v, original %v", f, d[f], orig[f])
		}
	}
	if d["id"] == orig["id"] || d["url"] == orig["url"] || d["status"] != "created" || d["reference"] != "ORDER-8813" || d["origin"] != "api" ||
		d["paid_at"] != nil || d["psp_reference"] != nil || d["language"] != "de" {
		t.Fatalf("new link: %s", raw)
	}
}

// checkDupTimes: d was created now (not before the request started), expires
// 10 days ahead and reminds 24 h before its expiry.
func checkDupTimes(t *testing.T, d jsonMap, before time.Time) {
	t.Helper()
	if created, _ := time.Parse(time.RFC3339, d["created_at"].(string)); created.Before(before.Truncate(time.Second)) {
		t.Fatalf("created_at %s, want now", d["created_at"])
	}
	exp, _ := time.Parse(time.RFC3339, d["expires_at"].(string))
	if exp.Before(before.Add(10*24*time.Hour-time.Minute)) || exp.After(time.Now().Add(10*24*time.Hour+time.Minute)) {
		t.Fatalf("expires_at %s, want 10 days ahead", d["expires_at"])
	}
	rem, _ := time.Parse(time.RFC3339, d["reminder_at"].(string))
	if !rem.Equal(exp.Add(-24 * time.Hour)) {
		t.Fatalf("reminder_at %s, want 24 h before %s", d["reminder_at"], d["expires_at"])
	}
}

// checkDupReadBack: the duplicate d reads back the same; the original as
// it was.
func checkDupReadBack(t *testing.T, base, key string, orig, d jsonMap) {
	t.Helper()
	if got := linkJSON(t, base, key, d["id"].(string)); !sameJSON(got, d) {
		t.Fatalf("read back: %v\nwant %v", got, d)
	}
	if got := linkJSON(t, base, key, orig["id"].(string)); !sameJSON(got, orig) {
		t.Fatalf("original changed: %v", got)
	}
}

// checkDupTimeline: the new link's only event, its creation, says it was
// duplicated from the original, through the API.
func checkDupTimeline(t *testing.T, base, key, id, nid string) {
	t.Helper()
	_, _, raw := call(t, "GET", base+"/v1/payment-links/"+nid+"/events", key, "", nil, true)
	evs := decode(t, raw)["data"].([]any)
	first := evs[0].(jsonMap)
	if len(evs) != 1 || first["type"] != "payment_link.created" || first["data"].(jsonMap)["duplicated_from"] != id || first["data"].(jsonMap)["origin"] != "api" {
		t.Fatalf("timeline: %s", raw)
	}
}

// checkDupAudit: the audit log records the duplicate on the new link, with
// the original's id.
func checkDupAudit(t *testing.T, base, key, id, nid string) {
	t.Helper()
	es := auditEntries(t, base, key, "resource="+nid)
	if len(es) != 1 || es[0]["action"] != "payment_link.duplicated" || es[0]["after"].(jsonMap)["duplicated_from"] != id {
		t.Fatalf("audit of the duplicate: %v", es)
	}
}

// checkDupWithoutBody: with no body, no reference (the original's is never
// copied) and the default expiry.
func checkDupWithoutBody(t *testing.T, base, key, id string) {
	t.Helper()
	st, _, raw := call(t, "POST", base+"/v1/payment-links/"+id+"/duplicate", key, "", nil, true)
	d := decode(t, raw)
	exp, _ := time.Parse(time.RFC3339, d["expires_at"].(string))
	if st != 201 || d["reference"] != nil || time.Until(exp) < 29*24*time.Hour || d["amount"].(jsonMap)["value"] != "120.98" {
		t.Fatalf("duplicate without a body: %d %s", st, raw)
	}
}

// TestDuplicateFromAnyStatus: expired and archived links are duplicated
// too (that is the point).
func TestDuplicateFromAnyStatus(t *testing.T) {
	env := testenv.New(t)
	key := env.Merchant(t, "shop")
	srv := env.Serve(t)
	paid := paidOriginal(t, env, srv.URL, key)["id"].(string)
	if st, _, raw := call(t, "POST", srv.URL+"/v1/payment-links/"+paid+"/archive", key, "", nil, true); st != 200 {
		t.Fatalf("archive: %d %s", st, raw)
	}
	_, _, raw := call(t, "POST", srv.URL+"/v1/payment-links", key, `{"amount":{"currency":"JPY","value":"1200"},"description":"x","customer":{"company_name":"ACME NV"}}`, nil, true)
	expired := decode(t, raw)["id"].(string)
	cur, _ := env.Store.Get(t.Context(), "shop", expired)
	next := *cur
	next.Status = domain.StatusExpired
	if err := env.Store.Transition(t.Context(), cur, &next, domain.NewEvent(expired, domain.EventExpired, cur.Status, next.Status, time.Now(), nil)); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{paid, expired} {
		st, _, raw := call(t, "POST", srv.URL+"/v1/payment-links/"+id+"/duplicate", key, `{}`, nil, true)
		if d := decode(t, raw); st != 201 || d["status"] != "created" || d["archived"] != false {
			t.Fatalf("duplicate of %s: %d %s", id, st, raw)
		}
	}
}

// TestDuplicateRefusals: a reused reference is 409 and writes nothing, bad
// input is 422 naming the field, an unknown or another merchant's link is
// 404, a key without links:write is 403.
func TestDuplicateRefusals(t *testing.T) {
	env := testenv.New(t)
	key := env.Merchant(t, "shop")
	other := env.Merchant(t, "other")
	srv := env.Serve(t)
	id := paidOriginal(t, env, srv.URL, key)["id"].(string)
	dup := srv.URL + "/v1/payment-links/" + id + "/duplicate"
	count := func() (links, audit int) {
		_, _, raw := call(t, "GET", srv.URL+"/v1/payment-links", key, "", nil, true)
		return len(decode(t, raw)["data"].([]any)), len(auditEntries(t, srv.URL, key, ""))
	}
	links, audit := count()
	st, _, raw := call(t, "POST", dup, key, `{"reference":"ORDER-8812"}`, nil, true)
	if st != 409 || !strings.Contains(string(raw), `"field":"reference"`) {
		t.Fatalf("reused reference: %d %s", st, raw)
	}
	for _, c := range []struct{ body, field string }{
		{`{"expires_in_days":0}`, "expires_in_days"}, {`{"expires_in_days":91}`, "expires_in_days"},
		{`{"reference":""}`, "reference"}, {`{"reference":"` + strings.Repeat("r", 65) + `"}`, "reference"},
		{`{"amount":{"currency":"EUR","value":"1.00"}}`, "amount"}, {`{"expires_in_days":"10"}`, "expires_in_days"},
	} {
		if st, _, raw := call(t, "POST", dup, key, c.body, nil, false); st != 422 || !strings.Contains(string(raw), `"field":"`+c.field+`"`) {
			t.Errorf("%s: %d %s", c.body, st, raw)
		}
	}
	if st, _, raw := call(t, "POST", dup, key, `{"reference":`, nil, false); st != 400 {
		t.Errorf("malformed: %d %s", st, raw)
	}
	if l, a := count(); l != links || a != audit {
		t.Fatalf("refusals wrote: links %d -> %d, audit %d -> %d", links, l, audit, a)
	}
	if st, _, raw := call(t, "POST", dup, other, `{}`, nil, true); st != 404 {
		t.Fatalf("another merchant's link: %d %s", st, raw)
	}
	if st, _, raw := call(t, "POST", srv.URL+"/v1/payment-links/pl_01M844JMR1Q6KRCVXQN02ZJWPF/duplicate", key, `{}`, nil, true); st != 404 {
		t.Fatalf("unknown link: %d %s", st, raw)
	}
	reader, _ := restrictedKey(t, srv.URL, key, "links:read")
	st, _, raw = call(t, "POST", dup, reader, `{}`, nil, true)
	wantMissing(t, st, raw, domain.LinksWrite)
	if l, a := count(); l != links || a != audit+1 { // +1: the reader key's creation
		t.Fatalf("refusals wrote: links %d -> %d, audit %d -> %d", links, l, audit, a)
	}
}

// TestDuplicateIdempotent: the same Idempotency-Key and body replay the
// first answer (one new link); another body with it is 422.
func TestDuplicateIdempotent(t *testing.T) {
	env := testenv.New(t)
	key := env.Merchant(t, "shop")
	srv := env.Serve(t)
	id := paidOriginal(t, env, srv.URL, key)["id"].(string)
	dup := srv.URL + "/v1/payment-links/" + id + "/duplicate"
	idem := map[string]string{"Idempotency-Key": "dup-1"}
	st, _, first := call(t, "POST", dup, key, `{"expires_in_days":5}`, idem, true)
	if st != 201 {
		t.Fatalf("duplicate: %d %s", st, first)
	}
	st, h, again := call(t, "POST", dup, key, `{"expires_in_days":5}`, idem, true)
	if st != 201 || h.Get("Idempotent-Replayed") != "true" || string(again) != string(first) {
		t.Fatalf("replay: %d %q %s", st, h.Get("Idempotent-Replayed"), again)
	}
	if st, _, raw := call(t, "POST", dup, key, `{"expires_in_days":6}`, idem, true); st != 422 {
		t.Fatalf("same key, other body: %d %s", st, raw)
	}
	_, _, raw := call(t, "GET", srv.URL+"/v1/payment-links", key, "", nil, true)
	if n := len(decode(t, raw)["data"].([]any)); n != 2 {
		t.Fatalf("%d links, want the original and one duplicate", n)
	}
}

// sameJSON compares decoded JSON values.
func sameJSON(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

// TestDuplicateForAnArchivedCustomer: an archived customer gets no new
// link, and a duplicate is a new link: duplicating one of theirs is 409 as
// a create for them is, nothing written; an erased customer's link too.
// Before, the duplicate copied the link's snapshot without reading the
// customer and made the link (201).
func TestDuplicateForAnArchivedCustomer(t *testing.T) {
	env := testenv.New(t)
	key := env.Merchant(t, "shop")
	base := env.Serve(t).URL
	for _, end := range []string{"archive", "erase"} {
		cus, id := customerWithLink(t, base, key)
		if st, _, raw := call(t, "POST", base+"/v1/customers/"+cus+"/"+end, key, "", nil, true); st != 200 {
			t.Fatalf("%s: %d %s", end, st, raw)
		}
		if st, _, raw := call(t, "POST", base+"/v1/payment-links/"+id+"/duplicate", key, "", nil, true); st != 409 {
			t.Errorf("duplicate after the customer's %s: %d %s, want 409", end, st, raw)
		}
		_, _, raw := call(t, "GET", base+"/v1/customers/"+cus+"/payment-links", key, "", nil, true)
		if n := len(decode(t, raw)["data"].([]any)); n != 1 {
			t.Errorf("after the customer's %s and a refused duplicate, %d links: %s", end, n, raw)
		}
	}
}

// TestDuplicateTakesTheCustomerAsTheyAreNow: a duplicate is made for the
// link's customer as a create for their id would be: a phone added since
// the original is on the copy. Before, the copy kept the original's
// snapshot (and, for a customer merged away meanwhile, its id).
func TestDuplicateTakesTheCustomerAsTheyAreNow(t *testing.T) {
	env := testenv.New(t)
	key := env.Merchant(t, "shop")
	base := env.Serve(t).URL
	cus, id := customerWithLink(t, base, key)
	if st, _, raw := call(t, "PATCH", base+"/v1/customers/"+cus, key, `{"phone":"+32470123456"}`, nil, true); st != 200 {
		t.Fatalf("edit: %d %s", st, raw)
	}
	st, _, raw := call(t, "POST", base+"/v1/payment-links/"+id+"/duplicate", key, "", nil, true)
	if st != 201 {
		t.Fatalf("duplicate: %d %s", st, raw)
	}
	if c := decode(t, raw)["customer"].(jsonMap); c["id"] != cus || c["phone"] != "+32470123456" || c["email"] != "ana@example.com" {
		t.Fatalf("the copy's customer: %v", c)
	}
}

// customerWithLink makes a customer (Ana Lopez, ana@example.com) and a link
// for their id: the customer's id and the link's.
func customerWithLink(t *testing.T, base, key string) (cus, id string) {
	t.Helper()
	st, _, raw := call(t, "POST", base+"/v1/customers", key, `{"first_name":"Ana","last_name":"Lopez","email":"ana@example.com"}`, nil, true)
	if st != 201 {
		t.Fatalf("customer: %d %s", st, raw)
	}
	cus = decode(t, raw)["id"].(string)
	st, _, raw = call(t, "POST", base+"/v1/payment-links", key, `{"amount":{"currency":"EUR","value":"9.00"},"description":"Invoice","customer_id":"`+cus+`"}`, nil, true)
	if st != 201 {
		t.Fatalf("link: %d %s", st, raw)
	}
	return cus, decode(t, raw)["id"].(string)
}
