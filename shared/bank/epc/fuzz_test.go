package epc_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/shopspring/decimal"

	"github.com/paylinks/paylinks/shared/bank/epc"
)

// FuzzPayload: whatever the fields, Payload never panics, and what it
// accepts is valid UTF-8 of at most 331 bytes, starts with the fixed
// header, and keeps every element in its own line.
func FuzzPayload(f *testing.F) {
	f.Add("GEBABEBB", "Demo Bakery BV", "BE68 5390 0754 7034", "12.5", "+++090/9337/55493+++", "", "")
	f.Add("", "Zoë", "BE68539007547034", "0.01", "", "Invoice 42", "Thanks")
	f.Add("GEBABEBBXXX", "a\nb", "BE68539007547034", "999999999.99", "RF18 5390 0754 7034", "", "x")
	f.Fuzz(func(t *testing.T, bic, name, iban, amount, ref, text, info string) {
		a, err := decimal.NewFromString(amount)
		if err != nil {
			return
		}
		p := epc.Payment{BIC: bic, Name: name, IBAN: iban, Currency: "EUR", Amount: a, Reference: ref, Text: text, Information: info}
		got, err := epc.Payload(p)
		if err != nil {
			return
		}
		lines := strings.Split(got, "\n")
		if !utf8.ValidString(got) || len(got) > epc.MaxPayload || len(lines) < 8 || len(lines) > 12 {
			t.Fatalf("Payload(%+v) = %q", p, got)
		}
		want := []string{"BCD", "002", "1", "SCT", bic, name, strings.ReplaceAll(iban, " ", "")}
		for i, w := range want {
			if lines[i] != w {
				t.Fatalf("line %d = %q, want %q (payload %q)", i+1, lines[i], w, got)
			}
		}
		if text != "" && (len(lines) < 11 || lines[10] != text) || info != "" && (len(lines) != 12 || lines[11] != info) {
			t.Fatalf("text or information out of place in %q", got)
		}
		if lines[len(lines)-1] == "" {
			t.Fatalf("payload ends with an empty element: %q", got)
		}
	})
}
