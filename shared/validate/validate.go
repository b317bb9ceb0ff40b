// Package validate checks the shapes of fields integrators send: e-mail
// addresses, E.164 phone numbers, countries, IBANs, BICs, redirect URLs.
package validate

import (
	"errors"
	"math/big"
	"net"
	"net/mail"
	"net/url"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

var (
	e164    = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)
	country = regexp.MustCompile(`^[A-Z]{2}$`)
	bic     = regexp.MustCompile(`^[A-Z]{4}[A-Z]{2}[A-Z0-9]{2}([A-Z0-9]{3})?$`)
	ibanRe  = regexp.MustCompile(`^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$`)
	sepaID  = regexp.MustCompile(`^[A-Za-z0-9/\-?:().,'+ ]{1,35}$`)
)

// Email reports a plain address such as "ana@example.be" (no display name).
func Email(s string) bool {
	if len(s) > 254 {
		return false
	}
	a, err := mail.ParseAddress(s)
	return err == nil && a.Address == s && a.Name == "" && strings.Contains(s[strings.LastIndexByte(s, '@'):], ".")
}

// Phone reports an E.164 number.
func Phone(s string) bool { return e164.MatchString(s) }

// Country reports an ISO 3166-1 alpha-2 code shape (upper case).
func Country(s string) bool { return country.MatchString(s) }

// BIC reports an ISO 9362 code.
func BIC(s string) bool { return bic.MatchString(s) }

// EndToEndID reports a SEPA end-to-end id (at most 35 characters of the
// SEPA Latin set).
func EndToEndID(s string) bool { return sepaID.MatchString(s) }

// IBAN reports an IBAN with a valid ISO 13616 mod-97 checksum. Spaces are
// allowed between groups; letters must be upper case.
func IBAN(s string) bool {
	s = strings.ReplaceAll(s, " ", "")
	if !ibanRe.MatchString(s) {
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
