package dashboard_test

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/paylinks/paylinks/shared/service"
	headless "github.com/paylinks/paylinks/shared/testkit/browser"
	"github.com/paylinks/paylinks/shared/testkit/testenv"
)

// settingsParts are the settings' sub-pages: the sub-navigation's link
// and the path it opens.
var settingsParts = [][2]string{
	{"Merchant and brand", "/dashboard/settings"}, {"Payments and provider", "/dashboard/settings/payments"},
	{"Webhooks", "/dashboard/settings/webhooks"}, {"API keys", "/dashboard/settings/keys"},
	{"Team", "/dashboard/settings/team"}, {"Audit log", "/dashboard/settings/audit"},
}

// TestBrowserSettingsSubPages: the settings are six pages, each at its own
// address, reached from a sub-navigation that marks the current one. An
// owner sets the brand (a pale accent colour is refused on its field with
// the API's reason; a dark one is saved; a PNG logo is uploaded and
// shown); reads the webhook deliveries a page of 20 at a time (25 of
// them: Next page shows the other 5); copies a new API key from its
// dialog; reads what each role may do; and finds the audit log naming the
// key, not its id. A finance member opens none of the sub-pages.
func TestBrowserSettingsSubPages(t *testing.T) {
	testenv.NeedStream(t)
	p := newPeopleWith(t, func(o *service.Options) { o.AllowLoopbackWebhooks = true })
	p.srv.Consume(t)
	p.srv.Tail(t, p.env)
	b, owner := signedIn(t, p, "owner")
	key := demoKeys.byPeople[p]

	b.ClickLink("Settings")
	b.WaitText("Accent colour")
	for _, part := range settingsParts {
		b.ClickLink(part[0])
		b.WaitURL(part[1])
		if cur := b.Text(`nav.subnav a[aria-current="page"]`); cur != part[0] {
			t.Errorf("on %s the sub-navigation marks %q", part[1], cur)
		}
	}
	b.ClickLink("Merchant and brand")
	b.WaitText("Accent colour")
	settingsBrand(t, p, b, key)
	checkPage(t, b, "settings-merchant")
	settingsTimeZone(t, p, b, key)

	settingsDeliveriesPaged(t, p, b, key)
	settingsKeyCopy(t, b)
	b.ClickLink("Team")
	b.WaitText("What each role may do")
	if roles := b.Text("#roles"); !strings.Contains(roles, "Finance") || !strings.Contains(roles, "refunds, settles payments to review") {
		t.Errorf("the roles say: %q", roles)
	}
	checkPage(t, b, "settings-team")
	b.ClickLink("Audit log")
	b.WaitText("api_key.created")
	row := rowWith(b.Text("#audit tbody"), "api_key.created")
	if !strings.Contains(row, owner) || !strings.Contains(row, "key Copied key") || strings.Contains(row, "key_") {
		t.Errorf("the audit log's key row: %q", row)
	}
	checkPage(t, b, "settings-audit")

	f, _ := signedIn(t, p, "finance")
	for _, part := range settingsParts {
		refused(t, p, f, "Settings", part[1], "Only owners and administrators open the settings.")
	}
}

