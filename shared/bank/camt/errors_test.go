package camt

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/paylinks/paylinks/shared/bank"
)

const ns02 = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"

// statement wraps entries in a camt.053 document of the namespace ns.
func statement(ns string, entries ...string) string {
	xmlns := ""
	if ns != "" {
		xmlns = ` xmlns="` + ns + `"`
	}
	return `<?xml version="1.0" encoding="UTF-8"?><Document` + xmlns + `><BkToCstmrStmt><GrpHdr><MsgId>M-1</MsgId></GrpHdr>` +
		`<Stmt><Id>S-1</Id><Acct><Id><IBAN>NL20INGB0001234567</IBAN></Id></Acct>` + strings.Join(entries, "") +
		`</Stmt></BkToCstmrStmt></Document>`
}

// entry is a booked credit of EUR 1.00 with inner placed after its status.
func entry(amount, inner string) string {
	return `<Ntry>` + amount + `<CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts><BookgDt><Dt>2024-01-02</Dt></BookgDt>` + inner + `</Ntry>`
}

const (
	goodAmt   = `<Amt Ccy="EUR">1.00</Amt>`
	goodEntry = `<Ntry><Amt Ccy="EUR">1.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts></Ntry>`
)

func tx(inner string) string { return `<TxDtls>` + inner + `</TxDtls>` }

func details(txs ...string) string { return `<NtryDtls>` + strings.Join(txs, "") + `</NtryDtls>` }

