package camt

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/paylinks/paylinks/shared/bank"
)

// statementOf is a camt.053.001.02 statement of the account acct, message
// msgID, holding entries.
func statementOf(msgID, acct string, entries ...string) string {
	return `<?xml version="1.0" encoding="UTF-8"?><Document xmlns="` + ns02 + `"><BkToCstmrStmt><GrpHdr><MsgId>` + msgID + `</MsgId></GrpHdr>` +
		`<Stmt><Id>S-` + msgID + `</Id><Acct><Id><IBAN>` + acct + `</IBAN></Id></Acct>` + strings.Join(entries, "") +
		`</Stmt></BkToCstmrStmt></Document>`
}

// booked is a booked credit of amount EUR on date with the entry number
// ntryRef and inner after its dates.
func booked(ntryRef, amount, date, inner string) string {
	return `<Ntry><NtryRef>` + ntryRef + `</NtryRef><Amt Ccy="EUR">` + amount + `</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>` +
		`<BookgDt><Dt>` + date + `</Dt></BookgDt>` + inner + `</Ntry>`
}

func mustRead(t *testing.T, doc string) (bank.File, []bank.Entry) {
	t.Helper()
	f, got, err := readAll([]byte(doc))
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	return f, got
}

// A bank that numbers NtryRef per statement (1, 2, 3 each day) gives a
// later, different payment a number already seen: it is another entry.
// The bank's own reference (AcctSvcrRef) keys the entry; NtryRef is not
// read.
func TestReusedEntryNumberIsAnotherEntry(t *testing.T) {
	_, day1 := mustRead(t, statementOf("D1", "BE68539007547034", booked("1", "10.00", "2024-03-04",
		details(tx(`<Refs><EndToEndId>A</EndToEndId></Refs><RmtInf><Ustrd>order 1</Ustrd></RmtInf>`)))))
	_, day2 := mustRead(t, statementOf("D2", "BE68539007547034", booked("1", "99.00", "2024-03-05",
		details(tx(`<Refs><EndToEndId>B</EndToEndId></Refs><RmtInf><Ustrd>order 2</Ustrd></RmtInf>`)))))
	if day1[0].Key() == day2[0].Key() {
		t.Errorf("two payments numbered 1 on two days share the key %q", day1[0].Key())
	}
	if day1[0].EntryRef != "" {
		t.Errorf("EntryRef %q from NtryRef, want none", day1[0].EntryRef)
	}
	svcr := `<AcctSvcrRef>BANK-REF-1</AcctSvcrRef>`
	_, a := mustRead(t, statementOf("D1", "BE68539007547034", booked("1", "10.00", "2024-03-04", svcr)))
	_, b := mustRead(t, statementOf("D2", "BE68539007547034", booked("7", "10.00", "2024-03-04", svcr)))
	if a[0].EntryRef != "BANK-REF-1" || a[0].Key() != b[0].Key() {
		t.Errorf("the entry of AcctSvcrRef BANK-REF-1 numbered 1 then 7: keys %q and %q", a[0].Key(), b[0].Key())
	}
	_, c := mustRead(t, statementOf("D3", "BE68539007547034", booked("1", "11.00", "2024-03-04", svcr)))
	if a[0].Key() == c[0].Key() {
		t.Errorf("AcctSvcrRef reused for another amount: one key %q", a[0].Key())
	}
}

// An account and a party's IBAN are given as bank.NormalizeAccount makes
// them, whatever their spelling in the file.
func TestReadNormalisesAccounts(t *testing.T) {
	party := tx(`<RltdPties><DbtrAcct><Id><IBAN>nl91 abna 0417 1643 00</IBAN></Id></DbtrAcct></RltdPties>`)
	f, got := mustRead(t, statementOf("M", "be68 5390 0754 7034", booked("1", "10.00", "2024-03-04", details(party))))
	if !slices.Equal(f.Accounts, []string{"BE68539007547034"}) || got[0].Account != "BE68539007547034" {
		t.Errorf("accounts %v, entry's %q", f.Accounts, got[0].Account)
	}
	if got[0].Party.IBAN != "NL91ABNA0417164300" {
		t.Errorf("party IBAN %q", got[0].Party.IBAN)
	}
	_, plain := mustRead(t, statementOf("M", "BE68539007547034", booked("1", "10.00", "2024-03-04", details(party))))
	if plain[0].Key() != got[0].Key() {
		t.Errorf("one entry, two keys: %q and %q", plain[0].Key(), got[0].Key())
	}
}

