// Package reference holds the structured payment references a link is paid
// by bank transfer with: the ISO 11649 creditor reference ("RF18 5390 0754
// 7034") and the Belgian structured communication, OGM/VCS
// ("+++090/9337/55493+++"). It makes them, checks their check digits,
// prints them, finds them in a bank's free remittance text and derives a
// link's own. Pure functions, no I/O.
//
// Every reference has an electronic form, the one stored and matched: the
// RF's "RF", check digits and body without spaces (ISO 11649's electronic
// format), the OGM's 12 digits. The checks accept any written form that
// normalizes to it (Normalize).
package reference

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
)

// Errors of Check, CheckRF and CheckOGM (wrapped with the reference).
var (
	// ErrShape: not the characters and length of the format.
	ErrShape = errors.New("not the shape of a structured reference")
	// ErrCheckDigits: the shape is right but the check digits are not.
	ErrCheckDigits = errors.New("check digits do not match")
)

// RF limits (ISO 11649): "RF", 2 check digits, a body of 1 to 21
// alphanumerics; 25 characters at most.
const (
	rfMaxBody = 21
	rfMaxLen  = 4 + rfMaxBody
)

// OGM lengths: a base of 10 digits and 2 check digits.
const (
	ogmBase = 10
	ogmLen  = 12
)

// Normalize is a reference as matched: white space (spaces, tabs, line
// breaks, no-break spaces), '+', '/', '-' and '*' dropped, ASCII letters
// in upper case. Other characters are kept as they are (and make the
// reference invalid).
func Normalize(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case dropped(r):
		case r >= 'a' && r <= 'z':
			b.WriteRune(r - 'a' + 'A')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// dropped reports the separators Normalize drops.
func dropped(r rune) bool {
	return unicode.IsSpace(r) || r == '+' || r == '/' || r == '-' || r == '*'
}

// MakeRF is the creditor reference of body (1 to 21 letters and digits;
// letters in either case, written in upper case), in electronic form. The
// check digits are ISO 7064 MOD 97-10 as ISO 11649 uses them: the body
// followed by "RF00", letters written as two digits (A=10 .. Z=35), taken
// mod 97; the check digits are 98 minus that remainder (02..98).
func MakeRF(body string) (string, error) {
	b := Normalize(body) // upper case; a dropped separator changes the length
	if len(b) != len(body) || len(b) < 1 || len(b) > rfMaxBody || !isAlnum(b) {
		return "", fmt.Errorf("creditor reference body %q: must be 1 to %d letters and digits: %w", body, rfMaxBody, ErrShape)
	}
	r := mod97(b, 0)
	r = mod97("RF00", r)
	return fmt.Sprintf("RF%02d%s", 98-r, b), nil
}

// CheckRF returns the electronic form of an ISO 11649 creditor reference
// written in any form (Normalize): "RF", two check digits in 02..98, a
// body of 1 to 21 letters and digits, and the whole moved to read body,
// "RF", check digits, letters as two digits, leaving remainder 1 mod 97.
// Check digits 00, 01 and 99 leave remainder 1 for some bodies but are
// never computed (98 minus a remainder is 02..98): they are refused.
func CheckRF(s string) (string, error) {
	n := Normalize(s)
	if len(n) < 5 || len(n) > rfMaxLen || n[:2] != "RF" || !isDigits(n[2:4]) || !isAlnum(n[4:]) {
		return "", fmt.Errorf("creditor reference %q: %w", s, ErrShape)
	}
	if cd := n[2:4]; cd == "00" || cd == "01" || cd == "99" || mod97(n[:4], mod97(n[4:], 0)) != 1 {
		return "", fmt.Errorf("creditor reference %q: %w", s, ErrCheckDigits)
	}
	return n, nil
}

// ValidRF reports whether CheckRF accepts s.
func ValidRF(s string) bool {
	_, err := CheckRF(s)
	return err == nil
}

// PrintRF is the creditor reference in its print form: groups of four
// characters separated by a space, the last group possibly shorter
// (ISO 11649 "RF18 5390 0754 7034").
func PrintRF(s string) (string, error) {
	n, err := CheckRF(s)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	for i := 0; i < len(n); i += 4 {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(n[i:min(i+4, len(n))])
	}
	return b.String(), nil
}

// MakeOGM is the Belgian structured communication of a 10-digit base: the
// base and, in two digits, the base mod 97, or 97 when that is 0.
func MakeOGM(base string) (string, error) {
	if len(base) != ogmBase || !isDigits(base) {
		return "", fmt.Errorf("structured communication base %q: must be %d digits: %w", base, ogmBase, ErrShape)
	}
	return base + fmt.Sprintf("%02d", ogmCheck(base)), nil
}

// CheckOGM returns the 12 digits of a Belgian structured communication
// written in any form (Normalize: "+++090/9337/55493+++",
// "***090/9337/55493***", "090/9337/55493", "090933755493") whose last two
// digits are the first ten mod 97, or 97 when that is 0.
func CheckOGM(s string) (string, error) {
	n := Normalize(s)
	if len(n) != ogmLen || !isDigits(n) {
		return "", fmt.Errorf("structured communication %q: %w", s, ErrShape)
	}
	if fmt.Sprintf("%02d", ogmCheck(n[:ogmBase])) != n[ogmBase:] {
		return "", fmt.Errorf("structured communication %q: %w", s, ErrCheckDigits)
	}
	return n, nil
}

// ValidOGM reports whether CheckOGM accepts s.
func ValidOGM(s string) bool {
	_, err := CheckOGM(s)
	return err == nil
}

// PrintOGM is the structured communication in its print form,
// "+++ddd/dddd/ddddd+++".
func PrintOGM(s string) (string, error) {
	n, err := CheckOGM(s)
	if err != nil {
		return "", err
	}
	return "+++" + n[:3] + "/" + n[3:7] + "/" + n[7:] + "+++", nil
}

// Check returns the electronic form and the format of a reference of
// either kind: an RF when it starts with "RF" (in any case), else an OGM.
func Check(s string) (string, Format, error) {
	if strings.HasPrefix(Normalize(s), "RF") {
		n, err := CheckRF(s)
		return n, RF, err
	}
	n, err := CheckOGM(s)
	return n, BEOGM, err
}

// Print is the print form of a reference of either kind.
func Print(s string) (string, error) {
	_, f, err := Check(s)
	if err != nil {
		return "", err
	}
	if f == RF {
		return PrintRF(s)
	}
	return PrintOGM(s)
}

// ogmCheck is the check number of a 10-digit base: base mod 97, 97 for 0.
func ogmCheck(base string) int {
	if r := mod97(base, 0); r != 0 {
		return r
	}
	return 97
}

// mod97 continues the remainder r mod 97 of a number with the digits of
// s, each letter A..Z written as its two digits 10..35. s is digits and
// upper-case letters.
func mod97(s string, r int) int {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= '0' && c <= '9' {
			r = (r*10 + int(c-'0')) % 97
		} else {
			r = (r*100 + int(c-'A') + 10) % 97
		}
	}
	return r
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// isAlnum reports digits and upper-case ASCII letters only.
func isAlnum(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'A' || c > 'Z') {
			return false
		}
	}
	return true
}
