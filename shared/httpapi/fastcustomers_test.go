package httpapi_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/paylinks/paylinks/shared/domain"
)

// The customers routes in the fast tier (see fast_test.go).

// customerFields are the members of a customer as docs/api.md lists them.
var customerFields = []string{"id", "customer_number", "type", "address", "metadata", "archived", "erased", "created_at", "updated_at"}

// TestFastCustomerCreateAndUpsert: 201 with the customer; an existing
// customer_number is 200 with that customer, updated (upsert); an invalid
// one is 422 naming the field, and nothing is written.
func TestFastCustomerCreateAndUpsert(t *testing.T) {
	f := newFastAPI(t)
	c := f.key(domain.CustomersWrite, domain.CustomersRead)
	r := f.do(c, "POST", "/v1/customers", `{"first_name":"Ana","last_name":"Peeters","email":"ana@example.be","customer_number":"C-1"}`)
	ana := r.object(t)
	if r.status != 201 || ana["type"] != "person" || ana["customer_number"] != "C-1" || ana["email"] != "ana@example.be" || ana["archived"] != false {
		t.Fatalf("%d %s", r.status, r.body)
	}
	for _, k := range customerFields {
		if _, ok := ana[k]; !ok {
			t.Errorf("the customer has no %s: %s", k, r.body)
		}
	}
	up := f.do(c, "POST", "/v1/customers", `{"customer_number":"C-1","first_name":"Ana","last_name":"Janssens"}`)
	if got := up.object(t); up.status != 200 || got["id"] != ana["id"] || got["last_name"] != "Janssens" || got["email"] != "ana@example.be" {
		t.Fatalf("upsert: %d %s", up.status, up.body)
	}
	if n := len(f.st.customers); n != 1 {
		t.Fatalf("%d customers after an upsert", n)
	}
	before := f.st.written()
	for body, field := range map[string]string{
		`{"first_name":"Ana"}`:                                                        "last_name",
		`{"company_name":"ACME","email":"not an address"}`:                            "email",
		`{"company_name":"ACME","colour":"red"}`:                                      "colour",
		`{"type":"robot","company_name":"ACME"}`:                                      "type",
		`{"company_name":"ACME","phone":"0470"}`:                                      "phone",
		`{"company_name":"ACME","language":"tlh","country":"ZZ"}`:                     "language",
		`{"company_name":"ACME","metadata":{"k":"` + strings.Repeat("x", 501) + `"}}`: "metadata",
	} {
		wantProblem(t, body, f.do(c, "POST", "/v1/customers", body), 422, field)
	}
	if w := f.dataWrites(before); len(w) != 0 {
		t.Fatalf("refused customers wrote %v", w)
	}
}

