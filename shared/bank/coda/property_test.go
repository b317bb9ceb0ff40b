package coda

import (
	"bytes"
	"fmt"
	"io"
	"math/big"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/paylinks/paylinks/shared/bank"
)

// gen makes random statements for the writer.
type gen struct{ r *rand.Rand }

// iban is an IBAN of the country and BBAN with its check digits.
func iban(country, bban string) string {
	var s strings.Builder
	for _, c := range bban + country + "00" {
		if c >= 'A' && c <= 'Z' {
			fmt.Fprintf(&s, "%d", c-'A'+10)
		} else {
			s.WriteRune(c)
		}
	}
	v, _ := new(big.Int).SetString(s.String(), 10)
	check := 98 - new(big.Int).Mod(v, big.NewInt(97)).Int64()
	return fmt.Sprintf("%s%02d%s", country, check, bban)
}

func (g gen) digits(k int) string {
	var b strings.Builder
	for range k {
		b.WriteByte(byte('0' + g.r.IntN(10)))
	}
	return b.String()
}

func (g gen) pick(s ...string) string { return s[g.r.IntN(len(s))] }

// text is words of letters (some not ASCII), digits and punctuation,
// separated by single spaces, of at most max characters (maybe none).
func (g gen) text(max int) string {
	const letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789éèüößçÉ-/.,:'+()_"
	alphabet := []rune(letters)
	want := g.r.IntN(max + 1)
	var out []rune
	for len(out) < want {
		if len(out) > 0 {
			out = append(out, ' ')
		}
		for range 1 + g.r.IntN(12) {
			out = append(out, alphabet[g.r.IntN(len(alphabet))])
		}
	}
	if len(out) > want {
		out = out[:want]
	}
	return strings.TrimSpace(string(out))
}

func (g gen) date() string {
	return time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, g.r.IntN(1000)).Format("2006-01-02")
}

func (g gen) amount() decimal.Decimal {
	v := g.r.Int64N(1_000_000_000)
	if g.r.IntN(3) > 0 {
		v -= v % 10 // mostly cents
	}
	return decimal.New(v, -3)
}

// movement is a random movement with transaction type typ.
func (g gen) movement(typ byte, credit bool) tMovement {
	m := tMovement{
		ref: "R" + g.digits(1+g.r.IntN(20)), credit: credit, amount: g.amount(), bookedOn: g.date(),
		code:     string(typ) + g.pick("01", "05", "41") + g.pick("01", "50", "49", "99", "58", "37") + "000",
		endToEnd: g.pick("", "", "NOTPROVIDED", "E2E-"+g.digits(g.r.IntN(31))),
		bic:      g.pick("", "GEBABEBB", "BNPAFRPPXXX"),
		rType:    []rune{' ', ' ', '2', '4'}[g.r.IntN(4)],
		cpName:   g.text(35),
	}
	if g.r.IntN(4) > 0 {
		m.valueOn = g.date()
	}
	if g.r.IntN(10) == 0 {
		m.amount = decimal.Zero // read, and no entry
	}
	if g.r.IntN(2) == 0 {
		m.ogm = g.digits(12) // check digits right one time in 97
	} else {
		m.free = g.text(149)
	}
	switch g.r.IntN(4) {
	case 0:
		m.cpAccount = iban("BE", g.digits(12))
	case 1:
		m.cpAccount = iban("BE", g.digits(12)) + " EUR"
	case 2:
		m.cpAccount = g.digits(12) + " EUR"
	}
	for range g.r.IntN(3) {
		if t := g.text(268); t != "" {
			m.info = append(m.info, t)
		}
	}
	if g.r.IntN(5) == 0 {
		m.structuredInfo = g.text(70)
	}
	return m
}

// group is a movement, or a total (type 1, 2 or 3) with its details (5, 6,
// or 8) whose amounts sum to the total's.
func (g gen) group() tMovement {
	credit := g.r.IntN(2) == 0
	if g.r.IntN(4) > 0 {
		return g.movement(g.pick("0", "0", "1")[0], credit)
	}
	kinds := [][2]byte{{'1', '5'}, {'2', '6'}, {'3', '8'}}
	k := kinds[g.r.IntN(len(kinds))]
	total := g.movement(k[0], credit)
	total.amount = decimal.Zero
	for range 1 + g.r.IntN(4) {
		d := g.movement(k[1], credit)
		total.amount = total.amount.Add(d.amount)
		total.details = append(total.details, d)
	}
	return total
}

