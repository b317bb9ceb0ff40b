package camt

import (
	"bufio"
	"encoding/xml"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"

	"github.com/paylinks/paylinks/shared/bank"
	"github.com/shopspring/decimal"
)

// This file is the tests' own camt writer: it writes generated entries in
// the shape of each version, for the property test, the stream test and the
// benchmark. It is written from the message definitions, not from Read.

// shape is how one version of one message writes what Read reads.
type shape struct {
	format  string // bank.FormatCamt053 or bank.FormatCamt054
	version int    // 2..8
}

func (s shape) namespace() string {
	return fmt.Sprintf("urn:iso:std:iso:20022:tech:xsd:%s.001.%02d", s.format, s.version)
}

func (s shape) message() (root, stmt string) {
	if s.format == bank.FormatCamt054 {
		return "BkToCstmrDbtCdtNtfctn", "Ntfctn"
	}
	return "BkToCstmrStmt", "Stmt"
}

// statusCode: the status is a code in a choice from .06 on.
func (s shape) statusCode() bool { return s.version >= 6 }

// partyChoice: a party is a choice of party or agent in .08.
func (s shape) partyChoice() bool { return s.version >= 8 }

// bicTag: the agents' BIC element was renamed BICFI in .04.
func (s shape) bicTag() string {
	if s.version >= 4 {
		return "BICFI"
	}
	return "BIC"
}

// txAmount: a transaction's own Amt is there from .04 on (before, only
// AmtDtls/TxAmt).
func (s shape) txAmount() bool { return s.version >= 4 }

type genParty struct{ name, iban, bic string }

type genTx struct {
	amount       string // written as is; "" in a single-transaction entry
	ccy          string
	amtInDetails bool // in AmtDtls/TxAmt rather than Amt
	e2e          string
	ref          string
	ustrd        []string
	dbtr, cdtr   genParty
}

type genEntry struct {
	amount, ccy       string
	credit, reversal  bool
	status            string
	bookedOn, valueOn string
	dateTimes         bool // dates as DtTm
	acctSvcrRef       string
	ntryRef           string
	details           bool // NtryDtls present (with txs)
	txs               []genTx
}

// expected is what Read gives for the generated entry: one Entry, or one
// per transaction of a batch.
func (g genEntry) expected(account string) []bank.Entry {
	base := bank.Entry{
		Account: bank.NormalizeAccount(account), Currency: g.ccy, Amount: decimal.RequireFromString(g.amount), Credit: g.credit,
		Booked: g.status == "BOOK", Reversal: g.reversal, BookedOn: g.bookedOn, ValueOn: g.valueOn,
		EntryRef: g.acctSvcrRef, // NtryRef is not read
	}
	if !g.details || len(g.txs) == 0 {
		return []bank.Entry{base}
	}
	out := make([]bank.Entry, 0, len(g.txs))
	for i, t := range g.txs {
		e := base
		if len(g.txs) > 1 {
			e.Batch = i + 1
			e.Amount = decimal.RequireFromString(t.amount)
			e.Currency = t.ccy
		}
		if t.e2e != "NOTPROVIDED" {
			e.EndToEndID = t.e2e
		}
		e.Reference = t.ref
		e.Remittance = bank.KeepRawReference(t.ref, strings.Join(t.ustrd, " "))
		p := t.cdtr
		if g.credit != g.reversal {
			p = t.dbtr
		}
		e.Party = bank.Party{Name: p.name, IBAN: p.iban, BIC: p.bic}
		out = append(out, e)
	}
	return out
}

// docWriter writes one document, an element at a time.
type docWriter struct {
	w   *bufio.Writer
	s   shape
	err error
}

func newDocWriter(w io.Writer, s shape) *docWriter {
	return &docWriter{w: bufio.NewWriterSize(w, 64<<10), s: s}
}

func (d *docWriter) raw(parts ...string) {
	for _, p := range parts {
		if d.err == nil {
			_, d.err = d.w.WriteString(p)
		}
	}
}

// el writes <name>text</name> with text escaped.
func (d *docWriter) el(name, text string) {
	d.raw("<", name, ">")
	if d.err == nil {
		d.err = xml.EscapeText(d.w, []byte(text))
	}
	d.raw("</", name, ">")
}

func (d *docWriter) amt(name, ccy, amount string) {
	d.raw("<", name, ` Ccy="`, ccy, `">`, amount, "</", name, ">")
}

func (d *docWriter) begin(msgID string) {
	root, _ := d.s.message()
	d.raw(`<?xml version="1.0" encoding="UTF-8"?>`, "\n", `<Document xmlns="`, d.s.namespace(), `">`, "<", root, "><GrpHdr>")
	d.el("MsgId", msgID)
	d.raw("<CreDtTm>2024-03-05T06:00:00</CreDtTm></GrpHdr>\n")
}

