package coda

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/paylinks/paylinks/shared/bank"
)

// This file is a test-side CODA writer: it lays records out field by field
// at the standard's positions, independently of the reader's code, so that
// generated statements can be written and read back.

// field is a value at positions from..to (1-based, both included), padded
// on the right with spaces.
type field struct {
	from, to int
	v        string
}

// layout makes a 128-character record of fields; a value too long for its
// field is a bug of the test.
func layout(fields ...field) string {
	r := []rune(strings.Repeat(" ", recordLen))
	for _, f := range fields {
		v := []rune(f.v)
		if len(v) > f.to-f.from+1 {
			panic(fmt.Sprintf("%q does not fit in %d-%d", f.v, f.from, f.to))
		}
		copy(r[f.from-1:], v)
	}
	return string(r)
}

// n is a number written on w digits.
func n(v, w int) string { return fmt.Sprintf("%0*d", w, v) }

// thousandths is a non-negative amount written as 15 digits with 3 decimals.
func thousandths(d decimal.Decimal) string {
	return fmt.Sprintf("%015d", d.Shift(3).IntPart())
}

// ddmmyy writes a YYYY-MM-DD date as DDMMYY; "" is 000000.
func ddmmyy(d string) string {
	if d == "" {
		return "000000"
	}
	return d[8:10] + d[5:7] + d[2:4]
}

// tStatement is a statement to write.
type tStatement struct {
	created    string // YYYY-MM-DD
	structure  rune   // '2' Belgian IBAN, '3' foreign IBAN
	account    string
	currency   string
	oldBalance decimal.Decimal // signed
	codaSeq    int
}

// tMovement is a movement to write; a total's details are in details.
type tMovement struct {
	ref            string
	credit         bool
	amount         decimal.Decimal
	valueOn        string // YYYY-MM-DD or ""
	bookedOn       string
	code           string // 8 digits
	ogm            string // 12 digits, or "" for a free communication
	free           string // at most 53+53+43 characters
	endToEnd       string
	bic            string
	rType          rune
	cpAccount      string // written as is in 11-47
	cpName         string
	info           []string // free information texts, each at most 73+105+90
	structuredInfo string   // a structured information record's content, "" for none
	details        []tMovement
}

// codaWriter writes statements.
type codaWriter struct {
	w             *bufio.Writer
	st            tStatement
	seq           int
	records       int
	credit, debit decimal.Decimal
}

func newCodaWriter(w io.Writer) *codaWriter { return &codaWriter{w: bufio.NewWriter(w)} }

func (cw *codaWriter) put(line string) { _, _ = cw.w.WriteString(line + "\n") }

// accountZone is the 37-character account zone of records 1 and 8.
func (st tStatement) accountZone() string {
	if st.structure == '2' {
		return fmt.Sprintf("%-31s   %s", st.account, st.currency)
	}
	return fmt.Sprintf("%-34s%s", st.account, st.currency)
}

func signed(d decimal.Decimal) (sign, digits string) {
	if d.IsNegative() {
		return "1", thousandths(d.Neg())
	}
	return "0", thousandths(d)
}

// begin writes a statement's header 0 and old balance 1.
func (cw *codaWriter) begin(st tStatement) {
	cw.st, cw.seq, cw.records, cw.credit, cw.debit = st, 0, 1, decimal.Zero, decimal.Zero
	cw.put(layout(field{1, 1, "0"}, field{2, 5, "0000"}, field{6, 11, ddmmyy(st.created)}, field{12, 14, "000"},
		field{15, 16, "05"}, field{35, 60, "GENERATED"}, field{61, 71, "GEBABEBB"}, field{128, 128, "2"}))
	sign, bal := signed(st.oldBalance)
	cw.put(layout(field{1, 1, "1"}, field{2, 2, string(st.structure)}, field{3, 5, n(st.codaSeq, 3)},
		field{6, 42, st.accountZone()}, field{43, 43, sign}, field{44, 58, bal}, field{59, 64, ddmmyy(st.created)},
		field{65, 90, "HOLDER"}, field{126, 128, n(st.codaSeq, 3)}))
}

// movement writes a movement (and its details) under the next sequence number.
func (cw *codaWriter) movement(m tMovement) {
	cw.seq = (cw.seq + 1) % 10000
	cw.one(m, 0)
	if m.credit {
		cw.credit = cw.credit.Add(m.amount)
	} else {
		cw.debit = cw.debit.Add(m.amount)
	}
	for i, d := range m.details {
		cw.one(d, i+1)
	}
}

// cut is the part of s from rune a to rune b (clipped).
func cut(s string, a, b int) string {
	r := []rune(s)
	a, b = min(a, len(r)), min(b, len(r))
	return string(r[a:b])
}

