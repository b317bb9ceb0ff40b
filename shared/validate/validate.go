// Package validate checks the shapes of fields integrators send: e-mail
// addresses, E.164 phone numbers, countries, IBANs, BICs, redirect URLs and
// domains, text shown to payers.
//
//go:generate go run ./internal/gencountries /usr/share/iso-codes/json/iso_3166-1.json countries.go
package validate

import (
	"errors"
	"math/big"
	"net"
	"net/mail"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/publicsuffix"
)

// The patterns, each compiled at its first use rather than at every
// function's cold start (half a millisecond for the five).
var (
	e164   = lazyRegexp(`^\+[1-9][0-9]{6,14}$`)
	bic    = lazyRegexp(`^[A-Z]{4}[A-Z]{2}[A-Z0-9]{2}([A-Z0-9]{3})?$`)
	ibanRe = lazyRegexp(`^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$`)
	sepaID = lazyRegexp(`^[A-Za-z0-9/\-?:().,'+ ]{1,35}$`)
	// domainRe is a lower-case DNS name of two or more labels, the last
	// alphabetic (or an IDN in punycode).
	domainRe = lazyRegexp(`^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+([a-z]{2,63}|xn--[a-z0-9-]{1,59})$`)
)

// lazyRegexp is expr compiled at the first call.
func lazyRegexp(expr string) func() *regexp.Regexp {
	return sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(expr) })
}

// Email reports a plain address such as "ana@example.be" (no display name)
// with a domain name, not a bracketed IP literal, and no character that
// draws nothing (invisible: zero-width and format characters, bidi
// controls among them), which net/mail's UTF-8 atoms let through: an
// address payers see must read as what it is.
func Email(s string) bool {
	if len(s) > 254 || strings.IndexFunc(s, invisible) >= 0 {
		return false
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" {
		return false
	}
	domain := s[strings.LastIndexByte(s, '@')+1:]
	return strings.Contains(domain, ".") && !strings.HasPrefix(domain, "[")
}

// Phone reports an E.164 number.
func Phone(s string) bool { return e164().MatchString(s) }

// Country reports an officially assigned ISO 3166-1 alpha-2 code, upper
// case ("BE"; not "XX", "ZZ" or "UK": the United Kingdom is "GB").
func Country(s string) bool {
	_, ok := countries[s]
	return ok
}

// BIC reports an ISO 9362 code: four letters of the institution, the
// assigned ISO 3166-1 country of its fifth and sixth, a location and an
// optional branch.
func BIC(s string) bool { return bic().MatchString(s) && Country(s[4:6]) }

// EndToEndID reports a SEPA end-to-end id (at most 35 characters of the
// SEPA Latin set).
func EndToEndID(s string) bool { return sepaID().MatchString(s) }

// IBAN reports an IBAN with a valid ISO 13616 mod-97 checksum. Spaces are
// allowed between groups; letters must be upper case.
func IBAN(s string) bool {
	s = strings.ReplaceAll(s, " ", "")
	if !ibanRe().MatchString(s) {
		return false
	}
	r := s[4:] + s[:4]
	var digits strings.Builder
	for _, c := range r {
		if c >= 'A' && c <= 'Z' {
			digits.WriteString(big.NewInt(int64(c - 'A' + 10)).String())
		} else {
			digits.WriteRune(c)
		}
	}
	n, ok := new(big.Int).SetString(digits.String(), 10)
	return ok && new(big.Int).Mod(n, big.NewInt(97)).Int64() == 1
}

// Text reports a single-line text of 1..max runes with no control
// characters.
func Text(s string, max int) bool {
	if s == "" || !utf8.ValidString(s) || utf8.RuneCountInString(s) > max {
		return false
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return false
		}
	}
	return true
}

// PayerText reports Text(s, max) that is also safe to show a payer: no
// bidirectional embedding, override or isolate controls (U+202A-U+202E,
// U+2066-U+2069), which can make "Invoice\u202Efdp.exe" read as another
// text, and not only invisible characters (spaces, zero-width characters,
// format characters, blank fillers). Marks (U+200E, U+200F) and joiners are
// allowed inside visible text.
func PayerText(s string, max int) bool {
	if !Text(s, max) {
		return false
	}
	visible := false
	for _, r := range s {
		if isBidiControl(r) {
			return false
		}
		if !invisible(r) {
			visible = true
		}
	}
	return visible
}

func isBidiControl(r rune) bool {
	return (r >= 0x202A && r <= 0x202E) || (r >= 0x2066 && r <= 0x2069)
}

// invisible reports characters that draw nothing: white space, controls,
// format characters (zero-width space, joiners, marks, word joiner, BOM),
// the combining grapheme joiner and the blank fillers of Hangul and Braille.
func invisible(r rune) bool {
	switch r {
	case 0x034F, 0x115F, 0x1160, 0x2800, 0x3164, 0xFFA0:
		return true
	}
	return unicode.IsSpace(r) || unicode.IsControl(r) || unicode.In(r, unicode.Cf, unicode.Zs)
}

// Redirect domain errors.
var (
	ErrDomainShape        = errors.New("must be a lower-case DNS name such as shop.example")
	ErrDomainPublicSuffix = errors.New("is a public suffix (such as co.uk or github.io): name your own domain under it")
)

// RedirectDomain checks an entry of a merchant's redirect allow-list: a
// lower-case DNS name of at least two labels that is not itself a public
// suffix by the Public Suffix List (ICANN and private sections), since an
// entry also allows every name under it.
func RedirectDomain(d string) error {
	if len(d) > 253 || !domainRe().MatchString(d) {
		return ErrDomainShape
	}
	if suffix, _ := publicsuffix.PublicSuffix(d); suffix == d {
		return ErrDomainPublicSuffix
	}
	return nil
}

// Redirect errors.
var (
	ErrRedirectURL    = errors.New("must be an absolute https URL")
	ErrRedirectHost   = errors.New("host is not on the merchant's redirect allow-list")
	ErrRedirectUnsafe = errors.New("must not carry credentials, an IP address or localhost")
)

// RedirectURL checks a redirect target: https, a DNS host name (no IP
// literal, no localhost), no userinfo, and a host the allow callback
// accepts.
func RedirectURL(raw string, allow func(host string) bool) error {
	if len(raw) > 2048 {
		return ErrRedirectURL
	}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "https" || u.Host == "" || u.Opaque != "" {
		return ErrRedirectURL
	}
	host := u.Hostname()
	if u.User != nil || net.ParseIP(host) != nil || strings.Contains(host, ":") || host == "" {
		return ErrRedirectUnsafe
	}
	lh := strings.TrimSuffix(strings.ToLower(host), ".")
	if lh == "localhost" || strings.HasSuffix(lh, ".localhost") || !strings.Contains(lh, ".") {
		return ErrRedirectUnsafe
	}
	if u.Port() != "" && u.Port() != "443" {
		return ErrRedirectUnsafe
	}
	if !allow(lh) {
		return ErrRedirectHost
	}
	return nil
}