func (g gen) statement(seq int) tStatement {
	st := tStatement{created: g.date(), structure: '2', account: iban("BE", g.digits(12)), currency: "EUR",
		oldBalance: g.amount(), codaSeq: seq}
	if g.r.IntN(2) == 0 {
		st.structure, st.account, st.currency = '3', iban("NL", "ABNA"+g.digits(10)), g.pick("EUR", "USD")
	}
	if g.r.IntN(2) == 0 {
		st.oldBalance = st.oldBalance.Neg()
	}
	return st
}

// TestReadWritten: statements of generated movements, written in the record
// layout by the test-side writer, are read back exactly: the file's
// accounts and id, and every entry field by field.
func TestReadWritten(t *testing.T) {
	g := gen{rand.New(rand.NewPCG(31, 2))}
	for i := range 300 {
		var buf bytes.Buffer
		cw := newCodaWriter(&buf)
		var want []bank.Entry
		var accounts []string
		var first tStatement
		for s := range 1 + g.r.IntN(3) {
			st := g.statement(s + 1)
			if s == 0 {
				first = st
			}
			if s > 0 && g.r.IntN(3) == 0 {
				st.account, st.structure, st.currency = first.account, first.structure, first.currency
			} else {
				accounts = append(accounts, st.account)
			}
			cw.begin(st)
			var ms []tMovement
			for range g.r.IntN(25) {
				m := g.group()
				ms = append(ms, m)
				cw.movement(m)
			}
			cw.end()
			want = append(want, expected(st, ms)...)
		}
		if err := cw.flush(); err != nil {
			t.Fatal(err)
		}
		f, got, err := readAll(t, buf.String())
		if err != nil {
			t.Fatalf("file %d: %v\n%s", i, err, buf.String())
		}
		if f.MessageID != first.created+"/"+n(first.codaSeq, 3) || strings.Join(f.Accounts, " ") != strings.Join(accounts, " ") {
			t.Fatalf("file %d: %+v, want accounts %v", i, f, accounts)
		}
		if len(got) != len(want) {
			t.Fatalf("file %d: %d entries, want %d", i, len(got), len(want))
		}
		for j := range want {
			if !sameEntry(got[j], want[j]) {
				t.Fatalf("file %d entry %d:\n got %+v\nwant %+v", i, j, got[j], want[j])
			}
		}
	}
}

// TestReadLargeStreamed reads a statement of 100,000 movements (sequence
// numbers wrapping past 9999) written through a pipe: the reader's live
// heap stays bounded (well under a megabyte) while the file is tens of
// megabytes.
func TestReadLargeStreamed(t *testing.T) {
	if testing.Short() {
		t.Skip("large file")
	}
	const movements = 100_000
	pr, pw := io.Pipe()
	var written countingWriter
	go func() {
		g := gen{rand.New(rand.NewPCG(7, 7))}
		cw := newCodaWriter(io.MultiWriter(pw, &written))
		cw.begin(tStatement{created: "2025-03-03", structure: '2', account: iban("BE", "539007547034"), currency: "EUR", codaSeq: 1})
		for range movements {
			m := g.movement('0', g.r.IntN(2) == 0)
			m.info, m.structuredInfo = nil, ""
			if m.amount.IsZero() {
				m.amount = decimal.New(1, -2) // every movement an entry
			}
			cw.movement(m)
		}
		cw.end()
		pw.CloseWithError(cw.flush())
	}()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base, peak := ms.HeapAlloc, ms.HeapAlloc
	count := 0
	_, err := Read(pr, func(e bank.Entry) error {
		count++
		if count%10_000 == 0 {
			runtime.GC() // the live heap, not garbage not yet collected
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapAlloc)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if count != movements {
		t.Fatalf("%d entries, want %d", count, movements)
	}
	growth := int64(peak) - int64(base)
	t.Logf("%d movements, %.1f MB read; live heap growth at most %d bytes", count, float64(written.n)/1e6, growth)
	if growth > 1<<20 || written.n < 30_000_000 {
		t.Fatalf("heap grew %d bytes for a file of %d bytes", growth, written.n)
	}
}

type countingWriter struct{ n int64 }

func (c *countingWriter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }
