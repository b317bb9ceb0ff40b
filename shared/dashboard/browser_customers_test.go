package dashboard_test

import (
	"strings"
	"testing"
	"time"

	headless "github.com/paylinks/paylinks/shared/testkit/browser"
	"github.com/paylinks/paylinks/shared/testkit/faults"
	"github.com/paylinks/paylinks/shared/testkit/testenv"
)

// buyerLinks makes the links of the two "Buyer BV" customers the customer
// tests use, through the API, and returns the customers' ids: kept (made
// with ap@buyer.example: €100.00 paid and €25.00 of it refunded, €19.99
// open, $7.50 open) and dup (made with finance@buyer.example: €40.50 open).
func buyerLinks(t *testing.T, p *people) (kept, dup string) {
	t.Helper()
	key := demoKeys.byPeople[p]
	mk := func(value, currency, desc, email string) map[string]any {
		t.Helper()
		st, l := p.api(t, "POST", "/v1/payment-links", key, `{"amount":{"currency":"`+currency+`","value":"`+value+`"},"description":"`+desc+
			`","customer":{"company_name":"Buyer BV","email":"`+email+`","language":"nl"}}`, nil)
		if st != 201 {
			t.Fatalf("link %s: %d %v", desc, st, l)
		}
		return l
	}
	paid := mk("100.00", "EUR", "Pallets", "ap@buyer.example")
	mk("19.99", "EUR", "Shrink wrap", "ap@buyer.example")
	mk("7.50", "USD", "Tape", "ap@buyer.example")
	other := mk("40.50", "EUR", "Labels", "finance@buyer.example")
	kept = paid["customer"].(map[string]any)["id"].(string)
	dup = other["customer"].(map[string]any)["id"].(string)
	if kept == dup {
		t.Fatalf("the two Buyer BV links have one customer %s", kept)
	}
	id := paid["id"].(string)
	pay(t, p, id, "100.00")
	if st, r := p.api(t, "POST", "/v1/payment-links/"+id+"/refunds", key, `{"amount":{"currency":"EUR","value":"25.00"},"reason":"one pallet broken"}`,
		map[string]string{"Idempotency-Key": "refund-" + id}); st != 201 && st != 202 {
		t.Fatalf("refund: %d %v", st, r)
	}
	testenv.Eventually(t, 10*time.Second, "the refund of €25.00 done", func() bool {
		_, l := p.api(t, "GET", "/v1/payment-links/"+id, key, "", nil)
		r, _ := l["amount_refunded"].(map[string]any)
		return r != nil && r["value"] == "25.00"
	})
	return kept, dup
}

// TestBrowserCustomerPage: an owner reads a customer's totals (per
// currency, open, paid and refunded, counts and exact sums of the links
// made), edits the customer (a bad phone is refused next to the Phone
// field in words, then a good one is saved and shown, and a new link for
// the customer is offered by SMS), merges the second "Buyer BV" into the
// first after a confirmation that says what moves and that it cannot be
// undone (the links move, the totals follow, the old address shows the
// kept customer, the audit log holds the merge), then erases the kept one
// with the keyboard alone after a confirmation that names what goes and
// holds off until the name is typed; an operator's erasure is refused by
// the server, in words.
func TestBrowserCustomerPage(t *testing.T) {
	p := newPeople(t)
	p.srv.Consume(t)
	b, _ := signedIn(t, p, "owner")
	key := demoKeys.byPeople[p]
	kept, dup := buyerLinks(t, p)

	// Totals, per currency.
	b.Go(p.srv.URL + "/dashboard/customers/" + kept)
	b.WaitText("Shrink wrap")
	b.WaitText("Refunded")
	totals := map[string]string{"EUR": "EUR €19.99 1 link €100.00 1 link €25.00 1 link", "USD": "USD $7.50 1 link $0.00 0 links $0.00 0 links"}
	for cur, want := range totals {
		if got := strings.Join(strings.Fields(b.Text(`#app .totals tr[data-currency="`+cur+`"]`)), " "); got != want {
			t.Errorf("the %s totals (open, paid, refunded) read %q, not %q", cur, got, want)
		}
	}
	checkPage(t, b, "customer")

	customerEdit(t, p, b, key, kept)
	customerMadePerson(t, p, b, key)
	customerMerge(t, p, b, kept, dup)
	customerOperatorRefused(t, p, key, kept)
	customerErase(t, p, b, key, kept)
}

