package coda

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"regexp"
	"slices"
	"testing"

	"github.com/paylinks/paylinks/shared/bank"
)

var (
	isoDate = regexp.MustCompile(`^20[0-9]{2}-[01][0-9]-[0-3][0-9]$`)
	ogm     = regexp.MustCompile(`^[0-9]{12}$`)
)

// FuzzRead: whatever the bytes, Read returns a file and entries or an
// *Error, never panics; what it reads keeps the shape the package promises.
func FuzzRead(f *testing.F) {
	raw, err := os.ReadFile("testdata/two_statements.cod")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(raw)
	f.Add(bytes.ReplaceAll(raw, []byte("\r\n"), []byte("\n")))
	lines := bytes.SplitAfter(raw, []byte("\n"))
	f.Add(bytes.Join(lines[:25], nil)) // the first statement alone
	f.Add(bytes.Join(lines[25:], nil)) // the second alone
	var buf bytes.Buffer
	g := gen{rand.New(rand.NewPCG(5, 5))}
	cw := newCodaWriter(&buf)
	cw.begin(g.statement(1))
	for range 4 {
		cw.movement(g.group())
	}
	cw.end()
	if err := cw.flush(); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	f.Add(append([]byte("\ufeff"), append(raw, "\r\n\r\n"...)...))
	f.Fuzz(func(t *testing.T, data []byte) {
		var got []bank.Entry
		file, err := Read(bytes.NewReader(data), func(e bank.Entry) error {
			got = append(got, e)
			return nil
		})
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %v is no *Error", err)
			}
			return
		}
		if msg := badShape(file, got); msg != "" {
			t.Fatal(msg)
		}
	})
}

// badShape says what in a file read without error breaks the shape Read
// promises, "" when nothing does.
func badShape(file bank.File, got []bank.Entry) string {
	if file.Format != bank.FormatCODA || file.Version != "2" || len(file.Accounts) == 0 || file.MessageID == "" {
		return fmt.Sprintf("file %+v", file)
	}
	for _, e := range got {
		if !e.Amount.IsPositive() || !e.Booked || !isoDate.MatchString(e.BookedOn) ||
			(e.ValueOn != "" && !isoDate.MatchString(e.ValueOn)) || len(e.Currency) != 3 ||
			!slices.Contains(file.Accounts, e.Account) || e.Account != bank.NormalizeAccount(e.Account) ||
			e.Party.IBAN != bank.NormalizeAccount(e.Party.IBAN) || (e.Reference != "" && !ogm.MatchString(e.Reference)) ||
			e.Batch < 0 || e.Batch > 9999 {
			return fmt.Sprintf("entry %+v", e)
		}
	}
	return ""
}
