package camtgen_test

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/paylinks/paylinks/shared/bank"
	"github.com/paylinks/paylinks/shared/bank/camt"
	"github.com/paylinks/paylinks/shared/bank/reference"
	"github.com/paylinks/paylinks/shared/testkit/camtgen"
)

// read is the entries of a statement as the camt reader reads them.
func read(t *testing.T, file []byte) []bank.Entry {
	t.Helper()
	var got []bank.Entry
	if _, err := camt.Read(bytes.NewReader(file), func(e bank.Entry) error { got = append(got, e); return nil }); err != nil {
		t.Fatalf("read:\n%s\n%v", file, err)
	}
	return got
}

// same reports whether a and b are the same entries (amounts by value:
// printed by their String).
func same(a, b []bank.Entry) bool { return fmt.Sprintf("%+v", a) == fmt.Sprintf("%+v", b) }

func TestOneCredit(t *testing.T) {
	ref := reference.ForLink("pl_01JDEV000000000000000000000", 0, reference.RF)
	got := read(t, camtgen.OneCredit("BE71 0961 2345 6769", "63.10", "LS-1", ref))
	want := bank.Entry{Account: "BE71096123456769", Currency: "EUR", Amount: decimal.RequireFromString("63.1"), Credit: true, Booked: true,
		BookedOn: "2026-12-01", EntryRef: "LS-1", Reference: ref, Party: bank.Party{Name: "Jan Peeters", IBAN: "BE68539007547034"}}
	if !same(got, []bank.Entry{want}) {
		t.Fatalf("OneCredit reads as %+v, want [%+v]", got, want)
	}
}

// entry is a random entry of account acct, of the fields Write writes.
func entry(r *rand.Rand, acct string, i int) bank.Entry {
	e := bank.Entry{Account: acct, Currency: []string{"EUR", "USD"}[r.IntN(2)], Amount: decimal.New(1+r.Int64N(1_000_000), -int32(r.IntN(3))),
		Credit: r.IntN(2) == 0, Booked: r.IntN(4) > 0, Reversal: r.IntN(6) == 0, BookedOn: fmt.Sprintf("2026-%02d-%02d", 1+r.IntN(12), 1+r.IntN(28))}
	if r.IntN(3) > 0 {
		e.EntryRef = fmt.Sprintf("REF-%d<&>", i)
	}
	if r.IntN(3) == 0 {
		e.EndToEndID = fmt.Sprintf("E2E-%d", i)
	}
	if r.IntN(3) > 0 {
		e.Party = bank.Party{Name: fmt.Sprintf("Payer \"%d\" & Co", r.IntN(100)), IBAN: "BE68539007547034"}
	}
	if r.IntN(2) == 0 {
		e.Reference = reference.ForLink(fmt.Sprintf("pl_%026d", i), 0, reference.RF)
	}
	if r.IntN(2) == 0 {
		e.Remittance = fmt.Sprintf("order %d <thanks>", i)
	}
	return e
}

// Property: a statement Write makes reads back as the entries it was given,
// in order; Of writes the same document.
func TestWriteReadsBack(t *testing.T) {
	r := rand.New(rand.NewPCG(53, 8))
	for run := 0; run < 300; run++ {
		n := r.IntN(12)
		entries := make([]bank.Entry, n)
		for i := range entries {
			entries[i] = entry(r, "BE71096123456769", i)
		}
		var b strings.Builder
		if err := camtgen.Write(&b, "BE71096123456769", n, func(i int) bank.Entry { return entries[i] }); err != nil {
			t.Fatal(err)
		}
		if of := camtgen.Of("BE71096123456769", entries); string(of) != b.String() {
			t.Fatalf("Of and Write differ:\n%s\n%s", of, b.String())
		}
		if got := read(t, []byte(b.String())); !same(got, entries) {
			t.Fatalf("run %d: read\n%+v\nwrote\n%+v", run, got, entries)
		}
	}
}

// countWriter counts the bytes written to it.
type countWriter struct{ n int }

func (w *countWriter) Write(p []byte) (int, error) { w.n += len(p); return len(p), nil }

// Write streams: by the time it asks for an entry, the entries before it
// (but for a buffer's worth) are already written out, each asked for once.
func TestWriteStreams(t *testing.T) {
	const n = 5000
	var w countWriter
	asked := 0
	err := camtgen.Write(&w, "BE71096123456769", n, func(i int) bank.Entry {
		if i != asked {
			t.Fatalf("entry %d asked for after %d", i, asked)
		}
		asked++
		if i == n-1 && w.n < (n-1)*200 {
			t.Fatalf("%d bytes written before the last of %d entries: held, not streamed", w.n, n)
		}
		return bank.Entry{Currency: "EUR", Amount: decimal.New(int64(i+1), -2), Credit: true, Booked: true, BookedOn: "2026-12-01",
			EntryRef: fmt.Sprintf("S-%d", i)}
	})
	if err != nil || asked != n {
		t.Fatalf("Write: %v, %d entries asked for, want %d", err, asked, n)
	}
}
