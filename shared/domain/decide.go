package domain

import (
	"time"

	"github.com/paylinks/paylinks/shared/money"
)

// This file holds what happens to a link when something arrives: a PSP's
// payment or decline, a person's click, a refund's settlement. Each is a
// function of the link as stored and the event, returning a decision; the
// store carries a decision out as one conditional write (its condition is
// the decision's assumptions about the link) and, when the link was not as
// assumed, reports the link it found so that the decision can be made again
// on it. Nothing here reads or writes.

// PaymentAction is what a PSP's payment event does to a link.
type PaymentAction string

// Payment actions.
const (
	PaymentApply     PaymentAction = "apply"     // the link moves (to paid, or to declined)
	PaymentDuplicate PaymentAction = "duplicate" // this payment is on the link already: nothing
	PaymentNoChange  PaymentAction = "no_change" // the link's status does not take it (a decline after paid): nothing
	PaymentReview    PaymentAction = "review"    // money the link cannot take: kept for a person to review
)

// Why a payment is kept for review.
const (
	ReviewUnmatched  = "unmatched"  // no such link
	ReviewSecond     = "second"     // the link was paid already, by another payment
	ReviewMismatched = "mismatched" // not the link's currency or amount (or none reported)
)

// PaymentDecision is what a payment event does to a link. For PaymentApply,
// To is the new status and From the statuses the link must still be in for
// the write to happen; AfterExpiry marks a payment on an expired link, and
// Attempt (when not 0) holds a decline to the checkout attempt it was for.
// For PaymentReview, Review says why.
//
// A bank payment (its BookedOn) is after expiry by its booking date
// (BookedAfterExpiry), not by the link's status: Booked is then that date's
// midnight (UTC), and the write holds the link's expiry to AfterExpiry
// (expires_at before Booked exactly when after expiry).
type PaymentDecision struct {
	Action      PaymentAction
	To          Status
	From        []Status
	AfterExpiry bool
	Attempt     int
	Review      string
	Booked      time.Time
}

// ExpectPayment is the decision made before the link is read (the usual
// case costs no read): the payment applies to an open link with its
// money, a decline to an open link's current attempt. The write's condition
// checks every assumption; when one does not hold, DecidePayment decides
// on the link the store found. A payment naming no link (a bank credit
// whose reference is no link's) is decided on none at once.
func ExpectPayment(ev PaymentEvent) PaymentDecision {
	if ev.LinkID == "" {
		return DecidePayment(nil, ev) // no link to write to: decided on none, with no write tried first
	}
	switch ev.Kind {
	case PaymentSucceeded:
		d := PaymentDecision{Action: PaymentApply, To: StatusPaid, From: FromOpen(StatusPaid)}
		d.Booked, _ = BookedMidnight(ev.BookedOn) // a bank payment: in time, as the write checks
		return d
	case PaymentFailed:
		return PaymentDecision{Action: PaymentApply, To: StatusDeclined, From: From(StatusDeclined), Attempt: max(ev.Attempt, 0)}
	}
	return PaymentDecision{Action: PaymentNoChange}
}

// DecidePayment is what ev does to l, the link as stored (nil: there is no
// such link). Money that moved is never dropped: a payment either pays the
// link, is the link's payment already, or is kept for review.
func DecidePayment(l *Link, ev PaymentEvent) PaymentDecision {
	switch ev.Kind {
	case PaymentSucceeded:
		return decideSucceeded(l, ev)
	case PaymentFailed:
		if l == nil || !CanTransition(l.Status, StatusDeclined) || (ev.Attempt > 0 && l.Attempt != ev.Attempt) {
			return PaymentDecision{Action: PaymentNoChange} // a decline moves no money
		}
		return PaymentDecision{Action: PaymentApply, To: StatusDeclined, From: From(StatusDeclined), Attempt: max(ev.Attempt, 0)}
	}
	return PaymentDecision{Action: PaymentNoChange}
}

func decideSucceeded(l *Link, ev PaymentEvent) PaymentDecision {
	d := decidePaid(l, ev)
	if booked, ok := BookedMidnight(ev.BookedOn); ok && d.Action == PaymentApply {
		d.Booked, d.AfterExpiry = booked, BookedAfterExpiry(ev.BookedOn, l.ExpiresAt)
	}
	return d
}

func decidePaid(l *Link, ev PaymentEvent) PaymentDecision {
	switch {
	case l == nil:
		return PaymentDecision{Action: PaymentReview, Review: ReviewUnmatched}
	case l.Status == StatusPaid && l.PSPReference != "" && l.PSPReference == ev.PaymentRef:
		return PaymentDecision{Action: PaymentDuplicate}
	case l.Status == StatusPaid:
		return PaymentDecision{Action: PaymentReview, Review: ReviewSecond}
	case !SameMoney(ev.Amount, l.Amount):
		return PaymentDecision{Action: PaymentReview, Review: ReviewMismatched}
	case l.Status.Open():
		return PaymentDecision{Action: PaymentApply, To: StatusPaid, From: FromOpen(StatusPaid)}
	case CanTransition(l.Status, StatusPaid):
		return PaymentDecision{Action: PaymentApply, To: StatusPaid, From: FromClosed(StatusPaid), AfterExpiry: true}
	}
	// No status the machine knows is left; keep the money rather than drop it.
	return PaymentDecision{Action: PaymentReview, Review: ReviewMismatched}
}

