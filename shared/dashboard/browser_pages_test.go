package dashboard_test

import (
	"bytes"
	"encoding/csv"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/paylinks/paylinks/shared/dashboard"
	"github.com/paylinks/paylinks/shared/imports/columns"
	"github.com/paylinks/paylinks/shared/money"
	"github.com/paylinks/paylinks/shared/psp/sandbox"
	"github.com/paylinks/paylinks/shared/service"
	headless "github.com/paylinks/paylinks/shared/testkit/browser"
	"github.com/paylinks/paylinks/shared/testkit/psptest"
	"github.com/paylinks/paylinks/shared/testkit/testenv"
)

// list is the data of a listing of the API, read with demo's key.
func list(t *testing.T, p *people, path string) []map[string]any {
	t.Helper()
	st, r := p.api(t, "GET", path, demoKeys.byPeople[p], "", nil)
	if st != 200 {
		t.Fatalf("GET %s: %d %v", path, st, r)
	}
	var out []map[string]any
	for _, x := range r["data"].([]any) {
		out = append(out, x.(map[string]any))
	}
	return out
}

// waitPath waits until the page's path starts with prefix and returns it.
func waitPath(t *testing.T, b *headless.Browser, prefix string) string {
	t.Helper()
	var path string
	testenv.Eventually(t, headless.Timeout, "the page "+prefix+"…", func() bool {
		u, err := url.Parse(b.URL())
		path = u.Path
		return err == nil && strings.HasPrefix(path, prefix) && len(path) > len(prefix)
	})
	return path
}

// TestBrowserCustomers: an owner finds customers by the start of a name and
// by e-mail, opens one and sees its links, starts a new link for it from
// its page (the form has the customer chosen), and creates a customer: a
// bad e-mail is marked on the Email field and creates nothing, a good one
// lands on the new customer's page.
func TestBrowserCustomers(t *testing.T) {
	p := newPeople(t)
	p.srv.Consume(t)
	b, _ := signedIn(t, p, "owner")
	d := seedDemoLinks(t, p)

	b.Go(p.srv.URL + "/dashboard/customers")
	b.WaitText("ACME NV")
	checkPage(t, b, "customers")
	rows := b.Text("tbody")
	for _, want := range []string{"Ana Peeters", "ACME NV", "Bob Smith", "Globex", "billing@acme.example"} {
		if !strings.Contains(rows, want) {
			t.Errorf("the customers lack %q:\n%s", want, rows)
		}
	}

	b.Fill("Search", "pee")
	b.ClickButton("Search")
	b.WaitURL("/dashboard/customers?q=pee")
	b.WaitText("Ana Peeters")
	if rows := b.Text("tbody"); strings.Contains(rows, "ACME NV") || strings.Contains(rows, "Globex") {
		t.Fatalf("q=pee finds others:\n%s", rows)
	}
	b.Fill("Search", "billing@acme.example")
	b.ClickButton("Search")
	b.WaitText("ACME NV")
	if rows := b.Text("tbody"); strings.Contains(rows, "Ana Peeters") || strings.Contains(rows, "Bob Smith") {
		t.Fatalf("the e-mail search finds others:\n%s", rows)
	}
	checkPage(t, b, "customers-search")

	// Ana's page: her link, and a new link for her.
	b.Fill("Search", "Ana")
	b.ClickButton("Search")
	b.ClickLink("Ana Peeters")
	cusPath := waitPath(t, b, "/dashboard/customers/cus_")
	cus := strings.TrimPrefix(cusPath, "/dashboard/customers/")
	b.WaitText("Taart voor Ana")
	if h1 := b.Text("h1"); h1 != "Ana Peeters" {
		t.Errorf("the customer's page is titled %q", h1)
	}
	checkPage(t, b, "customer")
	links := list(t, p, "/v1/customers/"+cus+"/payment-links")
	if len(links) != 1 || links[0]["id"] != d.sent["id"] {
		t.Fatalf("the API's links of %s: %v", cus, links)
	}
	if txt := b.Text("#app tbody"); strings.Contains(txt, "Consulting May") {
		t.Fatalf("Ana's page lists another customer's link:\n%s", txt)
	}
	b.Click("#app .top-action button")
	b.WaitURL("/dashboard/links/new?customer=" + cus)
	b.WaitText("Chosen: Ana Peeters")
	checkPage(t, b, "new-link-for-customer")

	// A new customer: a bad e-mail first.
	b.Go(p.srv.URL + "/dashboard/customers")
	b.ClickButton("New customer")
	b.WaitURL("/dashboard/customers/new")
	checkPage(t, b, "customer-new")
	b.Fill("First name", "Zoë")
	b.Fill("Last name", "Janssens")
	b.Fill("Email", "zoe-at-example.be")
	b.ClickButton("Create customer")
	msg := b.Text(`input[name=email][aria-invalid="true"] ~ p.field-error`)
	if msg == "" {
		t.Fatal("the Email field's error has no message")
	}
	if txt := b.Text(".error"); txt == "" {
		t.Fatal("no error above the form")
	}
	b.Shot("customer-new-bad-email")
	b.Axe(t, "the new customer form with an error")
	if got := list(t, p, "/v1/customers?q=Janssens"); len(got) != 0 {
		t.Fatalf("a customer with a bad e-mail was created: %v", got)
	}

	b.Fill("Email", "zoe@example.be")
	b.ClickButton("Create customer")
	made := strings.TrimPrefix(waitPath(t, b, "/dashboard/customers/cus_"), "/dashboard/customers/")
	b.WaitText("zoe@example.be")
	if h1 := b.Text("h1"); h1 != "Zoë Janssens" {
		t.Errorf("the new customer's page is titled %q", h1)
	}
	got := list(t, p, "/v1/customers?email=zoe@example.be")
	if len(got) != 1 || got[0]["id"] != made || got[0]["first_name"] != "Zoë" {
		t.Fatalf("the API's new customer: %v (page %s)", got, made)
	}
	checkPage(t, b, "customer-made")

	// Found by its id too.
	b.Go(p.srv.URL + "/dashboard/customers")
	b.Fill("Search", made)
	b.ClickButton("Search")
	b.WaitText("Zoë Janssens")
	if rows := b.Text("tbody"); strings.Count(rows, "\n") != 0 || !strings.Contains(rows, "zoe@example.be") {
		t.Fatalf("the search by id:\n%s", rows)
	}
}

