package camt

import (
	"encoding/xml"
	"errors"
	"fmt"
	"strings"

	"github.com/paylinks/paylinks/shared/bank"
)

// amtXML is an amount with its currency.
type amtXML struct {
	Ccy   string `xml:"Ccy,attr"`
	Value string `xml:",chardata"`
}

// stsXML is an entry's status: text up to .05, a choice of code or
// proprietary from .06.
type stsXML struct {
	Text  string `xml:",chardata"`
	Cd    string `xml:"Cd"`
	Prtry string `xml:"Prtry"`
}

func (s stsXML) code() string {
	for _, v := range []string{s.Cd, s.Text, s.Prtry} {
		if v = strings.TrimSpace(v); v != "" {
			return v
		}
	}
	return ""
}

// dateXML is a date or a date-time.
type dateXML struct {
	Dt   string `xml:"Dt"`
	DtTm string `xml:"DtTm"`
}

// ntry is one entry as read so far: the fields before its details, and
// its transactions as they come.
type ntry struct {
	account     string
	amt         *amtXML
	cdtDbtInd   string
	rvslInd     string
	sts         *stsXML
	bookgDt     dateXML
	valDt       dateXML
	acctSvcrRef string

	base  bank.Entry // once checked
	ready bool
	first *txXML // the first transaction, until a second makes a batch
	txs   int
	sums  sums // of the transactions' amounts, for the checks
}

// entry reads one Ntry, visiting its payments.
func (rd *reader) entry() error {
	n := &ntry{account: rd.account}
	err := rd.eachChild(func(c xml.StartElement) error {
		switch c.Name.Local {
		case "NtryDtls":
			return rd.details(n)
		case "Amt":
			n.amt = &amtXML{}
			return rd.decodeField(n.amt, c)
		case "Sts":
			n.sts = &stsXML{}
			return rd.decodeField(n.sts, c)
		case "BookgDt":
			return rd.decodeField(&n.bookgDt, c)
		case "ValDt":
			return rd.decodeField(&n.valDt, c)
		case "CdtDbtInd":
			return rd.decodeField(&n.cdtDbtInd, c)
		case "RvslInd":
			return rd.decodeField(&n.rvslInd, c)
		case "AcctSvcrRef":
			return rd.decodeField(&n.acctSvcrRef, c)
		default:
			return rd.dec.Skip()
		}
	})
	if err != nil {
		return err
	}
	if err := n.check(); err != nil {
		return err
	}
	switch n.txs {
	case 0:
		err = rd.visit(n.base)
	case 1:
		err = rd.emit(n, n.first, 0)
	}
	if err != nil {
		return err
	}
	return n.sums.checkEntry(n.base, n.txs)
}

func (rd *reader) decodeField(v any, start xml.StartElement) error {
	if err := rd.decode(v, start); err != nil {
		return inElement(start.Name.Local, err)
	}
	return nil
}

// check validates the fields before the details, once, making base.
func (n *ntry) check() error {
	if n.ready {
		return nil
	}
	if n.account == "" {
		return inElement("Acct", errors.New("missing: the statement names no account before its entries"))
	}
	e := bank.Entry{Account: n.account}
	var err error
	if e.Amount, e.Currency, err = parseAmount(n.amt); err != nil {
		return inElement("Amt", err)
	}
	if e.Credit, err = parseDirection(n.cdtDbtInd); err != nil {
		return inElement("CdtDbtInd", err)
	}
	if e.Reversal, err = parseBool(n.rvslInd); err != nil {
		return inElement("RvslInd", err)
	}
	if n.sts == nil || n.sts.code() == "" {
		return inElement("Sts", errMissing)
	}
	e.Booked = n.sts.code() == "BOOK"
	if e.BookedOn, err = parseDate(n.bookgDt); err != nil {
		return inElement("BookgDt", err)
	}
	if e.ValueOn, err = parseDate(n.valDt); err != nil {
		return inElement("ValDt", err)
	}
	e.EntryRef = strings.TrimSpace(n.acctSvcrRef)
	n.base, n.ready = e, true
	return nil
}

// details reads one NtryDtls: a batch's transactions are visited as they
// are read, the first once a second shows the entry is a batch; their
// amounts are added up for the checks.
func (rd *reader) details(n *ntry) error {
	if err := n.check(); err != nil {
		return err
	}
	d := detailSums{}
	err := rd.eachChild(func(c xml.StartElement) error {
		switch c.Name.Local {
		case "Btch":
			d.batch = &batchXML{}
			return rd.decodeField(d.batch, c)
		case "TxDtls":
			return rd.transaction(n, &d, c)
		default:
			return rd.dec.Skip()
		}
	})
	if err != nil {
		return err
	}
	if err := n.sums.addDetails(n.base, d); err != nil {
		return inElement("NtryDtls", err)
	}
	return nil
}

// transaction reads the TxDtls begun by c, adding its amount to d.
func (rd *reader) transaction(n *ntry, d *detailSums, c xml.StartElement) error {
	t := &txXML{}
	if err := rd.decode(t, c); err != nil {
		return inElement(fmt.Sprintf("TxDtls %d", n.txs+1), err)
	}
	n.txs++
	if err := d.add(n.base, t, n.txs); err != nil {
		return inElement(fmt.Sprintf("TxDtls %d", n.txs), err)
	}
	switch n.txs {
	case 1:
		n.first = t
		return nil
	case 2:
		if err := rd.emit(n, n.first, 1); err != nil {
			return err
		}
		n.first = nil
		return rd.emit(n, t, 2)
	default:
		return rd.emit(n, t, n.txs)
	}
}

