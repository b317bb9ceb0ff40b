package redirect_test

import (
	"bytes"
	"image/png"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/merchant"
	"github.com/paylinks/paylinks/shared/psp/stripe"
	"github.com/paylinks/paylinks/shared/redirect"
	"github.com/paylinks/paylinks/shared/service"
	"github.com/paylinks/paylinks/shared/testkit/psptest"
	"github.com/paylinks/paylinks/shared/testkit/testenv"
)

var noFollow = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

const browserUA = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"

type fixture struct {
	env    *testenv.Env
	srv    *testenv.Server
	stripe *psptest.Stripe
	key    string
}

// newFixture serves a merchant on Stripe (a double), so PSP sessions can be
// counted.
func newFixture(t *testing.T) *fixture {
	d := psptest.NewStripe(t, "sk_test_shop")
	env := testenv.New(t)
	key := env.MerchantWith(t, &merchant.Merchant{ID: "shop", Name: "Bakkerij Peeters", PSP: stripe.Name, PaymentMethods: []string{"card"},
		RedirectDomains: []string{"shop.example"}, PSPCredentials: map[string]string{stripe.CredSecretKey: "sk_test_shop", stripe.CredWebhookSecret: "whsec_x"}})
	srv := env.ServeWith(t, func(o *service.Options) { o.StripeAPI = d.URL })
	return &fixture{env, srv, d, key}
}

func (f *fixture) create(t *testing.T, lang, extra string) (string, string) {
	t.Helper()
	body := `{"amount":{"currency":"EUR","value":"1234.50"},"description":"Taart & koffie","customer":{"first_name":"Ana","last_name":"Peeters","language":"` + lang + `"}` + extra + `}`
	req, _ := http.NewRequest("POST", f.srv.URL+"/v1/payment-links", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+f.key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 201 {
		raw, _ := io.ReadAll(resp.Body)
		t.Fatalf("create: %v %s", err, raw)
	}
	var l struct{ ID, URL string }
	raw, _ := io.ReadAll(resp.Body)
	_ = jsonUnmarshal(raw, &l)
	return l.ID, l.URL
}

func get(t *testing.T, url, ua, method string) (int, http.Header, string) {
	t.Helper()
	req, _ := http.NewRequest(method, url, nil)
	switch ua {
	case "":
	case "none":
		req.Header.Set("User-Agent", "") // sent without a User-Agent
	default:
		req.Header.Set("User-Agent", ua)
	}
	resp, err := noFollow.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

func TestBotsAndHEADRecordNothing(t *testing.T) {
	f := newFixture(t)
	id, url := f.create(t, "fr", "")
	bots := []string{
		"WhatsApp/2.23.20.0 A", "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
		"Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)", "Twitterbot/1.0", "TelegramBot (like TwitterBot)",
		"LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)",
		"Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)",
		"Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36 Edg/120 Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0)",
		"Mozilla/5.0 (compatible; Proofpoint URL Defense)", "Mimecast URL Protect", "SkypeUriPreview Preview/0.5", "none",
	}
	f.env.Count.Reset()
	for _, ua := range bots {
		st, h, body := get(t, url, ua, "GET")
		if st != 200 || !strings.Contains(body, `property="og:title"`) || !strings.Contains(body, "Paiement à Bakkerij Peeters") ||
			!strings.Contains(body, "1\u202f234,50\u00a0€") || h.Get("Location") != "" {
			t.Errorf("bot %q: %d %s", ua, st, body)
		}
	}
	for _, ua := range []string{browserUA, "none"} {
		st, h, _ := get(t, url, ua, "HEAD")
		if st != 200 || h.Get("Location") != "" {
			t.Errorf("HEAD %q: %d", ua, st)
		}
	}
	if s := f.env.Count.Snapshot(); s["UpdateItem"] != 0 || s["TransactWriteItems"] != 0 {
		t.Fatalf("previews wrote: %v", s)
	}
	l, _ := f.env.Store.Get(t.Context(), "shop", id)
	if l.Status != domain.StatusCreated || l.ClickCount != 0 || f.stripe.Calls.Count("POST /v1/checkout/sessions") != 0 {
		t.Fatalf("a preview changed the link or made a session: %s %d", l.Status, l.ClickCount)
	}
	// A person: the click is recorded and the checkout made.
	st, h, _ := get(t, url, browserUA, "GET")
	if st != 302 || !strings.HasPrefix(h.Get("Location"), "https://checkout.stripe.com/") {
		t.Fatalf("person: %d %q", st, h.Get("Location"))
	}
}

func TestConcurrentClicksOneSession(t *testing.T) {
	f := newFixture(t)
	id, url := f.create(t, "en", "")
	var wg sync.WaitGroup
	locs := make(chan string, 50)
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			st, h, body := get(t, url, browserUA, "GET")
			if st != 302 {
				t.Errorf("click: %d %s", st, body)
			}
			locs <- h.Get("Location")
		}()
	}
	wg.Wait()
	close(locs)
	first := ""
	for l := range locs {
		if first == "" {
			first = l
		}
		if l != first {
			t.Fatalf("two checkouts: %s %s", first, l)
		}
	}
	l, _ := f.env.Store.Get(t.Context(), "shop", id)
	evs, _ := f.env.Store.Events(t.Context(), "shop", id)
	clicked := 0
	for _, e := range evs {
		if e.Type == domain.EventClicked {
			clicked++
		}
	}
	if l.Status != domain.StatusClicked || l.ClickCount != 50 || clicked != 1 || len(f.stripe.Sessions) != 1 {
		t.Fatalf("status %s, click_count %d, clicked events %d, PSP sessions %d", l.Status, l.ClickCount, clicked, len(f.stripe.Sessions))
	}
	t.Logf("50 concurrent clicks: click_count %d, 1 clicked event, %d PSP session (%d create calls with one idempotency key)",
		l.ClickCount, len(f.stripe.Sessions), f.stripe.Calls.Count("POST /v1/checkout/sessions"))
}

