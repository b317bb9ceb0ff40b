package dashboard_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/paylinks/paylinks/shared/devkit/seed"
	"github.com/paylinks/paylinks/shared/money"
	"github.com/paylinks/paylinks/shared/psp"
	"github.com/paylinks/paylinks/shared/psp/sandbox"
	headless "github.com/paylinks/paylinks/shared/testkit/browser"
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
	postSandbox(t, p.srv.URL, "demo", sandbox.WebhookEvent{ID: "evt_" + id, Type: "payment.succeeded", Created: time.Now().Unix(),
		Data: sandbox.WebhookData{LinkID: id, Attempt: 1, PaymentID: "pay_" + id, Amount: &amt}})
	testenv.Eventually(t, 10*time.Second, "the link paid", func() bool {
		_, l := p.api(t, "GET", "/v1/payment-links/"+id, demoKeys.byPeople[p], "", nil)
		return l["status"] == "paid"
	})
}

// postSandbox posts a sandbox PSP webhook for merchant mid, signed as the
// sandbox signs it.
func postSandbox(t *testing.T, base, mid string, ev sandbox.WebhookEvent) {
	t.Helper()
	raw, _ := json.Marshal(ev)
	req, _ := http.NewRequest("POST", base+"/webhooks/psp/sandbox/"+mid, bytes.NewReader(raw))
	req.Header.Set(sandbox.SignatureHeader, psp.SignedHeader(seed.Demo(mid).PSPWebhookSecret, time.Now(), raw))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("sandbox webhook %s answered %d", ev.ID, resp.StatusCode)
	}
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

	b.ClickLink("Paid")
	b.WaitText("1 link(s) shown.")
	if rows := b.Text("tbody"); !strings.Contains(rows, "Consulting May") || strings.Contains(rows, "Workshop") {
		t.Fatalf("the Paid preset:\n%s", rows)
	}
	b.ClickLink("All")
	b.WaitText("4 link(s) shown.")

	b.Fill("Search", "ana@example.be")
	b.ClickButton("Apply")
	b.WaitText("1 link(s) shown.")
	if rows := b.Text("tbody"); !strings.Contains(rows, "Taart voor Ana") {
		t.Fatalf("search by e-mail:\n%s", rows)
	}
	b.Fill("Search", "ORD-2")
	b.ClickButton("Apply")
	b.WaitText("1 link(s) shown.")
	if rows := b.Text("tbody"); !strings.Contains(rows, "Consulting May") {
		t.Fatalf("search by reference:\n%s", rows)
	}
	b.Fill("Search", "")
	b.Click("details summary")
	b.Select("Origin", "Dashboard")
	b.ClickButton("Apply")
	b.WaitText("1 link(s) shown.")
	if rows := b.Text("tbody"); !strings.Contains(rows, "Workshop") {
		t.Fatalf("the origin filter:\n%s", rows)
	}
	b.Go(p.srv.URL + "/dashboard?preset=all&channel=email")
	b.WaitText("1 link(s) shown.")
	if rows := b.Text("tbody"); !strings.Contains(rows, "Taart voor Ana") {
		t.Fatalf("the channel filter:\n%s", rows)
	}

	b.Go(p.srv.URL + "/dashboard")
	b.WaitText("4 link(s) shown.")
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
	b.WaitText("4 link(s) shown.")
	b.Click(`input[aria-label="Select Never opened"]`)
	b.ClickButton("Archive")
	if txt := b.Text("dialog"); !strings.Contains(txt, "1 of them were never opened: they will be deleted, not archived.") {
		t.Fatalf("the archive confirmation: %q", txt)
	}
	b.Shot("archive-dialog")
	b.Click(`dialog button.danger`)
	b.WaitText("1 archived.")
	if st, _ := p.api(t, "GET", "/v1/payment-links/"+d.unopened["id"].(string), demoKeys.byPeople[p], "", nil); st != 404 {
		t.Fatalf("the never-opened link after archiving: %d (want deleted)", st)
	}

	b.ClickLink("Consulting May")
	b.WaitURL("/dashboard/links/" + d.paid["id"].(string))
	b.WaitText("Provider reference")
}