// settingsBrand: #f5d90a under white text is refused on the accent
// colour's field; #1d4ed8 and a support e-mail are saved; a PNG logo is
// uploaded and shown.
func settingsBrand(t *testing.T, p *people, b *headless.Browser, key string) {
	t.Helper()
	b.Fill("Accent colour", "#f5d90a")
	b.ClickButton("Save brand")
	if msg := b.Text(`input[name=accent_color][aria-invalid="true"] ~ p.field-error`); msg == "" {
		t.Fatal("the accent colour's error has no message")
	}
	b.Shot("settings-brand-pale")
	b.Fill("Accent colour", "#1d4ed8")
	b.Fill("Support e-mail", "help@demo.example")
	b.ClickButton("Save brand")
	b.WaitText("The brand is saved.")
	if _, br := p.api(t, "GET", "/v1/settings/brand", key, "", nil); br["accent_color"] != "#1d4ed8" || br["support_email"] != "help@demo.example" {
		t.Fatalf("the API's brand: %v", br)
	}
	img := image.NewNRGBA(image.Rect(0, 0, 64, 32))
	for i := range img.Pix {
		img.Pix[i] = 0x80
	}
	img.Set(1, 1, color.NRGBA{R: 29, G: 78, B: 216, A: 255})
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	logo := filepath.Join(t.TempDir(), "logo.png")
	if err := os.WriteFile(logo, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	b.Upload("Logo (PNG)", logo)
	b.ClickButton("Upload logo")
	b.WaitText("The logo is saved.")
	if n := b.Count("img.logo"); n != 1 {
		t.Errorf("the logo is shown %d times", n)
	}
}

// settingsTimeZone: the merchant's time zone is chosen on the merchant's
// page (Europe/Brussels by default) and saved with the settings.
func settingsTimeZone(t *testing.T, p *people, b *headless.Browser, key string) {
	t.Helper()
	if n := b.Count(`select[name=time_zone] option[selected][value="Europe/Brussels"]`); n != 1 {
		t.Errorf("Europe/Brussels is chosen in %d time zone lists", n)
	}
	b.Select("Time zone", "America/New York")
	b.ClickButton("Save settings")
	b.WaitText("Settings saved.")
	if _, s := p.api(t, "GET", "/v1/settings", key, "", nil); s["time_zone"] != "America/New_York" {
		t.Fatalf("the API's time zone: %v", s["time_zone"])
	}
}

// settingsDeliveriesPaged: 25 deliveries (an endpoint answering 200, 25
// links) are read 20 and then 5.
func settingsDeliveriesPaged(t *testing.T, p *people, b *headless.Browser, key string) {
	t.Helper()
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	t.Cleanup(rcv.Close)
	if st, r := p.api(t, "PUT", "/v1/settings", key, `{"webhook_url":"`+rcv.URL+`/hook","webhook_secret":"`+hookSecret+`"}`, nil); st != 200 {
		t.Fatalf("the webhook URL: %d %v", st, r)
	}
	for i := range 25 {
		body := fmt.Sprintf(`{"amount":{"currency":"EUR","value":"%d.00"},"description":"Hooked %d","customer":{"company_name":"Acme BV"}}`, i+1, i)
		if st, l := p.api(t, "POST", "/v1/payment-links", key, body, nil); st != 201 {
			t.Fatalf("link %d: %d %v", i, st, l)
		}
	}
	testenv.Eventually(t, 30*time.Second, "25 deliveries", func() bool {
		return len(list(t, p, "/v1/webhook-deliveries?limit=100")) >= 25
	})
	b.ClickLink("Webhooks")
	b.WaitText("Next page")
	if n := b.Count("#webhooks tbody tr"); n != 20 {
		t.Errorf("the first page shows %d deliveries, want 20", n)
	}
	checkPage(t, b, "settings-webhooks")
	b.ClickButton("Next page")
	b.WaitText("Page 2")
	if n := b.Count("#webhooks tbody tr"); n != 5 {
		t.Errorf("the second page shows %d deliveries, want 5", n)
	}
	b.ClickButton("Previous page")
	b.WaitText("Page 1")
}

// settingsKeyCopy: the new key's dialog copies the secret.
func settingsKeyCopy(t *testing.T, b *headless.Browser) {
	t.Helper()
	b.ClickLink("API keys")
	b.WaitText("Create key")
	b.Fill("Name", "Copied key")
	b.ClickButton("Create key")
	if secret := b.Text("dialog code.secret"); !strings.HasPrefix(secret, "sk_") {
		t.Fatalf("the dialog shows no key: %q", secret)
	}
	b.ClickButton("Copy key")
	b.WaitText("Copied.")
	b.Shot("settings-key-copy")
	b.Axe(t, "the new key's dialog with Copy")
	b.ClickButton("Close")
	b.WaitText("Copied key")
}
