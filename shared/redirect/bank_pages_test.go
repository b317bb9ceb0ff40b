package redirect

import (
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
)

// bankPageData are bank transfer pages: a real one, and one of hostile
// values (markup, quotes, a checkout URL that is not http(s)).
var bankPageData = map[string]Page{
	"normal": {Merchant: "Bakkerij Peeters", Amount: "1.234,50\u00a0€", Description: "Taart & koffie", URL: "https://pay.example/l/demo_0ERdX4",
		Checkout: "https://checkout.stripe.com/c/pay/cs_test_a1", Bank: &BankDetails{Beneficiary: "Bakkerij Peeters", IBAN: "BE71 0961 2345 6769",
			IBANCopy: "BE71096123456769", BIC: "GKCCBEBB", AmountCopy: "1234,50", Reference: "+++090/9337/55493+++", ReferenceCopy: "090933755493",
			QR: "/l/demo_0ERdX4/epc.png"}},
	"hostile": {Merchant: `Bäckerei "Zum <b>Brot</b>"`, Amount: `1 € <script>alert(1)</script>`, Description: "</p><script>alert('x')</script>",
		Checkout: "javascript:alert(1)", Bank: &BankDetails{Beneficiary: `"><img src=x onerror=alert(1)>`, IBAN: "BE71 <b>", IBANCopy: `" onclick="alert(1)`,
			BIC: "{{.Lang}}", AmountCopy: "%s", Reference: "RF18 5390 0754 7034", ReferenceCopy: "</script><script>alert(1)</script>",
			QR: `/l/x"onerror="alert(1)/epc.png`}},
	"down": {Merchant: "M", Amount: "€1.00", Description: "d", CheckoutDown: true, Bank: &BankDetails{Beneficiary: "B", IBAN: "NL91 ABNA 0417 1643 00",
		IBANCopy: "NL91ABNA0417164300", BIC: "ABNANL2A", AmountCopy: "1.00", Reference: "RF18 5390 0754 7034", ReferenceCopy: "RF18539007547034", QR: "/l/c/epc.png"}},
}

// TestBankPagesGolden renders the bank transfer page in every language
// with each data set and compares it with its golden output
// (`go test -run BankPagesGolden -update` rewrites it). The other pages'
// goldens (TestPagesGolden) do not change with it.
func TestBankPagesGolden(t *testing.T) {
	var out strings.Builder
	for _, name := range []string{"normal", "hostile", "down"} {
		langs := []string{"en"}
		if name == "normal" {
			langs = []string{"en", "nl", "fr", "de"}
		}
		for _, lang := range langs {
			p := bankPageData[name]
			p.Lang, p.Kind = lang, "bank"
			rec := httptest.NewRecorder()
			render(rec, 200, p)
			fmt.Fprintf(&out, "==== %s %s\n%s", name, lang, rec.Body.String())
		}
	}
	golden(t, filepath.Join("testdata", "pages-bank.golden"), out.String())
}

// TestBankPageWithoutDetails: a bank page with nothing to show is the
// error page's text, never a half page.
func TestBankPageWithoutDetails(t *testing.T) {
	rec := httptest.NewRecorder()
	render(rec, 200, Page{Lang: "en", Kind: "bank"})
	if !strings.Contains(rec.Body.String(), messages["en"]["error_body"]) || strings.Contains(rec.Header().Get("Content-Security-Policy"), "script-src") {
		t.Fatalf("%s", rec.Body)
	}
}

// TestEveryLanguageHasEveryWord: the pages' catalogs hold the same keys in
// every language.
func TestEveryLanguageHasEveryWord(t *testing.T) {
	for lang, words := range messages {
		for k := range messages["en"] {
			if words[k] == "" {
				t.Errorf("%s lacks %s", lang, k)
			}
		}
		if len(words) != len(messages["en"]) {
			t.Errorf("%s has %d words, en %d", lang, len(words), len(messages["en"]))
		}
	}
}