// customerEdit: a bad phone is refused on its field in words and nothing
// changes; a good one and a number are saved, and the customer's next link
// goes by SMS.
func customerEdit(t *testing.T, p *people, b *headless.Browser, key, kept string) {
	t.Helper()
	// Edit: a bad phone, then a good one.
	b.ClickButton("Edit")
	b.WaitText("Save changes")
	b.Fill("Phone", "0470 12")
	b.ClickButton("Save changes")
	msg := b.Text(`input[name=phone][aria-invalid="true"] ~ p.field-error`)
	if msg != "Type the phone number in international format, such as +32470123456." {
		t.Fatalf("the Phone field's error: %q", msg)
	}
	checkPage(t, b, "customer-edit")
	if _, c := p.api(t, "GET", "/v1/customers/"+kept, key, "", nil); c["phone"] != nil {
		t.Fatalf("a refused edit changed the customer: %v", c)
	}
	b.Fill("Phone", "+32470999888")
	b.Fill("Customer number", "B-77")
	b.ClickButton("Save changes")
	b.WaitText("Customer saved.")
	if facts := b.Text("#app dl.facts"); !strings.Contains(facts, "+32470999888") || !strings.Contains(facts, "B-77") {
		t.Fatalf("the page after saving:\n%s", facts)
	}
	if _, c := p.api(t, "GET", "/v1/customers/"+kept, key, "", nil); c["phone"] != "+32470999888" || c["customer_number"] != "B-77" || c["email"] != "ap@buyer.example" {
		t.Fatalf("the API's customer after the edit: %v", c)
	}
	// A new link for the customer now goes by SMS.
	b.Click("#app .top-action button")
	b.WaitText("Chosen: Buyer BV")
	b.Fill("Amount", "15.00")
	b.Fill("Description", "Extra pallets")
	b.ClickButton("Create payment link")
	b.WaitText("Payment link created: send it")
	if n := b.Count(`dialog .send-menu button[disabled]`); n != 0 {
		t.Fatalf("%d channels are off for a customer with a phone and an e-mail", n)
	}
	b.ClickButton("Send by SMS")
	b.WaitText("Sending by SMS.")
	b.ClickButton("Close")
	b.WaitText("Provider reference")
}

// customerMadePerson: a company left with a first and last name only is
// a person.
func customerMadePerson(t *testing.T, p *people, b *headless.Browser, key string) {
	t.Helper()
	// A company's page edited into a person's.
	_, solo := p.api(t, "POST", "/v1/customers", key, `{"company_name":"Solo BV","email":"solo@example.be"}`, nil)
	b.Go(p.srv.URL + "/dashboard/customers/" + solo["id"].(string))
	b.WaitText("solo@example.be")
	b.ClickButton("Edit")
	b.Fill("Company name", "")
	b.Fill("First name", "Sofie")
	b.Fill("Last name", "Solo")
	b.ClickButton("Save changes")
	b.WaitText("Customer saved.")
	if h1 := b.Text("h1"); h1 != "Sofie Solo" {
		t.Errorf("the customer made a person is titled %q", h1)
	}
	if _, c := p.api(t, "GET", "/v1/customers/"+solo["id"].(string), key, "", nil); c["type"] != "person" || c["company_name"] != nil {
		t.Errorf("the API's customer made a person: %v", c)
	}
}

// customerMerge: the second Buyer BV is merged into the first after the
// confirmation; links and totals follow, the old address shows the kept
// customer, the audit log holds the merge.
func customerMerge(t *testing.T, p *people, b *headless.Browser, kept, dup string) {
	t.Helper()
	// Merge the second Buyer BV into the first.
	b.Go(p.srv.URL + "/dashboard/customers/" + dup)
	b.WaitText("finance@buyer.example")
	b.ClickButton("Merge with another customer")
	b.Fill("Find a customer", "ap@buyer.example")
	b.WaitText("Buyer BV · ap@buyer.example")
	b.Press("Enter")
	b.WaitText("Keep: Buyer BV (ap@buyer.example)")
	b.ClickButton("Merge")
	b.WaitText("cannot be undone")
	saysAll(t, "the merge confirmation", b.Text("dialog"), "Payment links that move: 1", "history", "references", "ap@buyer.example", "cannot be undone")
	checkPage(t, b, "customer-merge")
	b.Click(`dialog button.danger`)
	b.WaitURL("/dashboard/customers/" + kept)
	b.WaitText("Merged: 1 payment link moved to this customer.")
	b.WaitText("Labels")
	if got, want := strings.Join(strings.Fields(b.Text(`#app .totals tr[data-currency="EUR"]`)), " "), "EUR €75.49 3 links €100.00 1 link €25.00 1 link"; got != want {
		t.Errorf("the EUR totals after the merge read %q, not %q", got, want)
	}
	if got := list(t, p, "/v1/customers/"+kept+"/payment-links"); len(got) != 5 {
		t.Fatalf("the kept customer has %d links after the merge", len(got))
	}
	// The old address shows the kept customer.
	b.Go(p.srv.URL + "/dashboard/customers/" + dup)
	b.WaitURL("/dashboard/customers/" + kept)
	b.WaitText("ap@buyer.example")
	b.WaitText("Labels")
	// The audit log holds the merge.
	b.Go(p.srv.URL + "/dashboard/settings/audit")
	b.WaitText("customer.merged")
}

