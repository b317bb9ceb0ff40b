package dashboard_test

import (
	"strings"
	"testing"
	"time"

	"github.com/paylinks/paylinks/shared/testkit/testenv"
)

// refundsOf is how many refunds the link has, as the API says.
func refundsOf(t *testing.T, p *people, id string) int {
	t.Helper()
	_, r := p.api(t, "GET", "/v1/payment-links/"+id+"/refunds", demoKeys.byPeople[p], "", nil)
	rs, _ := r["data"].([]any)
	return len(rs)
}

// TestBrowserRefundLeftFollows: after a partial refund the Refunds tab's
// "Left to refund" and the header's refunded figure follow at once (no
// reload); a second refund above what is left is refused in the form
// (nothing is made); the hint says an empty amount refunds all that is left.
func TestBrowserRefundLeftFollows(t *testing.T) {
	p := newPeople(t)
	p.srv.Consume(t)
	b, _ := signedIn(t, p, "finance")
	d := seedDemoLinks(t, p)
	id := d.paid["id"].(string)

	b.Go(p.srv.URL + "/dashboard/links/" + id + "#refunds")
	b.WaitText("Refund the payer")
	if hint := b.Text(`input[name=amount] ~ .hint`); !strings.Contains(hint, "Left to refund: €950.00") || !strings.Contains(hint, "Leave it empty to refund all that is left") {
		t.Fatalf("the amount's hint: %q", hint)
	}
	b.Fill("Amount", "45.50")
	b.Fill("Reason", "goodwill")
	b.ClickButton("Refund")
	b.Click(`dialog button.danger`)
	b.WaitText("Refund requested.")
	b.WaitText("Left to refund: €904.50")
	if head := b.Text(".link-head"); !strings.Contains(head, "€45.50 refunded") {
		t.Fatalf("the header after a refund of €45.50: %q", head)
	}
	checkPage(t, b, "refund-left")

	b.Fill("Amount", "904.51")
	b.Fill("Reason", "twice")
	b.ClickButton("Refund")
	b.WaitText("Type at most €904.50, what is left to refund, or leave it empty.")
	if n := b.Count("dialog"); n != 0 {
		t.Fatalf("a refund above what is left was offered for confirmation")
	}
	if f := b.Focused(); f != "Amount" {
		t.Fatalf("after the refused amount the focus is on %q", f)
	}
	if n := refundsOf(t, p, id); n != 1 {
		t.Fatalf("refunds after the refused one: %d", n)
	}
	b.Shot("refund-too-much")
}

// TestBrowserNewLinkWords: the form's errors say what to type in the
// person's words next to each field (aria-describedby), the focus on the
// first; never the API's raw text.
func TestBrowserNewLinkWords(t *testing.T) {
	p := newPeople(t)
	p.srv.Consume(t)
	b, _ := signedIn(t, p, "operator")
	seedDemoLinks(t, p)
	key := demoKeys.byPeople[p]

	b.Go(p.srv.URL + "/dashboard/links/new")
	b.WaitText("Find a customer")
	b.Click(`input[name=who][value=new]`)
	b.Fill("First name", "Chloé")
	b.Fill("Email", "not-an-email")
	b.Fill("Amount", "abc")
	b.Fill("Description", "Cours")
	b.Fill("Redirect URL", "ftp://x")
	b.ClickButton("Create payment link")
	b.WaitText("Type an amount such as 12.50.")
	page := b.Text("main")
	for _, raw := range []string{"the request has invalid fields", "must be a plain decimal", "is required with first_name", "must be"} {
		if strings.Contains(page, raw) {
			t.Errorf("the page shows the API's words %q:\n%s", raw, page)
		}
	}
	for _, want := range []string{"Some fields need a change", "Type the last name too, or a company name instead.", "Type an e-mail address such as name@example.com."} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %q:\n%s", want, page)
		}
	}
	if f := b.Focused(); f != "Last name" {
		t.Fatalf("the focus is on %q, want the first field in error (Last name)", f)
	}
	if by := b.Attr(`input[name=amount]`, "aria-describedby"); !strings.Contains(by, "-error") {
		t.Fatalf("the amount's error is not its description: %q", by)
	}
	if n := countLinks(t, p, key); n != 4 {
		t.Fatalf("a refused form made a link: %d", n)
	}
	checkPage(t, b, "new-link-words")
}