// one writes the 2.1, 2.2, 2.3 and 3.x records of one movement.
func (cw *codaWriter) one(m tMovement, detail int) {
	sign := "1"
	if m.credit {
		sign = "0"
	}
	ctype, comm := "0", cut(m.free, 0, 53)
	if m.ogm != "" {
		ctype, comm = "1", "101"+m.ogm
	}
	num := func(art string) []field {
		return []field{{1, 2, art}, {3, 6, n(cw.seq, 4)}, {7, 10, n(detail, 4)}}
	}
	cw.put(layout(append(num("21"), field{11, 31, m.ref}, field{32, 32, sign}, field{33, 47, thousandths(m.amount)},
		field{48, 53, ddmmyy(m.valueOn)}, field{54, 61, m.code}, field{62, 62, ctype}, field{63, 115, comm},
		field{116, 121, ddmmyy(m.bookedOn)}, field{122, 124, "001"}, field{125, 125, "0"})...))
	cw.records++
	if m.ogm == "" && len([]rune(m.free)) > 53 || m.endToEnd != "" || m.bic != "" || m.rType != ' ' {
		cw.put(layout(append(num("22"), field{11, 63, cut(m.free, 53, 106)}, field{64, 98, m.endToEnd},
			field{99, 109, m.bic}, field{113, 113, string(m.rType)})...))
		cw.records++
	}
	if m.ogm == "" && len([]rune(m.free)) > 106 || m.cpAccount != "" || m.cpName != "" {
		cw.put(layout(append(num("23"), field{11, 47, m.cpAccount}, field{48, 82, m.cpName},
			field{83, 125, cut(m.free, 106, 149)}, field{126, 126, "0"})...))
		cw.records++
	}
	if m.structuredInfo != "" {
		cw.put(layout(append(num("31"), field{11, 31, m.ref}, field{32, 39, m.code}, field{40, 40, "1"},
			field{41, 43, "001"}, field{44, 113, m.structuredInfo})...))
		cw.records++
	}
	for _, t := range m.info {
		cw.put(layout(append(num("31"), field{11, 31, m.ref}, field{32, 39, m.code}, field{40, 40, "0"},
			field{41, 113, cut(t, 0, 73)})...))
		cw.records++
		if len([]rune(t)) > 73 {
			cw.put(layout(append(num("32"), field{11, 115, cut(t, 73, 178)})...))
			cw.records++
		}
		if len([]rune(t)) > 178 {
			cw.put(layout(append(num("33"), field{11, 100, cut(t, 178, 268)})...))
			cw.records++
		}
	}
}

// end writes the new balance 8 and the trailer 9.
func (cw *codaWriter) end() {
	sign, bal := signed(cw.st.oldBalance.Add(cw.credit).Sub(cw.debit))
	cw.records++
	cw.put(layout(field{1, 1, "8"}, field{2, 4, n(cw.st.codaSeq, 3)}, field{5, 41, cw.st.accountZone()},
		field{42, 42, sign}, field{43, 57, bal}, field{58, 63, ddmmyy(cw.st.created)}))
	cw.put(layout(field{1, 1, "9"}, field{17, 22, n(cw.records, 6)}, field{23, 37, thousandths(cw.debit)},
		field{38, 52, thousandths(cw.credit)}, field{128, 128, "2"}))
}

func (cw *codaWriter) flush() error { return cw.w.Flush() }

// expected is the entries a statement's movements are read as: each
// movement, or a total's details instead of the total, each detail with
// its detail number as Batch.
func expected(st tStatement, ms []tMovement) []bank.Entry {
	var out []bank.Entry
	for _, m := range ms {
		if len(m.details) == 0 && !m.amount.IsZero() {
			out = append(out, expectedEntry(st, m, 0))
		}
		for i, d := range m.details {
			if !d.amount.IsZero() { // a movement of nothing is no entry
				out = append(out, expectedEntry(st, d, i+1))
			}
		}
	}
	return out
}

func expectedEntry(st tStatement, m tMovement, batch int) bank.Entry {
	var text []string
	if m.ogm == "" && m.free != "" {
		text = append(text, m.free)
	}
	text = append(text, m.info...)
	fam, tx := m.code[1:3], m.code[3:5]
	e2e := m.endToEnd
	if e2e == "NOTPROVIDED" {
		e2e = ""
	}
	e := bank.Entry{
		Account: st.account, Currency: st.currency, Amount: m.amount, Credit: m.credit, Booked: true,
		Reversal: tx == "49" || tx == "99" || fam == "05" && tx == "58" || m.rType == '4',
		BookedOn: m.bookedOn, ValueOn: m.valueOn, EntryRef: m.ref, Batch: batch,
		Reference: m.ogm, Remittance: bank.KeepRawReference(m.ogm, strings.Join(text, " ")), EndToEndID: e2e,
		Party: bank.Party{Name: m.cpName, BIC: m.bic},
	}
	if f := strings.Fields(m.cpAccount); len(f) > 0 && strings.HasPrefix(f[0], "BE") {
		e.Party.IBAN = f[0] // the generator's only valid IBANs are Belgian
	}
	return e
}
