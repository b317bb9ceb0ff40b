// Package bank holds what every bank format gives paylinks: the entries of
// a statement (camt.053, camt.054, CODA), each one payment in or out of the
// merchant's account, in one shape whatever the format. The formats' own
// readers are its sub-packages; matching entries to links is not here.
package bank

import (
	"strconv"
	"strings"

	"github.com/shopspring/decimal"
)

// Formats of statement files.
const (
	FormatCamt053 = "camt.053"
	FormatCamt054 = "camt.054"
	FormatCODA    = "coda"
)

// File is what a statement file says of itself.
type File struct {
	Format    string // FormatCamt053, FormatCamt054 or FormatCODA
	Version   string // "001.02" to "001.08" for camt; "2" for CODA 2.x
	MessageID string // camt GrpHdr/MsgId; CODA: the file's creation date and sequence
	// Accounts are the IBANs (or, failing one, the account numbers) of the
	// statements in the file, in the order read.
	Accounts []string
}

// Party is the other side of an entry: the debtor of a credit, the
// creditor of a debit.
type Party struct {
	Name string
	IBAN string
	BIC  string
}

// Entry is one payment booked on (or notified for) the merchant's account:
// a camt Ntry, or one transaction of a batch entry (NtryDtls/TxDtls); a
// CODA movement (record 2 with its 3, and the free-form 3s).
type Entry struct {
	Account  string // the statement's account (IBAN)
	Currency string // ISO 4217 of the amount
	// Amount is positive; Credit says its direction.
	Amount decimal.Decimal
	Credit bool
	// Booked is a booked entry (camt Sts BOOK; every CODA movement);
	// pending and informational entries are not.
	Booked bool
	// Reversal is a return of an earlier entry (camt RvslInd true, CODA's
	// reversal transaction codes).
	Reversal bool
	BookedOn string // YYYY-MM-DD
	ValueOn  string // YYYY-MM-DD, "" when not given
	// EntryRef is the bank's own reference of the entry (camt AcctSvcrRef
	// or NtryRef; CODA's bank reference), "" when the bank gives none.
	// Batch is the transaction's index within a batch entry (0 when the
	// entry is one payment).
	EntryRef string
	Batch    int
	// Reference is the structured creditor reference as the bank carries
	// it (camt RmtInf/Strd/CdtrRefInf/Ref; CODA's structured
	// communication), "" when none; Remittance is the unstructured text,
	// lines joined by a space.
	Reference  string
	Remittance string
	EndToEndID string // camt Refs/EndToEndId ("NOTPROVIDED" dropped)
	Party      Party
}

// Key is the entry's identity across files: the same entry in an
// overlapping or repeated statement has the same key. The bank's entry
// reference when it gives one, else the account, the booking date, the
// direction, the amount and the references.
func (e Entry) Key() string {
	dir := "D"
	if e.Credit {
		dir = "C"
	}
	var b strings.Builder
	b.WriteString(e.Account)
	b.WriteByte('|')
	if e.EntryRef != "" {
		b.WriteString("ref|" + e.EntryRef + "|" + dir + "|" + strconv.Itoa(e.Batch))
		return b.String()
	}
	b.WriteString(e.BookedOn + "|" + dir + "|" + e.Currency + e.Amount.String() + "|" + e.Reference + "|" + e.EndToEndID + "|" + e.Remittance + "|" + strconv.Itoa(e.Batch))
	return b.String()
}
