package pain001

import (
	"encoding/xml"
	"errors"
	"fmt"
	"math/big"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/shopspring/decimal"

	"github.com/paylinks/paylinks/shared/bank"
)

// testIBAN is a valid IBAN of the country and BBAN.
func testIBAN(country, bban string) string {
	var s strings.Builder
	for _, c := range bban + country + "00" {
		if c >= 'A' && c <= 'Z' {
			fmt.Fprintf(&s, "%d", c-'A'+10)
		} else {
			s.WriteRune(c)
		}
	}
	v, _ := new(big.Int).SetString(s.String(), 10)
	return fmt.Sprintf("%s%02d%s", country, 98-new(big.Int).Mod(v, big.NewInt(97)).Int64(), bban)
}

// cents writes an amount of cents as euro with 2 decimals, by integer
// arithmetic (not the package's decimal formatting).
func cents(c int64) string { return fmt.Sprintf("%d.%02d", c/100, c%100) }

// amountText writes c cents in one of the forms a decimal may come in:
// "12", "12.5", "12.50".
func amountText(r *rand.Rand, c int64) string {
	switch {
	case c%100 == 0 && r.IntN(2) == 0:
		return fmt.Sprint(c / 100)
	case c%10 == 0 && r.IntN(2) == 0:
		return fmt.Sprintf("%d.%d", c/100, c%100/10)
	}
	return cents(c)
}

// TestWriteControlSum: over generated files of payments with decimal
// amounts, NbOfTxs is the number of payments and CtrlSum (in GrpHdr and in
// PmtInf) is exactly the sum of the amounts, each written with 2 decimals.
func TestWriteControlSum(t *testing.T) {
	r := rand.New(rand.NewPCG(31, 1))
	names := []string{"Jan Peeters", "Zoë Dubois", "Ørsted A/S", "Łódź Sp. z o.o.", "O'Brien & Sons", "Müller-Lüdenscheidt"}
	for i := range 500 {
		n := 1 + r.IntN(60)
		f := File{
			MessageID: fmt.Sprintf("MSG-%d", i), CreatedAt: time.Unix(r.Int64N(2e9), 0), InitiatingParty: "Paylinks",
			Debtor:        bank.Party{Name: "Merchant", IBAN: testIBAN("BE", fmt.Sprintf("%012d", r.Int64N(1e12))), BIC: "GEBABEBB"},
			ExecutionDate: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, r.IntN(365)),
		}
		var sum int64
		var want []string
		for j := range n {
			c := 1 + r.Int64N(99_999_999_999) // up to 999,999,999.99
			if r.IntN(2) == 0 {
				c = 1 + r.Int64N(100_000) // small amounts too
			}
			sum += c
			want = append(want, cents(c))
			f.Payments = append(f.Payments, Payment{
				EndToEndID: fmt.Sprintf("E2E-%d-%d", i, j), Amount: decimal.RequireFromString(amountText(r, c)),
				Creditor: bank.Party{Name: names[r.IntN(len(names))], IBAN: testIBAN("FR", fmt.Sprintf("%023d", r.Int64N(1e18)))},
			})
		}
		p, _ := writeParse(t, f)
		pi := p.PmtInf[0]
		if p.GrpHdr.CtrlSum != cents(sum) || pi.CtrlSum != cents(sum) || p.GrpHdr.NbOfTxs != fmt.Sprint(n) || pi.NbOfTxs != fmt.Sprint(n) {
			t.Fatalf("file %d: CtrlSum %s/%s NbOfTxs %s/%s, want %s and %d", i, p.GrpHdr.CtrlSum, pi.CtrlSum, p.GrpHdr.NbOfTxs, pi.NbOfTxs, cents(sum), n)
		}
		for j, x := range pi.Txs {
			if x.Amt.Value != want[j] || x.EndToEndID != f.Payments[j].EndToEndID {
				t.Fatalf("file %d payment %d: %s %s, want %s", i, j, x.EndToEndID, x.Amt.Value, want[j])
			}
		}
	}
}

