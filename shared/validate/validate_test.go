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
	for s, ok := range map[string]bool{"GKCCBEBB": true, "DEUTDEFF500": true, "GKCCBEB": false, "gkccbebb": false} {
		if BIC(s) != ok {
			t.Errorf("bic %q: want %v", s, ok)
		}
	}
	for s, ok := range map[string]bool{"BE": true, "be": false, "BEL": false} {
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
