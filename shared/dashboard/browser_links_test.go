package dashboard_test

import (
	"encoding/csv"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/paylinks/paylinks/shared/money"
	"github.com/paylinks/paylinks/shared/psp/sandbox"
	"github.com/paylinks/paylinks/shared/service"
	headless "github.com/paylinks/paylinks/shared/testkit/browser"
	"github.com/paylinks/paylinks/shared/testkit/psptest"
	"github.com/paylinks/paylinks/shared/testkit/testenv"
)

// demoLinks are the links the browser tests find in the merchant demo.
type demoLinks struct {
	sent, paid, unopened, workshop map[string]any
}

// seedDemoLinks makes the demo merchant's links through the API: one sent
// by e-mail, one paid through the sandbox PSP's signed webhook, one never
// opened, one made in the dashboard.
func seedDemoLinks(t *testing.T, p *people) demoLinks {
	t.Helper()
	key := demoKeys.byPeople[p]
	mk := func(body string) map[string]any {
		st, l := p.api(t, "POST", "/v1/payment-links", key, body, nil)
		if st != 201 {
			t.Fatalf("seed link: %d %v", st, l)
		}
		return l
	}
	d := demoLinks{
		sent:     mk(`{"amount":{"currency":"EUR","value":"12.50"},"description":"Taart voor Ana","reference":"ORD-1","customer":{"first_name":"Ana","last_name":"Peeters","email":"ana@example.be","phone":"+32470123456","language":"nl"},"send":{"channel":"email"}}`),
		paid:     mk(`{"amount":{"currency":"EUR","value":"950.00"},"description":"Consulting May","reference":"ORD-2","customer":{"company_name":"ACME NV","email":"billing@acme.example","language":"en"}}`),
		unopened: mk(`{"amount":{"currency":"EUR","value":"5.00"},"description":"Never opened","customer":{"first_name":"Bob","last_name":"Smith","email":"bob@example.com"}}`),
		workshop: mk(`{"amount":{"currency":"EUR","value":"120.00"},"description":"Workshop","origin":"dashboard","customer":{"company_name":"Globex","email":"ap@globex.example"}}`),
	}
	pay(t, p, d.paid["id"].(string), "950.00")
	testenv.Eventually(t, 10*time.Second, "the e-mail of the first link sent", func() bool {
		_, l := p.api(t, "GET", "/v1/payment-links/"+d.sent["id"].(string), key, "", nil)
		chs, _ := l["sent_channels"].([]any)
		return len(chs) == 1
	})
	return d
}

// pay pays a link through the sandbox PSP's signed webhook, as a payer at
// its checkout would.
func pay(t *testing.T, p *people, id, value string) {
	t.Helper()
	amt := money.MustParse("EUR", value)
	psptest.PostSandbox(t, p.srv.URL, "demo", sandbox.WebhookEvent{ID: "evt_" + id, Type: "payment.succeeded", Created: time.Now().Unix(),
		Data: sandbox.WebhookData{LinkID: id, Attempt: 1, PaymentID: "pay_" + id, Amount: &amt}})
	testenv.Eventually(t, 10*time.Second, "the link paid", func() bool {
		_, l := p.api(t, "GET", "/v1/payment-links/"+id, demoKeys.byPeople[p], "", nil)
		return l["status"] == "paid"
	})
}

// checkPage is what every page must hold: no serious or critical axe
// violation, no console error or CSP violation, and no sideways scroll on a
// 390 px phone; a screenshot of each width.
func checkPage(t *testing.T, b *headless.Browser, name string) {
	t.Helper()
	b.Shot(name)
	b.Axe(t, name)
	b.Mobile(t)
	b.Shot(name + "-phone")
	b.Desktop()
	b.NoErrors(t)
}