// MatchAction is what matching a bank payment kept for review to a link by
// hand does (statements.Match).
type MatchAction string

// Match actions.
const (
	MatchPay     MatchAction = "pay"     // the payment pays the link
	MatchDone    MatchAction = "done"    // the link is paid by this very payment already (a retry)
	MatchAmount  MatchAction = "amount"  // another currency or amount: refused (422)
	MatchPaid    MatchAction = "paid"    // the link is paid by another payment: refused (409)
	MatchRefused MatchAction = "refused" // the link's status takes no payment: refused (409)
)

// DecideMatch is what matching a payment ev (its reference and amount) to
// l by hand does: exactly what DecidePayment does with it, so a match pays
// the links (archived or expired ones too) a PSP's or a statement's
// payment pays, and no other. A refused match changes nothing: the payment
// stays kept for review.
func DecideMatch(l *Link, ev PaymentEvent) MatchAction {
	d := DecidePayment(l, ev)
	switch {
	case d.Action == PaymentDuplicate:
		return MatchDone
	case l == nil:
		return MatchRefused
	case !SameMoney(ev.Amount, l.Amount):
		return MatchAmount
	case d.Action == PaymentApply && d.To == StatusPaid:
		return MatchPay
	case d.Review == ReviewSecond:
		return MatchPaid
	}
	return MatchRefused
}

// SameMoney is exact decimal equality of a reported amount and a link's.
func SameMoney(got *money.Amount, want money.Amount) bool {
	return got != nil && got.Currency == want.Currency && got.Value.Equal(want.Value)
}

// ClickAction is what a person opening a link's page does to it.
type ClickAction string

// Click actions.
const (
	ClickCount    ClickAction = "count"     // counted on a clicked link (no status change, no event)
	ClickOpen     ClickAction = "open"      // counted, and the link moves to clicked with its event
	ClickPaid     ClickAction = "paid"      // not counted: the link is paid
	ClickExpired  ClickAction = "expired"   // not counted: the link expired
	ClickNotFound ClickAction = "not_found" // an unknown, forged or archived link
)

// ClickDecision is what a click does to a link. For ClickOpen, Next is the
// link after the click and Event its timeline event; Next's status must
// still be the link's when written.
type ClickDecision struct {
	Action ClickAction
	Next   *Link
	Event  Event
}

// ExpectClick is the decision made before the link is read: most clicks
// are on a link already clicked, counted with no status change (the write's
// condition holds it to that: the code, clicked, not expired, not archived).
func ExpectClick() ClickDecision { return ClickDecision{Action: ClickCount} }

// DecideClick is what a click on code at now does to l, the link as
// stored (nil: there is no such link).
func DecideClick(l *Link, code string, now time.Time) ClickDecision {
	switch {
	case l == nil || l.Code != code || l.Archived:
		return ClickDecision{Action: ClickNotFound}
	case l.Status == StatusPaid:
		return ClickDecision{Action: ClickPaid}
	case l.Status == StatusExpired || l.ExpiredAt(now):
		return ClickDecision{Action: ClickExpired}
	case l.Status == StatusClicked:
		return ClickDecision{Action: ClickCount}
	case CanTransition(l.Status, StatusClicked):
		next := Open(l, now)
		return ClickDecision{Action: ClickOpen, Next: next, Event: NewEvent(l.ID, EventClicked, l.Status, StatusClicked, now, nil)}
	}
	return ClickDecision{Action: ClickNotFound}
}

// Refund statuses.
const (
	RefundStatusPending   = "pending"
	RefundStatusSucceeded = "succeeded"
	RefundStatusFailed    = "failed"
)

// RefundSettlement is what a refund's outcome does: the refund's new
// status, and what moves on its link's counters (in minor units): a
// success adds its amount to what was refunded; a failure gives the amount
// it held back to what may still be refunded. Settle is false when the
// refund is settled already (a duplicate outcome): nothing moves.
type RefundSettlement struct {
	Settle         bool
	Status         string
	EventType      string
	RefundedDelta  int64
	CommittedDelta int64
}

// DecideRefundSettlement is what the outcome ok of a refund in status
// (holding amountMinor) does. Money moves once: only a pending refund
// settles.
func DecideRefundSettlement(status string, amountMinor int64, ok bool) RefundSettlement {
	switch {
	case status != RefundStatusPending:
		return RefundSettlement{}
	case ok:
		return RefundSettlement{Settle: true, Status: RefundStatusSucceeded, EventType: "refund.succeeded", RefundedDelta: amountMinor}
	}
	return RefundSettlement{Settle: true, Status: RefundStatusFailed, EventType: "refund.failed", CommittedDelta: -amountMinor}
}