func (d *docWriter) beginStatement(id, account string) {
	_, stmt := d.s.message()
	d.raw("<", stmt, ">")
	d.el("Id", id)
	d.raw("<Acct><Id>")
	if strings.HasPrefix(account, "ACCT") {
		d.raw("<Othr>")
		d.el("Id", account)
		d.raw("</Othr>")
	} else {
		d.el("IBAN", account)
	}
	d.raw("</Id><Ccy>EUR</Ccy></Acct>")
	if d.s.format == bank.FormatCamt053 {
		d.raw(`<Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">100.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2024-03-04</Dt></Dt></Bal>`)
	}
	d.raw("\n")
}

func (d *docWriter) endStatement() {
	_, stmt := d.s.message()
	d.raw("</", stmt, ">\n")
}

func (d *docWriter) end() error {
	root, _ := d.s.message()
	d.raw("</", root, "></Document>\n")
	if d.err == nil {
		d.err = d.w.Flush()
	}
	return d.err
}

func (d *docWriter) date(name, date string, dateTime bool) {
	if date == "" {
		return
	}
	d.raw("<", name, ">")
	if dateTime {
		d.raw("<DtTm>", date, "T10:20:30.5+01:00</DtTm>")
	} else {
		d.raw("<Dt>", date, "</Dt>")
	}
	d.raw("</", name, ">")
}

func (d *docWriter) entry(g genEntry) {
	d.entryHead(g)
	if g.details {
		d.raw("<NtryDtls>")
		if len(g.txs) > 1 {
			d.raw(fmt.Sprintf("<Btch><NbOfTxs>%d</NbOfTxs></Btch>", len(g.txs)))
		}
		for _, t := range g.txs {
			d.tx(g, t)
		}
		d.raw("</NtryDtls>")
	}
	d.entryTail()
}

// entryHead writes the entry's fields before its details.
func (d *docWriter) entryHead(g genEntry) {
	d.raw("<Ntry>")
	if g.ntryRef != "" {
		d.el("NtryRef", g.ntryRef)
	}
	d.amt("Amt", g.ccy, g.amount)
	d.el("CdtDbtInd", direction(g.credit))
	if g.reversal {
		d.raw("<RvslInd>true</RvslInd>")
	}
	if d.s.statusCode() {
		d.raw("<Sts><Cd>", g.status, "</Cd></Sts>")
	} else {
		d.raw("<Sts>", g.status, "</Sts>")
	}
	d.date("BookgDt", g.bookedOn, g.dateTimes)
	d.date("ValDt", g.valueOn, g.dateTimes)
	if g.acctSvcrRef != "" {
		d.el("AcctSvcrRef", g.acctSvcrRef)
	}
	d.raw("<BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>ESCT</SubFmlyCd></Fmly></Domn></BkTxCd>")
}

func (d *docWriter) entryTail() {
	d.raw("<AddtlNtryInf>generated</AddtlNtryInf></Ntry>\n")
}

func direction(credit bool) string {
	if credit {
		return "CRDT"
	}
	return "DBIT"
}

func (d *docWriter) tx(g genEntry, t genTx) {
	d.raw("<TxDtls><Refs>")
	d.el("EndToEndId", t.e2e)
	d.raw("</Refs>")
	if t.amount != "" && d.s.txAmount() && !t.amtInDetails {
		d.amt("Amt", t.ccy, t.amount)
		d.el("CdtDbtInd", direction(g.credit))
	}
	if t.amount != "" && (!d.s.txAmount() || t.amtInDetails) {
		d.raw("<AmtDtls><TxAmt>")
		d.amt("Amt", t.ccy, t.amount)
		d.raw("</TxAmt></AmtDtls>")
	}
	d.raw("<RltdPties>")
	d.party("Dbtr", t.dbtr)
	d.party("Cdtr", t.cdtr)
	d.raw("</RltdPties><RltdAgts>")
	d.agent("DbtrAgt", t.dbtr.bic)
	d.agent("CdtrAgt", t.cdtr.bic)
	d.raw("</RltdAgts>")
	if t.ref != "" || len(t.ustrd) > 0 {
		d.raw("<RmtInf>")
		for _, u := range t.ustrd {
			d.el("Ustrd", u)
		}
		if t.ref != "" {
			d.raw("<Strd><CdtrRefInf><Tp><CdOrPrtry><Cd>SCOR</Cd></CdOrPrtry><Issr>ISO</Issr></Tp>")
			d.el("Ref", t.ref)
			d.raw("</CdtrRefInf></Strd>")
		}
		d.raw("</RmtInf>")
	}
	d.raw("</TxDtls>")
}

