// Package psp is the provider port: what paylinks asks of a payment service
// provider. Adapters live in its sub-packages (sandbox, stripe, mollie).
package psp

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/merchant"
	"github.com/paylinks/paylinks/shared/money"
)

// Checkout is a PSP's hosted payment session for one attempt of a link.
type Checkout struct {
	ID        string
	URL       string
	ExpiresAt time.Time
	// Persist says the session must be stored on the link to be reused; a
	// provider whose session URL is derived from the link itself says false.
	Persist bool
}

// Provider is one PSP.
type Provider interface {
	Name() string
	// CreateCheckout makes (or, for the same idempotency key, returns again)
	// the hosted checkout for the link's current attempt.
	CreateCheckout(ctx context.Context, m *merchant.Merchant, l *domain.Link, idempotencyKey string) (Checkout, error)
	// CheckoutHosts are the only hosts a checkout URL may point at.
	CheckoutHosts() []string
	// ParseWebhook verifies a webhook's raw body and headers with the
	// merchant's secrets and returns what it reports. Providers whose
	// webhooks are unsigned fetch the payment back before answering.
	ParseWebhook(ctx context.Context, m *merchant.Merchant, h http.Header, body []byte, now time.Time) ([]domain.PaymentEvent, error)
	// FetchPayment asks the PSP for a payment's state, with the merchant's
	// credentials (reconciliation; Mollie's webhooks rely on it).
	FetchPayment(ctx context.Context, m *merchant.Merchant, ref string) (Payment, error)
	// Refund asks the PSP to refund part of a payment; the idempotency key
	// derives from the refund id so a retried message refunds once.
	Refund(ctx context.Context, m *merchant.Merchant, r RefundRequest) (RefundResult, error)
}

// TestOnly is implemented by providers that move no real money (the
// sandbox): a live merchant may not choose them.
type TestOnly interface {
	TestOnly() bool
}

// Live reports a provider live merchants may choose.
func Live(p Provider) bool {
	t, ok := p.(TestOnly)
	return !ok || !t.TestOnly()
}

// Payment is a PSP's view of one payment. Status is PaymentSucceeded,
// PaymentFailed, or PaymentIgnored while it is still open.
type Payment struct {
	Ref    string
	Status domain.PaymentKind
	LinkID string
	Amount *money.Amount
}

// ErrUnknownPayment is a payment the PSP does not know (for this merchant).
var ErrUnknownPayment = errors.New("payment not found at the PSP")

// RefundRequest asks for a refund of Amount on a payment.
type RefundRequest struct {
	RefundID   string
	LinkID     string
	PaymentRef string
	Amount     money.Amount
	Reason     string
}

// RefundResult is the PSP's answer; Pending means a webhook will settle it.
type RefundResult struct {
	Ref     string
	Status  domain.PaymentKind // RefundSucceeded, RefundFailed, or "" while pending
	Reason  string
	Pending bool
}

// Webhook errors: 401 and 400.
var (
	ErrSignature = errors.New("webhook signature invalid")
	ErrPayload   = errors.New("webhook payload invalid")
	// ErrTransient is a PSP call that may succeed when retried (timeouts,
	// 429, 5xx).
	ErrTransient = errors.New("psp temporarily unavailable")
)

// ErrUnsafeCheckout is a checkout URL off the provider's allow-listed hosts.
var ErrUnsafeCheckout = errors.New("checkout URL is not on the provider's hosts")

// CheckCheckoutURL refuses any URL but http(s) on the provider's hosts: the
// only Location paylinks ever sends.
func CheckCheckoutURL(p Provider, raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.User != nil || u.Host == "" {
		return fmt.Errorf("%w: %q", ErrUnsafeCheckout, raw)
	}
	for _, h := range p.CheckoutHosts() {
		if strings.EqualFold(u.Host, h) {
			if u.Scheme == "http" && !isLoopback(u.Hostname()) {
				return fmt.Errorf("%w: plain http off loopback", ErrUnsafeCheckout)
			}
			return nil
		}
	}
	return fmt.Errorf("%w: %q", ErrUnsafeCheckout, u.Host)
}

func isLoopback(h string) bool {
	return h == "localhost" || h == "::1" || strings.HasPrefix(h, "127.")
}

// IdempotencyKey is the key sent to the PSP for a link's attempt: two quick
// clicks make one session.
func IdempotencyKey(l *domain.Link) string { return fmt.Sprintf("%s-attempt-%d", l.ID, l.Attempt) }

// Registry finds providers by name.
type Registry map[string]Provider

// Get returns a provider or an error naming it.
func (r Registry) Get(name string) (Provider, error) {
	p, ok := r[name]
	if !ok {
		return nil, fmt.Errorf("psp %q is not configured", name)
	}
	return p, nil
}