func TestSanitize(t *testing.T) {
	for in, want := range map[string]string{
		"Jan Peeters":            "Jan Peeters",
		"  Zoë\t\tDubois \n":     "Zoe Dubois",
		"Straße 1":               "Strasse 1",
		"A&B":                    "A+B",
		"Œuvre – “Été”":          "OEuvre - 'Ete'",
		"pl_8ZK3; paid!":         "pl-8ZK3, paid.",
		"Şişli Ţară":             "Sisli Tara",
		"+++090/9337/55493+++":   "+++090/9337/55493+++",
		"a\u00a0b\u2009c":        "a b c",
		"":                       "",
		" \t ":                   "",
		"Ärger Ölkännchen Übung": "Arger Olkannchen Ubung",
	} {
		got, err := sanitize(in)
		if err != nil || got != want {
			t.Errorf("sanitize(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"x × y", "Invoice #3", "50%", "a@b", "中文", "😀", "a\x00b", "tab\u0301"} {
		if got, err := sanitize(in); err == nil {
			t.Errorf("sanitize(%q) = %q, want an error", in, got)
		}
	}
	// Every letter of Latin-1 Supplement and Latin Extended-A has a rendering.
	for r := rune(0xC0); r <= 0x17F; r++ {
		if r == 0xD7 || r == 0xF7 { // × and ÷ are no letters
			continue
		}
		if _, err := sanitize(string(r)); err != nil {
			t.Errorf("%q: %v", r, err)
		}
	}
}

// FuzzSanitize: what sanitize returns is SEPA text (only the set's
// characters, single spaces, none at either end), sanitising it again
// changes nothing, text already in that form comes back unchanged, and an
// error names a character that has no rendering.
func FuzzSanitize(f *testing.F) {
	for _, s := range []string{"Jan Peeters", "  Zoë\t\tDubois ", "Straße & Söhne", "x × y", "O'Brien", "\u00a0", "日本"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out, err := sanitize(s)
		if err != nil {
			if !hasUnrenderable(s) {
				t.Fatalf("sanitize(%q): %v, but every character has a rendering", s, err)
			}
			return
		}
		if !sepaText(out) {
			t.Fatalf("sanitize(%q) = %q, not SEPA text", s, out)
		}
		if again, err := sanitize(out); err != nil || again != out {
			t.Fatalf("sanitize(%q) = %q, again %q, %v", s, out, again, err)
		}
		if utf8.ValidString(s) && sepaText(s) && out != s {
			t.Fatalf("sanitize(%q) = %q, want it unchanged", s, out)
		}
	})
}

// sepaText reports only SEPA characters, no double space and no space at
// either end.
func sepaText(s string) bool {
	for _, r := range s {
		if !strings.ContainsRune("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/-?:().,'+ ", r) {
			return false
		}
	}
	return !strings.Contains(s, "  ") && strings.TrimSpace(s) == s
}

func hasUnrenderable(s string) bool {
	for _, r := range s {
		if _, ok := render(r); !ok {
			return true
		}
	}
	return false
}

// FuzzWriteText: a creditor name and remittance text either are refused
// with an error naming their field, or come back from the written XML as
// their SEPA text.
func FuzzWriteText(f *testing.F) {
	f.Add("Jan Peeters", "Refund +++090/9337/55493+++")
	f.Add("O'Brien & Sons <Ltd>", "a\"b'c&d<e>f")
	f.Add("", "x × y")
	f.Fuzz(func(t *testing.T, name, remittance string) {
		file := sample()
		file.Payments[1].Creditor.Name, file.Payments[1].Remittance = name, remittance
		var buf strings.Builder
		err := Write(&buf, file)
		if err != nil {
			var fe *FieldError
			if !errors.As(err, &fe) || (fe.Field != "Payments[1].Creditor.Name" && fe.Field != "Payments[1].Remittance") {
				t.Fatalf("err = %v", err)
			}
			return
		}
		var p parsed
		if err := xml.Unmarshal([]byte(buf.String()), &p); err != nil {
			t.Fatalf("parse: %v", err)
		}
		x := p.PmtInf[0].Txs[1]
		wantName, _ := sanitize(name)
		wantText, _ := sanitize(remittance)
		gotText := ""
		if x.Ustrd != nil {
			gotText = *x.Ustrd
		}
		if x.CdtrNm != wantName || gotText != wantText || len(wantName) > 70 || len(wantText) > 140 {
			t.Fatalf("name %q text %q, want %q %q", x.CdtrNm, gotText, wantName, wantText)
		}
	})
}
