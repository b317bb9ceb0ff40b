package domain

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/oklog/ulid/v2"

	"github.com/paylinks/paylinks/shared/bank"
	"github.com/paylinks/paylinks/shared/bank/pain001"
	"github.com/paylinks/paylinks/shared/money"
	"github.com/paylinks/paylinks/shared/validate"
)

// This file holds what refunds of bank payments are: no PSP gives that
// money back, the merchant's bank does, by a SEPA credit transfer file
// (pain.001) the merchant hands it. A refund of a link paid by bank, or of
// a bank payment kept for review, is a payout: pending and waiting for a
// file, then in exactly one file, then settled by the statement that shows
// its debit (its end-to-end id). Pure decisions: what goes into a file,
// and what an entry carrying a payout's end-to-end id does.

// PrefixBankFile is the prefix of a bank refund file's id.
const PrefixBankFile = "bf_"

// MaxFilePayouts is the most payouts one file takes: the file is written in
// one DynamoDB transaction (at most 100 items), a claim of each payout and
// the file itself. More wait for the next file.
const MaxFilePayouts = 99

// Reasons of statement entries about payouts.
const (
	ReasonRefundPaidOut  = "refund_paid_out" // matched: the debit of a payout, which settles its refund
	ReasonRefundReturned = "refund_returned" // review: money of a payout came back (a return, a reversal)
	ReasonRefundMismatch = "refund_mismatch" // review: a debit naming a payout, of another amount
	ReasonRefundSettled  = ReasonSeenBefore  // duplicate: the payout was settled by an earlier debit
)

const (
	maxPayeeName         = 70                // pain.001 Cdtr/Nm
	maxPayoutRemittance  = 140               // pain.001 RmtInf/Ustrd
	payoutEndToEndSep    = "-"               // the SEPA set has no "_": ids' prefixes end in "-" instead
	payoutAttemptSep     = "-"               // a review payment's refund attempt follows its id
	payoutMaxEndToEndLen = 35                // pain.001 EndToEndId
	payoutPrefixLen      = len(PrefixRefund) // "re_" and "py_" alike
	payoutULIDLen        = ulid.EncodedSize  // 26
	payoutIDLen          = payoutPrefixLen + payoutULIDLen
	bankPayoutCurrency   = BankCurrency
	errPayoutCurrencyFmt = "a refund by bank transfer is in %s; this payment is in %s"
)

// Errors of bank refunds, as the API answers them.
var (
	// ErrNoPayee: the bank reported no usable name and IBAN of whoever
	// paid, so there is no account to send the money back to (422).
	ErrNoPayee = errors.New("the bank did not report the payer's name and IBAN for this payment: it cannot be refunded by bank transfer")
	// ErrPaymentReversed: the bank took the payment back (a reversal on a
	// statement, kept for review as ReviewReversal): the payer has the
	// money again, so a refund would pay them twice (409). RefundRefusal
	// and ReviewRefundRefusal are its one rule.
	ErrPaymentReversed = errors.New("the bank took this payment back (a reversal on a statement): the payer has the money again, so there is nothing to refund")
	// ErrNothingToPayOut: no refund waits for a file (409).
	ErrNothingToPayOut = errors.New("no bank refunds are waiting to be paid out")
	// ErrNoPayoutAccount: the merchant's default beneficiary (name, IBAN
	// and BIC) is the account refunds are paid from; without it no file is
	// written (409).
	ErrNoPayoutAccount = errors.New("set the default beneficiary (name, IBAN and BIC) in the settings: bank refunds are paid from that account")
	// ErrPayoutCurrency: SEPA credit transfers are in euro (422).
	ErrPayoutCurrency = errors.New("only a payment in EUR can be refunded by bank transfer")
)

// Payee is who a payout pays: the payer of the bank payment refunded, as
// the bank reported them, in the form a pain.001 file writes (a name of
// the SEPA set, an IBAN without spaces, a BIC or none).
type Payee struct {
	Name string
	IBAN string
	BIC  string
}