func TestPagesInEveryLanguage(t *testing.T) {
	f := newFixture(t)
	want := map[string][3]string{ // expired, paid, unknown
		"en": {"This payment link has expired", "Already paid", "Payment link not found"},
		"nl": {"Deze betaallink is verlopen", "Al betaald", "Betaallink niet gevonden"},
		"fr": {"Ce lien de paiement a expiré", "Déjà payé", "Lien de paiement introuvable"},
		"de": {"Dieser Zahlungslink ist abgelaufen", "Bereits bezahlt", "Zahlungslink nicht gefunden"},
	}
	for lang, w := range want {
		// Expired by time (before the sweep ran) and by status: 410.
		_, url := f.create(t, lang, `,"expires_at":"`+time.Now().Add(16*time.Minute).UTC().Format(time.RFC3339)+`"`)
		f.srv.Service.Redirect.Now = func() time.Time { return time.Now().Add(time.Hour) }
		st, _, body := get(t, url, browserUA, "GET")
		f.srv.Service.Redirect.Now = time.Now
		if st != 410 || !strings.Contains(body, w[0]) || !strings.Contains(body, `lang="`+lang+`"`) || !strings.Contains(body, "Bakkerij Peeters") {
			t.Errorf("%s expired: %d %s", lang, st, body)
		}
		id, url := f.create(t, lang, "")
		cur, _ := f.env.Store.Get(t.Context(), "shop", id)
		exp := *cur
		exp.Status = domain.StatusExpired
		_ = f.env.Store.Transition(t.Context(), cur, &exp, domain.NewEvent(id, domain.EventExpired, cur.Status, exp.Status, time.Now(), nil))
		if st, _, body := get(t, url, browserUA, "GET"); st != 410 || !strings.Contains(body, w[0]) {
			t.Errorf("%s expired status: %d", lang, st)
		}
		// Paid: 200 "already paid" with amount and description.
		id, url = f.create(t, lang, "")
		cur, _ = f.env.Store.Get(t.Context(), "shop", id)
		paid := *cur
		paid.Status = domain.StatusPaid
		_ = f.env.Store.Transition(t.Context(), cur, &paid, domain.NewEvent(id, domain.EventPaid, cur.Status, paid.Status, time.Now(), nil))
		st, _, body = get(t, url, browserUA, "GET")
		if st != 200 || !strings.Contains(body, w[1]) || !strings.Contains(body, "Taart &amp; koffie") {
			t.Errorf("%s paid: %d %s", lang, st, body)
		}
		// Unknown: 404 in the browser's language.
		req, _ := http.NewRequest("GET", f.srv.URL+"/l/shop_000000000000000000000000000", nil)
		req.Header.Set("Accept-Language", lang+"-BE,"+lang+";q=0.9")
		resp, _ := noFollow.Do(req)
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 404 || !strings.Contains(string(b), w[2]) {
			t.Errorf("%s unknown: %d %s", lang, resp.StatusCode, b)
		}
	}
	// Archived: 404 for people and bots alike.
	id, url := f.create(t, "en", `,"origin":"dunning"`)
	cur, _ := f.env.Store.Get(t.Context(), "shop", id)
	arch := *cur
	arch.Archived = true
	_ = f.env.Store.Transition(t.Context(), cur, &arch, domain.NewEvent(id, domain.EventArchived, "", "", time.Now(), nil))
	for _, ua := range []string{browserUA, "WhatsApp/2"} {
		if st, _, _ := get(t, url, ua, "GET"); st != 404 {
			t.Errorf("archived for %q: %d", ua, st)
		}
	}
}