// TestBrowserLinksOverview: an owner finds links by preset, search and
// advanced filters in the date range shown; selects several and exports
// them (the CSV has exactly those), sends one by SMS, and archives a
// never-opened one after a confirmation that says it will be deleted; a
// row's description opens the link.
func TestBrowserLinksOverview(t *testing.T) {
	p := newPeople(t)
	p.srv.Consume(t)
	b, _ := signedIn(t, p, "owner")
	d := seedDemoLinks(t, p)

	b.Go(p.srv.URL + "/dashboard")
	b.WaitText("Consulting May")
	if r := b.Text(".range"); !strings.Contains(r, "Links created from") {
		t.Fatalf("the date range is not shown: %q", r)
	}
	checkPage(t, b, "overview")
	rows := b.Text("tbody")
	for _, want := range []string{"Taart voor Ana", "Consulting May", "Never opened", "Workshop", "ACME NV", "Paid"} {
		if !strings.Contains(rows, want) {
			t.Errorf("the overview lacks %q:\n%s", want, rows)
		}
	}

	overviewFilters(t, p, b, d)

	b.Go(p.srv.URL + "/dashboard")
	b.WaitText("4 of 4 links shown.")
	b.Click(`input[aria-label="Select Consulting May"]`)
	b.Click(`input[aria-label="Select Workshop"]`)
	b.WaitText("2 selected")
	name, body := b.Download(t, `.bulk button:nth-of-type(2)`)
	recs, err := csv.NewReader(strings.NewReader(string(body))).ReadAll()
	if err != nil || len(recs) != 3 || name != "payment-links.csv" {
		t.Fatalf("the export of the selection %s: %v\n%s", name, err, body)
	}
	if got := string(body); !strings.Contains(got, d.paid["id"].(string)) || !strings.Contains(got, d.workshop["id"].(string)) {
		t.Fatalf("the export has other links:\n%s", got)
	}

	// Send the workshop link (the one still selected) by e-mail.
	b.Click(`input[aria-label="Select Consulting May"]`)
	b.WaitText("1 selected")
	b.ClickButton("Send")
	b.Select("Channel", "E-mail")
	b.Shot("send-dialog")
	b.Axe(t, "the send dialog")
	b.Click(`dialog button:first-of-type`)
	b.WaitText("1 queued for sending.")
	testenv.Eventually(t, 10*time.Second, "the workshop's e-mail in the outbox", func() bool {
		for _, m := range p.srv.Service.Outbox.All() {
			if m.To == "ap@globex.example" && m.Channel == "email" {
				return true
			}
		}
		return false
	})

	// Archive the never-opened link: the confirmation says it is deleted.
	b.Go(p.srv.URL + "/dashboard")
	b.WaitText("4 of 4 links shown.")
	b.Click(`input[aria-label="Select Never opened"]`)
	b.ClickButton("Archive")
	if txt := b.Text("dialog"); !strings.Contains(txt, "1 of them were never opened: they will be deleted, not archived.") {
		t.Fatalf("the archive confirmation: %q", txt)
	}
	if f := b.Focused(); f != "Cancel" {
		t.Fatalf("the confirmation's focus is on %q, want Cancel (Enter must not archive)", f)
	}
	b.Shot("archive-dialog")
	b.Click(`dialog button.danger`)
	b.WaitText("1 deleted.")
	if st, _ := p.api(t, "GET", "/v1/payment-links/"+d.unopened["id"].(string), demoKeys.byPeople[p], "", nil); st != 404 {
		t.Fatalf("the never-opened link after archiving: %d (want deleted)", st)
	}

	b.ClickLink("Consulting May")
	b.WaitURL("/dashboard/links/" + d.paid["id"].(string))
	b.WaitText("Provider reference")
}

