package domain

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"time"

	"github.com/paylinks/paylinks/shared/bank"
	"github.com/paylinks/paylinks/shared/bank/reference"
	"github.com/paylinks/paylinks/shared/money"
)

// This file holds what one entry of a bank statement does, before and after
// the table is read: a pure decision, like a PSP payment's (decide.go). A
// credit pays a link through the same guarded apply as a PSP payment, with
// provider ProviderBank and an event whose id follows from the entry's
// identity across files (bank.Entry.Key), so the same entry in two files is
// one payment.

// PrefixStatement is the prefix of a bank statement's id.
const PrefixStatement = "bs_"

// ProviderBank is the "psp" of payments made by bank transfer: no PSP takes
// part, the merchant's bank statement reports them.
const ProviderBank = "bank"

// ReviewReversal is a bank's reversal (a return) of a credit that paid a
// link: kept for review, beside ReviewUnmatched, ReviewSecond and
// ReviewMismatched. It is money that went back out, so it is never refunded
// nor matched.
const ReviewReversal = "reversal"

// Debtor is who paid a bank transfer, as the bank reports them.
type Debtor struct {
	Name string `json:"name,omitempty"`
	IBAN string `json:"iban,omitempty"`
	// BIC is the payer's bank, when the bank reported it (a refund by
	// bank transfer names it).
	BIC string `json:"bic,omitempty"`
}

// EntryOutcome is what an entry of a statement did.
type EntryOutcome string

// Entry outcomes (the API's bank statement entry "outcome").
const (
	EntryMatched   EntryOutcome = "matched"   // it paid a link
	EntryReview    EntryOutcome = "review"    // it was kept for review
	EntryIgnored   EntryOutcome = "ignored"   // nothing to do: a debit, not booked, a reversal of nothing paid
	EntryDuplicate EntryOutcome = "duplicate" // the same entry was read before, in this file or another
)

// Why an entry has its outcome (the entry's "reason").
const (
	ReasonPaid        = "paid"              // matched: the link is paid (after its expiry too: the link says so)
	ReasonNoReference = "no_reference"      // review (unmatched): no structured reference found
	ReasonUnknownRef  = "unknown_reference" // review (unmatched): a reference no link of the merchant has
	ReasonSecond      = ReviewSecond        // review: the link was paid already
	ReasonMismatched  = ReviewMismatched    // review: not the link's currency or amount
	ReasonReversal    = ReviewReversal      // review: a reversal of a credit that paid a link; ignored: of anything else
	ReasonDebit       = "debit"             // ignored: money out
	ReasonNotBooked   = "not_booked"        // ignored: pending or informational
	ReasonNoAmount    = "no_amount"         // ignored: a credit of no amount of its currency (zero, too many decimals, unknown currency)
	ReasonSeenBefore  = "seen_before"       // duplicate
)

// EntryStep is what an entry asks for once read.
type EntryStep string

// Entry steps.
const (
	StepIgnore   EntryStep = "ignore"   // record it as ignored (Reason)
	StepPay      EntryStep = "pay"      // a credit: find the link its references name and apply its payment
	StepReversal EntryStep = "reversal" // a reversed credit: find the link it paid, if any
)

// EntryPlan is what an entry asks for, decided from the entry alone.
type EntryPlan struct {
	Step   EntryStep
	Reason string // StepIgnore
	// References are the structured references to look the link up by
	// (electronic form, each valid, in order of preference); none for a
	// credit that names no reference.
	References []string
	// Payout is the end-to-end id of a booked entry that may be a payout's
	// (a refund paid out by a bank refund file: IsPayoutEndToEndID): look
	// the payout up first (DecidePayoutEntry); when there is none, Step
	// stands. "" for any other entry.
	Payout string
}

// PlanEntry decides what an entry asks for: a booked credit pays the link
// its structured reference names (the bank's structured reference first,
// then those written in the remittance text); a booked reversal of a
// credit (a debit marked as a reversal) is looked at, it may take back a
// payment; anything else (a debit, an entry not booked, the reversal of a
// debit) is ignored.
func PlanEntry(e bank.Entry) EntryPlan {
	p := planEntry(e)
	if e.Booked && IsPayoutEndToEndID(e.EndToEndID) {
		p.Payout = e.EndToEndID
	}
	return p
}

func planEntry(e bank.Entry) EntryPlan {
	switch {
	case !e.Booked:
		return EntryPlan{Step: StepIgnore, Reason: ReasonNotBooked}
	case e.Reversal && !e.Credit:
		return EntryPlan{Step: StepReversal, References: EntryReferences(e)}
	case e.Reversal:
		return EntryPlan{Step: StepIgnore, Reason: ReasonReversal}
	case !e.Credit:
		return EntryPlan{Step: StepIgnore, Reason: ReasonDebit}
	case EntryAmount(e) == nil:
		// No money paylinks can hold: kept for review it could be neither
		// matched nor refunded (the bank's own banking shows it).
		return EntryPlan{Step: StepIgnore, Reason: ReasonNoAmount}
	}
	return EntryPlan{Step: StepPay, References: EntryReferences(e)}
}

