package redirect_test

import (
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/testkit"
	"github.com/paylinks/paylinks/shared/testkit/testenv"
)

// chromium finds Debian's Chromium (installed by `make test`).
func chromium(t *testing.T) string {
	testkit.Needs(t, testkit.Chromium)
	if os.Getenv("PAYLINKS_SKIP_BROWSER") == "1" {
		t.Skip("PAYLINKS_SKIP_BROWSER=1")
	}
	for _, name := range []string{"chromium", "chromium-browser", "/usr/bin/chromium"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatal("chromium not found: `make test` installs Debian's chromium package (or set PAYLINKS_SKIP_BROWSER=1)")
	return ""
}

// shotDir is where screenshots go: build/screenshots/<test> in the repo.
func shotDir(t *testing.T) string {
	d := filepath.Join("..", "..", "build", "screenshots", t.Name())
	if err := os.MkdirAll(d, 0o755); err != nil {
		t.Fatal(err)
	}
	return d
}

// browse opens url in headless Chromium as a person would (a desktop
// browser's User-Agent), saves a screenshot and returns the DOM it ended on.
func browse(t *testing.T, bin, url, shot string) string {
	t.Helper()
	args := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
		"--disable-component-update", "--disable-sync", "--hide-scrollbars", "--window-size=800,900", "--user-data-dir=" + t.TempDir(),
		"--user-agent=" + browserUA}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if shot != "" {
		out, err := exec.CommandContext(ctx, bin, append(args, "--screenshot="+shot, url)...).CombinedOutput()
		if err != nil {
			t.Fatalf("screenshot %s: %v %s", url, err, out)
		}
		if st, err := os.Stat(shot); err != nil || st.Size() < 1000 {
			t.Fatalf("screenshot %s not written: %v", shot, err)
		}
	}
	dom, err := exec.CommandContext(ctx, bin, append(args, "--dump-dom", url)...).Output()
	if err != nil {
		t.Fatalf("dump-dom %s: %v", url, err)
	}
	return string(dom)
}

func TestBrowserOpensLinkAndLandsOnCheckout(t *testing.T) {
	bin := chromium(t)
	env := testenv.New(t)
	key := env.Merchant(t, "demo")
	srv := env.Serve(t)
	req, _ := http.NewRequest("POST", srv.URL+"/v1/payment-links", strings.NewReader(`{"amount":{"currency":"EUR","value":"42.00"},"description":"Browser test","customer":{"company_name":"ACME"}}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 201 {
		t.Fatal(err)
	}
	var l struct{ ID, URL string }
	raw := make([]byte, 4096)
	n, _ := resp.Body.Read(raw)
	_ = jsonUnmarshal(raw[:n], &l)
	dir := shotDir(t)
	dom := browse(t, bin, l.URL, "")
	if !strings.Contains(dom, "SANDBOX") || !strings.Contains(dom, "€42.00") || !strings.Contains(dom, `id="pay"`) {
		t.Fatalf("the browser did not land on the sandbox checkout:\n%s", dom)
	}
	cur, _ := env.Store.Get(t.Context(), "demo", l.ID)
	if cur.Status != domain.StatusClicked || cur.ClickCount < 1 {
		t.Fatalf("a person's visit was not recorded: %s %d", cur.Status, cur.ClickCount)
	}
	co, _ := env.Store.Get(t.Context(), "demo", l.ID)
	m, _ := env.Store.GetMerchant(t.Context(), "demo")
	checkout, err := srv.Service.Sandbox.CreateCheckout(t.Context(), m, co, "")
	if err != nil {
		t.Fatal(err)
	}
	browse(t, bin, checkout.URL, filepath.Join(dir, "sandbox-checkout.png"))
}

func TestBrowserRendersPagesInEveryLanguage(t *testing.T) {
	bin := chromium(t)
	f := newFixture(t)
	dir := shotDir(t)
	titles := map[string][3]string{
		"en": {"This payment link has expired", "Already paid", "Payment link not found"},
		"nl": {"Deze betaallink is verlopen", "Al betaald", "Betaallink niet gevonden"},
		"fr": {"Ce lien de paiement a expiré", "Déjà payé", "Lien de paiement introuvable"},
		"de": {"Dieser Zahlungslink ist abgelaufen", "Bereits bezahlt", "Zahlungslink nicht gefunden"},
	}
	for lang, want := range titles {
		id, url := f.create(t, lang, "")
		cur, _ := f.env.Store.Get(t.Context(), "shop", id)
		exp := *cur
		exp.Status = domain.StatusExpired
		_ = f.env.Store.Transition(t.Context(), cur, &exp, domain.NewEvent(id, domain.EventExpired, cur.Status, exp.Status, time.Now(), nil))
		if dom := browse(t, bin, url, filepath.Join(dir, "expired-"+lang+".png")); !strings.Contains(dom, want[0]) || !strings.Contains(dom, `lang="`+lang+`"`) {
			t.Errorf("%s expired page:\n%s", lang, dom)
		}
		id, url = f.create(t, lang, "")
		cur, _ = f.env.Store.Get(t.Context(), "shop", id)
		paid := *cur
		paid.Status = domain.StatusPaid
		_ = f.env.Store.Transition(t.Context(), cur, &paid, domain.NewEvent(id, domain.EventPaid, cur.Status, paid.Status, time.Now(), nil))
		if dom := browse(t, bin, url, filepath.Join(dir, "paid-"+lang+".png")); !strings.Contains(dom, want[1]) || !strings.Contains(dom, "Bakkerij Peeters") {
			t.Errorf("%s paid page:\n%s", lang, dom)
		}
		unknown := f.srv.URL + "/l/shop_000000000000000000000000000"
		args := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run",
			"--user-data-dir=" + t.TempDir(), "--lang=" + lang, "--accept-lang=" + lang, "--dump-dom", unknown}
		dom, err := exec.Command(bin, args...).Output()
		if err != nil || !strings.Contains(string(dom), want[2]) {
			t.Errorf("%s unknown page: %v\n%s", lang, err, dom)
		}
		browse(t, bin, unknown, filepath.Join(dir, "unknown-"+lang+".png"))
	}
	t.Logf("screenshots in %s", dir)
}