// PayeeOf is the payee of a refund to debtor d: ErrNoPayee when the bank
// gave no valid IBAN or no name that has a rendering in the SEPA set. A
// BIC that is not one is left out (a SEPA transfer needs none).
func PayeeOf(d *Debtor) (Payee, error) {
	if d == nil {
		return Payee{}, ErrNoPayee
	}
	p := Payee{Name: pain001.Text(d.Name, maxPayeeName), IBAN: strings.ToUpper(strings.ReplaceAll(d.IBAN, " ", "")),
		BIC: strings.ToUpper(strings.TrimSpace(d.BIC))}
	if p.Name == "" || !validate.IBAN(p.IBAN) {
		return Payee{}, ErrNoPayee
	}
	if !validate.BIC(p.BIC) {
		p.BIC = ""
	}
	return p, nil
}

// Payout is a refund of a bank payment paid out by a credit transfer: of a
// link's refund (LinkID, RefundID) or of a payment kept for review
// (ReviewID and its refund Attempt).
type Payout struct {
	EndToEndID string
	LinkID     string
	RefundID   string
	ReviewID   string
	Attempt    int
	Amount     money.Amount
	Payee      Payee
	Remittance string
}

// LinkPayout is the payout of refund refundID of link l, paying payee.
func LinkPayout(l *Link, refundID string, amount money.Amount, payee Payee) (Payout, error) {
	if amount.Currency != bankPayoutCurrency {
		return Payout{}, fmt.Errorf("%w: "+errPayoutCurrencyFmt, ErrPayoutCurrency, bankPayoutCurrency, amount.Currency)
	}
	ref := l.Reference
	if ref == "" {
		ref = l.BankReference
	}
	if ref == "" {
		ref = l.ID
	}
	return Payout{EndToEndID: PayoutEndToEndID(refundID, 0), LinkID: l.ID, RefundID: refundID, Amount: amount, Payee: payee,
		Remittance: pain001.Text("Refund "+ref, maxPayoutRemittance)}, nil
}

// ReviewPayout is the payout refunding bank payment reviewID (kept for
// review) at refund attempt, paying payee.
func ReviewPayout(reviewID string, attempt int, amount money.Amount, payee Payee) (Payout, error) {
	if amount.Currency != bankPayoutCurrency {
		return Payout{}, fmt.Errorf("%w: "+errPayoutCurrencyFmt, ErrPayoutCurrency, bankPayoutCurrency, amount.Currency)
	}
	return Payout{EndToEndID: PayoutEndToEndID(reviewID, attempt), ReviewID: reviewID, Attempt: attempt, Amount: amount, Payee: payee,
		Remittance: pain001.Text("Refund of payment "+reviewID, maxPayoutRemittance)}, nil
}

// PayoutEndToEndID is the end-to-end id of the payout of refund id (a
// link's refund, attempt 0) or of review payment id's refund attempt: the
// id with its "_" made "-" (the SEPA set has no "_"), and "-<attempt>" for
// a review payment. Unique as the ids are, at most 35 characters.
func PayoutEndToEndID(id string, attempt int) string {
	e2e := strings.Replace(id, "_", payoutEndToEndSep, 1)
	if attempt > 0 {
		e2e += payoutAttemptSep + strconv.Itoa(attempt)
	}
	return e2e
}

// IsPayoutEndToEndID reports an end-to-end id PayoutEndToEndID could have
// made: the one kind of id worth looking a payout up by.
func IsPayoutEndToEndID(e2e string) bool {
	if len(e2e) < payoutIDLen || len(e2e) > payoutMaxEndToEndLen || e2e[payoutPrefixLen-1:payoutPrefixLen] != payoutEndToEndSep {
		return false
	}
	part := e2e[payoutPrefixLen:payoutIDLen]
	if u, err := ulid.ParseStrict(part); err != nil || u.String() != part {
		return false // ids are written in upper case
	}
	prefix, rest := e2e[:payoutPrefixLen-1]+"_", e2e[payoutIDLen:]
	switch prefix {
	case PrefixRefund:
		return rest == ""
	case PrefixReview:
		n, err := strconv.Atoi(strings.TrimPrefix(rest, payoutAttemptSep))
		return err == nil && n > 0 && rest == payoutAttemptSep+strconv.Itoa(n)
	}
	return false
}

