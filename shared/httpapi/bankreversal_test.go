package httpapi_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/paylinks/paylinks/shared/bank/reference"
)

// camtReversal is a camt.053.001.08 statement returning the credit of
// amount with structured reference strd: a booked debit marked RvslInd,
// the debtor of the credit named again (as a bank books a return).
func camtReversal(amount, entryRef, strd string) string {
	return fmt.Sprintf(`<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"><BkToCstmrStmt>
<GrpHdr><MsgId>RVSL</MsgId><CreDtTm>2026-12-03T05:00:00+01:00</CreDtTm></GrpHdr>
<Stmt><Id>S3</Id><Acct><Id><IBAN>BE71096123456769</IBAN></Id><Ccy>EUR</Ccy></Acct>
<Ntry><Amt Ccy="EUR">%s</Amt><CdtDbtInd>DBIT</CdtDbtInd><RvslInd>true</RvslInd><Sts><Cd>BOOK</Cd></Sts><BookgDt><Dt>2026-12-02</Dt></BookgDt>
<AcctSvcrRef>%s</AcctSvcrRef><NtryDtls><TxDtls><RltdPties><Dbtr><Pty><Nm>Jan Peeters</Nm></Pty></Dbtr><DbtrAcct><Id><IBAN>BE68539007547034</IBAN></Id></DbtrAcct></RltdPties>
<RmtInf><Strd><CdtrRefInf><Tp><CdOrPrtry><Cd>SCOR</Cd></CdOrPrtry></Tp><Ref>%s</Ref></CdtrRefInf></Strd></RmtInf></TxDtls></NtryDtls></Ntry>
</Stmt></BkToCstmrStmt></Document>
`, amount, entryRef, strd)
}

// TestReversedBankPaymentIsNotRefunded (through the emulators): once the
// bank takes back the transfer that paid a link (a reversal, kept for
// review), neither the link's refund nor the reversal's own is made: 409
// saying the bank took the payment back, and no payout waits for a file.
func TestReversedBankPaymentIsNotRefunded(t *testing.T) {
	b := newBankE2E(t)
	link, rf := b.link("12.00", reference.RF)
	b.wantStatement("paid", camtFile(camtCredit{amount: "12.00", ref: "R1", strd: rf}), "done 1 1 0 0 0")
	s := b.wantStatement("reversed", camtReversal("12.00", "R2", rf), "done 1 0 1 0 0")
	e := b.entries(s["id"].(string))[0].(jsonMap)
	if e["reason"] != "reversal" || e["link_id"] != link {
		t.Fatalf("reversal entry %v", e)
	}
	const said = "the bank took this payment back"
	for _, amount := range []string{`{"amount":{"currency":"EUR","value":"5.00"}}`, ""} {
		st, h, raw := call(t, "POST", b.url+"/v1/payment-links/"+link+"/refunds", b.key, amount, nil, true)
		if st != 409 || !strings.HasPrefix(h.Get("Content-Type"), "application/problem+json") || !strings.Contains(string(raw), said) {
			t.Fatalf("refund of a reversed payment %q: %d %s", amount, st, raw)
		}
	}
	st, _, raw := call(t, "POST", b.url+"/v1/payments/review/"+e["review_id"].(string)+"/refund", b.key, "", nil, true)
	if st != 409 || !strings.Contains(string(raw), said) {
		t.Fatalf("refund of the reversal: %d %s", st, raw)
	}
	if st, _, raw := call(t, "POST", b.url+"/v1/bank-refund-files", b.key, "", nil, true); st != 409 || !strings.Contains(string(raw), "no bank refunds are waiting") {
		t.Fatalf("a file: %d %s", st, raw)
	}
	if l := b.linkOf(link); l["status"] != "paid" || l["amount_refunded"].(jsonMap)["value"] != "0.00" {
		t.Fatalf("link %v", l)
	}
}
