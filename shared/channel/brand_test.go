package channel_test

import (
	"strings"
	"testing"
	"time"

	. "github.com/paylinks/paylinks/shared/channel"
)

func brandData() Data {
	return Data{Name: "Ana", Merchant: "Bakkerij Peeters", Amount: "€12,00", Description: "Taart", URL: "https://pay.example/l/c1",
		Expires: time.Date(2026, 12, 24, 0, 0, 0, 0, time.UTC),
		Brand: &Brand{LogoURL: "https://pay.example/l/c1/logo.png?v=0123456789abcdef", Accent: "#6b2c91",
			SupportEmail: "hulp@peeters.example", SupportPhone: "+3293001122"}}
}

// TestBrandedEmail: the merchant's logo (an https URL on the customer
// pages' host, its alt the merchant's name), its accent colour on the pay
// button and its support contact in both parts, in every language; the
// text messages name the contact too where they have room (e-mail only).
func TestBrandedEmail(t *testing.T) {
	for _, lang := range []string{"en", "nl", "fr", "de"} {
		m, err := Render("link", Email, lang, brandData())
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{`<img src="https://pay.example/l/c1/logo.png?v=0123456789abcdef" alt="Bakkerij Peeters"`,
			"background:#6b2c91", `href="mailto:hulp@peeters.example"`, `href="tel:&#43;3293001122"`} {
			if !strings.Contains(m.HTML, want) {
				t.Errorf("%s: HTML lacks %q:\n%s", lang, want, m.HTML)
			}
		}
		if strings.Contains(m.HTML, "#0b5cff") {
			t.Errorf("%s: the default colour is still there", lang)
		}
		for _, want := range []string{"hulp@peeters.example", "+3293001122"} {
			if !strings.Contains(m.Text, want) {
				t.Errorf("%s: text lacks %q:\n%s", lang, want, m.Text)
			}
		}
	}
}

// TestBrandOnlyWhatIsSet: a brand with only a phone shows no logo, the
// default colour and the phone; an accent that is not #rrggbb (never
// stored, but the template does not trust it) is not written into a style.
func TestBrandOnlyWhatIsSet(t *testing.T) {
	d := brandData()
	d.Brand = &Brand{SupportPhone: "+3293001122", Accent: "red;background:url(https://evil.example/x)"}
	m, err := Render("reminder", Email, "en", d)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(m.HTML, "<img") || strings.Contains(m.HTML, "evil") || !strings.Contains(m.HTML, "background:#0b5cff") ||
		strings.Contains(m.HTML, "mailto:") || !strings.Contains(m.Text, "+3293001122") {
		t.Fatalf("HTML:\n%s\ntext:\n%s", m.HTML, m.Text)
	}
	d.Brand.LogoURL = "javascript:alert(1)"
	if m, _ = Render("link", Email, "en", d); strings.Contains(m.HTML, "javascript") {
		t.Fatalf("a non-https logo URL got through:\n%s", m.HTML)
	}
}
