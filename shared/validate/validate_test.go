package validate

import (
	"errors"
	"testing"
)

func TestIBAN(t *testing.T) {
	for s, ok := range map[string]bool{
		"BE71096123456769": true, "BE71 0961 2345 6769": true, "NL91ABNA0417164300": true, "DE89370400440532013000": true,
		"GB82WEST12345698765432": true, "FR1420041010050500013M02606": true,
		"BE71096123456768": false, "NL91ABNA0417164301": false, "be71096123456769": false, "BE7109612345676": false, "": false, "XX00": false,
	} {
		if IBAN(s) != ok {
			t.Errorf("%q: want %v", s, ok)
		}
	}
}

// TestEmailRefusesHiddenCharacters: an address payers see (a merchant's
// support e-mail on the customer pages and e-mails) or the dashboard shows
// holds no bidirectional control that reverses what follows it, no
// invisible format character that makes two addresses look the same, and
// no bracketed IP literal in place of a domain; net/mail's RFC 6532 atoms
// took them all.
func TestEmailRefusesHiddenCharacters(t *testing.T) {
	for _, bad := range []string{"help@shop.be\u202e", "help\u202e@shop.be", "help@shop.be\u2066", "he\u200blp@shop.be",
		"help@sh\u200dop.be", "help@shop.be\ufeff", "help\u00ad@shop.be", "help@[127.0.0.1]", "help@[IPv6:::1]"} {
		if Email(bad) {
			t.Errorf("%+q accepted", bad)
		}
	}
	for _, ok := range []string{"ana@example.be", "émile@exemple.fr", "a.b+c@sub.example.com"} {
		if !Email(ok) {
			t.Errorf("%q refused", ok)
		}
	}
}

func TestShapes(t *testing.T) {
	for s, ok := range map[string]bool{"ana@example.be": true, "a.b+c@sub.example.com": true, "Ana <ana@example.be>": false, "ana@localhost": false, "ana": false, "": false} {
		if Email(s) != ok {
			t.Errorf("email %q: want %v", s, ok)
		}
	}
	for s, ok := range map[string]bool{"+32470123456": true, "+14155550100": true, "0470123456": false, "+0470123456": false, "+32 470 12 34 56": false} {
		if Phone(s) != ok {
			t.Errorf("phone %q: want %v", s, ok)
		}
	}
	for s, ok := range map[string]bool{"GKCCBEBB": true, "DEUTDEFF500": true, "GKCCBEB": false, "gkccbebb": false,
		"GEBAXEBB": false, "GEBAUKBB": false, "ITAUBRSPXXX": true} {
		if BIC(s) != ok {
			t.Errorf("bic %q: want %v", s, ok)
		}
	}
	for s, ok := range map[string]bool{"BE": true, "GB": true, "AX": true, "SS": true, "be": false, "BEL": false, "XX": false, "ZZ": false, "UK": false, "EU": false, "AA": false, "QM": false, "": false} {
		if Country(s) != ok {
			t.Errorf("country %q: want %v", s, ok)
		}
	}
	if !Text("Invoice 2026-113", 140) || Text("", 10) || Text("a\nb", 10) || Text("abcd", 3) || !Text("héllo", 5) {
		t.Error("Text")
	}
}

func TestRedirectURL(t *testing.T) {
	allow := func(h string) bool { return h == "shop.example" || h == "www.shop.example" }
	for raw, want := range map[string]error{
		"https://shop.example/thanks":    nil,
		"https://www.shop.example/x?y=1": nil,
		"https://shop.example:443/":      nil,
		"http://shop.example/":           ErrRedirectURL,
		"//shop.example/":                ErrRedirectURL,
		"javascript:alert(1)":            ErrRedirectURL,
		"https://evil.example/":          ErrRedirectHost,
		"https://user@shop.example/":     ErrRedirectUnsafe,
		"https://10.0.0.1/":              ErrRedirectUnsafe,
		"https://[::1]/":                 ErrRedirectUnsafe,
		"https://localhost/":             ErrRedirectUnsafe,
		"https://shop.example:8443/":     ErrRedirectUnsafe,
		"https://shop/":                  ErrRedirectUnsafe,
		"https://shop.example.evil.io/":  ErrRedirectHost,
	} {
		if got := RedirectURL(raw, allow); !errors.Is(got, want) {
			t.Errorf("%q: got %v want %v", raw, got, want)
		}
	}
}

