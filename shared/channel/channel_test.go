package channel_test

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	. "github.com/paylinks/paylinks/shared/channel"
	"github.com/paylinks/paylinks/shared/money"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func TestTemplatesGolden(t *testing.T) {
	exp := time.Date(2026, 12, 24, 22, 0, 0, 0, time.UTC)
	amt := money.MustParse("EUR", "1234.5")
	for _, kind := range []string{"link", "reminder"} {
		for _, ch := range []string{Email, SMS, WhatsApp} {
			for _, lang := range []string{"en", "nl", "fr", "de"} {
				m, err := Render(kind, ch, lang, Data{Name: "Ana Peeters", Merchant: "Bakkerij <Peeters>", Amount: amt.Display(lang),
					Description: "Taart & koffie", URL: "https://pay.example/l/demo_0ERd4Yz5eQNGPrsdKHLWui0o2yw", Expires: exp})
				if err != nil {
					t.Fatal(err)
				}
				got := "subject: " + m.Subject + "\n--- text\n" + m.Text + "\n--- html\n" + m.HTML
				file := filepath.Join("..", "..", "testdata", "golden", "channel", kind+"-"+ch+"-"+lang+".txt")
				if *update {
					_ = os.MkdirAll(filepath.Dir(file), 0o755)
					if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
						t.Fatal(err)
					}
					continue
				}
				want, err := os.ReadFile(file)
				if err != nil {
					t.Fatalf("%s: %v (run go test ./shared/channel -update)", file, err)
				}
				if got != string(want) {
					t.Errorf("%s differs:\n%s", file, got)
				}
				if ch == Email && !strings.Contains(m.HTML, "Bakkerij &lt;Peeters&gt;") {
					t.Errorf("%s: HTML not escaped", file)
				}
			}
		}
	}
	// An unknown language falls back to English.
	m, _ := Render("link", SMS, "es", Data{Merchant: "M", Amount: "€1.00", Description: "d", URL: "u", Expires: exp})
	if m.Lang != "en" || !strings.Contains(m.Text, "please pay") {
		t.Fatalf("fallback: %+v", m)
	}
}

// What the customer sees is the merchant's text, never markup or a
// placeholder filled twice: HTML is escaped as html/template would, a URL
// that is not http(s) is made inert, and "{{.URL}}" in a description stays
// text.
func TestRenderEscapesHostileText(t *testing.T) {
	d := Data{Name: `Ana "<b>"`, Merchant: "A&B's + co", Amount: "€1.00", Description: "{{.URL}} <script>", URL: "javascript:alert(1)", Expires: time.Now()}
	m, err := Render("link", Email, "en", d)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Ana &#34;&lt;b&gt;&#34;", "A&amp;B&#39;s &#43; co", "{{.URL}} &lt;script&gt;", `href="#ZgotmplZ"`} {
		if !strings.Contains(m.HTML, want) {
			t.Errorf("HTML lacks %q:\n%s", want, m.HTML)
		}
	}
	if strings.Contains(m.HTML, "<script>") || strings.Contains(m.HTML, `href="javascript`) {
		t.Errorf("markup got through:\n%s", m.HTML)
	}
	if !strings.Contains(m.Text, "for {{.URL}} <script>.") || !strings.Contains(m.Subject, "A&B's + co") {
		t.Errorf("text part %q subject %q", m.Text, m.Subject)
	}
}
