package pain001

import (
	"fmt"
	"strings"
)

// The SEPA character set (the EPC implementation guidelines' Latin set):
// a-z A-Z 0-9 / - ? : ( ) . , ' + and space.
func sepaChar(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("/-?:().,'+ ", r)
}

// translit maps characters outside the SEPA set to their usual Latin
// rendering: letters with diacritics to the letter (Latin-1 Supplement,
// Latin Extended-A, the Romanian comma-below letters), ligatures and ß to
// two letters, and a few punctuation marks to the nearest one of the set.
var translit = func() map[rune]string {
	m := map[rune]string{}
	for to, from := range map[string]string{
		"A": "ÀÁÂÃÄÅĀĂĄ", "a": "àáâãäåāăą", "C": "ÇĆĈĊČ", "c": "çćĉċč", "D": "ÐĎĐ", "d": "ðďđ",
		"E": "ÈÉÊËĒĔĖĘĚ", "e": "èéêëēĕėęě", "G": "ĜĞĠĢ", "g": "ĝğġģ", "H": "ĤĦ", "h": "ĥħ",
		"I": "ÌÍÎÏĨĪĬĮİ", "i": "ìíîïĩīĭįı", "J": "Ĵ", "j": "ĵ", "K": "Ķ", "k": "ķĸ", "L": "ĹĻĽĿŁ", "l": "ĺļľŀł",
		"N": "ÑŃŅŇŊ", "n": "ñńņňŉŋ", "O": "ÒÓÔÕÖØŌŎŐ", "o": "òóôõöøōŏő", "R": "ŔŖŘ", "r": "ŕŗř",
		"S": "ŚŜŞŠȘ", "s": "śŝşšșſ", "T": "ŢŤŦȚ", "t": "ţťŧț", "U": "ÙÚÛÜŨŪŬŮŰŲ", "u": "ùúûüũūŭůűų",
		"W": "Ŵ", "w": "ŵ", "Y": "ÝŶŸ", "y": "ýÿŷ", "Z": "ŹŻŽ", "z": "źżž",
		"AE": "Æ", "ae": "æ", "OE": "Œ", "oe": "œ", "IJ": "Ĳ", "ij": "ĳ", "TH": "Þ", "th": "þ", "ss": "ß",
		"+": "&", "'": "‘’‚‛`´\"“”„«»", "-": "_–—‐‑−", ".": "!", ",": ";",
	} {
		for _, r := range from {
			m[r] = to
		}
	}
	return m
}()

// sanitize makes s a text of the SEPA character set: characters of the set
// are kept, others transliterated (é to e, ß to ss, & to +, quotes to '),
// white space of any kind made one space, and spaces at either end
// dropped. A character with no rendering in the set is an error naming it.
func sanitize(s string) (string, error) { return rewrite(s, true) }

// rewrite is s in the SEPA set as sanitize makes it; a character with no
// rendering is an error when strict, else left out.
func rewrite(s string, strict bool) (string, error) {
	var b strings.Builder
	space := false
	for _, r := range s {
		out, ok := render(r)
		switch {
		case !ok && strict:
			return "", fmt.Errorf("character %q (%U) is outside the SEPA character set", r, r)
		case !ok: // lenient: left out
		case out == " ":
			space = b.Len() > 0
		default:
			if space {
				b.WriteByte(' ')
				space = false
			}
			b.WriteString(out)
		}
	}
	return b.String(), nil
}

// render is r in the SEPA set: itself, a space for any white space, or its
// transliteration; false when it has none.
func render(r rune) (string, bool) {
	if r == ' ' || isSpace(r) {
		return " ", true
	}
	if sepaChar(r) {
		return string(r), true
	}
	t, ok := translit[r]
	return t, ok
}

// isSpace reports white space and line or paragraph separators.
func isSpace(r rune) bool {
	switch r {
	case '\t', '\n', '\v', '\f', '\r', 0x85, 0xA0, 0x1680, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000:
		return true
	}
	return r >= 0x2000 && r <= 0x200A
}

// Text is s made SEPA text as Write makes it (transliterated, white space
// made one space), leniently: a character with no rendering in the set is
// left out instead of refused, and the text is cut to at most max
// characters (max <= 0: no bound). It is for text written ahead of a file
// (a payee's name as the bank reported it, a remittance naming an order),
// so that the file later writes it as it is.
func Text(s string, max int) string {
	t, _ := rewrite(s, false) // leniently: no error
	if max > 0 && len(t) > max {
		t = strings.TrimRight(t[:max], " ") // the set is ASCII: bytes are characters
	}
	return t
}