func TestReadRejects(t *testing.T) {
	deep := strings.Repeat("<X>", 100) + strings.Repeat("</X>", 100)
	huge := "<NtryDtls><TxDtls><RmtInf><Ustrd>" + strings.Repeat("a", 2<<20) + "</Ustrd></RmtInf></TxDtls></NtryDtls>"
	cases := []struct {
		name, doc, want string
	}{
		{"negative amount", statement(ns02, goodEntry, entry(`<Amt Ccy="EUR">-5.00</Amt>`, "")), "entry 2: Amt: "},
		{"comma amount", statement(ns02, goodEntry, entry(`<Amt Ccy="EUR">12,50</Amt>`, "")), "entry 2: Amt: "},
		{"exponent amount", statement(ns02, goodEntry, entry(`<Amt Ccy="EUR">1e3</Amt>`, "")), "entry 2: Amt: "},
		{"zero amount", statement(ns02, goodEntry, entry(`<Amt Ccy="EUR">0.00</Amt>`, "")), "entry 2: Amt: "},
		{"six decimals", statement(ns02, goodEntry, entry(`<Amt Ccy="EUR">1.123456</Amt>`, "")), "entry 2: Amt: "},
		{"nineteen digits", statement(ns02, goodEntry, entry(`<Amt Ccy="EUR">1234567890123456789</Amt>`, "")), "entry 2: Amt: "},
		{"empty amount", statement(ns02, goodEntry, entry(`<Amt Ccy="EUR"></Amt>`, "")), "entry 2: Amt: "},
		{"no currency", statement(ns02, goodEntry, entry(`<Amt>5.00</Amt>`, "")), "entry 2: Amt: Ccy: missing"},
		{"bad currency", statement(ns02, goodEntry, entry(`<Amt Ccy="eur">5.00</Amt>`, "")), "entry 2: Amt: "},
		{"no amount", statement(ns02, goodEntry, entry(``, "")), "entry 2: Amt: missing"},
		{"no direction", statement(ns02, goodEntry, `<Ntry><Amt Ccy="EUR">1.00</Amt><Sts>BOOK</Sts></Ntry>`), "entry 2: CdtDbtInd: missing"},
		{"bad direction", statement(ns02, goodEntry, `<Ntry><Amt Ccy="EUR">1.00</Amt><CdtDbtInd>CRED</CdtDbtInd><Sts>BOOK</Sts></Ntry>`), "entry 2: CdtDbtInd: "},
		{"no status", statement(ns02, goodEntry, `<Ntry><Amt Ccy="EUR">1.00</Amt><CdtDbtInd>CRDT</CdtDbtInd></Ntry>`), "entry 2: Sts: missing"},
		{"bad reversal", statement(ns02, goodEntry, `<Ntry><Amt Ccy="EUR">1.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><RvslInd>yes</RvslInd><Sts>BOOK</Sts></Ntry>`), "entry 2: RvslInd: "},
		{"bad booking date", statement(ns02, goodEntry, `<Ntry><Amt Ccy="EUR">1.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts><BookgDt><Dt>2024-13-01</Dt></BookgDt></Ntry>`), "entry 2: BookgDt: "},
		{"bad value date", statement(ns02, goodEntry, `<Ntry><Amt Ccy="EUR">1.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts><ValDt><Dt>04-03-2024</Dt></ValDt></Ntry>`), "entry 2: ValDt: "},
		{"bad booking date-time", statement(ns02, goodEntry, `<Ntry><Amt Ccy="EUR">1.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts><BookgDt><DtTm>2024-03-04 10:00</DtTm></BookgDt></Ntry>`), "entry 2: BookgDt: "},
		{"batch transaction without amount", statement(ns02, goodEntry, entry(goodAmt, details(
			tx(`<AmtDtls><TxAmt><Amt Ccy="EUR">0.40</Amt></TxAmt></AmtDtls>`), tx(`<Refs><EndToEndId>X</EndToEndId></Refs>`)))), "entry 2: TxDtls 2: Amt: missing"},
		{"batch transaction negative", statement(ns02, goodEntry, entry(goodAmt, details(
			tx(`<AmtDtls><TxAmt><Amt Ccy="EUR">-0.40</Amt></TxAmt></AmtDtls>`), tx(`<Amt Ccy="EUR">0.60</Amt>`)))), "entry 2: TxDtls 1: Amt: "},
		{"batch transaction without currency", statement(ns02, goodEntry, entry(goodAmt, details(
			tx(`<Amt>0.40</Amt>`), tx(`<Amt Ccy="EUR">0.60</Amt>`)))), "entry 2: TxDtls 1: Amt: Ccy: missing"},
		{"batch transaction bad direction", statement(ns02, goodEntry, entry(goodAmt, details(
			tx(`<Amt Ccy="EUR">0.40</Amt>`), tx(`<Amt Ccy="EUR">0.60</Amt><CdtDbtInd>X</CdtDbtInd>`)))), "entry 2: TxDtls 2: CdtDbtInd: "},
		{"single transaction bad amount", statement(ns02, goodEntry, entry(goodAmt, details(tx(`<Amt Ccy="EUR">1,00</Amt>`)))), "entry 2: TxDtls 1: Amt: "},
		{"statement without account", strings.Replace(statement(ns02, goodEntry), `<Acct><Id><IBAN>NL20INGB0001234567</IBAN></Id></Acct>`, "", 1), "entry 1: Acct: missing"},
		{"unknown message", `<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"><CstmrCdtTrfInitn/></Document>`, "pain.001.001.03"},
		{"account report", `<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.052.001.02"><BkToCstmrAcctRpt/></Document>`, "camt.052"},
		{"unknown root", `<Statement><Ntry/></Statement>`, "root: "},
		{"namespace of another message", `<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.02"><BkToCstmrStmt/></Document>`, "camt.054"},
		{"version too new", statement("urn:iso:std:iso:20022:tech:xsd:camt.053.001.10", goodEntry), "001.10"},
		{"version too old", statement("urn:iso:std:iso:20022:tech:xsd:camt.053.001.01", goodEntry), "001.01"},
		{"doctype", `<?xml version="1.0"?><!DOCTYPE Document SYSTEM "file:///etc/passwd">` + statement(ns02, goodEntry)[len(`<?xml version="1.0" encoding="UTF-8"?>`):], "DOCTYPE"},
		{"entity", `<!DOCTYPE d [<!ENTITY e "boom">]>` + statement(ns02, entry(goodAmt, `<AcctSvcrRef>&e;</AcctSvcrRef>`)), "DOCTYPE"},
		{"undeclared entity", statement(ns02, entry(goodAmt, `<AcctSvcrRef>&e;</AcctSvcrRef>`)), "entity"},
		{"deep nesting", statement(ns02, goodEntry, entry(goodAmt, deep)), "deeper than"},
		{"huge element", statement(ns02, goodEntry, entry(goodAmt, huge)), "larger than"},
		{"huge text outside entries", strings.Replace(statement(ns02, goodEntry), "<Id>S-1</Id>", "<Id>"+strings.Repeat("s", 2<<20)+"</Id>", 1), "larger than"},
		{"truncated", statement(ns02, goodEntry, goodEntry)[:300], "unexpected EOF"},
		{"mismatched tags", strings.Replace(statement(ns02, goodEntry), "</Stmt>", "</Stmnt>", 1), "Stmnt"},
		{"empty", ``, "no root element"},
		{"not xml", `%PDF-1.4`, ""},
		{"latin-1", `<?xml version="1.0" encoding="ISO-8859-1"?>` + statement(ns02, goodEntry)[len(`<?xml version="1.0" encoding="UTF-8"?>`):], "ISO-8859-1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := readAll([]byte(c.doc))
			if err == nil {
				t.Fatalf("Read accepted it")
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q does not contain %q", err, c.want)
			}
			if !strings.HasPrefix(err.Error(), "camt: ") {
				t.Errorf("error %q lacks the package's prefix", err)
			}
		})
	}
}