// TestBrowserImport: an operator uploads a CSV of three payment links, one
// with a bad amount. The progress shows while the rows wait for the import
// worker (started only then), then the counts and the refused row with its
// row number and field; the API has exactly the two good links. The
// template downloads with the import's columns as its header.
func TestBrowserImport(t *testing.T) {
	p := newPeople(t)
	b, _ := signedIn(t, p, "operator")

	b.Go(p.srv.URL + "/dashboard/import")
	b.WaitText("CSV file")
	checkPage(t, b, "import")

	name, body := b.Download(t, `a[download="payment-links-template.csv"]`)
	recs, err := csv.NewReader(bytes.NewReader(body)).ReadAll()
	if err != nil || name != "payment-links-template.csv" || len(recs) < 1 || strings.Join(recs[0], ",") != strings.Join(columns.Links, ",") {
		t.Fatalf("the template %s (%v):\n%s", name, err, body)
	}

	file := filepath.Join(t.TempDir(), "links.csv")
	rows := "amount,currency,description,first_name,last_name,email\n" +
		"10.00,EUR,Imported one,Jan,Peeters,jan@example.be\n" +
		"ten,EUR,Imported bad,Piet,Peeters,piet@example.be\n" +
		"20.00,EUR,Imported two,Mia,Peeters,mia@example.be\n"
	if err := os.WriteFile(file, []byte(rows), 0o600); err != nil {
		t.Fatal(err)
	}
	b.Upload("CSV file", file)
	b.ClickButton("Import")
	// Nothing processes the rows yet: the progress is live, at 0 of 3.
	b.WaitText("0 of 3 rows")
	b.WaitText("(processing)")
	b.Shot("import-progress")

	p.srv.Consume(t)
	b.WaitText("2 imported, 1 refused (completed).")
	checkPage(t, b, "import-done")
	refused := b.Text("#app tbody")
	cells := strings.Fields(refused)
	if len(cells) < 3 || cells[0] != "3" || cells[1] != "amount" {
		t.Fatalf("the refused row is not row 3, field amount:\n%s", refused)
	}

	got := list(t, p, "/v1/payment-links?origin=import&limit=100")
	var descs []string
	for _, l := range got {
		descs = append(descs, l["description"].(string))
	}
	sort.Strings(descs)
	if strings.Join(descs, ",") != "Imported one,Imported two" {
		t.Fatalf("the API's imported links: %v", descs)
	}
}