func (d *docWriter) party(role string, p genParty) {
	if p.name != "" {
		d.raw("<", role, ">")
		if d.s.partyChoice() {
			d.raw("<Pty>")
			d.el("Nm", p.name)
			d.raw("</Pty>")
		} else {
			d.el("Nm", p.name)
		}
		d.raw("</", role, ">")
	}
	if p.iban != "" {
		d.raw("<", role, "Acct><Id>")
		d.el("IBAN", p.iban)
		d.raw("</Id></", role, "Acct>")
	}
}

func (d *docWriter) agent(role, bic string) {
	if bic == "" {
		return
	}
	d.raw("<", role, "><FinInstnId>")
	d.el(d.s.bicTag(), bic)
	d.raw("</FinInstnId></", role, ">")
}

// gen makes random entries.
type gen struct{ r *rand.Rand }

const textRunes = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 -/+.&<>\"'éüßø€"

// text is 1..max runes, none of them space at either end (Read trims
// what the XML carries around a value).
func (g gen) text(maxLen int) string {
	runes := []rune(textRunes)
	n := 1 + g.r.IntN(maxLen)
	out := make([]rune, n)
	for i := range out {
		out[i] = runes[g.r.IntN(len(runes))]
	}
	s := strings.TrimSpace(string(out))
	if s == "" {
		return "x"
	}
	return s
}

func (g gen) maybe(p float64, f func() string) string {
	if g.r.Float64() < p {
		return f()
	}
	return ""
}

func (g gen) amount() string {
	units := g.r.Int64N(1_000_000) + 1
	switch g.r.IntN(4) {
	case 0:
		return fmt.Sprintf("%d", units)
	case 1:
		return fmt.Sprintf("%d.%d", units, g.r.IntN(10))
	case 2:
		return fmt.Sprintf("0.%02d", g.r.IntN(99)+1)
	default:
		return fmt.Sprintf("%d.%02d", units, g.r.IntN(100))
	}
}

func (g gen) date() string {
	return fmt.Sprintf("20%02d-%02d-%02d", g.r.IntN(40), g.r.IntN(12)+1, g.r.IntN(28)+1)
}

func (g gen) ccy() string {
	return []string{"EUR", "EUR", "EUR", "USD", "GBP", "CHF"}[g.r.IntN(6)]
}

func (g gen) party() genParty {
	return genParty{
		name: g.maybe(0.8, func() string { return g.text(40) }),
		iban: g.maybe(0.8, func() string { return fmt.Sprintf("NL%02dBANK%010d", g.r.IntN(100), g.r.Int64N(1e10)) }),
		bic:  g.maybe(0.6, func() string { return []string{"INGBNL2A", "RABONL2U", "GEBABEBB", "INGDDEFFXXX"}[g.r.IntN(4)] }),
	}
}

// tx is a transaction; amount and ccy are its own, "" for none.
func (g gen) tx(amount, ccy string) genTx {
	t := genTx{
		e2e:          []string{"NOTPROVIDED", g.text(35)}[g.r.IntN(2)],
		ref:          g.maybe(0.5, func() string { return g.text(35) }),
		dbtr:         g.party(),
		cdtr:         g.party(),
		amtInDetails: g.r.IntN(2) == 0,
		amount:       amount,
		ccy:          ccy,
	}
	for range g.r.IntN(3) {
		t.ustrd = append(t.ustrd, g.text(140))
	}
	return t
}

func (g gen) entry() genEntry {
	e := genEntry{
		amount:      g.amount(),
		ccy:         g.ccy(),
		credit:      g.r.IntN(2) == 0,
		reversal:    g.r.IntN(8) == 0,
		status:      []string{"BOOK", "BOOK", "BOOK", "PDNG", "INFO"}[g.r.IntN(5)],
		bookedOn:    g.maybe(0.9, g.date),
		valueOn:     g.maybe(0.7, g.date),
		dateTimes:   g.r.IntN(4) == 0,
		acctSvcrRef: g.maybe(0.7, func() string { return g.text(35) }),
		ntryRef:     g.maybe(0.3, func() string { return g.text(35) }),
		details:     g.r.IntN(5) > 0,
	}
	if !e.details {
		return e
	}
	if g.r.IntN(4) > 0 {
		// A single transaction may carry its own amount too: the entry's,
		// or one in another currency (the instructed one).
		switch g.r.IntN(3) {
		case 0:
			e.txs = []genTx{g.tx("", "")}
		case 1:
			e.txs = []genTx{g.tx(e.amount, e.ccy)}
		default:
			e.txs = []genTx{g.tx(g.amount(), "JPY")}
		}
		return e
	}
	// A batch: its transactions' amounts, in its currency, sum to its own.
	total := decimal.Zero
	for range 2 + g.r.IntN(4) {
		t := g.tx(g.amount(), e.ccy)
		total = total.Add(decimal.RequireFromString(t.amount))
		e.txs = append(e.txs, t)
	}
	e.amount = total.String()
	return e
}
