// Package camtgen writes camt.053.001.08 statements for tests, from
// bank.Entry values: the shape a bank sends (written from the ISO 20022
// message definition of BankToCustomerStatementV08).
package camtgen

import (
	"bufio"
	"encoding/xml"
	"fmt"
	"io"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/paylinks/paylinks/shared/bank"
)

// Write writes a camt.053.001.08 statement of account acct with n
// entries, entry(i) each, as a bank would (written from the ISO 20022
// message definition of BankToCustomerStatementV08: status as Sts/Cd,
// parties as Pty, one TxDtls per entry). It streams: nothing but one entry
// is held, whatever n.
func Write(w io.Writer, acct string, n int, entry func(i int) bank.Entry) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, `<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08">
  <BkToCstmrStmt>
    <GrpHdr><MsgId>TEST-%d</MsgId><CreDtTm>2026-12-02T05:00:00+01:00</CreDtTm></GrpHdr>
    <Stmt>
      <Id>STMT-1</Id>
      <CreDtTm>2026-12-02T05:00:00+01:00</CreDtTm>
      <Acct><Id><IBAN>%s</IBAN></Id><Ccy>EUR</Ccy></Acct>
`, n, acct)
	for i := 0; i < n; i++ {
		writeNtry(bw, entry(i))
	}
	bw.WriteString("    </Stmt>\n  </BkToCstmrStmt>\n</Document>\n")
	return bw.Flush()
}

func writeNtry(w *bufio.Writer, e bank.Entry) {
	dir, sts := "DBIT", "PDNG"
	if e.Credit {
		dir = "CRDT"
	}
	if e.Booked {
		sts = "BOOK"
	}
	fmt.Fprintf(w, "      <Ntry>\n        <Amt Ccy=\"%s\">%s</Amt>\n        <CdtDbtInd>%s</CdtDbtInd>\n", e.Currency, e.Amount.String(), dir)
	if e.Reversal {
		w.WriteString("        <RvslInd>true</RvslInd>\n")
	}
	fmt.Fprintf(w, "        <Sts><Cd>%s</Cd></Sts>\n        <BookgDt><Dt>%s</Dt></BookgDt>\n", sts, e.BookedOn)
	if e.EntryRef != "" {
		fmt.Fprintf(w, "        <AcctSvcrRef>%s</AcctSvcrRef>\n", esc(e.EntryRef))
	}
	w.WriteString("        <NtryDtls><TxDtls>\n")
	if e.EndToEndID != "" {
		fmt.Fprintf(w, "          <Refs><EndToEndId>%s</EndToEndId></Refs>\n", esc(e.EndToEndID))
	}
	if e.Party.Name != "" || e.Party.IBAN != "" {
		// A credit's other side is its debtor, a debit's its creditor; a
		// reversal keeps the roles of the entry it returns.
		role := "Dbtr"
		if e.Credit == e.Reversal {
			role = "Cdtr"
		}
		fmt.Fprintf(w, "          <RltdPties><%s><Pty><Nm>%s</Nm></Pty></%s><%sAcct><Id><IBAN>%s</IBAN></Id></%sAcct></RltdPties>\n",
			role, esc(e.Party.Name), role, role, esc(e.Party.IBAN), role)
	}
	if e.Remittance != "" || e.Reference != "" {
		w.WriteString("          <RmtInf>")
		if e.Remittance != "" {
			fmt.Fprintf(w, "<Ustrd>%s</Ustrd>", esc(e.Remittance))
		}
		if e.Reference != "" {
			fmt.Fprintf(w, "<Strd><CdtrRefInf><Tp><CdOrPrtry><Cd>SCOR</Cd></CdOrPrtry></Tp><Ref>%s</Ref></CdtrRefInf></Strd>", esc(e.Reference))
		}
		w.WriteString("</RmtInf>\n")
	}
	w.WriteString("        </TxDtls></NtryDtls>\n      </Ntry>\n")
}

func esc(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

// Of is a statement of account acct holding entries.
func Of(acct string, entries []bank.Entry) []byte {
	var b strings.Builder
	_ = Write(&b, acct, len(entries), func(i int) bank.Entry { return entries[i] })
	return []byte(b.String())
}

// OneCredit is a statement of account acct holding one booked credit of
// amount (EUR, a decimal: it panics on another), booked 2026-12-01, from
// Jan Peeters (BE68539007547034), with the bank's entry reference entryRef
// and the structured creditor reference ref: the drop a test makes to pay
// a bank_transfer link.
func OneCredit(acct, amount, entryRef, ref string) []byte {
	return Of(acct, []bank.Entry{{Currency: "EUR", Amount: decimal.RequireFromString(amount), Credit: true, Booked: true,
		BookedOn: "2026-12-01", EntryRef: entryRef, Reference: ref, Party: bank.Party{Name: "Jan Peeters", IBAN: "BE68539007547034"}}})
}
