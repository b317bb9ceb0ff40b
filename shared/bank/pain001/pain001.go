// Package pain001 writes SEPA credit-transfer initiation files, ISO 20022
// pain.001.001.09 as the EPC's SEPA Credit Transfer implementation
// guidelines use it: one payment information block (one debtor account, one
// execution date) of credit transfers in euro.
//
// The file's shape:
//
//	Document (urn:iso:std:iso:20022:tech:xsd:pain.001.001.09)/CstmrCdtTrfInitn
//	  GrpHdr: MsgId, CreDtTm, NbOfTxs, CtrlSum, InitgPty/Nm
//	  PmtInf: PmtInfId, PmtMtd TRF, BtchBookg, NbOfTxs, CtrlSum,
//	    PmtTpInf/SvcLvl/Cd SEPA, ReqdExctnDt/Dt, Dbtr/Nm, DbtrAcct/Id/IBAN,
//	    DbtrAgt/FinInstnId/BICFI, ChrgBr SLEV,
//	    CdtTrfTxInf*: PmtId/EndToEndId, Amt/InstdAmt Ccy=EUR,
//	      CdtrAgt/FinInstnId/BICFI (when given), Cdtr/Nm, CdtrAcct/Id/IBAN, RmtInf/Ustrd
//
// BtchBookg is false: the bank books each transfer on its own, so that the
// statement shows each one's debit with its end-to-end id.
package pain001

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/paylinks/paylinks/shared/bank"
	"github.com/paylinks/paylinks/shared/validate"
)

// Namespace is the pain.001.001.09 namespace.
const Namespace = "urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"

// Lengths the EPC guidelines allow.
const (
	maxID         = 35  // MsgId, PmtInfId, EndToEndId
	maxName       = 70  // Nm
	maxRemittance = 140 // Ustrd
)

// maxAmount is the largest amount of one SEPA credit transfer.
var maxAmount = decimal.RequireFromString("999999999.99")

// File is one credit-transfer initiation: the debtor's account pays every
// payment on the execution date.
type File struct {
	// MessageID identifies the file (GrpHdr/MsgId, also PmtInf/PmtInfId):
	// 1 to 35 characters of the SEPA set.
	MessageID string
	CreatedAt time.Time
	// InitiatingParty is the name of who sends the file (InitgPty/Nm).
	InitiatingParty string
	// Debtor is the account paying: the merchant's name, IBAN and BIC.
	Debtor bank.Party
	// ExecutionDate is the requested execution date: its calendar date in
	// its own location.
	ExecutionDate time.Time
	Payments      []Payment
}

// Payment is one credit transfer.
type Payment struct {
	EndToEndID string          // 1 to 35 characters of the SEPA set, unique in the file
	Amount     decimal.Decimal // euro, more than 0, at most 2 decimals
	Creditor   bank.Party      // name and IBAN; BIC optional
	Remittance string          // unstructured, at most 140 characters once sanitised; "" for none
}

// FieldError is a field of a File that cannot be written, named as a Go
// path (Payments[2].Creditor.IBAN). It never holds the field's whole value.
type FieldError struct {
	Field string
	Msg   string
}

func (e *FieldError) Error() string { return "pain001: " + e.Field + ": " + e.Msg }

// Write writes f as a pain.001.001.09 document. It checks the whole file
// first and writes nothing when a field is wrong: IBANs (mod 97), BICs,
// amounts, identifiers (the SEPA set, 35 characters, no "/" at either end
// nor "//"), and names and remittance text, which are made SEPA text
// (transliterated, see sanitize) and then must fit their lengths.
func Write(w io.Writer, f File) error {
	doc, err := build(f)
	if err != nil {
		return err
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return fmt.Errorf("pain001: writing: %w", err)
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("pain001: writing: %w", err)
	}
	if _, err := io.WriteString(w, "\n"); err != nil {
		return fmt.Errorf("pain001: writing: %w", err)
	}
	return nil
}

