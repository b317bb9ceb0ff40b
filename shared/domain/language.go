package domain

import (
	"fmt"
	"strconv"
	"strings"
)

// PreferredLanguage is the language of Languages a browser's
// Accept-Language header prefers: the highest q-value (RFC 9110 §12.5.4),
// a tag counting for its primary language (nl-BE is nl), q=0 refusing it,
// the header's order breaking a tie; "" when it names none of them.
func PreferredLanguage(header string) string {
	best, bestQ := "", 0.0
	for _, part := range strings.Split(header, ",") {
		tag, params, _ := strings.Cut(part, ";")
		primary, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(tag)), "-")
		if !ValidLanguage(primary) {
			continue
		}
		q, ok := qValue(params)
		if ok && q > bestQ {
			best, bestQ = primary, q
		}
	}
	return best
}

// qValue is the weight among a language range's parameters (1 when none;
// false when it cannot be read or is out of 0..1).
func qValue(params string) (float64, bool) {
	for _, p := range strings.Split(params, ";") {
		name, value, _ := strings.Cut(p, "=")
		if strings.TrimSpace(strings.ToLower(name)) != "q" {
			continue
		}
		q, err := strconv.ParseFloat(strings.TrimSpace(value), 64)
		return q, err == nil && q >= 0 && q <= 1
	}
	return 1, true
}

// ParseLanguage reads a language by its code, one of Languages (422 on
// field otherwise).
func ParseLanguage(field, s string) (string, error) {
	if !ValidLanguage(s) {
		return "", FieldErrors{{Field: field, Message: fmt.Sprintf("must be one of %s", strings.Join(Languages, ", "))}}
	}
	return s, nil
}