// FilePlan is what goes into one bank refund file.
type FilePlan struct {
	Payouts []Payout
	Total   money.Amount
	// More: payouts are left waiting for the next file.
	More bool
}

// PlanBankFile takes into one file the first payouts waiting (at most
// max), in their order: each end-to-end id once (a payout listed twice is
// one), euro only, amounts above zero. Total is their sum. More says that
// waiting payouts were left for the next file. ErrNothingToPayOut when
// none is taken.
func PlanBankFile(waiting []Payout, max int) (FilePlan, error) {
	p := FilePlan{Total: money.Zero(bankPayoutCurrency)}
	seen := map[string]bool{}
	for _, w := range waiting {
		if seen[w.EndToEndID] || w.Amount.Currency != bankPayoutCurrency || !w.Amount.Value.IsPositive() {
			continue
		}
		if len(p.Payouts) == max {
			p.More = true
			break
		}
		seen[w.EndToEndID] = true
		p.Payouts = append(p.Payouts, w)
		p.Total = p.Total.Add(w.Amount)
	}
	if len(p.Payouts) == 0 {
		return p, ErrNothingToPayOut
	}
	return p, nil
}

// PayoutStatus is a payout's refund as read when a statement names it.
type PayoutStatus struct {
	Amount money.Amount
	// Settled: the refund is succeeded (a link's refund no longer pending,
	// a review payment refunded).
	Settled bool
}

// PayoutStep is what an entry naming a payout does.
type PayoutStep string

// Payout steps.
const (
	PayoutSettle  PayoutStep = "settle"   // settle the refund succeeded
	PayoutNone    PayoutStep = "none"     // record the outcome, change nothing
	PayoutNotOurs PayoutStep = "not_ours" // no such payout: the entry is what it would be without
)

// PayoutDecision is what an entry naming a payout does, and its outcome.
type PayoutDecision struct {
	Step    PayoutStep
	Outcome EntryOutcome
	Reason  string
}

// DecidePayoutEntry is what booked entry e, whose end-to-end id is a
// payout's (p, nil when there is none), does. A debit of the payout's
// amount settles its refund once: matched (refund_paid_out) while it is
// pending, a duplicate once it is settled. A debit of another amount is
// kept for review (refund_mismatch). Money coming back (a credit, or a
// reversal of the debit) is kept for review (refund_returned).
func DecidePayoutEntry(e bank.Entry, p *PayoutStatus) PayoutDecision {
	switch {
	case p == nil || !e.Booked:
		return PayoutDecision{Step: PayoutNotOurs}
	case e.Credit || e.Reversal:
		return PayoutDecision{Step: PayoutNone, Outcome: EntryReview, Reason: ReasonRefundReturned}
	case !SameMoney(EntryAmount(e), p.Amount):
		return PayoutDecision{Step: PayoutNone, Outcome: EntryReview, Reason: ReasonRefundMismatch}
	case p.Settled:
		return PayoutDecision{Step: PayoutNone, Outcome: EntryDuplicate, Reason: ReasonRefundSettled}
	}
	return PayoutDecision{Step: PayoutSettle, Outcome: EntryMatched, Reason: ReasonRefundPaidOut}
}

// RefundRefusal is why link l cannot be refunded now (nil when it can):
// ErrNotPaid unless its status takes a refund, ErrPaymentReversed when the
// bank took back the transfer that paid it (ReversedBy).
func RefundRefusal(l *Link) error {
	switch {
	case !CanRefund(l.Status):
		return ErrNotPaid
	case l.ReversedBy != "":
		return ErrPaymentReversed
	}
	return nil
}

// ReviewRefundRefusal is why a payment kept for review as kind cannot be
// refunded whatever its state (nil when its kind does not forbid it): a
// reversal is money the bank took back, ErrPaymentReversed, as for the
// link whose payment it took back (RefundRefusal).
func ReviewRefundRefusal(kind string) error {
	if kind == ReviewReversal {
		return ErrPaymentReversed
	}
	return nil
}

// RefundWithdrawnReversed is the failure reason of a refund by bank
// transfer withdrawn because the bank took the payment it was to pay back
// (a reversal) before any file held it: the payer has the money again.
const RefundWithdrawnReversed = "payment_reversed"
