package channel_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	. "github.com/paylinks/paylinks/shared/channel"
	"github.com/paylinks/paylinks/shared/money"
)

// TestBankTemplatesGolden: the e-mail of a link that offers a bank
// transfer (and its reminder) shows the beneficiary, the IBAN, the BIC and
// the structured reference in the link's language, in its text and HTML
// parts; SMS and WhatsApp stay short (the link's page has the transfer).
func TestBankTemplatesGolden(t *testing.T) {
	exp := time.Date(2026, 12, 24, 22, 0, 0, 0, time.UTC)
	amt := money.MustParse("EUR", "1234.5")
	bank := &Bank{Beneficiary: "Bakkerij Peeters", IBAN: "BE71 0961 2345 6769", BIC: "GKCCBEBB", Reference: "+++090/9337/55493+++"}
	labels := map[string]string{"en": "Structured reference", "nl": "Gestructureerde mededeling", "fr": "Communication structurée", "de": "Zahlungsreferenz"}
	for _, kind := range []string{"link", "reminder"} {
		for _, lang := range []string{"en", "nl", "fr", "de"} {
			d := Data{Name: "Ana Peeters", Merchant: "Bakkerij Peeters", Amount: amt.Display(lang), Description: "Taart & koffie",
				URL: "https://pay.example/l/demo_0ERd4Yz5eQNGPrsdKHLWui0o2yw", Expires: exp, Bank: bank}
			m, err := Render(kind, Email, lang, d)
			if err != nil {
				t.Fatal(err)
			}
			for _, part := range []string{m.Text, m.HTML} {
				for _, want := range []string{"BE71 0961 2345 6769", "GKCCBEBB", labels[lang]} {
					if !strings.Contains(part, want) {
						t.Errorf("%s %s lacks %q:\n%s", kind, lang, want, part)
					}
				}
			}
			if !strings.Contains(m.Text, "+++090/9337/55493+++") || !strings.Contains(m.HTML, "&#43;&#43;&#43;090/9337/55493&#43;&#43;&#43;") {
				t.Errorf("%s %s: the reference is missing", kind, lang)
			}
			got := "subject: " + m.Subject + "\n--- text\n" + m.Text + "\n--- html\n" + m.HTML
			file := filepath.Join("..", "..", "testdata", "golden", "channel", "bank-"+kind+"-email-"+lang+".txt")
			checkGolden(t, file, got)
			sms, err := Render(kind, SMS, lang, d)
			if err != nil || strings.Contains(sms.Text, "BE71") {
				t.Errorf("%s %s SMS: %v %q", kind, lang, err, sms.Text)
			}
		}
	}
}

// TestBankLabelsNameTheReference: an ISO 11649 RF reference is not called
// by the Belgian structured communication's name (nl, fr): each language
// names the kind of reference the e-mail carries.
func TestBankLabelsNameTheReference(t *testing.T) {
	exp := time.Date(2026, 12, 24, 22, 0, 0, 0, time.UTC)
	want := map[string][2]string{ // RF label, OGM label
		"en": {"Structured reference", "Structured reference"}, "nl": {"Betalingskenmerk", "Gestructureerde mededeling"},
		"fr": {"Référence structurée", "Communication structurée"}, "de": {"Zahlungsreferenz", "Zahlungsreferenz"},
	}
	for lang, labels := range want {
		for i, ref := range []string{"RF18 5390 0754 7034", "+++090/9337/55493+++"} {
			d := Data{Name: "Ana", Merchant: "M", Amount: "€1.00", Description: "d", URL: "https://x.example", Expires: exp,
				Bank: &Bank{Beneficiary: "B", IBAN: "BE71 0961 2345 6769", BIC: "GKCCBEBB", Reference: ref}}
			m, err := Render("link", Email, lang, d)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(m.Text, labels[i]+": ") {
				t.Errorf("%s %s: the text lacks %q:\n%s", lang, ref, labels[i], m.Text)
			}
			if other := labels[1-i]; other != labels[i] && strings.Contains(strings.ToLower(m.Text), strings.ToLower(other)) {
				t.Errorf("%s %s: the text names %q:\n%s", lang, ref, other, m.Text)
			}
		}
	}
}

// TestBankBlockEscaped: the bank block's values are escaped like the rest.
func TestBankBlockEscaped(t *testing.T) {
	d := Data{Name: "A", Merchant: "M", Amount: "€1.00", Description: "d", URL: "https://x.example", Expires: time.Now(),
		Bank: &Bank{Beneficiary: `<script>alert(1)</script>`, IBAN: `"><b>`, BIC: "%s", Reference: "{{.URL}}"}}
	m, err := Render("link", Email, "en", d)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(m.HTML, "<script>") || strings.Contains(m.HTML, `"><b>`) || !strings.Contains(m.HTML, "&lt;script&gt;") ||
		!strings.Contains(m.HTML, ">%s<") || !strings.Contains(m.Text, "Structured reference: {{.URL}}") {
		t.Fatalf("not escaped:\n%s\n%s", m.HTML, m.Text)
	}
}

func checkGolden(t *testing.T, file, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%s: %v (run go test ./shared/channel -update)", file, err)
	}
	if got != string(want) {
		t.Errorf("%s differs:\n%s", file, got)
	}
}