// customerOperatorRefused: the server refuses an operator's erasure and
// the page says why.
func customerOperatorRefused(t *testing.T, p *people, key, kept string) {
	t.Helper()
	// An operator may change customers but not erase them: the server
	// refuses, and the page says why.
	o, _ := signedIn(t, p, "operator")
	o.Go(p.srv.URL + "/dashboard/customers/" + kept)
	o.WaitText("Extra pallets")
	o.ClickButton("Erase personal data")
	o.WaitText("Your role lacks the permission customers:erase.")
	if n := o.Count("dialog"); n != 0 {
		t.Fatal("the operator was asked to confirm an erasure the server refuses")
	}
	o.Shot("operator-refused")
	o.Axe(t, "the operator's refused erasure")
	if _, c := p.api(t, "GET", "/v1/customers/"+kept, key, "", nil); c["erased"] != false {
		t.Fatalf("the operator's erasure changed the customer: %v", c)
	}
}

// customerErase: the erasure with the keyboard alone, after a confirmation
// that names what goes and holds off until the name is typed.
func customerErase(t *testing.T, p *people, b *headless.Browser, key, kept string) {
	t.Helper()
	// Erase, with the keyboard alone.
	b.Go(p.srv.URL + "/dashboard/customers/" + kept)
	b.WaitText("Extra pallets")
	b.TabTo("Erase personal data")
	b.Press("Enter")
	b.WaitText("This cannot be undone")
	_, pre := p.api(t, "GET", "/v1/customers/"+kept+"/erasure-preview", key, "", nil)
	if pre["links"] != float64(5) {
		t.Fatalf("the API's erasure preview: %v", pre)
	}
	saysAll(t, "the erase confirmation", b.Text("dialog"), "Payment links: 5", "Bank records: 0", "Webhook deliveries: 0",
		"Customer details: Customer number, Company name, Email, Phone")
	if f := b.Focused(); f != "Type the customer's name, Buyer BV, to confirm" {
		t.Fatalf("the erase dialog opens with the focus on %q", f)
	}
	if n := b.Count(`dialog button.danger:not([disabled])`); n != 0 {
		t.Fatal("Erase is offered before the name is typed")
	}
	checkPage(t, b, "customer-erase")
	b.Press("Buyer BV")
	b.TabTo("Erase")
	b.Press("Enter")
	b.WaitText("Personal data erased.")
	b.WaitText("This customer's personal data was erased")
	if h1 := b.Text("h1"); h1 != "Erased customer" {
		t.Errorf("the erased customer's page is titled %q", h1)
	}
	if strings.Contains(b.Text("#app"), "ap@buyer.example") {
		t.Error("the erased customer's page still shows the e-mail")
	}
	if _, c := p.api(t, "GET", "/v1/customers/"+kept, key, "", nil); c["erased"] != true || c["email"] != nil {
		t.Fatalf("the API's customer after the erasure: %v", c)
	}
	checkPage(t, b, "customer-erased")
}

// saysAll fails the test for each of wants that text (what) lacks.
func saysAll(t *testing.T, what, text string, wants ...string) {
	t.Helper()
	for _, want := range wants {
		if !strings.Contains(text, want) {
			t.Errorf("%s lacks %q:\n%s", what, want, text)
		}
	}
}

// TestBrowserEraseUnfinished: an erasure that stops once begun (the API's
// 503: the customer's links could not be read in time) is said as it is,
// part of the data perhaps erased already and Erase personal data to be
// chosen again, not the generic "nothing was changed"; chosen again, it
// finishes. Before, the page said nothing was changed.
func TestBrowserEraseUnfinished(t *testing.T) {
	p := newPeople(t)
	b, _ := signedIn(t, p, "owner")
	key := demoKeys.byPeople[p]
	_, c := p.api(t, "POST", "/v1/customers", key, `{"first_name":"Half","last_name":"Way","email":"half@example.be"}`, nil)
	id := c["id"].(string)
	if st, l := p.api(t, "POST", "/v1/payment-links", key, `{"amount":{"currency":"EUR","value":"7.00"},"description":"Half an invoice","customer_id":"`+id+`"}`, nil); st != 201 {
		t.Fatalf("link: %d %v", st, l)
	}
	erase := func() {
		b.Go(p.srv.URL + "/dashboard/customers/" + id)
		b.WaitText("Half an invoice")
		b.ClickButton("Erase personal data")
		b.WaitText("This cannot be undone")
		b.Fill("Type the customer's name, Half Way, to confirm", "Half Way")
	}
	erase()
	p.env.Faults.Set(faults.Rule{Name: "stop", Rate: 1, Err: faults.Throttled, Ops: []string{"Query"}})
	b.Click(`dialog button.danger`)
	b.WaitText("The erasure has begun but did not finish in time")
	p.env.Faults.Set()
	if msg := b.Text(`#app [role=alert]`); strings.Contains(msg, "nothing was changed") || !strings.Contains(msg, "Choose Erase personal data again") {
		t.Fatalf("the unfinished erasure says %q", msg)
	}
	b.Shot("erase-unfinished")
	b.Axe(t, "the unfinished erasure")
	erase()
	b.Click(`dialog button.danger`)
	b.WaitText("Personal data erased.")
	if _, c := p.api(t, "GET", "/v1/customers/"+id, key, "", nil); c["erased"] != true || c["email"] != nil {
		t.Fatalf("the API's customer after the second erasure: %v", c)
	}
}