// An error stops the reading: the entries before it were visited, none after.
func TestReadStopsAtTheFirstBadEntry(t *testing.T) {
	doc := statement(ns02, goodEntry, goodEntry, entry(`<Amt Ccy="EUR">x</Amt>`, ""), goodEntry)
	_, got, err := readAll([]byte(doc))
	if err == nil || !strings.Contains(err.Error(), "entry 3: Amt: ") {
		t.Fatalf("err = %v, want entry 3's amount", err)
	}
	if len(got) != 2 {
		t.Errorf("visited %d entries before the error, want 2", len(got))
	}
}

func TestReadReturnsVisitError(t *testing.T) {
	stop := errors.New("stop here")
	calls := 0
	_, err := Read(strings.NewReader(statement(ns02, goodEntry, goodEntry, goodEntry)), func(bank.Entry) error {
		calls++
		if calls == 2 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) {
		t.Fatalf("err = %v, want the visit's error", err)
	}
	if !strings.Contains(err.Error(), "entry 2") {
		t.Errorf("err %q does not name the entry", err)
	}
	if calls != 2 {
		t.Errorf("visit called %d times, want 2", calls)
	}
}

// A batch's transactions are visited in order; the visit's error on the
// first one stops before the second.
func TestReadReturnsVisitErrorInBatch(t *testing.T) {
	stop := errors.New("stop here")
	doc := statement(ns02, entry(goodAmt, details(tx(`<Amt Ccy="EUR">0.40</Amt>`), tx(`<Amt Ccy="EUR">0.60</Amt>`))))
	var seen []int
	_, err := Read(strings.NewReader(doc), func(e bank.Entry) error {
		seen = append(seen, e.Batch)
		return stop
	})
	if !errors.Is(err, stop) || !strings.Contains(err.Error(), "entry 1") {
		t.Fatalf("err = %v, want the visit's error at entry 1", err)
	}
	if len(seen) != 1 || seen[0] != 1 {
		t.Errorf("visited batches %v, want [1]", seen)
	}
}

func TestReadNamespaces(t *testing.T) {
	cases := []struct {
		name, doc, format, version string
	}{
		{"byte-order mark", "\xef\xbb\xbf" + statement(ns02, goodEntry), bank.FormatCamt053, "001.02"},
		{"notification, prefixed", `<c:Document xmlns:c="urn:iso:std:iso:20022:tech:xsd:camt.054.001.06"><c:BkToCstmrDbtCdtNtfctn><c:GrpHdr><c:MsgId>N</c:MsgId></c:GrpHdr>` +
			`<c:Ntfctn><c:Acct><c:Id><c:IBAN>NL20INGB0001234567</c:IBAN></c:Id></c:Acct>` +
			`<c:Ntry><c:Amt Ccy="EUR">1.00</c:Amt><c:CdtDbtInd>CRDT</c:CdtDbtInd><c:Sts><c:Cd>BOOK</c:Cd></c:Sts></c:Ntry></c:Ntfctn></c:BkToCstmrDbtCdtNtfctn></c:Document>`,
			bank.FormatCamt054, "001.06"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f, got, err := readAll([]byte(c.doc))
			if err != nil {
				t.Fatalf("Read: %v", err)
			}
			if f.Format != c.format || f.Version != c.version {
				t.Errorf("format %q version %q, want %q %q", f.Format, f.Version, c.format, c.version)
			}
			if len(got) != 1 || !got[0].Booked || got[0].Account != "NL20INGB0001234567" {
				t.Errorf("entries %+v, want the one booked entry", got)
			}
		})
	}
}

// An account of several statements (pages, or days) is listed once.
func TestReadListsEachAccountOnce(t *testing.T) {
	page := `<Stmt><Acct><Id><IBAN>NL20INGB0001234567</IBAN></Id></Acct>` + goodEntry + `</Stmt>`
	other := `<Stmt><Acct><Id><Othr><Id>0300065264</Id></Othr></Id></Acct>` + goodEntry + `</Stmt>`
	doc := `<Document xmlns="` + ns02 + `"><BkToCstmrStmt><GrpHdr><MsgId>M</MsgId></GrpHdr>` + page + other + page + `</BkToCstmrStmt></Document>`
	f, got, err := readAll([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"NL20INGB0001234567", "0300065264"}; !slices.Equal(f.Accounts, want) {
		t.Errorf("accounts %v, want %v", f.Accounts, want)
	}
	var accounts []string
	for _, e := range got {
		accounts = append(accounts, e.Account)
	}
	if want := []string{"NL20INGB0001234567", "0300065264", "NL20INGB0001234567"}; !slices.Equal(accounts, want) {
		t.Errorf("entries' accounts %v, want %v", accounts, want)
	}
}
