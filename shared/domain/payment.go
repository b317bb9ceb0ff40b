package domain

import (
	"time"

	"github.com/paylinks/paylinks/shared/money"
)

// PaymentKind is what a PSP's event means for a link.
type PaymentKind string

// Payment event kinds.
const (
	PaymentSucceeded PaymentKind = "payment_succeeded"
	PaymentFailed    PaymentKind = "payment_failed"
	CheckoutExpired  PaymentKind = "checkout_expired"
	RefundSucceeded  PaymentKind = "refund_succeeded"
	RefundFailed     PaymentKind = "refund_failed"
	PaymentIgnored   PaymentKind = "ignored"
)

// PaymentEvent is one thing a PSP reported, normalised by its adapter: the
// webhook ingest records it, the apply worker moves the link by it.
type PaymentEvent struct {
	ID            string        `json:"id"` // the PSP's event id: the dedupe key
	Kind          PaymentKind   `json:"kind"`
	Type          string        `json:"type"` // the PSP's own event type
	LinkID        string        `json:"link_id,omitempty"`
	Attempt       int           `json:"attempt,omitempty"`
	PaymentRef    string        `json:"payment_ref,omitempty"`
	Amount        *money.Amount `json:"amount,omitempty"`
	FailureReason string        `json:"failure_reason,omitempty"`
	RefundID      string        `json:"refund_id,omitempty"`
	RefundRef     string        `json:"refund_ref,omitempty"`
	CheckoutURL   string        `json:"checkout_url,omitempty"`
	// Debtor and Remittance are a bank transfer's payer and free text, as
	// the statement reports them (ProviderBank; kept with a payment kept
	// for review).
	Debtor     *Debtor `json:"debtor,omitempty"`
	Remittance string  `json:"remittance,omitempty"`
	// BookedOn is a bank payment's booking date (YYYY-MM-DD, the bank's
	// day): whether it pays a link after its expiry follows from it
	// (BookedAfterExpiry), not from when paylinks reads it. "" for a PSP's.
	BookedOn string `json:"booked_on,omitempty"`
	// At is when the payment happened, the link's paid_at: the PSP's time,
	// or for a bank payment when paylinks applied it.
	At time.Time `json:"at"`
}

// BookedAfterExpiry reports a bank payment booked on bookedOn (YYYY-MM-DD)
// as paid after the expiry expiresAt: its booking date is after the
// expiry's date, in UTC (paylinks keeps no merchant's time zone). A
// transfer booked on the expiry's day is in time whatever the hour, since
// a booking date has none. A bookedOn that is no date is never late.
func BookedAfterExpiry(bookedOn string, expiresAt time.Time) bool {
	booked, ok := BookedMidnight(bookedOn)
	return ok && expiresAt.Before(booked)
}

// BookedMidnight is the start of booking date bookedOn in UTC, false when
// it is no date. A link expiring before it was paid after its expiry.
func BookedMidnight(bookedOn string) (time.Time, bool) {
	t, err := time.Parse(time.DateOnly, bookedOn)
	return t, err == nil
}