// status is the HTTP status of the dashboard page at path for the member
// the browser is signed in as (its session cookie).
func status(t *testing.T, p *people, b *headless.Browser, path string) int {
	t.Helper()
	c := b.Cookie(dashboard.SessionCookie)
	if c == nil {
		t.Fatal("the browser has no session")
	}
	req, _ := http.NewRequest("GET", p.srv.URL+path, nil)
	req.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// refused checks that the member's navigation has no entry named nav and
// that the page at path answers 403 with its explanation.
func refused(t *testing.T, p *people, b *headless.Browser, nav, path, why string) {
	t.Helper()
	b.Go(p.srv.URL + "/dashboard")
	if txt := b.Text("nav.main"); strings.Contains(txt, nav) {
		t.Errorf("the navigation offers %q: %q", nav, txt)
	}
	if st := status(t, p, b, path); st != http.StatusForbidden {
		t.Errorf("%s answered %d, want 403", path, st)
	}
	b.Go(p.srv.URL + path)
	if h1 := b.Text("h1"); h1 != "Not allowed" {
		t.Errorf("%s is titled %q", path, h1)
	}
	b.WaitText(why)
	page, _, _ := strings.Cut(path, "?")
	b.Shot("refused" + strings.ReplaceAll(page, "/", "-"))
	b.Axe(t, "the refusal of "+path)
}

// TestBrowserReview: a payment of the wrong amount for a link waits for
// review; a finance member opens the mismatched ones, refunds it after a
// confirmation, and the API shows it refunding, then refunded. A viewer has
// no such page in the navigation and is refused it.
func TestBrowserReview(t *testing.T) {
	p := newPeople(t)
	p.srv.Consume(t)
	b, _ := signedIn(t, p, "finance")
	key := demoKeys.byPeople[p]
	st, l := p.api(t, "POST", "/v1/payment-links", key, `{"amount":{"currency":"EUR","value":"55.00"},"description":"Order 55","customer":{"first_name":"Ana","last_name":"Peeters","email":"ana@example.be"}}`, nil)
	if st != 201 {
		t.Fatalf("the link: %d %v", st, l)
	}
	id := l["id"].(string)
	wrong := money.MustParse("EUR", "55.01")
	psptest.PostSandbox(t, p.srv.URL, "demo", sandbox.WebhookEvent{ID: "evt_review_1", Type: "payment.succeeded", Created: time.Now().Unix(),
		Data: sandbox.WebhookData{LinkID: id, Attempt: 1, PaymentID: "pay_review_1", Amount: &wrong}})
	var item map[string]any
	testenv.Eventually(t, 10*time.Second, "the payment under review", func() bool {
		items := list(t, p, "/v1/payments/review?kind=mismatched")
		if len(items) == 1 {
			item = items[0]
		}
		return item != nil
	})
	if item["link_id"] != id || item["state"] != "open" || item["psp_reference"] != "pay_review_1" {
		t.Fatalf("the review item: %v", item)
	}

	b.Go(p.srv.URL + "/dashboard")
	b.ClickLink("Payments to review")
	b.WaitURL("/dashboard/review")
	b.ClickLink("Mismatched")
	b.WaitURL("/dashboard/review?kind=mismatched")
	b.WaitText("pay_review_1")
	row := b.Text("#app tbody tr")
	for _, want := range []string{"€55.01", "€55.00", id, "Open"} {
		if !strings.Contains(row, want) {
			t.Errorf("the review row lacks %q: %q", want, row)
		}
	}
	checkPage(t, b, "review-mismatched")

	// Escape closes the confirmation: nothing is refunded.
	b.ClickButton("Refund the payment pay_review_1")
	b.Press("Escape")
	time.Sleep(500 * time.Millisecond)
	if n := b.Count("dialog"); n != 0 {
		t.Fatalf("Escape left %d dialog(s) open", n)
	}
	if items := list(t, p, "/v1/payments/review?kind=mismatched"); items[0]["state"] != "open" {
		t.Fatalf("a refund left with Escape was made: %v", items[0])
	}
	b.ClickButton("Refund the payment pay_review_1")
	if txt := b.Text("dialog"); !strings.Contains(txt, "€55.01") {
		t.Fatalf("the refund confirmation does not say the amount: %q", txt)
	}
	b.Shot("review-refund-dialog")
	b.Axe(t, "the refund dialog")
	b.Click("dialog button.danger")
	b.WaitText("Refund requested.")
	testenv.Eventually(t, 10*time.Second, "the review item refunding or refunded", func() bool {
		items := list(t, p, "/v1/payments/review?kind=mismatched")
		return len(items) == 1 && (items[0]["state"] == "refunding" || items[0]["state"] == "refunded")
	})
	testenv.Eventually(t, 10*time.Second, "the review item refunded", func() bool {
		return list(t, p, "/v1/payments/review?kind=mismatched")[0]["state"] == "refunded"
	})
	b.Go(p.srv.URL + "/dashboard/review?kind=mismatched")
	b.WaitText("Refunded")
	if row := b.Text("#app tbody tr"); strings.Contains(row, "Refund the payment") {
		t.Fatalf("a refunded payment still offers Refund: %q", row)
	}
	if _, l := p.api(t, "GET", "/v1/payment-links/"+id, key, "", nil); l["status"] != "created" {
		t.Fatalf("refunding the wrong payment moved the link: %v", l["status"])
	}
	checkPage(t, b, "review-refunded")

	v, _ := signedIn(t, p, "viewer")
	refused(t, p, v, "Payments to review", "/dashboard/review?kind=mismatched", "Your role lacks the permission payments:review.")
}

// hookSecret is an outbound webhook secret (whsec_ and 24 bytes or more).
const hookSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

// rowWith is the line of a table's text (one row a line) that has every
// one of want, "" when none has.
func rowWith(text string, want ...string) string {
	for _, line := range strings.Split(text, "\n") {
		all := true
		for _, w := range want {
			all = all && strings.Contains(line, w)
		}
		if all {
			return line
		}
	}
	return ""
}

// TestBrowserSettings: an owner saves the merchant's name, beneficiary and
// a redirect domain (a bad IBAN is marked on its field first); creates a
// restricted API key, whose secret the dialog shows once; invites a member,
// changes their role and removes them; the audit log names the owner for
// each change. A webhook endpoint answering 500 leaves a failed delivery,
// which Retry sends again. A finance member has no Settings.
func TestBrowserSettings(t *testing.T) {
	testenv.NeedStream(t)
	p := newPeopleWith(t, func(o *service.Options) {
		o.AllowLoopbackWebhooks, o.WebhookSchedule, o.MerchantTTL = true, []time.Duration{time.Second}, time.Millisecond
	})
	p.srv.Consume(t)
	p.srv.Tail(t, p.env)
	b, owner := signedIn(t, p, "owner")
	key := demoKeys.byPeople[p]

	b.Go(p.srv.URL + "/dashboard/settings")
	b.WaitText("Merchant name")
	checkPage(t, b, "settings")
	settingsGeneral(t, p, b, key)
	b.ClickLink("API keys")
	b.WaitText("Create key")
	settingsKey(t, p, b)
	b.ClickLink("Team")
	b.WaitText("Invite")
	settingsMember(t, p, b)

	// The audit log names the owner for each change.
	b.ClickLink("Audit log")
	b.WaitText("member.removed")
	log := b.Text("#audit tbody")
	for _, action := range []string{"settings.updated", "api_key.created", "member.invited", "member.role_changed", "member.removed"} {
		if rowWith(log, action, owner) == "" {
			t.Errorf("the audit log has no %s by %s:\n%s", action, owner, log)
		}
	}
	settingsDeliveries(t, p, b, key)

	f, _ := signedIn(t, p, "finance")
	refused(t, p, f, "Settings", "/dashboard/settings", "Only owners and administrators open the settings.")
}

// settingsGeneral: the name is saved on the merchant's page; on the
// payments' page a bad IBAN is marked on its field and nothing saved; then
// beneficiary and a redirect domain are saved.
func settingsGeneral(t *testing.T, p *people, b *headless.Browser, key string) {
	t.Helper()
	b.Fill("Merchant name", "Demo Bakery BV")
	b.ClickButton("Save settings")
	b.WaitText("Settings saved.")
	b.ClickLink("Payments and provider")
	b.WaitText("Account holder")
	b.Fill("Account holder", "Demo Bakery BV")
	b.Fill("IBAN", "BE00 1234 5678")
	b.Fill("Redirect-URL domains", "shop.example")
	b.ClickButton("Save settings")
	if msg := b.Text(`input[name=b_iban][aria-invalid="true"] ~ p.field-error`); msg == "" {
		t.Fatal("the IBAN field's error has no message")
	}
	b.Shot("settings-bad-iban")
	b.Axe(t, "the settings with a bad IBAN")
	if _, s := p.api(t, "GET", "/v1/settings", key, "", nil); s["default_beneficiary"] != nil {
		t.Fatalf("settings with a bad IBAN were saved: %v", s)
	}
	ibanErr := b.Text(`input[name=b_iban] ~ p.field-error`)
	b.Fill("IBAN", "BE68 5390 0754 7034")
	b.Fill("Bank", "Argenta")
	b.Fill("Provider credentials", "api_key=sk_sandbox_secret_value")
	b.ClickButton("Save settings")
	b.WaitText("Settings saved.")
	if txt := b.Text("#payments"); strings.Contains(txt, ibanErr) {
		t.Fatalf("the IBAN's error stays after the settings are saved:\n%s", txt)
	}
	_, s := p.api(t, "GET", "/v1/settings", key, "", nil)
	ben, _ := s["default_beneficiary"].(map[string]any)
	doms, _ := s["redirect_domains"].([]any)
	if s["name"] != "Demo Bakery BV" || ben["iban"] != "BE68539007547034" || ben["name"] != "Demo Bakery BV" || ben["bank"] != "Argenta" || len(doms) != 1 || doms[0] != "shop.example" {
		t.Fatalf("the API's settings: %v", s)
	}
	// The provider's credentials are write-only: set, named, never shown.
	if set, _ := s["psp_credentials_set"].([]any); len(set) != 1 || set[0] != "api_key" {
		t.Fatalf("the credentials set: %v", s["psp_credentials_set"])
	}
	b.ClickLink("Payments and provider") // the page again, with what changed since
	b.WaitText("Set now: api_key.")
	if strings.Contains(b.Text("body"), "sk_sandbox_secret_value") {
		t.Fatal("the page shows the provider's secret")
	}
}

// settingsKey: a restricted API key, its secret shown once, which reads
// links and cannot create one.
func settingsKey(t *testing.T, p *people, b *headless.Browser) {
	t.Helper()
	b.Fill("Name", "Shop reader")
	b.Click(`label[for="perm-links:read"]`)
	b.Click(`label[for="perm-exports:read"]`)
	b.ClickButton("Create key")
	secret := b.Text("dialog code.secret")
	if !strings.HasPrefix(secret, "sk_") {
		t.Fatalf("the dialog shows no key: %q", secret)
	}
	b.Shot("settings-key-created")
	b.Axe(t, "the new key's dialog")
	b.ClickButton("Close")
	b.WaitText("links:read, exports:read")
	if row := rowWith(b.Text("#keys tbody"), "Shop reader"); !strings.Contains(row, "links:read, exports:read") || strings.Contains(row, secret) {
		t.Fatalf("the keys list: %q", row)
	}
	if strings.Contains(b.Text("#app"), secret) {
		t.Fatal("the secret is still on the page after the dialog")
	}
	if st, _ := p.api(t, "GET", "/v1/payment-links", secret, "", nil); st != 200 {
		t.Fatalf("the restricted key reads links: %d", st)
	}
	if st, _ := p.api(t, "POST", "/v1/payment-links", secret, `{"amount":{"currency":"EUR","value":"1.00"},"description":"x","customer":{"company_name":"X"}}`, nil); st != 403 {
		t.Fatalf("the restricted key creates a link: %d", st)
	}
}

// settingsMember: a member invited as finance, made a viewer (choosing the
// option alone changes nothing), removed after a confirmation.
func settingsMember(t *testing.T, p *people, b *headless.Browser) {
	t.Helper()
	invited := "bookkeeper@demo.example"
	b.Fill("Email", invited)
	b.Select("Role", "Finance")
	b.ClickButton("Invite")
	b.WaitText(invited + " is invited.")
	member := func() map[string]any {
		for _, m := range list(t, p, "/v1/members") {
			if m["email"] == invited {
				return m
			}
		}
		return nil
	}
	if m := member(); m == nil || m["role"] != "finance" {
		t.Fatalf("the API's invited member: %v", m)
	}
	b.Select("Role of "+invited, "Viewer")
	// Choosing an option changes nothing yet (a keyboard browsing the
	// options would otherwise change roles on the way).
	time.Sleep(300 * time.Millisecond)
	if m := member(); m == nil || m["role"] != "finance" {
		t.Fatalf("the role changed on choosing an option: %v", m)
	}
	b.ClickButton("Change role of " + invited)
	b.WaitText("The role of " + invited + " is changed.")
	if m := member(); m == nil || m["role"] != "viewer" {
		t.Fatalf("the API's member after the change: %v", m)
	}
	checkPage(t, b, "settings-members")
	b.ClickButton("Remove " + invited)
	if txt := b.Text("dialog"); !strings.Contains(txt, invited) {
		t.Fatalf("the removal's confirmation: %q", txt)
	}
	b.Shot("settings-remove-dialog")
	b.Click("dialog button.danger")
	b.WaitText(invited + " is removed.")
	if m := member(); m != nil {
		t.Fatalf("the removed member is still listed: %v", m)
	}
}

// settingsDeliveries: an endpoint answering 500 (set through the API)
// leaves a failed delivery, which Retry sends again.
func settingsDeliveries(t *testing.T, p *people, b *headless.Browser, key string) {
	t.Helper()
	var hits atomic.Int32
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.WriteHeader(http.StatusInternalServerError)
	}))
	t.Cleanup(rcv.Close)
	if st, r := p.api(t, "PUT", "/v1/settings", key, `{"webhook_url":"`+rcv.URL+`/hook","webhook_secret":"`+hookSecret+`"}`, nil); st != 200 {
		t.Fatalf("the webhook URL: %d %v", st, r)
	}
	st, l := p.api(t, "POST", "/v1/payment-links", key, `{"amount":{"currency":"EUR","value":"9.00"},"description":"Hooked","customer":{"company_name":"Acme BV"}}`, nil)
	if st != 201 {
		t.Fatalf("the link: %d %v", st, l)
	}
	var failed map[string]any
	testenv.Eventually(t, 20*time.Second, "a failed delivery", func() bool {
		ds := list(t, p, "/v1/webhook-deliveries?status=failed&link_id="+l["id"].(string))
		if len(ds) == 1 {
			failed = ds[0]
		}
		return failed != nil
	})
	before := hits.Load()
	b.ClickLink("Webhooks") // the page again, with what changed since
	b.WaitText("Failed")
	if row := rowWith(b.Text("#webhooks tbody"), l["id"].(string)); !strings.Contains(row, "Failed") || !strings.Contains(row, "payment_link.created") {
		t.Fatalf("the deliveries list: %q", row)
	}
	checkPage(t, b, "settings-deliveries")
	b.ClickButton("Retry the delivery of payment_link.created")
	b.WaitText("The delivery is queued again.")
	testenv.Eventually(t, 20*time.Second, "the delivery sent again", func() bool { return hits.Load() > before })
	testenv.Eventually(t, 20*time.Second, "the delivery attempted again", func() bool {
		_, d := p.api(t, "GET", "/v1/webhook-deliveries/"+failed["id"].(string), key, "", nil)
		n, _ := d["attempts"].(float64)
		return n > failed["attempts"].(float64)
	})
}

