package camt

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/paylinks/paylinks/shared/bank"
)

// writeLarge writes a camt.053.001.02 statement of n entries, generated
// one at a time (nothing of it is kept), a fifth of them batches.
func writeLarge(w io.Writer, n int, seed uint64) error {
	g := gen{r: rand.New(rand.NewPCG(seed, 7))}
	d := newDocWriter(w, shape{format: bank.FormatCamt053, version: 2})
	d.begin("LARGE-1")
	d.beginStatement("S-1", "NL20INGB0001234567")
	for written := 0; written < n; {
		e := g.entry()
		if len(e.txs) > 1 && written+len(e.txs) > n {
			e.txs = e.txs[:1]
		}
		d.entry(e)
		written += len(e.expected("x"))
	}
	d.endStatement()
	return d.end()
}

// writeLargeBatch writes a camt.054.001.08 notification of one batch
// entry of n transactions, each generated as it is written.
func writeLargeBatch(w io.Writer, n int, seed uint64) error {
	g := gen{r: rand.New(rand.NewPCG(seed, 11))}
	d := newDocWriter(w, shape{format: bank.FormatCamt054, version: 8})
	d.begin("LARGE-BATCH-1")
	d.beginStatement("N-1", "BE68539007547034")
	e := g.entry()
	e.amount, e.ccy = fmt.Sprintf("%d.00", n), "EUR" // n transactions of 1.00 each
	d.entryHead(e)
	d.raw("<NtryDtls>")
	for range n {
		d.tx(e, g.tx("1.00", "EUR"))
	}
	d.raw("</NtryDtls>")
	d.entryTail()
	d.endStatement()
	return d.end()
}

func liveHeap() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// A 100,000-entry statement, and a batch entry of 100,000 transactions,
// streamed through a pipe, are read in bounded memory: the live heap,
// sampled while reading, grows by less than 16 MB.
func TestReadLargeInBoundedMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("large statement")
	}
	const n = 100_000
	for _, c := range []struct {
		name  string
		write func(io.Writer, int, uint64) error
	}{{"statement", writeLarge}, {"batch", writeLargeBatch}} {
		t.Run(c.name, func(t *testing.T) {
			pr, pw := io.Pipe()
			var written countWriter
			go func() { pw.CloseWithError(c.write(io.MultiWriter(pw, &written), n, 1)) }()

			before := liveHeap()
			var peak uint64
			count := 0
			_, err := Read(pr, func(bank.Entry) error {
				count++
				if count%10_000 == 0 {
					peak = max(peak, liveHeap())
				}
				return nil
			})
			if err != nil {
				t.Fatalf("Read: %v", err)
			}
			if count != n {
				t.Errorf("read %d entries, want %d", count, n)
			}
			growth := int64(peak) - int64(before)
			t.Logf("%d entries, %.1f MB of XML: live heap %.3f MB before, at most %.3f MB while reading (growth %.3f MB)",
				count, float64(written.n)/1e6, float64(before)/1e6, float64(peak)/1e6, float64(growth)/1e6)
			if growth > 16<<20 {
				t.Errorf("live heap grew by %d bytes while reading, want under 16 MB", growth)
			}
		})
	}
}

type countWriter struct{ n int64 }

func (c *countWriter) Write(p []byte) (int, error) {
	c.n += int64(len(p))
	return len(p), nil
}

func BenchmarkRead(b *testing.B) {
	const n = 10_000
	var buf bytes.Buffer
	if err := writeLarge(&buf, n, 2); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(buf.Len()))
	b.ReportAllocs()
	entries := 0
	for b.Loop() {
		_, err := Read(bytes.NewReader(buf.Bytes()), func(bank.Entry) error {
			entries++
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(entries)/b.Elapsed().Seconds(), "entries/s")
}

// FuzzRead: no input makes Read panic, and every entry it yields has a
// positive amount, a currency of three capital letters, a date or none in
// YYYY-MM-DD, a batch index of 0 or more, and its account and party IBAN
// normalised.
func FuzzRead(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.xml"))
	if err != nil {
		f.Fatal(err)
	}
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(statement(ns02, goodEntry)))
	f.Add([]byte(statement(ns02, entry(goodAmt, details(tx(`<Amt Ccy="EUR">0.40</Amt>`), tx(`<Amt Ccy="EUR">0.60</Amt>`))))))
	f.Add([]byte(statementOf("M", "be68 5390 0754 7034", booked("1", "1.00", "2024-03-04",
		`<NtryDtls><Btch><TtlAmt Ccy="EUR">1.00</TtlAmt></Btch>`+tx(`<Amt Ccy="EUR">0.40</Amt>`)+tx(`<Amt Ccy="EUR">0.60</Amt>`)+`</NtryDtls>`))))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = Read(bytes.NewReader(data), func(e bank.Entry) error {
			if !e.Amount.IsPositive() {
				t.Errorf("entry with amount %s", e.Amount)
			}
			if len(e.Currency) != 3 || !isUpper(e.Currency) {
				t.Errorf("entry with currency %q", e.Currency)
			}
			for _, d := range []string{e.BookedOn, e.ValueOn} {
				if d != "" && !isDate(d) {
					t.Errorf("entry with date %q", d)
				}
			}
			if e.Batch < 0 {
				t.Errorf("entry with batch %d", e.Batch)
			}
			if e.Account != bank.NormalizeAccount(e.Account) || e.Party.IBAN != bank.NormalizeAccount(e.Party.IBAN) {
				t.Errorf("entry with account %q, party IBAN %q", e.Account, e.Party.IBAN)
			}
			return nil
		})
	})
}

func isUpper(s string) bool {
	for _, c := range s {
		if c < 'A' || c > 'Z' {
			return false
		}
	}
	return true
}

func isDate(s string) bool {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return false
	}
	for i, c := range s {
		if i != 4 && i != 7 && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}
