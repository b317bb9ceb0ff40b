package camt

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/paylinks/paylinks/shared/bank"
)

// Property: for any entries written in the shape of any version of either
// message, Read returns exactly them (one per transaction of a batch), in
// order, with the file's format, version, message id and accounts.
func TestReadReturnsWhatWasWritten(t *testing.T) {
	r := rand.New(rand.NewPCG(31, 53))
	g := gen{r: r}
	for round := range 300 {
		s := shape{format: []string{bank.FormatCamt053, bank.FormatCamt054}[r.IntN(2)], version: 2 + r.IntN(7)}
		var buf bytes.Buffer
		w := newDocWriter(&buf, s)
		msgID := g.text(35)
		w.begin(msgID)
		var want []bank.Entry
		var accounts []string
		for st := range 1 + r.IntN(3) {
			account := fmt.Sprintf("NL%02dBANK%010d", st, r.Int64N(1e10))
			if r.IntN(5) == 0 {
				account = fmt.Sprintf("ACCT%d", r.Int64N(1e9))
			}
			accounts = append(accounts, account)
			w.beginStatement(fmt.Sprintf("S%d", st), account)
			for range r.IntN(6) {
				e := g.entry()
				w.entry(e)
				want = append(want, e.expected(account)...)
			}
			w.endStatement()
		}
		if err := w.end(); err != nil {
			t.Fatal(err)
		}
		f, got, err := readAll(buf.Bytes())
		if err != nil {
			t.Fatalf("round %d (%s.001.%02d): Read: %v\n%s", round, s.format, s.version, err, buf.String())
		}
		wantFile := bank.File{Format: s.format, Version: fmt.Sprintf("001.%02d", s.version), MessageID: msgID, Accounts: accounts}
		if f.Format != wantFile.Format || f.Version != wantFile.Version || f.MessageID != wantFile.MessageID || !slices.Equal(f.Accounts, wantFile.Accounts) {
			t.Fatalf("round %d: file %+v, want %+v", round, f, wantFile)
		}
		compareEntries(t, got, want)
		if t.Failed() {
			t.Fatalf("round %d (%s.001.%02d):\n%s", round, s.format, s.version, buf.String())
		}
	}
}