func TestReadChecksBatchAmounts(t *testing.T) {
	ten := tx(`<AmtDtls><TxAmt><Amt Ccy="EUR">10.00</Amt></TxAmt></AmtDtls>`)
	txAmt := func(amount, more string) string { return tx(`<Amt Ccy="EUR">` + amount + `</Amt>` + more) }
	btch := func(total, more string) string {
		return `<Btch><NbOfTxs>2</NbOfTxs><TtlAmt Ccy="EUR">` + total + `</TtlAmt>` + more + `</Btch>`
	}
	bad := []struct{ name, amount, inner, want string }{
		{"three times ten for one", "1.00", details(ten, ten, ten), "entry 1: NtryDtls: the transactions' amounts (TxDtls Amt) sum to 30 EUR, but the entry's Amt is 1 EUR"},
		{"batch short", "30.00", details(ten, ten), "entry 1: NtryDtls: "},
		{"single transaction of another amount", "1.00", details(txAmt("10.00", "")), "entry 1: NtryDtls: "},
		{"transaction of another currency", "20.00", details(ten, tx(`<Amt Ccy="USD">10.00</Amt>`)), "entry 1: TxDtls 2: Amt: in USD"},
		{"batch total off", "20.00", `<NtryDtls>` + btch("25.00", "") + ten + ten + `</NtryDtls>`, "entry 1: NtryDtls: Btch: TtlAmt: 25 EUR, but its transactions' amounts sum to 20 EUR"},
		{"batch total alone off", "20.00", `<NtryDtls>` + btch("25.00", "") + `</NtryDtls>`, "entry 1: NtryDtls: Btch: TtlAmt: the batches' totals sum to 25 EUR"},
		{"batch total of another currency", "20.00", `<NtryDtls><Btch><TtlAmt Ccy="USD">20.00</TtlAmt></Btch>` + ten + ten + `</NtryDtls>`, "entry 1: NtryDtls: Btch: TtlAmt: in USD"},
		{"a debit among credits", "20.00", details(ten, txAmt("10.00", "<CdtDbtInd>DBIT</CdtDbtInd>")), "sum to 0 EUR"},
		{"second details over", "20.00", details(ten, ten) + details(ten), "sum to 30 EUR"},
	}
	for _, c := range bad {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := readAll([]byte(statementOf("M", "BE68539007547034", booked("1", c.amount, "2024-03-04", c.inner))))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want %q", err, c.want)
			}
		})
	}
	good := []struct{ name, amount, inner string }{
		{"batch", "30.00", details(ten, ten, ten)},
		{"batch with its total", "20.00", `<NtryDtls>` + btch("20.00", "<CdtDbtInd>CRDT</CdtDbtInd>") + ten + ten + `</NtryDtls>`},
		{"net of a debit", "10.00", details(ten, txAmt("10.00", ""), txAmt("10.00", "<CdtDbtInd>DBIT</CdtDbtInd>"))},
		{"two details", "30.00", details(ten, ten) + details(ten)},
		{"single of its amount", "10.00", details(txAmt("10.00", ""))},
		{"single without amount", "10.00", details(tx(""))},
		{"single in the instructed currency", "9.12", details(tx(`<AmtDtls><TxAmt><Amt Ccy="USD">10.00</Amt></TxAmt></AmtDtls>`))},
		{"total without transactions", "20.00", `<NtryDtls>` + btch("20.00", "") + `</NtryDtls>`},
	}
	for _, c := range good {
		t.Run(c.name, func(t *testing.T) {
			if _, _, err := readAll([]byte(statementOf("M", "BE68539007547034", booked("1", c.amount, "2024-03-04", c.inner)))); err != nil {
				t.Fatalf("Read: %v", err)
			}
		})
	}
}

