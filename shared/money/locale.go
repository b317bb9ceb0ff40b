package money

import "strings"

var symbols = map[string]string{"EUR": "€", "USD": "$", "GBP": "£", "JPY": "¥", "CHF": "CHF", "SEK": "kr", "DKK": "kr", "NOK": "kr", "PLN": "zł"}

// Display formats an amount for people reading the given language: grouping
// and decimal marks and symbol placement as CLDR has them for en, nl, fr, de.
func (a Amount) Display(lang string) string {
	digits := a.String()
	intPart, frac, _ := strings.Cut(strings.TrimPrefix(digits, "-"), ".")
	group, dec := ",", "."
	switch lang {
	case "nl", "de":
		group, dec = ".", ","
	case "fr":
		group, dec = "\u202f", ","
	}
	var b strings.Builder
	for i, c := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteString(group)
		}
		b.WriteRune(c)
	}
	num := b.String()
	if frac != "" {
		num += dec + frac
	}
	sym, ok := symbols[a.Currency]
	if !ok {
		sym = a.Currency
	}
	switch lang {
	case "nl":
		return sym + "\u00a0" + num
	case "fr", "de":
		return num + "\u00a0" + sym
	default:
		if len(sym) > 2 && sym == a.Currency {
			return sym + "\u00a0" + num
		}
		return sym + num
	}
}