// TestBrowserNewLink: from the header's "New payment link" button, an
// operator picks an existing customer with the type-ahead (typing, arrow
// keys, Enter), is told what is wrong when the amount is missing (the
// field marked, nothing created), creates the link in French, gets the send
// menu (copy, QR code, a send by e-mail that reaches the outbox), closes it
// and lands on the link; then makes one for a new customer inline.
func TestBrowserNewLink(t *testing.T) {
	p := newPeople(t)
	p.srv.Consume(t)
	b, _ := signedIn(t, p, "operator")
	seedDemoLinks(t, p)
	key := demoKeys.byPeople[p]

	b.Go(p.srv.URL + "/dashboard")
	b.ClickButton("New payment link")
	b.WaitURL("/dashboard/links/new")
	b.WaitText("Find a customer")
	checkPage(t, b, "new-link")

	b.Fill("Find a customer", "pee")
	b.WaitText("Ana Peeters")
	b.Press("ArrowDown")
	b.Press("ArrowUp")
	b.Press("Enter")
	b.WaitText("Chosen: Ana Peeters")

	b.Fill("Description", "Verjaardagstaart")
	b.ClickButton("Create payment link")
	b.WaitText("Amount: Type an amount such as 12.50.")
	if fe := b.Text(`input[name=amount][aria-invalid=true] ~ .field-error`); !strings.Contains(fe, "such as 12.50") {
		t.Fatalf("the amount's own error: %q", fe)
	}
	if n := countLinks(t, p, key); n != 4 {
		t.Fatalf("a refused form created a link: %d links", n)
	}
	b.Shot("new-link-error")
	b.Axe(t, "the new link form with its errors")

	// A reference already used: refused (409); corrected, the same form
	// goes through (a new Idempotency-Key once the server has answered).
	b.Fill("Amount", "42.50")
	b.Fill("Reference", "ORD-1")
	b.ClickButton("Create payment link")
	b.WaitText("reference")
	if n := countLinks(t, p, key); n != 4 {
		t.Fatalf("a reused reference created a link: %d links", n)
	}
	b.Fill("Reference", "TAART-42")
	b.Select("Language", "French")
	b.ClickButton("Create payment link")
	b.WaitText("Payment link created: send it")
	checkPage(t, b, "send-menu")
	b.ClickButton("Copy link")
	b.WaitText("Copied.")
	b.ClickButton("Send by E-mail")
	b.WaitText("Sending by E-mail.")
	b.ClickButton("Close")
	b.WaitText("Provider reference")
	_, list := p.api(t, "GET", "/v1/payment-links?reference=TAART-42", key, "", nil)
	links, _ := list["data"].([]any)
	if len(links) != 1 {
		t.Fatalf("the new link: %v", list)
	}
	l := links[0].(map[string]any)
	cus := l["customer"].(map[string]any)
	if l["origin"] != "dashboard" || l["language"] != "fr" || cus["email"] != "ana@example.be" || cus["id"] == nil || l["amount"].(map[string]any)["value"] != "42.50" {
		t.Fatalf("the link made in the dashboard: %v", l)
	}
	if !strings.HasSuffix(b.URL(), "/dashboard/links/"+l["id"].(string)+"#details") {
		t.Fatalf("after closing the send menu: %s", b.URL())
	}
	testenv.Eventually(t, 10*time.Second, "the e-mail of the new link, in French", func() bool {
		for _, m := range p.srv.Service.Outbox.All() {
			if m.LinkID == l["id"] && m.Channel == "email" && m.Lang == "fr" {
				return true
			}
		}
		return false
	})

	// A new customer, inline.
	b.Go(p.srv.URL + "/dashboard/links/new")
	b.WaitText("Find a customer")
	b.Click(`input[name=who][value=new]`)
	b.Fill("First name", "Chloé")
	b.Fill("Last name", "Dubois")
	b.Fill("Email", "chloe@example.fr")
	b.Fill("Amount", "19.99")
	b.Fill("Description", "Cours de cuisine")
	b.ClickButton("Create payment link")
	b.WaitText("Payment link created: send it")
	b.ClickButton("Close")
	b.WaitText("Provider reference")
	_, found := p.api(t, "GET", "/v1/customers?email=chloe@example.fr", key, "", nil)
	if cs, _ := found["data"].([]any); len(cs) != 1 {
		t.Fatalf("the inline customer was not made: %v", found)
	}
}

func countLinks(t *testing.T, p *people, key string) int {
	t.Helper()
	_, list := p.api(t, "GET", "/v1/payment-links?limit=500", key, "", nil)
	links, _ := list["data"].([]any)
	return len(links)
}