func TestNeverAnOpenRedirect(t *testing.T) {
	f := newFixture(t)
	id, url := f.create(t, "en", "")
	get(t, url, browserUA, "GET") // makes and stores the session
	l, _ := f.env.Store.Get(t.Context(), "shop", id)
	// Tamper with the stored checkout: the redirect refuses it.
	for _, evil := range []string{"https://evil.example/phish", "javascript:alert(1)", "//evil.example", "https://checkout.stripe.com.evil.example/x",
		"https://user@checkout.stripe.com/x", "http://checkout.stripe.com/c/pay/x"} {
		if err := f.env.Store.SaveCheckout(t.Context(), l, evil, time.Now().Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		st, h, _ := get(t, url, browserUA, "GET")
		if h.Get("Location") != "" || st != 503 || h.Get("Retry-After") == "" {
			t.Errorf("stored %q: %d Location %q Retry-After %q", evil, st, h.Get("Location"), h.Get("Retry-After"))
		}
	}
	// Codes that try to smuggle a target are just unknown.
	for _, p := range []string{"/l/https:%2F%2Fevil.example", "/l/..%2F..%2Fevil", "/l/%0d%0aLocation:%20https://evil.example"} {
		st, h, _ := get(t, f.srv.URL+p, browserUA, "GET")
		if h.Get("Location") != "" || (st != 404 && st != 400) {
			t.Errorf("%s: %d %q", p, st, h.Get("Location"))
		}
	}
}

func TestQRCodes(t *testing.T) {
	f := newFixture(t)
	_, url := f.create(t, "en", "")
	st, h, body := get(t, url+"/qr.png", "", "GET")
	if st != 200 || h.Get("Content-Type") != "image/png" || !strings.Contains(h.Get("Cache-Control"), "max-age=31536000") || h.Get("ETag") == "" {
		t.Fatalf("png: %d %v", st, h)
	}
	img, err := png.Decode(bytes.NewReader([]byte(body)))
	if err != nil {
		t.Fatal(err)
	}
	bc, _ := redirect.QR(url)
	if n := bc.Bounds().Dx(); img.Bounds().Dx() != (n+8)*8 {
		t.Fatalf("png is %d px for %d modules", img.Bounds().Dx(), n)
	}
	// Every module of the code is in the picture, quiet zone included.
	for y := 0; y < bc.Bounds().Dy(); y++ {
		for x := 0; x < bc.Bounds().Dx(); x++ {
			r, _, _, _ := img.At((x+4)*8+4, (y+4)*8+4).RGBA()
			br, _, _, _ := bc.At(x, y).RGBA()
			if (r == 0) != (br == 0) {
				t.Fatalf("module %d,%d differs", x, y)
			}
		}
	}
	st, h, body = get(t, url+"/qr.svg", "", "GET")
	if st != 200 || h.Get("Content-Type") != "image/svg+xml" || !strings.HasPrefix(body, "<svg") || !strings.Contains(body, `d="M`) {
		t.Fatalf("svg: %d %s", st, body[:min(len(body), 200)])
	}
	req, _ := http.NewRequest("GET", url+"/qr.png", nil)
	req.Header.Set("If-None-Match", h.Get("ETag"))
	req.Header.Set("If-None-Match", `"png-`+url[strings.LastIndex(url, "/")+1:]+`"`)
	if resp, _ := noFollow.Do(req); resp.StatusCode != 304 {
		t.Fatalf("etag: %d", resp.StatusCode)
	}
	if st, _, _ := get(t, f.srv.URL+"/l/shop_000000000000000000000000000/qr.png", "", "GET"); st != 404 {
		t.Fatalf("unknown qr: %d", st)
	}
}