// build checks f and makes its document.
func build(f File) (*document, error) {
	if len(f.Payments) == 0 {
		return nil, &FieldError{"Payments", "at least one payment is needed"}
	}
	if err := identifier("MessageID", f.MessageID); err != nil {
		return nil, err
	}
	if f.CreatedAt.IsZero() {
		return nil, &FieldError{"CreatedAt", "missing"}
	}
	if f.ExecutionDate.IsZero() {
		return nil, &FieldError{"ExecutionDate", "missing"}
	}
	initiator, err := name("InitiatingParty", f.InitiatingParty)
	if err != nil {
		return nil, err
	}
	debtor, err := party("Debtor", f.Debtor, true)
	if err != nil {
		return nil, err
	}
	txs, sum, err := transactions(f.Payments)
	if err != nil {
		return nil, err
	}
	count, ctrl := fmt.Sprint(len(txs)), sum.StringFixed(2)
	return &document{Initiation: initiation{
		GroupHeader: groupHeader{
			MsgID: f.MessageID, Created: f.CreatedAt.UTC().Format("2006-01-02T15:04:05Z"),
			NbOfTxs: count, CtrlSum: ctrl, InitiatingParty: partyName{Name: initiator},
		},
		PaymentInfo: paymentInfo{
			ID: f.MessageID, Method: "TRF", BatchBooking: false, NbOfTxs: count, CtrlSum: ctrl,
			TypeInfo:      typeInfo{ServiceLevel: code{Cd: "SEPA"}},
			ExecutionDate: dateChoice{Date: f.ExecutionDate.Format("2006-01-02")},
			Debtor:        partyName{Name: debtor.Name}, DebtorAccount: accountOf(debtor.IBAN),
			DebtorAgent: agent{FinInstnID: finInstnID{BICFI: debtor.BIC}}, ChargeBearer: "SLEV",
			Transactions: txs,
		},
	}}, nil
}

// transactions checks the payments and makes their CdtTrfTxInf, with the
// sum of their amounts.
func transactions(ps []Payment) ([]transaction, decimal.Decimal, error) {
	txs := make([]transaction, 0, len(ps))
	sum := decimal.Zero
	seen := make(map[string]int, len(ps))
	for i, p := range ps {
		at := fmt.Sprintf("Payments[%d]", i)
		if err := identifier(at+".EndToEndID", p.EndToEndID); err != nil {
			return nil, sum, err
		}
		if j, dup := seen[p.EndToEndID]; dup {
			return nil, sum, &FieldError{at + ".EndToEndID", fmt.Sprintf("the same as Payments[%d]'s", j)}
		}
		seen[p.EndToEndID] = i
		if err := checkAmount(at+".Amount", p.Amount); err != nil {
			return nil, sum, err
		}
		cdtr, err := party(at+".Creditor", p.Creditor, false)
		if err != nil {
			return nil, sum, err
		}
		tx := transaction{
			PaymentID: paymentID{EndToEndID: p.EndToEndID},
			Amount:    amount{Instructed: instructedAmount{Currency: "EUR", Value: p.Amount.StringFixed(2)}},
			Creditor:  partyName{Name: cdtr.Name}, CreditorAccount: accountOf(cdtr.IBAN),
		}
		if cdtr.BIC != "" {
			tx.CreditorAgent = &agent{FinInstnID: finInstnID{BICFI: cdtr.BIC}}
		}
		if tx.Remittance, err = remittance(at+".Remittance", p.Remittance); err != nil {
			return nil, sum, err
		}
		sum = sum.Add(p.Amount)
		txs = append(txs, tx)
	}
	return txs, sum, nil
}

// identifier checks a SEPA reference: 1 to 35 characters of the SEPA set,
// not starting or ending with "/" nor holding "//", no space at either end.
func identifier(field, s string) error {
	switch {
	case s == "":
		return &FieldError{field, "missing"}
	case len(s) > maxID:
		return &FieldError{field, fmt.Sprintf("%d characters, at most %d", len(s), maxID)}
	case !validate.EndToEndID(s):
		return &FieldError{field, "only a-z A-Z 0-9 / - ? : ( ) . , ' + and space are allowed in an identifier"}
	case strings.HasPrefix(s, "/") || strings.HasSuffix(s, "/") || strings.Contains(s, "//"):
		return &FieldError{field, `must not start or end with "/" nor contain "//"`}
	case strings.TrimSpace(s) != s:
		return &FieldError{field, "must not start or end with a space"}
	}
	return nil
}

// name is a name made SEPA text, 1 to 70 characters.
func name(field, s string) (string, error) {
	t, err := sanitize(s)
	if err != nil {
		return "", &FieldError{field, err.Error()}
	}
	if t == "" {
		return "", &FieldError{field, "missing"}
	}
	if len(t) > maxName {
		return "", &FieldError{field, fmt.Sprintf("%d characters once in the SEPA set, at most %d", len(t), maxName)}
	}
	return t, nil
}

// remittance is the unstructured remittance made SEPA text, at most 140
// characters; nil when there is none.
func remittance(field, s string) (*remittanceInfo, error) {
	t, err := sanitize(s)
	if err != nil {
		return nil, &FieldError{field, err.Error()}
	}
	if len(t) > maxRemittance {
		return nil, &FieldError{field, fmt.Sprintf("%d characters once in the SEPA set, at most %d", len(t), maxRemittance)}
	}
	if t == "" {
		return nil, nil
	}
	return &remittanceInfo{Unstructured: t}, nil
}

