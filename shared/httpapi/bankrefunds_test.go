package httpapi_test

import (
	"encoding/xml"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/paylinks/paylinks/shared/bank/reference"
	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/links"
	"github.com/paylinks/paylinks/shared/money"
	"github.com/paylinks/paylinks/shared/testkit/testenv"
)

// camtDebits is a camt.053.001.08 statement of debits, each with the bank's
// entry reference and the end-to-end id of the transfer it paid out (as a
// bank books each transfer of a pain.001 file sent without batch booking).
func camtDebits(debits ...[3]string) string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"><BkToCstmrStmt>
<GrpHdr><MsgId>OUT</MsgId><CreDtTm>2026-12-04T05:00:00+01:00</CreDtTm></GrpHdr>
<Stmt><Id>S2</Id><Acct><Id><IBAN>BE71096123456769</IBAN></Id><Ccy>EUR</Ccy></Acct>
`)
	for _, d := range debits { // amount, entry reference, end-to-end id
		fmt.Fprintf(&b, `<Ntry><Amt Ccy="EUR">%s</Amt><CdtDbtInd>DBIT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts><BookgDt><Dt>2026-12-03</Dt></BookgDt>
<AcctSvcrRef>%s</AcctSvcrRef><NtryDtls><TxDtls><Refs><EndToEndId>%s</EndToEndId></Refs><RltdPties><Cdtr><Pty><Nm>Jan Peeters</Nm></Pty></Cdtr><CdtrAcct><Id><IBAN>BE68539007547034</IBAN></Id></CdtrAcct></RltdPties></TxDtls></NtryDtls></Ntry>
`, d[0], d[1], d[2])
	}
	b.WriteString("</Stmt></BkToCstmrStmt></Document>\n")
	return b.String()
}

// painOut is a pain.001 document as the test reads it back.
type painOut struct {
	XMLName xml.Name
	NbOfTxs string `xml:"CstmrCdtTrfInitn>GrpHdr>NbOfTxs"`
	CtrlSum string `xml:"CstmrCdtTrfInitn>GrpHdr>CtrlSum"`
	Debtor  string `xml:"CstmrCdtTrfInitn>PmtInf>DbtrAcct>Id>IBAN"`
	Txs     []struct {
		E2E   string `xml:"PmtId>EndToEndId"`
		Amt   string `xml:"Amt>InstdAmt"`
		IBAN  string `xml:"CdtrAcct>Id>IBAN"`
		Ustrd string `xml:"RmtInf>Ustrd"`
	} `xml:"CstmrCdtTrfInitn>PmtInf>CdtTrfTxInf"`
}

// TestBankRefundsEndToEnd (through the emulators, held to the OpenAPI
// document): a link paid by a statement is refunded by bank transfer to its
// payer, and a bank payment kept for review too: both pending, none through
// a PSP; one file pays both out (its pain.001 parsed back), a second file
// finds nothing; the statement showing the debits settles both once (the
// link's refund.succeeded webhook), the same debits again are duplicates.
func TestBankRefundsEndToEnd(t *testing.T) {
	b := newBankE2E(t)
	link, rf := b.link("12.00", reference.RF)
	unknown, _ := reference.MakeRF("NOSUCHLINK2")
	s := b.wantStatement("paid and unmatched", camtFile(camtCredit{amount: "12.00", ref: "P1", strd: rf}, camtCredit{amount: "3.00", ref: "P2", strd: unknown}), "done 2 1 1 0 0")
	review := b.entries(s["id"].(string))[1].(jsonMap)["review_id"].(string)
	b.wantNext(0, "0.00")
	b.refundBoth(link, review)
	b.wantNext(2, "8.00")
	file := b.refundFile(2, "8.00")
	b.wantNext(0, "0.00")
	doc := b.download(file)
	if doc.NbOfTxs != "2" || doc.CtrlSum != "8.00" || doc.Debtor != "BE71096123456769" || len(doc.Txs) != 2 ||
		doc.Txs[0].Amt != "5.00" || doc.Txs[0].IBAN != "BE68539007547034" || doc.Txs[1].Amt != "3.00" || !strings.HasPrefix(doc.Txs[1].Ustrd, "Refund of payment py-") {
		t.Fatalf("document %+v", doc)
	}
	if st, _, raw := call(t, "POST", b.url+"/v1/bank-refund-files", b.key, "", nil, true); st != 409 || !strings.Contains(string(raw), "no bank refunds are waiting to be paid out") {
		t.Fatalf("a second file: %d %s", st, raw)
	}
	_, _, raw := call(t, "GET", b.url+"/v1/payment-links/"+link+"/refunds", b.key, "", nil, true)
	if got := decode(t, raw)["data"].([]any)[0].(jsonMap); got["bank_file_id"] != file || got["status"] != "pending" {
		t.Fatalf("refund in its file: %v", got)
	}
	debits := camtDebits([3]string{"5.00", "O1", doc.Txs[0].E2E}, [3]string{"3.00", "O2", doc.Txs[1].E2E})
	out := b.wantStatement("the debits", debits, "done 2 2 0 0 0")
	entries := b.entries(out["id"].(string))
	if e0, e1 := entries[0].(jsonMap), entries[1].(jsonMap); e0["reason"] != "refund_paid_out" || e0["link_id"] != link || e1["reason"] != "refund_paid_out" || e1["review_id"] != review {
		t.Fatalf("entries %v", entries)
	}
	b.wantStatement("the debits booked again", camtDebits([3]string{"5.00", "O3", doc.Txs[0].E2E}, [3]string{"3.00", "O4", doc.Txs[1].E2E}), "done 2 0 0 0 2")
	b.wantStatement("the same file again", debits, "done 2 0 0 0 2")
	b.wantSettled(link, review)
}

// refundBoth refunds EUR 5.00 of link and review payment review, both by
// bank transfer: pending (refunding), in no file yet.
func (b *bankE2E) refundBoth(link, review string) {
	t := b.t
	st, _, raw := call(t, "POST", b.url+"/v1/payment-links/"+link+"/refunds", b.key, `{"amount":{"currency":"EUR","value":"5.00"}}`, nil, true)
	refund := decode(t, raw)
	if st != 201 || refund["status"] != "pending" || refund["psp"] != "bank" || refund["bank_file_id"] != nil {
		t.Fatalf("refund: %d %s", st, raw)
	}
	if st, _, raw := call(t, "POST", b.url+"/v1/payments/review/"+review+"/refund", b.key, "", nil, true); st != 202 || decode(t, raw)["state"] != "refunding" {
		t.Fatalf("review refund: %d %s", st, raw)
	}
}

// refundFile makes a bank refund file of n refunds totalling total and
// returns its id, after finding it listed.
func (b *bankE2E) refundFile(n int, total string) string {
	t := b.t
	st, _, raw := call(t, "POST", b.url+"/v1/bank-refund-files", b.key, "", map[string]string{"Idempotency-Key": "file-1"}, true)
	f := decode(t, raw)
	if st != 201 || f["refunds"] != float64(n) || f["total"].(jsonMap)["value"] != total || f["status"] != "ready" || f["more"] != false {
		t.Fatalf("file: %d %s", st, raw)
	}
	id := f["id"].(string)
	if st, _, again := call(t, "POST", b.url+"/v1/bank-refund-files", b.key, "", map[string]string{"Idempotency-Key": "file-1"}, true); st != 201 || decode(t, again)["id"] != id {
		t.Fatalf("the same request again: %d %s", st, again)
	}
	_, _, raw = call(t, "GET", b.url+"/v1/bank-refund-files?limit=5", b.key, "", nil, true)
	if page := decode(t, raw)["data"].([]any); len(page) != 1 || page[0].(jsonMap)["id"] != id {
		t.Fatalf("files %s", raw)
	}
	if st, _, raw := call(t, "GET", b.url+"/v1/bank-refund-files/"+id, b.key, "", nil, true); st != 200 || decode(t, raw)["refunds"] != float64(n) {
		t.Fatalf("file as JSON: %d %s", st, raw)
	}
	if st, _, _ := call(t, "GET", b.url+"/v1/bank-refund-files/bf_01JD3Q7A1B2C3D4E5F6G7H8J9K", b.key, "", nil, true); st != 404 {
		t.Fatalf("an unknown file: %d", st)
	}
	return id
}

// download reads file id's pain.001 document.
func (b *bankE2E) download(id string) painOut {
	t := b.t
	st, h, raw := call(t, "GET", b.url+"/v1/bank-refund-files/"+id, b.key, "", map[string]string{"Accept": "application/xml"}, true)
	if st != 200 || !strings.HasPrefix(h.Get("Content-Type"), "application/xml") || h.Get("Content-Disposition") != `attachment; filename=`+id+`.xml` {
		t.Fatalf("download: %d %v", st, h)
	}
	var doc painOut
	if err := xml.Unmarshal(raw, &doc); err != nil || doc.XMLName.Space != "urn:iso:std:iso:20022:tech:xsd:pain.001.001.09" {
		t.Fatalf("document: %v %v\n%s", err, doc.XMLName, raw)
	}
	return doc
}

// wantSettled holds the link's refund to succeeded once (amount_refunded,
// its refund.succeeded webhook) and the review payment to refunded.
func (b *bankE2E) wantSettled(link, review string) {
	t := b.t
	if l := b.linkOf(link); l["amount_refunded"].(jsonMap)["value"] != "5.00" || l["refund_state"] != "partial" {
		t.Fatalf("link %v", l)
	}
	_, _, raw := call(t, "GET", b.url+"/v1/payment-links/"+link+"/refunds", b.key, "", nil, true)
	if got := decode(t, raw)["data"].([]any)[0].(jsonMap); got["status"] != "succeeded" {
		t.Fatalf("refund %v", got)
	}
	_, _, raw = call(t, "GET", b.url+"/v1/payments/review?limit=5", b.key, "", nil, true)
	for _, p := range decode(t, raw)["data"].([]any) {
		if p.(jsonMap)["id"] == review && p.(jsonMap)["state"] != "refunded" {
			t.Fatalf("review payment %v", p)
		}
	}
	testenv.Eventually(t, 30*time.Second, "refund.succeeded delivered once", func() bool {
		n := 0
		for _, h := range b.hook.delivered() {
			if strings.Contains(h.Body, `"type":"refund.succeeded"`) && strings.Contains(h.Body, link) {
				n++
			}
		}
		return n == 1
	})
}

// bankFileOf makes a bank refund file of merchant m (key key): its default
// beneficiary set, a link paid by bank transfer (from a debtor) refunded
// in part, and the file paying it out. It returns the file's id.
func bankFileOf(t *testing.T, env *testenv.Env, base, key, m string) string {
	t.Helper()
	if st, _, raw := call(t, "PUT", base+"/v1/settings", key, `{"default_beneficiary":{"name":"Shop BV","iban":"BE71096123456769","bic":"GKCCBEBB"}}`, nil, true); st != 200 {
		t.Fatalf("settings: %d %s", st, raw)
	}
	st, _, raw := call(t, "POST", base+"/v1/payment-links", key, `{"amount":{"currency":"EUR","value":"9.00"},"description":"d","customer":{"company_name":"ACME"}}`, nil, true)
	if st != 201 {
		t.Fatalf("link: %d %s", st, raw)
	}
	id := decode(t, raw)["id"].(string)
	a := money.MustParse("EUR", "9.00")
	if res, err := links.ApplyPayment(t.Context(), env.Store, m, domain.ProviderBank, domain.PaymentEvent{ID: "bank_" + id, Kind: domain.PaymentSucceeded, LinkID: id,
		PaymentRef: "bank_" + id, Amount: &a, Debtor: &domain.Debtor{Name: "Jan Peeters", IBAN: "BE68539007547034"}, At: time.Now()}, time.Now()); err != nil || res != links.AppliedChange {
		t.Fatalf("paid by bank: %v %v", res, err)
	}
	if st, _, raw := call(t, "POST", base+"/v1/payment-links/"+id+"/refunds", key, `{"amount":{"currency":"EUR","value":"1.00"}}`, nil, true); st != 201 {
		t.Fatalf("refund: %d %s", st, raw)
	}
	st, _, raw = call(t, "POST", base+"/v1/bank-refund-files", key, "", nil, true)
	if st != 201 {
		t.Fatalf("file: %d %s", st, raw)
	}
	return decode(t, raw)["id"].(string)
}

// wantNext holds the preview of the next refund file to n refunds of total
// (EUR), none left over.
func (b *bankE2E) wantNext(n int, total string) {
	t := b.t
	t.Helper()
	st, _, raw := call(t, "GET", b.url+"/v1/bank-refund-files/next", b.key, "", nil, true)
	got := decode(t, raw)
	if st != 200 || got["refunds"] != float64(n) || got["total"].(jsonMap)["value"] != total || got["total"].(jsonMap)["currency"] != "EUR" || got["more"] != false {
		t.Fatalf("next file: %d %s, want %d, %s", st, raw, n, total)
	}
}