// TestFastCustomerGetAndPatch: the caller's customer; another merchant's
// and unknown ones are 404; a patch changes what it names; a customer
// number another customer holds is 422 naming it and changes nothing.
func TestFastCustomerGetAndPatch(t *testing.T) {
	f := newFastAPI(t)
	c := f.key(domain.CustomersWrite, domain.CustomersRead)
	ana := f.do(c, "POST", "/v1/customers", `{"first_name":"Ana","last_name":"Peeters","customer_number":"C-1"}`).object(t)
	bob := f.do(c, "POST", "/v1/customers", `{"first_name":"Bob","last_name":"Maes","customer_number":"C-2"}`).object(t)
	theirs := f.do(f.keyOf("other", ""), "POST", "/v1/customers", `{"company_name":"Elsewhere"}`).object(t)
	if r := f.do(c, "GET", "/v1/customers/"+ana["id"].(string), ""); r.status != 200 || r.object(t)["last_name"] != "Peeters" {
		t.Fatalf("%d %s", r.status, r.body)
	}
	for _, cid := range []string{theirs["id"].(string), domain.NewID("cus_", f.clock.Now()), "x"} {
		wantProblem(t, "GET "+cid, f.do(c, "GET", "/v1/customers/"+cid, ""), 404, "")
	}
	r := f.do(c, "PATCH", "/v1/customers/"+ana["id"].(string), `{"email":"ana@example.be","metadata":{"tier":"gold"}}`)
	if got := r.object(t); r.status != 200 || got["email"] != "ana@example.be" || got["first_name"] != "Ana" || fmt.Sprint(got["metadata"]) != "map[tier:gold]" {
		t.Fatalf("patch: %d %s", r.status, r.body)
	}
	before := f.st.written()
	wantProblem(t, "another's number", f.do(c, "PATCH", "/v1/customers/"+ana["id"].(string), `{"customer_number":"C-2"}`), 422, "customer_number")
	wantProblem(t, "a bad e-mail", f.do(c, "PATCH", "/v1/customers/"+ana["id"].(string), `{"email":"nope"}`), 422, "email")
	wantProblem(t, "another merchant's", f.do(c, "PATCH", "/v1/customers/"+theirs["id"].(string), `{"email":"x@example.be"}`), 404, "")
	if w := f.dataWrites(before); len(w) != 0 {
		t.Fatalf("refused patches wrote %v", w)
	}
	if got := f.do(c, "GET", "/v1/customers/"+bob["id"].(string), "").object(t); got["customer_number"] != "C-2" {
		t.Fatalf("bob lost his number: %v", got)
	}
}

// TestFastCustomerList: newest first, page by page; by e-mail, number
// and archived; bad parameters 422 naming them.
func TestFastCustomerList(t *testing.T) {
	f := newFastAPI(t)
	c := f.key(domain.CustomersWrite, domain.CustomersRead)
	var made []string
	for i := range 5 {
		cu := f.do(c, "POST", "/v1/customers", fmt.Sprintf(`{"company_name":"ACME %d","email":"billing%d@acme.example","customer_number":"N-%d"}`, i, i%2, i)).object(t)
		made = append(made, cu["id"].(string))
	}
	f.do(f.keyOf("other", ""), "POST", "/v1/customers", `{"company_name":"Elsewhere"}`)
	f.do(c, "POST", "/v1/customers/"+made[1]+"/archive", "")
	var seen []string
	for cursor := ""; ; {
		r := f.do(c, "GET", "/v1/customers?limit=2"+cursor, "")
		for _, x := range r.data(t) {
			seen = append(seen, x["id"].(string))
		}
		next, _ := r.object(t)["next_cursor"].(string)
		if next == "" {
			break
		}
		cursor = "&cursor=" + next
	}
	want := slices.Clone(made)
	slices.Reverse(want)
	if fmt.Sprint(seen) != fmt.Sprint(want) {
		t.Fatalf("pages %v, want newest first %v", seen, want)
	}
	ids := func(q string) []string {
		var out []string
		for _, x := range f.do(c, "GET", "/v1/customers?"+q, "").data(t) {
			out = append(out, x["id"].(string))
		}
		return out
	}
	if got := ids("email=BILLING1@acme.example"); fmt.Sprint(got) != fmt.Sprint([]string{made[3], made[1]}) {
		t.Errorf("by e-mail: %v", got)
	}
	if got := ids("customer_number=N-2"); fmt.Sprint(got) != fmt.Sprint([]string{made[2]}) {
		t.Errorf("by number: %v", got)
	}
	if got := ids("archived=true"); fmt.Sprint(got) != fmt.Sprint([]string{made[1]}) {
		t.Errorf("archived: %v", got)
	}
	if got := ids("archived=false&email=billing1@acme.example"); fmt.Sprint(got) != fmt.Sprint([]string{made[3]}) {
		t.Errorf("not archived, by e-mail: %v", got)
	}
	for q, field := range map[string]string{"limit=0": "limit", "colour=red": "colour", "archived=maybe": "archived", "email=" + strings.Repeat("x", 101): "email"} {
		wantProblem(t, q, f.do(c, "GET", "/v1/customers?"+q, ""), 422, field)
	}
}