// EntryClaimsIdentity reports an entry that claims its identity
// (BankPaymentID) when read: a booked one. An entry not booked (a pending
// camt entry) is only ever ignored (ReasonNotBooked): it claims nothing,
// so that reading it, in any number of files, never makes its booked
// version, or itself read again, a duplicate.
func EntryClaimsIdentity(e bank.Entry) bool { return e.Booked }

// EntryReferences are the valid structured references an entry carries, in
// electronic form: its structured reference (camt Strd/CdtrRefInf/Ref,
// CODA's structured communication) when its check digits verify, then
// every one found in its remittance text (reference.Find), each once.
func EntryReferences(e bank.Entry) []string {
	var out []string
	if n, _, err := reference.Check(e.Reference); e.Reference != "" && err == nil {
		out = append(out, n)
	}
	for _, r := range reference.Find(e.Remittance) {
		if len(out) == MaxEntryReferences {
			break
		}
		if !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	return out
}

// MaxEntryReferences bounds the references an entry is looked up by: a
// SEPA remittance text is 140 characters (a handful of references at
// most), and a file whose entries each carry hundreds of lines of text
// must not make each entry hundreds of lookups.
const MaxEntryReferences = 10

// BankPaymentID is the payment id of an entry: the same for the same entry
// in every file (bank.Entry.Key), so applying it twice is a duplicate.
func BankPaymentID(e bank.Entry) string {
	sum := sha256.Sum256([]byte(e.Key()))
	return "bank_" + hex.EncodeToString(sum[:16])
}

// EntryAmount is an entry's amount as money: nil when it is not an amount
// of its currency (an unknown currency, more decimals than it has that are
// not zeros, zero, or beyond money.Max), which no link can match.
func EntryAmount(e bank.Entry) *money.Amount {
	digits, ok := money.MinorUnits(e.Currency)
	if !ok || !e.Amount.Truncate(digits).Equal(e.Amount) {
		return nil
	}
	a, err := money.Parse(e.Currency, e.Amount.StringFixed(digits))
	if err != nil {
		return nil
	}
	return &a
}

// BankPaymentEvent is the payment an entry makes to link linkID ("" when
// no link was found): a PaymentSucceeded whose id and payment reference are
// BankPaymentID, with the entry's exact amount, the debtor and remittance
// text, its booking date (BookedOn: whether it is after the link's expiry)
// and at, when paylinks applies it (the link's paid_at: never before the
// link was made, whatever date the bank's file says).
func BankPaymentEvent(e bank.Entry, linkID string, at time.Time) PaymentEvent {
	id := BankPaymentID(e)
	ev := PaymentEvent{ID: id, Kind: PaymentSucceeded, Type: "bank_credit", LinkID: linkID, PaymentRef: id,
		Amount: EntryAmount(e), Remittance: e.Remittance, BookedOn: e.BookedOn, At: at}
	if _, ok := BookedMidnight(e.BookedOn); !ok {
		ev.BookedOn = ""
	}
	if e.Party.Name != "" || e.Party.IBAN != "" {
		ev.Debtor = &Debtor{Name: e.Party.Name, IBAN: e.Party.IBAN, BIC: e.Party.BIC}
	}
	return ev
}

// ReversalTakesBack reports a reversal entry that returns the payment of l,
// the link its reference names (nil: none), which payer paid (nil: not
// known): l was paid by a bank transfer of exactly the entry's amount, and
// when both the payer's account and the entry's other side are known, from
// that account (a reversal of another person's transfer naming the same
// reference is not this link's). Such a reversal is kept for review
// (ReviewReversal); any other is ignored.
func ReversalTakesBack(l *Link, payer *Debtor, e bank.Entry) bool {
	if l == nil || l.Status != StatusPaid || l.PSP != ProviderBank || !SameMoney(EntryAmount(e), l.Amount) {
		return false
	}
	if payer == nil || payer.IBAN == "" || e.Party.IBAN == "" {
		return true
	}
	return bank.NormalizeAccount(payer.IBAN) == bank.NormalizeAccount(e.Party.IBAN)
}

// EntryOutcomeOfPayment is the outcome of a credit whose payment was
// applied to its link (kind "") or kept for review of kind; referenced
// tells an unknown reference from none at all.
func EntryOutcomeOfPayment(kind string, referenced bool) (EntryOutcome, string) {
	switch kind {
	case "":
		return EntryMatched, ReasonPaid
	case ReviewUnmatched:
		if referenced {
			return EntryReview, ReasonUnknownRef
		}
		return EntryReview, ReasonNoReference
	}
	return EntryReview, kind
}
