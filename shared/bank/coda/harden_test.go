package coda

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/shopspring/decimal"
)

// amountAt reads the 15 digits (12 + 3 decimals) at p of a line.
func amountAt(t *testing.T, line string, p int) decimal.Decimal {
	t.Helper()
	d, err := decimal.NewFromString(string([]rune(line)[p-1 : p+14]))
	if err != nil {
		t.Fatal(err)
	}
	return d.Shift(-3)
}

func digits15(d decimal.Decimal) string { return fmt.Sprintf("%015s", d.Shift(3).StringFixed(0)) }

// A movement of amount zero moves no money: it is no entry (a credit of
// nothing would be a payment to review), and the file is read on.
func TestReadSkipsZeroMovements(t *testing.T) {
	l := fixtureLines(t)
	// Movement 0003 (lines 10-12) is a debit of 19.99: made a credit of
	// zero, the new balance is 19.99 more and the trailer's debits less.
	was := amountAt(t, l[9], 33)
	l[9] = put(put(l[9], 32, "0"), 33, digits15(decimal.Zero))
	l[22] = put(l[22], 43, digits15(amountAt(t, l[22], 43).Add(was)))
	l[24] = put(l[24], 23, digits15(amountAt(t, l[24], 23).Sub(was)))
	_, got, err := readAll(t, strings.Join(l, "\n")+"\n")
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	want := slices.Delete(fixtureEntries(), 2, 3)
	if len(got) != len(want) {
		t.Fatalf("%d entries, want %d", len(got), len(want))
	}
	for i := range want {
		if !sameEntry(got[i], want[i]) {
			t.Errorf("entry %d:\n got %+v\nwant %+v", i, got[i], want[i])
		}
	}
}

// A UTF-8 byte-order mark at the start, a final CRLF and blank lines at
// the end are what editors and transfers leave: accepted. Anything else
// out of the records stays an error.
func TestReadAcceptsEditorsLeftovers(t *testing.T) {
	raw, err := os.ReadFile("testdata/two_statements.cod")
	if err != nil {
		t.Fatal(err)
	}
	crlf := string(raw)
	lf := strings.ReplaceAll(crlf, "\r\n", "\n")
	for name, text := range map[string]string{
		"BOM":                      "\ufeff" + crlf,
		"BOM, LF":                  "\ufeff" + lf,
		"trailing CRLF blank":      crlf + "\r\n\r\n",
		"trailing LF blank":        lf + "\n\n",
		"trailing spaces line":     lf + "   \n",
		"BOM and trailing blank":   "\ufeff" + crlf + "\r\n",
		"no final line end, blank": lf + "\n",
	} {
		_, got, err := readAll(t, text)
		if err != nil || len(got) != len(fixtureEntries()) {
			t.Errorf("%s: %d entries, %v", name, len(got), err)
		}
	}
	lines := strings.Split(lf, "\n")
	for name, c := range map[string]struct {
		text string
		line int
	}{
		"blank line inside":         {strings.Join(slices.Insert(slices.Clone(lines), 5, ""), "\n"), 6},
		"blank line between files":  {strings.Join(slices.Insert(slices.Clone(lines), 25, ""), "\n"), 26},
		"BOM on a later line":       {strings.Replace(lf, "\n2100", "\n\ufeff2100", 1), 3},
		"two BOMs":                  {"\ufeff\ufeff" + lf, 1},
		"only a BOM":                {"\ufeff", 0},
		"only blank lines":          {"\n\n", 0},
		"record after blank at end": {lf + "\n" + lines[0] + "\n", 36},
	} {
		_, _, err := readAll(t, c.text)
		var e *Error
		if !errors.As(err, &e) || e.Line != c.line {
			t.Errorf("%s: err %v, want an *Error on line %d", name, err, c.line)
		}
	}
}

// An account and a party's IBAN are given as bank.NormalizeAccount makes
// them: in upper case.
func TestReadNormalisesAccounts(t *testing.T) {
	l := fixtureLines(t)
	l[26] = put(l[26], 6, "de89370400440532013000") // the second statement's old balance
	l[33] = put(l[33], 5, "de89370400440532013000") // and new balance
	l[4] = put(l[4], 11, "be71096123456769")        // the first movement's counterparty (2.3)
	f, got, err := readAll(t, strings.Join(l, "\n"))
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	if !slices.Equal(f.Accounts, []string{"BE68539007547034", "DE89370400440532013000"}) {
		t.Errorf("accounts %v", f.Accounts)
	}
	if got[6].Account != "DE89370400440532013000" || got[0].Party.IBAN != "BE71096123456769" {
		t.Errorf("account %q, party IBAN %q", got[6].Account, got[0].Party.IBAN)
	}
	if got[0].Key() != fixtureEntries()[0].Key() {
		t.Errorf("one entry, two keys")
	}
}

// A structured communication whose check digits are wrong is kept as the
// payer wrote it: in Reference, and in Remittance so a review shows it.
func TestReadKeepsMistypedCommunication(t *testing.T) {
	l := fixtureLines(t)
	l[2] = put(l[2], 66, "090933755494")
	_, got, err := readAll(t, strings.Join(l, "\n"))
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	if got[0].Reference != "090933755494" || got[0].Remittance != "090933755494" {
		t.Errorf("Reference %q, Remittance %q", got[0].Reference, got[0].Remittance)
	}
	if got[4].Reference != "123456789002" || got[4].Remittance != "" {
		t.Errorf("a valid one: Reference %q, Remittance %q", got[4].Reference, got[4].Remittance)
	}
}
