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
	Debtor     *Debtor   `json:"debtor,omitempty"`
	Remittance string    `json:"remittance,omitempty"`
	At         time.Time `json:"at"`
}