// TestBrowserLinkDetails: a finance member opens a paid link: the tabs
// (Details, Events, Refunds, Share) work with the keyboard's arrows; a
// partial refund with a reason is confirmed and listed; the language is
// updated; Share shows the QR code; the preview shows what the payer
// gets. A viewer is refused the refund by the server, told so, and no
// refund exists. An owner duplicates the link and archives the copy. No
// "mark as paid" anywhere.
func TestBrowserLinkDetails(t *testing.T) {
	p := newPeople(t)
	p.srv.Consume(t)
	b, _ := signedIn(t, p, "finance")
	d := seedDemoLinks(t, p)
	key := demoKeys.byPeople[p]
	id := d.paid["id"].(string)

	b.Go(p.srv.URL + "/dashboard/links/" + id)
	b.WaitText("Provider reference")
	checkPage(t, b, "details")
	if strings.Contains(strings.ToLower(b.Text("body")), "mark as paid") {
		t.Fatal(`the page offers "mark as paid"`)
	}
	b.Click(`#tab-details`)
	b.Press("ArrowRight")
	b.WaitText("Created")
	if sel := b.Text(`[role=tab][aria-selected=true]`); sel != "Events" {
		t.Fatalf("ArrowRight from Details selected %q", sel)
	}
	b.WaitText("Paid")
	checkPage(t, b, "events")
	b.Press("ArrowRight")
	b.WaitText("Refund the payer")
	checkPage(t, b, "refunds")

	b.Fill("Amount", "100.00")
	b.Fill("Reason", "goodwill")
	b.ClickButton("Refund")
	b.WaitText("Refund €100.00 to the payer?")
	b.Click(`dialog button.danger`)
	b.WaitText("Refund requested.")
	b.WaitText("goodwill")
	testenv.Eventually(t, 10*time.Second, "the refund recorded", func() bool {
		_, r := p.api(t, "GET", "/v1/payment-links/"+id+"/refunds", key, "", nil)
		rs, _ := r["data"].([]any)
		return len(rs) == 1 && rs[0].(map[string]any)["reason"] == "goodwill" && rs[0].(map[string]any)["amount"].(map[string]any)["value"] == "100.00"
	})

	b.ClickButton("Share")
	b.WaitText("Copy link")
	checkPage(t, b, "share")

	b.ClickLink("Preview")
	b.WaitURL("/dashboard/links/" + id + "/preview")
	b.WaitText("Subject")
	if txt := b.Text("main"); !strings.Contains(txt, "Payment request from Demo Shop") || !strings.Contains(txt, "The customer has no address for this channel") {
		t.Fatalf("the preview: %q", txt)
	}
	checkPage(t, b, "preview")

	// A viewer sees the refund form of a paid link, and the server refuses.
	v, _ := signedIn(t, p, "viewer")
	v.Go(p.srv.URL + "/dashboard/links/" + id + "#refunds")
	v.WaitText("Refund the payer")
	v.Fill("Reason", "not mine to give")
	v.ClickButton("Refund")
	v.Click(`dialog button.danger`)
	v.WaitText("Your role lacks the permission refunds:write.")
	v.Shot("viewer-refused")
	v.Axe(t, "the viewer's refused refund")
	_, r := p.api(t, "GET", "/v1/payment-links/"+id+"/refunds", key, "", nil)
	if rs, _ := r["data"].([]any); len(rs) != 1 {
		t.Fatalf("the viewer's refund was made: %v", r)
	}

	// An owner duplicates the link, then archives the copy.
	o, _ := signedIn(t, p, "owner")
	o.Go(p.srv.URL + "/dashboard/links/" + id)
	o.WaitText("Provider reference")
	o.Select("Language", "German")
	o.ClickButton("Update language")
	o.WaitText("Language updated.")
	if _, l := p.api(t, "GET", "/v1/payment-links/"+id, key, "", nil); l["language"] != "de" {
		t.Fatalf("language after the update: %v", l["language"])
	}
	o.ClickButton("Duplicate")
	o.WaitURL("/dashboard/links/new")
	o.WaitText("Chosen: ACME NV")
	o.ClickButton("Create payment link")
	o.WaitText("Payment link created: send it")
	o.ClickButton("Close")
	o.WaitText("Provider reference")
	if strings.Contains(o.URL(), id) {
		t.Fatalf("Duplicate stayed on the original: %s", o.URL())
	}
	o.WaitText("Consulting May")
	o.ClickButton("Delete")
	o.WaitText("This link was never opened: it will be deleted, not archived.")
	o.Click(`dialog button.danger`)
	o.WaitURL("/dashboard")
	if n := countLinks(t, p, key); n != 4 {
		t.Fatalf("after duplicating and deleting the copy: %d links, want 4", n)
	}
}

// TestBrowserExportManyLinks: ticking boxes keeps the focus on the box and
// counts in place; "select all" over more than one page of rows exports
// every one of them in one file (the selection is asked for 200 ids at a
// time: an API Gateway address has at most 10 KB).
func TestBrowserExportManyLinks(t *testing.T) {
	p := newPeople(t)
	p.srv.Consume(t)
	b, _ := signedIn(t, p, "owner")
	key := demoKeys.byPeople[p]
	importLinks(t, p, key, "Many", 230)
	b.Go(p.srv.URL + "/dashboard")
	b.WaitText("230 of 230 links shown.")
	b.Click(`input[aria-label="Select Many 7"]`)
	if f := b.Focused(); f != "Select Many 7" {
		t.Fatalf("after ticking a box the focus is on %q", f)
	}
	b.WaitText("1 selected")
	b.Click(`input[aria-label="Select all the links shown"]`)
	b.WaitText("230 selected")
	name, body := b.Download(t, `.bulk button:nth-of-type(2)`)
	recs, err := csv.NewReader(strings.NewReader(string(body))).ReadAll()
	if err != nil || len(recs) != 231 || name != "payment-links.csv" || recs[0][0] != "amount" {
		t.Fatalf("the export of 230 links %s: %v, %d rows", name, err, len(recs))
	}
	ids := map[string]bool{}
	for _, r := range recs[1:] {
		ids[r[len(r)-6]] = true
	}
	if len(ids) != 230 {
		t.Fatalf("the export holds %d distinct links, want 230", len(ids))
	}
}