// party checks a party's name, IBAN and BIC (required or not) and returns
// them as written: the name in the SEPA set, the IBAN and BIC without
// spaces, in upper case.
func party(field string, p bank.Party, needBIC bool) (bank.Party, error) {
	var out bank.Party
	var err error
	if out.Name, err = name(field+".Name", p.Name); err != nil {
		return out, err
	}
	out.IBAN = strings.ToUpper(strings.ReplaceAll(p.IBAN, " ", ""))
	if out.IBAN == "" {
		return out, &FieldError{field + ".IBAN", "missing"}
	}
	if !validate.IBAN(out.IBAN) {
		return out, &FieldError{field + ".IBAN", "not a valid IBAN (its check digits do not match)"}
	}
	out.BIC = strings.ToUpper(strings.TrimSpace(p.BIC))
	switch {
	case out.BIC == "" && needBIC:
		return out, &FieldError{field + ".BIC", "missing"}
	case out.BIC != "" && !validate.BIC(out.BIC):
		return out, &FieldError{field + ".BIC", fmt.Sprintf("%q is not a BIC of 8 or 11 characters", out.BIC)}
	}
	return out, nil
}

// checkAmount checks a euro amount: more than 0, at most 2 decimals, at
// most 999,999,999.99.
func checkAmount(field string, d decimal.Decimal) error {
	switch {
	case !d.IsPositive():
		return &FieldError{field, fmt.Sprintf("%s, must be more than 0", d)}
	case !d.Equal(d.Round(2)):
		return &FieldError{field, fmt.Sprintf("%s has more than 2 decimals", d)}
	case d.GreaterThan(maxAmount):
		return &FieldError{field, fmt.Sprintf("%s is more than %s", d, maxAmount)}
	}
	return nil
}

func accountOf(iban string) account { return account{ID: accountID{IBAN: iban}} }

// The document, in the schema's element order.
type (
	document struct {
		XMLName    xml.Name   `xml:"urn:iso:std:iso:20022:tech:xsd:pain.001.001.09 Document"`
		Initiation initiation `xml:"CstmrCdtTrfInitn"`
	}
	initiation struct {
		GroupHeader groupHeader `xml:"GrpHdr"`
		PaymentInfo paymentInfo `xml:"PmtInf"`
	}
	groupHeader struct {
		MsgID           string    `xml:"MsgId"`
		Created         string    `xml:"CreDtTm"`
		NbOfTxs         string    `xml:"NbOfTxs"`
		CtrlSum         string    `xml:"CtrlSum"`
		InitiatingParty partyName `xml:"InitgPty"`
	}
	paymentInfo struct {
		ID            string        `xml:"PmtInfId"`
		Method        string        `xml:"PmtMtd"`
		BatchBooking  bool          `xml:"BtchBookg"`
		NbOfTxs       string        `xml:"NbOfTxs"`
		CtrlSum       string        `xml:"CtrlSum"`
		TypeInfo      typeInfo      `xml:"PmtTpInf"`
		ExecutionDate dateChoice    `xml:"ReqdExctnDt"`
		Debtor        partyName     `xml:"Dbtr"`
		DebtorAccount account       `xml:"DbtrAcct"`
		DebtorAgent   agent         `xml:"DbtrAgt"`
		ChargeBearer  string        `xml:"ChrgBr"`
		Transactions  []transaction `xml:"CdtTrfTxInf"`
	}
	typeInfo struct {
		ServiceLevel code `xml:"SvcLvl"`
	}
	code struct {
		Cd string `xml:"Cd"`
	}
	dateChoice struct {
		Date string `xml:"Dt"`
	}
	partyName struct {
		Name string `xml:"Nm"`
	}
	account struct {
		ID accountID `xml:"Id"`
	}
	accountID struct {
		IBAN string `xml:"IBAN"`
	}
	agent struct {
		FinInstnID finInstnID `xml:"FinInstnId"`
	}
	finInstnID struct {
		BICFI string `xml:"BICFI"`
	}
	transaction struct {
		PaymentID       paymentID       `xml:"PmtId"`
		Amount          amount          `xml:"Amt"`
		CreditorAgent   *agent          `xml:"CdtrAgt,omitempty"`
		Creditor        partyName       `xml:"Cdtr"`
		CreditorAccount account         `xml:"CdtrAcct"`
		Remittance      *remittanceInfo `xml:"RmtInf,omitempty"`
	}
	paymentID struct {
		EndToEndID string `xml:"EndToEndId"`
	}
	amount struct {
		Instructed instructedAmount `xml:"InstdAmt"`
	}
	instructedAmount struct {
		Currency string `xml:"Ccy,attr"`
		Value    string `xml:",chardata"`
	}
	remittanceInfo struct {
		Unstructured string `xml:"Ustrd"`
	}
)