func TestCountriesAreTheAssignedCodes(t *testing.T) {
	if len(countries) != 249 {
		t.Fatalf("%d codes, want the 249 assigned", len(countries))
	}
	for code, name := range countries {
		if len(code) != 2 || code[0] < 'A' || code[0] > 'Z' || code[1] < 'A' || code[1] > 'Z' || name == "" {
			t.Errorf("%q %q", code, name)
		}
	}
	if countries["BE"] != "Belgium" || countries["GB"] != "United Kingdom" {
		t.Errorf("BE %q, GB %q", countries["BE"], countries["GB"])
	}
}

func TestPayerText(t *testing.T) {
	for s, ok := range map[string]bool{
		"Invoice 2026-113": true, "שלום": true, "فاتورة \u200f12": true, "👩\u200d💻": true, "Café": true, "a b": true,
		"Invoice \u202egnp.exe": false, "\u202aa": false, "\u202bx": false, "\u202cx": false, "\u202dx": false,
		"\u2066x": false, "\u2067x": false, "\u2068x": false, "x\u2069": false,
		" ": false, "\u00a0\u3000": false, "\u200b": false, "\u200c\u200d": false, "\ufeff": false, "\u2060": false,
		"\u200e\u200f": false, "\u3164": false, "\u2800": false, "\u034f": false, "": false, "a\x01": false, "\u00ad": false,
	} {
		if PayerText(s, 100) != ok {
			t.Errorf("%+q: want %v", s, ok)
		}
	}
	if PayerText("abcd", 3) {
		t.Error("length")
	}
}

func TestRedirectDomain(t *testing.T) {
	for d, want := range map[string]error{
		"shop.example": nil, "shop.example.co.uk": nil, "me.github.io": nil, "pay.shop.example": nil, "xn--bcher-kva.example": nil,
		"shop.xn--p1ai": nil,
		"co.uk":         ErrDomainPublicSuffix, "github.io": ErrDomainPublicSuffix, "gov.uk": ErrDomainPublicSuffix,
		"blogspot.com": ErrDomainPublicSuffix, "s3.amazonaws.com": ErrDomainPublicSuffix, "foo.ck": ErrDomainPublicSuffix,
		"com": ErrDomainShape, "Shop.example": ErrDomainShape, "https://shop.example": ErrDomainShape, "1.2.3.4": ErrDomainShape,
		"shop..example": ErrDomainShape, "-shop.example": ErrDomainShape, "": ErrDomainShape,
	} {
		if got := RedirectDomain(d); !errors.Is(got, want) {
			t.Errorf("%q: got %v want %v", d, got, want)
		}
	}
}

// TestSEPACountry: the 41 countries of the SEPA schemes' geographical
// scope (and Gibraltar's own IBANs) are in; others, and what is not a
// country code, are out.
func TestSEPACountry(t *testing.T) {
	for _, cc := range []string{"BE", "NL", "FR", "DE", "LU", "AT", "IE", "GR", "BG", "HR", "SE", "PL", "IS", "LI", "NO", "CH", "GB", "GI",
		"MC", "SM", "VA", "AD", "AL", "ME", "MD", "MK", "RS"} {
		if !SEPACountry(cc) {
			t.Errorf("%s: want a SEPA country", cc)
		}
	}
	for _, cc := range []string{"BR", "SA", "US", "TR", "UA", "BA", "XK", "be", "", "EU", "UK"} {
		if SEPACountry(cc) {
			t.Errorf("%s: not a SEPA country", cc)
		}
	}
	n := 0
	for cc := range countries {
		if SEPACountry(cc) {
			n++
		}
	}
	if n != 42 {
		t.Errorf("%d SEPA countries and territories, want 41 countries and Gibraltar", n)
	}
}
