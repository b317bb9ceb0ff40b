package coda

import (
	"errors"
	"os"
	"strings"
	"testing"
)

// fixtureLines are the fixture's records without line ends.
func fixtureLines(t *testing.T) []string {
	t.Helper()
	raw, err := os.ReadFile("testdata/two_statements.cod")
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSuffix(strings.ReplaceAll(string(raw), "\r\n", "\n"), "\n"), "\n")
}

// put writes s over a line from position p (1-based).
func put(line string, p int, s string) string {
	r := []rune(line)
	copy(r[p-1:], []rune(s))
	return string(r)
}

func TestReadErrors(t *testing.T) {
	// Lines of the fixture (1-based): 1 header, 2 old balance, 3-5 movement
	// 0001, 6-9 movement 0002 with 3.1/3.2, 10-12 0003, 13-15 0004, 16 the
	// total 0005, 17-22 its details, 23 new balance, 24 free communication,
	// 25 trailer; 26-35 the second statement.
	type edit func(l []string) []string
	at := func(n, p int, s string) edit {
		return func(l []string) []string { l[n-1] = put(l[n-1], p, s); return l }
	}
	cases := []struct {
		name  string
		edit  edit
		line  int
		field string // a part of the error's field; "" for a line's fault
	}{
		{"short line", func(l []string) []string { l[4] = l[4][:127]; return l }, 5, ""},
		{"long line", func(l []string) []string { l[4] += " "; return l }, 5, ""},
		{"much too long line", func(l []string) []string { l[4] += strings.Repeat("x", 2000); return l }, 5, ""},
		{"control character", at(5, 60, "\t"), 5, "pos 60"},
		{"unknown record type", at(7, 1, "24"), 7, "record identification"},
		{"unknown record 5", at(24, 1, "5"), 24, "record identification"},
		{"version 1", at(1, 128, "1"), 1, "version code"},
		{"application code", at(1, 15, "07"), 1, "application code"},
		{"bad creation date", at(1, 6, "310225"), 1, "creation date"},
		{"account structure", at(2, 2, "5"), 2, "account structure"},
		{"bad IBAN", at(2, 6, "BE68539007547035"), 2, "account number"},
		{"foreign IBAN as Belgian", at(26+1, 2, "2"), 27, "account number"},
		{"currency", at(2, 40, "eur"), 2, "currency code"},
		{"balance sign", at(2, 43, "2"), 2, "old balance sign"},
		{"amount not digits", at(3, 40, "12,5"), 3, "amount (pos 33-47)"},
		{"movement sign", at(3, 32, "-"), 3, "movement sign"},
		{"value date", at(3, 48, "300225"), 3, "value date"},
		{"entry date", at(3, 116, "000000"), 3, "entry date"},
		{"transaction type 4", at(3, 54, "4"), 3, "transaction code"},
		{"communication type", at(3, 62, "2"), 3, "communication type (pos 62)"},
		{"OGM not digits", at(3, 66, "09093375549X"), 3, "structured communication 101"},
		{"OGM too long", at(3, 78, "1"), 3, "structured communication 101"},
		{"first sequence", at(3, 3, "0002"), 3, "sequence and detail"},
		{"sequence skipped", func(l []string) []string {
			for i := 9; i <= 11; i++ {
				l[i] = put(l[i], 3, "0004")
			}
			return l
		}, 10, "continuous sequence number"},
		{"2.2 of another movement", at(4, 3, "0002"), 4, "continuous sequence number"},
		{"2.2 of another detail", at(21, 7, "0001"), 21, "detail number"},
		{"detail going back", at(20, 7, "0001"), 20, "detail number"},
		{"new movement with detail", func(l []string) []string {
			for i := 9; i <= 11; i++ {
				l[i] = put(l[i], 7, "0001")
			}
			return l
		}, 10, "detail number"},
		{"2.2 after 2.3", func(l []string) []string { l[3], l[4] = l[4], l[3]; return l }, 5, "record identification"},
		{"3.2 without 3.1", func(l []string) []string { l[7] = put(l[8], 1, "32"); return l }, 8, "record identification"},
		{"3.1 of another movement", at(8, 3, "0003"), 8, "continuous sequence number"},
		{"3.1 type", at(8, 40, "7"), 8, "communication type (pos 40)"},
		{"3.2 of another detail", at(9, 7, "0003"), 9, "detail number"},
		{"movement before old balance", func(l []string) []string { l[1] = l[2]; return l }, 2, "record identification"},
		{"two headers", func(l []string) []string { l[1] = l[0]; return l }, 2, "record identification"},
		{"free communication among movements", func(l []string) []string { l[15] = l[23]; return l }, 16, "record identification"},
		{"trailer before new balance", func(l []string) []string { l[22] = l[24]; return l }, 23, "record identification"},
		{"new balance account", at(23, 5, "BE71096123456769"), 23, "account number"},
		{"new balance", at(23, 55, "9"), 23, "new balance (pos 42-57)"},
		{"new balance date", at(23, 58, "999999"), 23, "new balance date"},
		{"trailer count", at(25, 17, "000023"), 25, "number of records"},
		{"trailer count digits", at(25, 17, "00 022"), 25, "number of records"},
		{"trailer debit", at(25, 35, "1"), 25, "debit movements"},
		{"trailer credit", at(25, 50, "1"), 25, "credit movements"},
		{"truncated", func(l []string) []string { return l[:30] }, 30, ""},
		{"no trailer at the end", func(l []string) []string { return l[:len(l)-1] }, 34, ""},
		{"empty", func([]string) []string { return nil }, 0, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			lines := c.edit(fixtureLines(t))
			text := strings.Join(lines, "\n")
			if len(lines) > 0 {
				text += "\n"
			}
			_, _, err := readAll(t, text)
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("err = %v, want an *Error", err)
			}
			if e.Line != c.line || !strings.Contains(e.Field, c.field) || (c.field == "" && e.Field != "" && c.name != "control character") {
				t.Errorf("error %q: line %d field %q, want line %d field %q", err, e.Line, e.Field, c.line, c.field)
			}
			if testing.Verbose() {
				t.Log(err)
			}
		})
	}
}

// TestErrorsHideAccounts: an error about an account number shows only its
// country and last four characters (errors end up in logs).
func TestErrorsHideAccounts(t *testing.T) {
	l := fixtureLines(t)
	l[22] = put(l[22], 5, "BE71096123456769")
	_, _, err := readAll(t, strings.Join(l, "\n"))
	if err == nil || strings.Contains(err.Error(), "BE71096123456769") || !strings.Contains(err.Error(), "BE**********6769") {
		t.Fatalf("err = %v", err)
	}
}