// openAsPerson opens a link's URL as a person's browser would (no preview
// bot): the link is clicked.
func openAsPerson(t *testing.T, link map[string]any) {
	t.Helper()
	req, _ := http.NewRequest("GET", link["url"].(string), nil)
	req.Header.Set("User-Agent", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36")
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("opening %s: %d", link["url"], resp.StatusCode)
	}
}

// TestBrowserPreview: a link's preview shows the e-mail in a sandboxed
// frame (whose document has the link's URL) and the SMS and WhatsApp
// texts, each with the link's URL, as the API renders them.
func TestBrowserPreview(t *testing.T) {
	p := newPeople(t)
	p.srv.Consume(t)
	b, _ := signedIn(t, p, "viewer")
	d := seedDemoLinks(t, p)
	id, linkURL := d.sent["id"].(string), d.sent["url"].(string)
	key := demoKeys.byPeople[p]

	b.Go(p.srv.URL + "/dashboard/links/" + id + "/preview")
	b.WaitText("WhatsApp")
	// The frame's document is of no origin (sandbox): the page says when it
	// has loaded.
	testenv.Eventually(t, headless.Timeout, "the e-mail's frame loaded", func() bool {
		return b.Attr(`section[aria-labelledby="pv-email"]`, "aria-busy") == "false"
	})
	checkPage(t, b, "preview")
	frame := "iframe.mail"
	if got := b.Attr(frame, "title"); got != "The e-mail as the customer will see it" {
		t.Errorf("the e-mail frame is titled %q", got)
	}
	src := b.Attr(frame, "src")
	if src != "/v1/payment-links/"+id+"/preview/email" {
		t.Fatalf("the e-mail frame shows %q", src)
	}
	if sb := b.Attr(frame, "sandbox"); sb != "" {
		t.Errorf("the e-mail frame's sandbox allows %q", sb)
	}
	req, _ := http.NewRequest("GET", p.srv.URL+src, nil)
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(raw), linkURL) {
		t.Fatalf("the e-mail's document (%d) lacks %s:\n%s", resp.StatusCode, linkURL, raw)
	}

	_, pv := p.api(t, "GET", "/v1/payment-links/"+id+"/preview", key, "", nil)
	texts := map[string]string{}
	for _, m := range pv["messages"].([]any) {
		m := m.(map[string]any)
		texts[m["channel"].(string)], _ = m["text"].(string)
	}
	for ch, sel := range map[string]string{"sms": "#pv-sms ~ pre.message", "whatsapp": "#pv-whatsapp ~ pre.message"} {
		got := b.Text(sel)
		if !strings.Contains(got, linkURL) || strings.TrimSpace(got) != strings.TrimSpace(texts[ch]) {
			t.Errorf("the %s text on the page %q, the API's %q (want the link %s)", ch, got, texts[ch], linkURL)
		}
	}
	if to := b.Text("#app"); !strings.Contains(to, "ana@example.be") || !strings.Contains(to, "+32470123456") {
		t.Errorf("the preview does not say where each message goes:\n%s", to)
	}

	// The frame's document, opened as the browser loads it (the session).
	b.Go(p.srv.URL + src)
	b.WaitText("Taart voor Ana")
	b.Shot("preview-email-document")
}
