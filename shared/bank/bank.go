// Package bank holds what every bank format gives paylinks: the entries of
// a statement (camt.053, camt.054, CODA), each one payment in or out of the
// merchant's account, in one shape whatever the format. The formats' own
// readers are its sub-packages; matching entries to links is not here.
package bank

import (
	"strconv"
	"strings"
	"unicode"

	"github.com/shopspring/decimal"

	"github.com/paylinks/paylinks/shared/bank/reference"
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
	// statements in the file, each once as NormalizeAccount makes it, in
	// the order read.
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
	Account  string // the statement's account (IBAN), as NormalizeAccount makes it
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
	// EntryRef is the bank's own unique reference of the entry (camt
	// AcctSvcrRef; CODA's bank reference), "" when the bank gives none.
	// camt's NtryRef is not one: banks number it within a statement (1, 2,
	// 3 each day), so it is not read.
	// Batch is the transaction's index within a batch entry (0 when the
	// entry is one payment).
	EntryRef string
	Batch    int
	// Reference is the structured creditor reference as the payer wrote it
	// and the bank carries it (camt RmtInf/Strd/CdtrRefInf/Ref; CODA's
	// structured communication), "" when none, whether or not its check
	// digits verify (reference.Check tells). Remittance is the
	// unstructured text, lines joined by a space; when Reference is given
	// but is not a valid structured reference (a mistyped one), Remittance
	// starts with Reference's text and " | ", so whoever reviews the
	// entry sees what the payer wrote (RawReferenceSeparator).
	Reference  string
	Remittance string
	EndToEndID string // camt Refs/EndToEndId ("NOTPROVIDED" dropped)
	Party      Party  // its IBAN as NormalizeAccount makes it
}

// RawReferenceSeparator stands between a mistyped reference and the rest
// of the remittance text: not a separator reference.Find reads through, so
// no reference is ever made of the two.
const RawReferenceSeparator = " | "

// KeepRawReference is the remittance text of an entry whose structured
// reference is ref: when ref is given but is no valid structured reference
// (reference.Check fails: a mistyped one, or free text), ref's text comes
// first, then RawReferenceSeparator and the remittance, so the text the
// payer wrote is kept for whoever reviews the entry; else (and when the
// remittance already holds ref) the remittance as it is.
func KeepRawReference(ref, remittance string) string {
	if ref == "" || strings.Contains(remittance, ref) {
		return remittance
	}
	if _, _, err := reference.Check(ref); err == nil {
		return remittance
	}
	if remittance == "" {
		return ref
	}
	return ref + RawReferenceSeparator + remittance
}

// NormalizeAccount is an account number (an IBAN, or a bank's own number)
// as the readers give it: white space dropped, ASCII letters in upper case.
// "be68 5390 0754 7034" and "BE68539007547034" are one account.
func NormalizeAccount(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case unicode.IsSpace(r):
		case r >= 'a' && r <= 'z':
			b.WriteRune(r - 'a' + 'A')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// Key is the entry's identity across files: the same entry in an
// overlapping or repeated statement, or in a notification and then a
// statement, has the same key; two different payments never share one.
//
// Every key holds the (normalised) account, the direction, whether the
// entry is booked and a reversal, the currency, the amount (by value), the
// booking date, the structured reference, the end-to-end id and the batch
// index. With the bank's unique reference (EntryRef) it holds that too;
// without one, the remittance text and the other side's IBAN. Each part is
// written with its length, so no two different sets of parts make one key.
//
// Invariant (tested as a property): two entries that differ in any of
// account, amount, booking date, direction, currency, reference,
// end-to-end id, bank reference or batch index never share a key.
func (e Entry) Key() string {
	dir := "D"
	if e.Credit {
		dir = "C"
	}
	parts := []string{NormalizeAccount(e.Account), dir, flag(e.Booked, "booked"), flag(e.Reversal, "reversal"),
		e.Currency, e.Amount.String(), e.BookedOn, e.Reference, e.EndToEndID, strconv.Itoa(e.Batch)}
	if e.EntryRef != "" {
		parts = append(parts, "ref", e.EntryRef)
	} else {
		parts = append(parts, "text", e.Remittance, NormalizeAccount(e.Party.IBAN))
	}
	var b strings.Builder
	for _, p := range parts {
		b.WriteString(strconv.Itoa(len(p)))
		b.WriteByte(':')
		b.WriteString(p)
		b.WriteByte('|')
	}
	return b.String()
}

func flag(v bool, name string) string {
	if v {
		return name
	}
	return "not " + name
}