// TestBrowserNewLinkChannels: the customer radios stand apart; a customer
// without a phone gets SMS and WhatsApp disabled with the reason, and adds
// the phone to the customer inline (for the next links).
func TestBrowserNewLinkChannels(t *testing.T) {
	p := newPeople(t)
	p.srv.Consume(t)
	b, _ := signedIn(t, p, "operator")
	seedDemoLinks(t, p)
	key := demoKeys.byPeople[p]

	b.Go(p.srv.URL + "/dashboard/links/new")
	b.WaitText("Find a customer")
	b.Shot("new-link-radios")
	b.Fill("Find a customer", "Smi")
	b.WaitText("Bob Smith")
	b.Press("ArrowDown")
	b.Press("ArrowUp")
	b.Press("Enter")
	b.WaitText("Chosen: Bob Smith")
	b.WaitText("No phone number for this customer: add one to send by SMS or WhatsApp.")
	b.Fill("Amount", "10.00")
	b.Fill("Description", "Phone later")
	b.ClickButton("Create payment link")
	b.WaitText("Payment link created: send it")
	b.WaitText("No phone number for this customer: add one to send by SMS or WhatsApp.")
	if n := b.Count(`.send-menu button[disabled]`); n != 2 {
		t.Fatalf("%d send buttons disabled, want SMS and WhatsApp", n)
	}
	checkPage(t, b, "send-menu-no-phone")
	b.Fill("Phone number", "+32470111222")
	b.ClickButton("Add the phone number")
	b.WaitText("Phone number +32470111222 added to the customer")
	b.ClickButton("Close")
	b.WaitText("Provider reference")
	_, found := p.api(t, "GET", "/v1/customers?email=bob@example.com", key, "", nil)
	cs, _ := found["data"].([]any)
	if len(cs) != 1 || cs[0].(map[string]any)["phone"] != "+32470111222" {
		t.Fatalf("the customer's phone: %v", found)
	}

	// A customer without an e-mail, chosen on the form: told there, the
	// address added before the link is made, the link goes by e-mail.
	if st, c := p.api(t, "POST", "/v1/customers", key, `{"first_name":"Pia","last_name":"Janssens","phone":"+32470999888"}`, nil); st != 201 {
		t.Fatalf("the customer without e-mail: %d %v", st, c)
	}
	b.Go(p.srv.URL + "/dashboard/links/new")
	b.WaitText("Find a customer")
	b.Fill("Find a customer", "Pia")
	b.WaitText("Pia Janssens")
	// Picked with the mouse: a key event's Enter injected by the test
	// reaches the form apart from its keydown (TestBrowserNewLink covers
	// the keyboard).
	b.Click(`[role=option]`)
	b.WaitText("No e-mail address for this customer: add one to send by e-mail.")
	b.Fill("E-mail address", "pia@example.be")
	b.ClickButton("Add the e-mail address")
	b.WaitText("E-mail address pia@example.be added to the customer: this link can go by e-mail.")
	if n := b.Count(".error"); n != 0 {
		t.Fatalf("the form was sent while the e-mail was added")
	}
	checkPage(t, b, "new-link-email-added")
	b.Fill("Amount", "15.00")
	b.Fill("Description", "Mail now")
	b.ClickButton("Create payment link")
	b.WaitText("Payment link created: send it")
	if n := b.Count(`.send-menu button[disabled]`); n != 0 {
		t.Fatalf("%d send buttons disabled for a customer with both addresses", n)
	}
	b.ClickButton("Send by E-mail")
	b.WaitText("Sending by E-mail.")
}

// TestBrowserDuplicateAndDelete: Duplicate opens the new-link form filled
// from the link (nothing made until it is sent), the amount and reference
// changed, origin dashboard, ending in the send menu; the copy, never
// opened, offers Delete (not Archive) and is deleted; the bulk message
// counts the archived and the deleted apart.
func TestBrowserDuplicateAndDelete(t *testing.T) {
	p := newPeople(t)
	p.srv.Consume(t)
	b, _ := signedIn(t, p, "owner")
	d := seedDemoLinks(t, p)
	key := demoKeys.byPeople[p]
	id := d.paid["id"].(string)

	b.Go(p.srv.URL + "/dashboard/links/" + id)
	b.WaitText("Provider reference")
	if n := b.Count(`.actions button.danger`); n != 1 || b.Text(`.actions button.danger`) != "Archive" {
		t.Fatalf("a paid link's action: %q", b.Text(".actions"))
	}
	b.ClickButton("Duplicate")
	b.WaitURL("/dashboard/links/new")
	b.WaitText("Chosen: ACME NV")
	if n := b.Count(`input[name=amount]:placeholder-shown`) + b.Count(`input[name=description]:placeholder-shown`); n != 0 {
		t.Fatalf("the duplicate's form is not filled in")
	}
	if n := countLinks(t, p, key); n != 4 {
		t.Fatalf("Duplicate made a link before the form was sent: %d", n)
	}
	checkPage(t, b, "duplicate-form")
	b.Fill("Amount", "900.00")
	b.Fill("Reference", "ORD-2B")
	b.ClickButton("Create payment link")
	b.WaitText("Payment link created: send it")
	b.ClickButton("Close")
	b.WaitText("Provider reference")
	_, list := p.api(t, "GET", "/v1/payment-links?reference=ORD-2B", key, "", nil)
	links, _ := list["data"].([]any)
	if len(links) != 1 {
		t.Fatalf("the duplicate: %v", list)
	}
	l := links[0].(map[string]any)
	if l["origin"] != "dashboard" || l["description"] != "Consulting May" || l["amount"].(map[string]any)["value"] != "900.00" {
		t.Fatalf("the duplicate: %v", l)
	}
	if b.Text(`.actions button.danger`) != "Delete" {
		t.Fatalf("a never-opened link's action: %q", b.Text(".actions"))
	}
	b.ClickButton("Delete")
	b.WaitText("This link was never opened: it will be deleted, not archived.")
	b.Click(`dialog button.danger`)
	b.WaitURL("/dashboard")
	testenv.Eventually(t, 5*time.Second, "the copy deleted", func() bool { return countLinks(t, p, key) == 4 })

	b.WaitText("Never opened")
	b.Click(`input[aria-label="Select Consulting May"]`)
	b.Click(`input[aria-label="Select Never opened"]`)
	b.ClickButton("Archive")
	b.Click(`dialog button.danger`)
	b.WaitText("1 archived, 1 deleted.")
}