// overviewFilters: the Paid preset, search by e-mail, by reference and by
// link id (a search says how many it found), the origin filter among the
// advanced ones, the channel filter.
func overviewFilters(t *testing.T, p *people, b *headless.Browser, d demoLinks) {
	t.Helper()
	b.ClickLink("Paid")
	b.WaitText("1 of 1 links shown.")
	if rows := b.Text("tbody"); !strings.Contains(rows, "Consulting May") || strings.Contains(rows, "Workshop") {
		t.Fatalf("the Paid preset:\n%s", rows)
	}
	b.ClickLink("All")
	b.WaitText("4 of 4 links shown.")

	b.Fill("Search", "ana@example.be")
	b.ClickButton("Apply")
	b.WaitText("1 link(s) found.")
	if rows := b.Text("tbody"); !strings.Contains(rows, "Taart voor Ana") {
		t.Fatalf("search by e-mail:\n%s", rows)
	}
	b.Fill("Search", "ORD-2")
	b.ClickButton("Apply")
	b.WaitText("1 link(s) found.")
	if rows := b.Text("tbody"); !strings.Contains(rows, "Consulting May") {
		t.Fatalf("search by reference:\n%s", rows)
	}
	b.Fill("Search", d.workshop["id"].(string))
	b.ClickButton("Apply")
	b.WaitText("1 link(s) found.")
	if rows := b.Text("tbody"); !strings.Contains(rows, "Workshop") {
		t.Fatalf("search by link id:\n%s", rows)
	}
	b.Fill("Search", "")
	b.Click("details summary")
	b.Select("Origin", "Dashboard")
	b.ClickButton("Apply")
	b.WaitText("1 of 1 links shown.")
	if rows := b.Text("tbody"); !strings.Contains(rows, "Workshop") {
		t.Fatalf("the origin filter:\n%s", rows)
	}
	b.Go(p.srv.URL + "/dashboard?preset=all&channel=email")
	b.WaitText("1 of 1 links shown.")
	if rows := b.Text("tbody"); !strings.Contains(rows, "Taart voor Ana") {
		t.Fatalf("the channel filter:\n%s", rows)
	}
}

// TestBrowserBulkArchiveWithinTheRateLimit: the merchant's API limit (here
// 5 a second) answers a bulk action's calls 429 once its burst is spent;
// the page waits as told and goes on: every selected link archived (these
// never opened: deleted), none refused.
func TestBrowserBulkArchiveWithinTheRateLimit(t *testing.T) {
	p := newPeopleWith(t, func(o *service.Options) { o.RateLimit, o.RateBurst = 5, 5 })
	p.srv.Consume(t)
	b, _ := signedIn(t, p, "owner")
	key := demoKeys.byPeople[p]
	importLinks(t, p, key, "Bulk", 20)
	b.Go(p.srv.URL + "/dashboard")
	b.WaitText("20 of 20 links shown.")
	b.Click(`input[aria-label="Select all the links shown"]`)
	b.ClickButton("Archive")
	b.Click(`dialog button.danger`)
	b.WaitText("20 deleted.")
	if txt := b.Text("#status"); strings.Contains(txt, "refused") {
		t.Fatalf("a bulk archive within the limit: %q", txt)
	}
	testenv.Eventually(t, 10*time.Second, "every link deleted", func() bool {
		st, list := p.api(t, "GET", "/v1/payment-links?limit=500", key, "", nil)
		links, _ := list["data"].([]any)
		return st == 200 && len(links) == 0
	})
}

// importLinks makes n links "<prefix> <i>" of 1.00 EUR through the import
// API (one request) and waits until they are made.
func importLinks(t *testing.T, p *people, key, prefix string, n int) {
	t.Helper()
	var file strings.Builder
	file.WriteString("amount,currency,description,company_name\n")
	for i := range n {
		file.WriteString("1.00,EUR," + prefix + " " + strconv.Itoa(i) + ",ACME\n")
	}
	st, imp := p.api(t, "POST", "/v1/payment-links/import", key, file.String(), map[string]string{"Content-Type": "text/csv"})
	if st != 202 {
		t.Fatalf("import: %d %v", st, imp)
	}
	testenv.Eventually(t, 60*time.Second, "the links imported", func() bool {
		st, im := p.api(t, "GET", "/v1/imports/"+imp["id"].(string), key, "", nil)
		return st == 200 && im["status"] == "completed" && im["rows_done"] == float64(n)
	})
}