// emit visits transaction t of entry n; batch is its index in a batch, 0
// when it is the entry's only one.
func (rd *reader) emit(n *ntry, t *txXML, batch int) error {
	index := max(batch, 1)
	e, err := t.entry(n.base, batch)
	if err != nil {
		return inElement(fmt.Sprintf("TxDtls %d", index), err)
	}
	return rd.visit(e)
}

// txXML is one TxDtls, as much of it as is read.
type txXML struct {
	Refs struct {
		EndToEndID string `xml:"EndToEndId"`
	} `xml:"Refs"`
	Amt       *amtXML `xml:"Amt"`
	CdtDbtInd string  `xml:"CdtDbtInd"`
	AmtDtls   struct {
		TxAmt struct {
			Amt *amtXML `xml:"Amt"`
		} `xml:"TxAmt"`
	} `xml:"AmtDtls"`
	RltdPties struct {
		Dbtr     partyXML `xml:"Dbtr"`
		DbtrAcct acctXML  `xml:"DbtrAcct"`
		Cdtr     partyXML `xml:"Cdtr"`
		CdtrAcct acctXML  `xml:"CdtrAcct"`
	} `xml:"RltdPties"`
	RltdAgts struct {
		DbtrAgt agentXML `xml:"DbtrAgt"`
		CdtrAgt agentXML `xml:"CdtrAgt"`
	} `xml:"RltdAgts"`
	RmtInf struct {
		Ustrd []string `xml:"Ustrd"`
		Strd  []struct {
			CdtrRefInf struct {
				Ref string `xml:"Ref"`
			} `xml:"CdtrRefInf"`
		} `xml:"Strd"`
	} `xml:"RmtInf"`
}

// partyXML is a debtor or creditor: its name directly (up to .07) or in
// a choice of party or agent (.08).
type partyXML struct {
	Nm  string `xml:"Nm"`
	Pty struct {
		Nm string `xml:"Nm"`
	} `xml:"Pty"`
	Agt agentXML `xml:"Agt"`
}

func (p partyXML) name() string {
	if nm := strings.TrimSpace(p.Nm); nm != "" {
		return nm
	}
	if nm := strings.TrimSpace(p.Pty.Nm); nm != "" {
		return nm
	}
	return strings.TrimSpace(p.Agt.FinInstnID.Nm)
}

// agentXML is a financial institution: BIC up to .03, BICFI from .04.
type agentXML struct {
	FinInstnID struct {
		BIC   string `xml:"BIC"`
		BICFI string `xml:"BICFI"`
		Nm    string `xml:"Nm"`
	} `xml:"FinInstnId"`
}

func (a agentXML) bic() string {
	if bic := strings.TrimSpace(a.FinInstnID.BICFI); bic != "" {
		return bic
	}
	return strings.TrimSpace(a.FinInstnID.BIC)
}

// amount is the transaction's own amount, nil when it gives none.
func (t *txXML) amount() *amtXML {
	if t.Amt != nil {
		return t.Amt
	}
	return t.AmtDtls.TxAmt.Amt
}

// entry is the payment of transaction t within the entry base; batch is
// its index in a batch, 0 when it is the entry's only transaction (which
// then keeps the entry's booked amount and direction).
func (t *txXML) entry(base bank.Entry, batch int) (bank.Entry, error) {
	e := base
	e.Batch = batch
	if a := t.amount(); a != nil || batch > 0 {
		amount, ccy, err := parseAmount(a)
		if err != nil {
			return e, inElement("Amt", err)
		}
		if batch > 0 {
			e.Amount, e.Currency = amount, ccy
		}
	}
	if strings.TrimSpace(t.CdtDbtInd) != "" {
		credit, err := parseDirection(t.CdtDbtInd)
		if err != nil {
			return e, inElement("CdtDbtInd", err)
		}
		if batch > 0 {
			e.Credit = credit
		}
	}
	if e2e := strings.TrimSpace(t.Refs.EndToEndID); !strings.EqualFold(e2e, "NOTPROVIDED") {
		e.EndToEndID = e2e
	}
	e.Remittance = joinLines(t.RmtInf.Ustrd)
	for _, s := range t.RmtInf.Strd {
		if ref := strings.TrimSpace(s.CdtrRefInf.Ref); ref != "" {
			e.Reference = ref
			break
		}
	}
	e.Remittance = bank.KeepRawReference(e.Reference, e.Remittance)
	e.Party = t.party(e.Credit != e.Reversal)
	return e, nil
}

// party is the other side: the debtor when the operation was a credit (a
// credit, or the reversal of one: a DBIT with RvslInd), else the creditor.
func (t *txXML) party(originalCredit bool) bank.Party {
	p, acct, agent := t.RltdPties.Cdtr, t.RltdPties.CdtrAcct, t.RltdAgts.CdtrAgt
	if originalCredit {
		p, acct, agent = t.RltdPties.Dbtr, t.RltdPties.DbtrAcct, t.RltdAgts.DbtrAgt
	}
	out := bank.Party{Name: p.name(), IBAN: bank.NormalizeAccount(acct.ID.IBAN), BIC: agent.bic()}
	if out.BIC == "" {
		out.BIC = p.Agt.bic()
	}
	return out
}

func joinLines(lines []string) string {
	var b strings.Builder
	for _, l := range lines {
		if l = strings.TrimSpace(l); l == "" {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(l)
	}
	return b.String()
}
