package httpapi_test

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/paylinks/paylinks/shared/bank/reference"
	"github.com/paylinks/paylinks/shared/devkit/seed"
	"github.com/paylinks/paylinks/shared/service"
	"github.com/paylinks/paylinks/shared/testkit/testenv"
)

// camtCredit is one credit of a test statement: its amount, the bank's
// entry reference, and a structured reference (Strd) or free text (Ustrd).
type camtCredit struct {
	amount, ref, strd, ustrd string
}

// camtFile is a camt.053.001.08 statement of the credits, written after
// the ISO 20022 message definition (BankToCustomerStatementV08).
func camtFile(credits ...camtCredit) string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"><BkToCstmrStmt>
<GrpHdr><MsgId>E2E</MsgId><CreDtTm>2026-12-02T05:00:00+01:00</CreDtTm></GrpHdr>
<Stmt><Id>S1</Id><Acct><Id><IBAN>BE71096123456769</IBAN></Id><Ccy>EUR</Ccy></Acct>
`)
	for _, c := range credits {
		fmt.Fprintf(&b, `<Ntry><Amt Ccy="EUR">%s</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts><BookgDt><Dt>2026-12-01</Dt></BookgDt>
<AcctSvcrRef>%s</AcctSvcrRef><NtryDtls><TxDtls><RltdPties><Dbtr><Pty><Nm>Jan Peeters</Nm></Pty></Dbtr><DbtrAcct><Id><IBAN>BE68539007547034</IBAN></Id></DbtrAcct></RltdPties><RmtInf>`,
			c.amount, c.ref)
		if c.ustrd != "" {
			fmt.Fprintf(&b, "<Ustrd>%s</Ustrd>", c.ustrd)
		}
		if c.strd != "" {
			fmt.Fprintf(&b, "<Strd><CdtrRefInf><Tp><CdOrPrtry><Cd>SCOR</Cd></CdOrPrtry></Tp><Ref>%s</Ref></CdtrRefInf></Strd>", c.strd)
		}
		b.WriteString("</RmtInf></TxDtls></NtryDtls></Ntry>\n")
	}
	b.WriteString("</Stmt></BkToCstmrStmt></Document>\n")
	return b.String()
}

// bankE2E is a merchant with bank transfers on, the whole service with
// its queue consumers, the table's stream and a webhook receiver.
type bankE2E struct {
	t    *testing.T
	url  string
	key  string
	hook *receiver
}

func newBankE2E(t *testing.T) *bankE2E {
	rcv := newReceiver(t, nil)
	testenv.NeedStream(t)
	env := testenv.New(t)
	bkt := testenv.NewBucket(t)
	m := seed.Demo("bankshop")
	m.WebhookURL = rcv.URL + "/paylinks"
	key := env.MerchantWith(t, m)
	srv := env.ServeWith(t, func(o *service.Options) {
		o.AllowLoopbackWebhooks, o.MerchantTTL = true, time.Millisecond
		o.StatementsBucket, o.S3Endpoint, o.AWS = bkt.Name, bkt.Endpoint, testenv.AWSConfig(t)
	})
	srv.Consume(t)
	srv.Tail(t, env)
	b := &bankE2E{t: t, url: srv.URL, key: key, hook: rcv}
	if st, _, raw := call(t, "PUT", b.url+"/v1/settings", key, `{"default_beneficiary":{"name":"Bank Shop BV","iban":"BE71 0961 2345 6769","bic":"GKCCBEBB"},
	 "payment_methods":["card","bank_transfer"]}`, nil, true); st != 200 {
		t.Fatalf("settings: %d %s", st, raw)
	}
	return b
}

// link makes a bank transfer link of amount with its reference in format
// f and returns its id and reference.
func (b *bankE2E) link(amount string, f reference.Format) (string, string) {
	b.t.Helper()
	if st, _, raw := call(b.t, "PUT", b.url+"/v1/settings", b.key, `{"bank_transfer":{"reference_format":"`+string(f)+`"}}`, nil, true); st != 200 {
		b.t.Fatalf("format: %d %s", st, raw)
	}
	st, _, raw := call(b.t, "POST", b.url+"/v1/payment-links", b.key, `{"amount":{"currency":"EUR","value":"`+amount+`"},"description":"order","customer":{"company_name":"Payer"},"payment_methods":["bank_transfer"]}`, nil, true)
	if st != 201 {
		b.t.Fatalf("link: %d %s", st, raw)
	}
	l := decode(b.t, raw)
	return l["id"].(string), l["bank_transfer"].(jsonMap)["reference"].(string)
}

// upload sends a statement and waits until it is processed.
func (b *bankE2E) upload(file string) jsonMap {
	b.t.Helper()
	st, _, raw := call(b.t, "POST", b.url+"/v1/bank-statements", b.key, file, map[string]string{"Content-Type": "application/xml"}, true)
	if st != 202 {
		b.t.Fatalf("upload: %d %s", st, raw)
	}
	id := decode(b.t, raw)["id"].(string)
	var got jsonMap
	testenv.Eventually(b.t, 30*time.Second, "statement "+id+" done", func() bool {
		_, _, raw := call(b.t, "GET", b.url+"/v1/bank-statements/"+id, b.key, "", nil, true)
		got = decode(b.t, raw)
		return got["status"] != "processing"
	})
	return got
}

func (b *bankE2E) entries(id string) []any {
	b.t.Helper()
	st, _, raw := call(b.t, "GET", b.url+"/v1/bank-statements/"+id+"/entries?limit=10", b.key, "", nil, true)
	if st != 200 {
		b.t.Fatalf("entries: %d %s", st, raw)
	}
	return decode(b.t, raw)["data"].([]any)
}

func (b *bankE2E) linkOf(id string) jsonMap {
	b.t.Helper()
	_, _, raw := call(b.t, "GET", b.url+"/v1/payment-links/"+id, b.key, "", nil, true)
	return decode(b.t, raw)
}

func counts(s jsonMap) string {
	return fmt.Sprintf("%v %v %v %v %v %v", s["status"], s["entries"], s["matched"], s["review"], s["ignored"], s["duplicates"])
}

// TestBankStatementsEndToEnd (through the emulators, every request and
// answer held to the OpenAPI document): a camt.053 pays a bank transfer
// link by its reference in Strd, another by the OGM in the free text only;
// the same file again is all duplicates; a wrong amount and an unknown
// reference are kept for review with the debtor; the unmatched one is
// matched by hand. Each paid link is paid by the bank (psp bank), with its
// paid event on the timeline and its payment_link.paid webhook.
func TestBankStatementsEndToEnd(t *testing.T) {
	b := newBankE2E(t)
	rfLink, rf := b.link("10.00", reference.RF)
	ogmLink, ogm := b.link("20.00", reference.BEOGM)
	wrongLink, wrong := b.link("30.00", reference.BEOGM)
	handLink, _ := b.link("42.00", reference.RF)
	printed, _ := reference.PrintOGM(ogm)
	first := camtFile(camtCredit{amount: "10.00", ref: "E1", strd: rf})
	b.wantStatement("Strd", first, "done 1 1 0 0 0")
	b.wantStatement("the OGM in Ustrd", camtFile(camtCredit{amount: "20.00", ref: "E2", ustrd: "invoice 12 " + printed}), "done 1 1 0 0 0")
	b.wantStatement("the same file again", first, "done 1 0 0 0 1")
	mismatched, unmatched := b.reviewEntries(wrongLink, wrong)
	b.matchByHand(unmatched, mismatched, rfLink, handLink, wrongLink)
	for _, id := range []string{rfLink, ogmLink, handLink} {
		b.wantPaidByBank(id)
	}
	if l := b.linkOf(wrongLink); l["status"] != "created" {
		t.Fatalf("the link of the wrong amount: %v", l)
	}
	testenv.Eventually(t, 30*time.Second, "the paid links' webhooks", func() bool {
		n := 0
		for _, h := range b.hook.delivered() {
			if strings.Contains(h.Body, `"type":"payment_link.paid"`) && (strings.Contains(h.Body, rfLink) || strings.Contains(h.Body, ogmLink) || strings.Contains(h.Body, handLink)) {
				n++
			}
		}
		return n == 3
	})
}

// wantStatement uploads file and holds its statement to its counts.
func (b *bankE2E) wantStatement(what, file, want string) jsonMap {
	b.t.Helper()
	s := b.upload(file)
	if counts(s) != want || s["format"] != "camt.053" || s["account_iban"] != "BE71096123456769" {
		b.t.Fatalf("%s: %v, want %s", what, s, want)
	}
	return s
}

// reviewEntries uploads a credit of another amount for the link wrong
// names and one naming no link: both kept for review, with the debtor.
func (b *bankE2E) reviewEntries(wrongLink, wrong string) (mismatched, unmatched jsonMap) {
	b.t.Helper()
	unknown, _ := reference.MakeRF("NOSUCHLINK1")
	s := b.wantStatement("review", camtFile(camtCredit{amount: "29.99", ref: "E3", strd: wrong}, camtCredit{amount: "42.00", ref: "E4", strd: unknown}), "done 2 0 2 0 0")
	entries := b.entries(s["id"].(string))
	mismatched, unmatched = entries[0].(jsonMap), entries[1].(jsonMap)
	if got := fmt.Sprintln(mismatched["reason"], mismatched["link_id"], unmatched["reason"], unmatched["debtor"].(jsonMap)["iban"], unmatched["reference"]); got !=
		fmt.Sprintln("mismatched", wrongLink, "unknown_reference", "BE68539007547034", unknown) {
		b.t.Fatalf("entries %v", entries)
	}
	return mismatched, unmatched
}

// matchByHand matches the unmatched payment to handLink (after refusing
// a link of another amount), and refuses to match the mismatched one.
func (b *bankE2E) matchByHand(unmatched, mismatched jsonMap, otherLink, handLink, wrongLink string) {
	b.t.Helper()
	t := b.t
	review := unmatched["review_id"].(string)
	if st, _, raw := call(t, "POST", b.url+"/v1/payments/review/"+review+"/match", b.key, `{"link_id":"`+otherLink+`"}`, nil, true); st != 422 {
		t.Fatalf("match to a link of another amount: %d %s", st, raw)
	}
	st, _, raw := call(t, "POST", b.url+"/v1/payments/review/"+review+"/match", b.key, `{"link_id":"`+handLink+`"}`, nil, true)
	if p := decode(t, raw); st != 200 || p["state"] != "matched" || p["link_id"] != handLink || p["psp"] != "bank" {
		t.Fatalf("match: %d %s", st, raw)
	}
	if st, _, raw := call(t, "POST", b.url+"/v1/payments/review/"+mismatched["review_id"].(string)+"/match", b.key, `{"link_id":"`+wrongLink+`"}`, nil, true); st != 409 {
		t.Fatalf("match a mismatched payment: %d %s", st, raw)
	}
}

// wantPaidByBank holds a link to paid by the bank, on its timeline too.
func (b *bankE2E) wantPaidByBank(id string) {
	b.t.Helper()
	l := b.linkOf(id)
	if l["status"] != "paid" || l["psp"] != "bank" {
		b.t.Fatalf("link %s: %v", id, l)
	}
	if pm, ok := l["payment_method"]; !ok || pm != "bank_transfer" {
		b.t.Fatalf("link %s: payment_method %v (given: %v)", id, pm, ok)
	}
	if l["paid_at"] == nil || l["paid_at"].(string) < l["created_at"].(string) {
		b.t.Fatalf("link %s: paid at %v, made at %v", id, l["paid_at"], l["created_at"])
	}
	_, _, raw := call(b.t, "GET", b.url+"/v1/payment-links/"+id+"/events", b.key, "", nil, true)
	if !strings.Contains(string(raw), `"type":"payment_link.paid"`) || !strings.Contains(string(raw), `"psp":"bank"`) {
		b.t.Fatalf("timeline of %s: %s", id, raw)
	}
}

// TestBankStatementsRefused: what is not a statement is refused as
// problem+json naming the field (or 413, 415), before anything is kept; a
// file that does not read is failed with the reader's error; an unknown
// statement is 404; listings page newest first; a match names its link.
func TestBankStatementsRefused(t *testing.T) {
	b := newBankE2E(t)
	xml := map[string]string{"Content-Type": "application/xml"}
	for _, c := range []struct {
		body  string
		hdr   map[string]string
		want  int
		field string
	}{
		{camtFile(), map[string]string{"Content-Type": "application/pdf"}, 415, ""},
		{"<Document><Other/></Document>", xml, 422, "file"},
		{"", xml, 422, "file"},
		{camtFile(), map[string]string{"Content-Type": "text/plain"}, 422, "file"},
		{strings.Repeat(" ", 10<<20+1), xml, 413, ""},
		{gzipped(camtFile()), map[string]string{"Content-Type": "application/xml", "Content-Encoding": "gzip"}, 415, ""},
		{camtFile(), map[string]string{"Content-Type": "application/xml", "Content-Encoding": "br"}, 415, ""},
		{strings.Replace(camtFile(), `encoding="UTF-8"`, `encoding="ISO-8859-1"`, 1), xml, 422, "file"},
	} {
		st, _, raw := call(t, "POST", b.url+"/v1/bank-statements", b.key, c.body, c.hdr, false)
		if st != c.want || (c.field != "" && !strings.Contains(string(raw), `"field":"`+c.field+`"`)) ||
			(strings.Contains(c.body, "ISO-8859-1") && !strings.Contains(string(raw), "not in UTF-8")) {
			t.Errorf("%.40q as %s: %d %s", c.body, c.hdr["Content-Type"], st, raw)
		}
	}
	broken := strings.Replace(camtFile(camtCredit{amount: "1.00", ref: "X"}), "<Amt Ccy=\"EUR\">1.00</Amt>", "<Amt Ccy=\"EUR\">one</Amt>", 1)
	if s := b.upload(broken); s["status"] != "failed" || !strings.Contains(s["error"].(string), "entry 1") {
		t.Fatalf("a broken file: %v", s)
	}
	if s := b.upload(camtFile()); counts(s) != "done 0 0 0 0 0" {
		t.Fatalf("an empty statement: %v", s)
	}
	b.readsRefused()
}

// readsRefused: unknown statements, bad queries, pages of one, matches
// without their link.
func (b *bankE2E) readsRefused() {
	t := b.t
	for _, path := range []string{"/v1/bank-statements/bs_01JD3Q7A1B2C3D4E5F6G7H8J9K", "/v1/bank-statements/bs_01JD3Q7A1B2C3D4E5F6G7H8J9K/entries", "/v1/bank-statements/nope"} {
		if st, _, raw := call(t, "GET", b.url+path, b.key, "", nil, true); st != 404 {
			t.Errorf("%s: %d %s", path, st, raw)
		}
	}
	st, _, raw := call(t, "GET", b.url+"/v1/bank-statements?limit=1", b.key, "", nil, true)
	page := decode(t, raw)
	if st != 200 || len(page["data"].([]any)) != 1 || page["next_cursor"] == nil {
		t.Fatalf("page of 1: %d %s", st, raw)
	}
	if st, _, raw := call(t, "GET", b.url+"/v1/bank-statements?limit=1&cursor="+page["next_cursor"].(string), b.key, "", nil, true); st != 200 || decode(t, raw)["next_cursor"] != nil {
		t.Fatalf("page 2: %d %s", st, raw)
	}
	for _, q := range []string{"?limit=0", "?cursor=bad", "?kind=x"} {
		if st, _, raw := call(t, "GET", b.url+"/v1/bank-statements"+q, b.key, "", nil, false); st != 400 && st != 422 {
			t.Errorf("%s: %d %s", q, st, raw)
		}
	}
	for _, body := range []string{`{}`, `{"link_id":"pl_x","other":1}`} {
		if st, _, raw := call(t, "POST", b.url+"/v1/payments/review/py_01JD3Q7A1B2C3D4E5F6G7H8J9K/match", b.key, body, nil, false); st != 422 {
			t.Errorf("match %s: %d %s", body, st, raw)
		}
	}
	if st, _, raw := call(t, "POST", b.url+"/v1/payments/review/py_01JD3Q7A1B2C3D4E5F6G7H8J9K/match", b.key, `{"link_id":"pl_01JD3Q7A1B2C3D4E5F6G7H8J9K"}`, nil, true); st != 404 {
		t.Errorf("match an unknown payment: %d %s", st, raw)
	}
}

// gzipped is s compressed with gzip.
func gzipped(s string) string {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	_, _ = w.Write([]byte(s))
	_ = w.Close()
	return b.String()
}