func TestReadRefusesOtherDocuments(t *testing.T) {
	doc := statementOf("M", "BE68539007547034", booked("1", "10.00", "2024-03-04", ""))
	withNS := func(ns string) string { return strings.Replace(doc, ns02, ns, 1) }
	bare := `<BkToCstmrStmt xmlns="` + ns02 + `"><GrpHdr><MsgId>M</MsgId></GrpHdr></BkToCstmrStmt>`
	cases := []struct{ name, doc, want string }{
		{"evil namespace", withNS("urn:example:evil"), `root: the Document's namespace "urn:example:evil" is not that of camt.053 or camt.054`},
		{"no namespace", withNS(""), `namespace "" is not`},
		{"namespace naming a version in passing", withNS("urn:bank.example:camt.053.001.04:extended"), "is not that of camt.053"},
		{"pain.001", `<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"><CstmrCdtTrfInitn/></Document>`, "pain.001.001.09"},
		{"camt.052", `<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.052.001.02"><BkToCstmrAcctRpt/></Document>`, "names camt.052"},
		{"version .09", withNS("urn:iso:std:iso:20022:tech:xsd:camt.053.001.09"), "version 001.09 is not read"},
		{"message without Document", bare, "root: BkToCstmrStmt is not a camt Document"},
		{"message in another namespace", strings.Replace(doc, "<BkToCstmrStmt>", `<BkToCstmrStmt xmlns="urn:example:evil">`, 1), "not the Document's"},
		{"second message", strings.Replace(doc, "</BkToCstmrStmt>", "</BkToCstmrStmt><BkToCstmrStmt/>", 1), "root: a second message BkToCstmrStmt"},
		{"element after the root", doc + `<Document xmlns="` + ns02 + `"/>`, "after the Document's end: element Document"},
		{"text after the root", doc + "\nhello", `after the Document's end: text "\nhello"`},
		{"text before the root", "hello" + doc[len(`<?xml version="1.0" encoding="UTF-8"?>`):], "before the root element"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f, _, err := readAll([]byte(c.doc))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v (file %+v), want %q", err, f, c.want)
			}
		})
	}
	for name, ok := range map[string]string{
		"comment and space after the root": doc + "\n<!-- signed -->\n\r\n",
		"byte-order mark":                  "\xef\xbb\xbf" + doc,
	} {
		if _, _, err := readAll([]byte(ok)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// A creditor reference whose check digits are wrong is kept as the payer
// wrote it: in Reference, and before the remittance text so a review shows
// it; a valid one is not repeated there.
func TestReadKeepsMistypedReference(t *testing.T) {
	rmt := func(ref, ustrd string) string {
		return details(tx(`<RmtInf><Ustrd>` + ustrd + `</Ustrd><Strd><CdtrRefInf><Ref>` + ref + `</Ref></CdtrRefInf></Strd></RmtInf>`))
	}
	cases := []struct{ ref, ustrd, remittance string }{
		{"RF19 5390 0754 7034", "order 7", "RF19 5390 0754 7034 | order 7"},
		{"090933755494", "", "090933755494"},
		{"INV-2024-17", "thanks", "INV-2024-17 | thanks"},
		{"RF18 5390 0754 7034", "order 7", "order 7"},
		{"RF19 5390 0754 7034", "RF19 5390 0754 7034", "RF19 5390 0754 7034"},
	}
	for _, c := range cases {
		_, got := mustRead(t, statementOf("M", "BE68539007547034", booked("1", "10.00", "2024-03-04", rmt(c.ref, c.ustrd))))
		if got[0].Reference != c.ref || got[0].Remittance != c.remittance {
			t.Errorf("Ref %q, Ustrd %q: Reference %q, Remittance %q; want %q", c.ref, c.ustrd, got[0].Reference, got[0].Remittance, c.remittance)
		}
	}
}

// Property: the same entries rewritten in another file (another message
// id, statement id and order, another version, the camt.054 notification
// of a camt.053 statement, entry numbers given anew, the account spelled
// otherwise) have the same keys; and no two entries of a file share a key
// unless they are one payment written twice.
func TestSameEntriesSameKeysAcrossFiles(t *testing.T) {
	r := rand.New(rand.NewPCG(31, 54))
	g := gen{r: r}
	for round := range 200 {
		var entries []genEntry
		for range 1 + r.IntN(8) {
			entries = append(entries, g.entry())
		}
		first := shape{format: bank.FormatCamt053, version: 2 + r.IntN(7)}
		second := shape{format: bank.FormatCamt054, version: 2 + r.IntN(7)}
		keysA := keysOf(t, first, "MSG-A", "BE68539007547034", entries)
		shuffled := slices.Clone(entries)
		r.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		for i := range shuffled {
			shuffled[i].ntryRef = fmt.Sprint(i + 1)
		}
		keysB := keysOf(t, second, "MSG-B", "be68 5390 0754 7034", shuffled)
		slices.Sort(keysA)
		slices.Sort(keysB)
		if !slices.Equal(keysA, keysB) {
			t.Fatalf("round %d: the same entries in %v and %v have other keys:\n%q\n%q", round, first, second, keysA, keysB)
		}
	}
}

func keysOf(t *testing.T, s shape, msgID, acct string, entries []genEntry) []string {
	t.Helper()
	var buf bytes.Buffer
	w := newDocWriter(&buf, s)
	w.begin(msgID)
	w.beginStatement("S-"+msgID, acct)
	for _, e := range entries {
		w.entry(e)
	}
	w.endStatement()
	if err := w.end(); err != nil {
		t.Fatal(err)
	}
	_, got := mustRead(t, buf.String())
	var keys []string
	for _, e := range got {
		keys = append(keys, e.Key())
	}
	return keys
}
