package sandbox_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/paylinks/paylinks/shared/devkit/seed"
	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/testkit/browser"
	"github.com/paylinks/paylinks/shared/testkit/testenv"
)

// shop is a test merchant on the sandbox, with its name and redirect
// domains (nil: no site known).
func shop(t *testing.T, env *testenv.Env, id, name string, domains []string) string {
	t.Helper()
	m := seed.Demo(id)
	m.Name, m.RedirectDomains = name, domains
	return env.MerchantWith(t, m)
}

// link makes a link in lang (with extra JSON fields) and returns its id
// and public URL.
func link(t *testing.T, base, key, lang, extra string) (string, string) {
	t.Helper()
	body := `{"amount":{"currency":"EUR","value":"1234.50"},"description":"Taart & koffie","customer":{"first_name":"Ana","last_name":"Peeters","language":"` + lang + `"}` + extra + `}`
	req, _ := http.NewRequest("POST", base+"/v1/payment-links", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var l struct{ ID, URL string }
	if err := json.Unmarshal(raw, &l); err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("create: %d %s %v", resp.StatusCode, raw, err)
	}
	return l.ID, l.URL
}

func waitStatus(t *testing.T, env *testenv.Env, merchant, id string, want domain.Status) {
	t.Helper()
	testenv.Eventually(t, 10*time.Second, "the link becomes "+string(want), func() bool {
		l, err := env.Store.Get(t.Context(), merchant, id)
		return err == nil && l.Status == want
	})
}

// checkPage holds what every sandbox page keeps: the language, axe, a
// phone's width, a screenshot.
func checkPage(t *testing.T, b *browser.Browser, name, lang string) {
	t.Helper()
	if got := b.Attr("html", "lang"); got != lang {
		t.Errorf("%s: <html lang=%q>, want %q", name, got, lang)
	}
	b.Axe(t, name)
	b.Shot(name)
	b.Mobile(t)
	b.Shot(name + "-phone")
	b.Desktop()
}

// A Dutch link's customer pays in Dutch: the checkout and the thank-you
// page speak Dutch, and the thank-you page leads back (here to the link's
// own page, the merchant having no site on record), where the link says
// in Dutch that it is paid.
func TestBrowserDutchCheckoutAndThankYou(t *testing.T) {
	env := testenv.New(t)
	key := shop(t, env, "bakkerij", "Bakkerij Peeters", nil)
	srv := env.Serve(t)
	srv.Consume(t)
	id, url := link(t, srv.URL, key, "nl", "")
	b := browser.New(t)
	b.As(browser.PersonUA)
	b.Go(url)
	b.WaitText("Betaling aan Bakkerij Peeters")
	for _, want := range []string{"Afrekenen", "€\u00a01.234,50", "Taart & koffie", "testbetaling"} {
		if !strings.Contains(b.Text("main"), want) {
			t.Errorf("the Dutch checkout has no %q: %s", want, b.Text("main"))
		}
	}
	checkPage(t, b, "checkout-nl", "nl")
	b.ClickButton("Betalen")
	b.WaitText("Bedankt, je betaling is ontvangen")
	if !strings.Contains(b.Text("main"), "Je ontvangt een bevestiging van Bakkerij Peeters.") {
		t.Errorf("the Dutch thank-you page: %s", b.Text("main"))
	}
	checkPage(t, b, "thank-you-nl", "nl")
	waitStatus(t, env, "bakkerij", id, domain.StatusPaid)
	b.ClickLink("Terug naar het betaalverzoek")
	b.WaitText("Al betaald")
	checkPage(t, b, "back-nl", "nl")
	b.NoErrors(t)
}

// A declined Dutch payment: the page says so in Dutch, leads back to the
// merchant's site (its redirect URL's origin) and to a new attempt, which
// opens the checkout again; a payment then goes to the link's redirect URL.
func TestBrowserDutchDeclineAndRetry(t *testing.T) {
	env := testenv.New(t)
	key := shop(t, env, "winkel", "Winkel De Smet", []string{"shop.example"})
	srv := env.Serve(t)
	srv.Consume(t)
	id, url := link(t, srv.URL, key, "nl", `,"redirect_url":"https://shop.example/bedankt?order=12"`)
	b := browser.New(t)
	b.As(browser.PersonUA)
	b.Go(url)
	b.WaitText("Betaling aan Winkel De Smet")
	b.ClickButton("Weigeren")
	b.WaitText("Betaling geweigerd")
	if got := b.Attr("#back", "href"); got != "https://shop.example/" {
		t.Errorf("the way back leads to %q, want the merchant's site", got)
	}
	if got := b.Text("#back"); got != "Terug naar Winkel De Smet" {
		t.Errorf("the way back says %q", got)
	}
	checkPage(t, b, "declined-nl", "nl")
	waitStatus(t, env, "winkel", id, domain.StatusDeclined)
	b.ClickLink("Opnieuw proberen")
	b.WaitText("Betaling aan Winkel De Smet")
	checkout := b.URL()
	if !strings.Contains(checkout, "/sandbox/checkout/") {
		t.Fatalf("the retry did not open the checkout: %s", checkout)
	}
	b.NoErrors(t)
	// Paying now leaves for the link's redirect URL (a host the test
	// cannot open: the answer is read without following it).
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noFollow.Post(checkout+"/pay", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || loc != "https://shop.example/bedankt?order=12" {
		t.Errorf("pay: %d to %q, want 303 to the redirect URL", resp.StatusCode, loc)
	}
}
