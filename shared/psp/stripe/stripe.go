// Package stripe is the Stripe adapter: Checkout Sessions for links,
// Stripe-Signature verification, event mapping and refunds.
package stripe

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/merchant"
	"github.com/paylinks/paylinks/shared/money"
	"github.com/paylinks/paylinks/shared/psp"
)

// Name of the provider.
const Name = "stripe"

// Credential keys in a merchant's PSP credentials.
const (
	CredSecretKey             = "secret_key"
	CredWebhookSecret         = "webhook_secret"
	CredWebhookSecretPrevious = "webhook_secret_previous"
)

// Provider talks to Stripe's API.
type Provider struct {
	BaseURL       string // https://api.stripe.com (a double in tests)
	PublicBaseURL string // paylinks' public base, for success and cancel URLs
	HTTP          *http.Client
	Now           func() time.Time
}

// Name implements psp.Provider.
func (p *Provider) Name() string { return Name }

// CheckoutHosts implements psp.Provider.
func (p *Provider) CheckoutHosts() []string { return []string{"checkout.stripe.com"} }

// methods maps paylinks' payment methods to Stripe's payment_method_types;
// wallets ride on card.
var methods = map[string]string{"card": "card", "ideal": "ideal", "bancontact": "bancontact", "sepa_debit": "sepa_debit",
	"eps": "eps", "przelewy24": "p24", "klarna": "klarna", "paypal": "paypal", "giropay": "giropay", "sofort": "sofort", "twint": "twint"}

func (p *Provider) now() time.Time {
	if p.Now != nil {
		return p.Now()
	}
	return time.Now()
}

func (p *Provider) client() *http.Client {
	if p.HTTP != nil {
		return p.HTTP
	}
	return &http.Client{Timeout: 15 * time.Second}
}

// CreateCheckout implements psp.Provider with a Checkout Session that lives
// at most 24 h (Stripe's limit) and never past the link's expiry.
func (p *Provider) CreateCheckout(ctx context.Context, m *merchant.Merchant, l *domain.Link, idem string) (psp.Checkout, error) {
	base := strings.TrimRight(p.PublicBaseURL, "/")
	f := url.Values{}
	f.Set("mode", "payment")
	f.Set("client_reference_id", l.ID)
	f.Set("line_items[0][quantity]", "1")
	f.Set("line_items[0][price_data][currency]", strings.ToLower(l.Amount.Currency))
	f.Set("line_items[0][price_data][unit_amount]", strconv.FormatInt(l.Amount.Minor(), 10))
	f.Set("line_items[0][price_data][product_data][name]", l.Description)
	for _, prefix := range []string{"metadata", "payment_intent_data[metadata]"} {
		f.Set(prefix+"[paylinks_link_id]", l.ID)
		f.Set(prefix+"[paylinks_merchant]", l.Merchant)
		f.Set(prefix+"[paylinks_attempt]", strconv.Itoa(l.Attempt))
	}
	success := l.RedirectURL
	if success == "" {
		success = base + "/l/" + l.Code + "/done"
	}
	f.Set("success_url", success)
	f.Set("cancel_url", base+"/l/"+l.Code)
	if l.Customer.Email != "" {
		f.Set("customer_email", l.Customer.Email)
	}
	f.Set("locale", l.Language)
	i := 0
	for _, pm := range l.PaymentMethods {
		if s, ok := methods[pm]; ok {
			f.Set(fmt.Sprintf("payment_method_types[%d]", i), s)
			i++
		}
	}
	exp := p.now().Add(24 * time.Hour)
	if l.ExpiresAt.Before(exp) {
		exp = l.ExpiresAt
	}
	if min := p.now().Add(31 * time.Minute); exp.Before(min) {
		exp = min
	}
	f.Set("expires_at", strconv.FormatInt(exp.Unix(), 10))
	var out struct {
		ID        string `json:"id"`
		URL       string `json:"url"`
		ExpiresAt int64  `json:"expires_at"`
	}
	if err := p.call(ctx, m, http.MethodPost, "/v1/checkout/sessions", f, idem, &out); err != nil {
		return psp.Checkout{}, err
	}
	return psp.Checkout{ID: out.ID, URL: out.URL, ExpiresAt: time.Unix(out.ExpiresAt, 0).UTC(), Persist: true}, nil
}

// Refund implements psp.Provider with POST /v1/refunds.
func (p *Provider) Refund(ctx context.Context, m *merchant.Merchant, r psp.RefundRequest) (psp.RefundResult, error) {
	f := url.Values{}
	f.Set("payment_intent", r.PaymentRef)
	f.Set("amount", strconv.FormatInt(r.Amount.Minor(), 10))
	f.Set("reason", "requested_by_customer")
	f.Set("metadata[paylinks_refund_id]", r.RefundID)
	f.Set("metadata[paylinks_link_id]", r.LinkID)
	var out struct {
		ID            string `json:"id"`
		Status        string `json:"status"`
		FailureReason string `json:"failure_reason"`
	}
	if err := p.call(ctx, m, http.MethodPost, "/v1/refunds", f, "refund-"+r.RefundID, &out); err != nil {
		var se *apiError
		if errors.As(err, &se) && se.status < 500 && se.status != 429 {
			return psp.RefundResult{Ref: out.ID, Status: domain.RefundFailed, Reason: se.msg}, nil
		}
		return psp.RefundResult{}, err
	}
	switch out.Status {
	case "succeeded":
		return psp.RefundResult{Ref: out.ID, Status: domain.RefundSucceeded}, nil
	case "failed", "canceled":
		return psp.RefundResult{Ref: out.ID, Status: domain.RefundFailed, Reason: out.FailureReason}, nil
	default:
		return psp.RefundResult{Ref: out.ID, Pending: true}, nil
	}
}

// FetchPayment implements psp.Provider with GET /v1/payment_intents/{id}.
func (p *Provider) FetchPayment(ctx context.Context, m *merchant.Merchant, ref string) (psp.Payment, error) {
	var out struct {
		ID       string            `json:"id"`
		Status   string            `json:"status"`
		Amount   int64             `json:"amount"`
		Currency string            `json:"currency"`
		Metadata map[string]string `json:"metadata"`
	}
	err := p.call(ctx, m, http.MethodGet, "/v1/payment_intents/"+url.PathEscape(ref), nil, "", &out)
	var ae *apiError
	if errors.As(err, &ae) && ae.status == http.StatusNotFound {
		return psp.Payment{}, psp.ErrUnknownPayment
	}
	if err != nil {
		return psp.Payment{}, err
	}
	pay := psp.Payment{Ref: out.ID, Status: domain.PaymentIgnored, LinkID: out.Metadata["paylinks_link_id"]}
	if a, err := money.FromMinor(strings.ToUpper(out.Currency), out.Amount); err == nil {
		pay.Amount = &a
	}
	switch out.Status {
	case "succeeded":
		pay.Status = domain.PaymentSucceeded
	case "canceled", "requires_payment_method":
		pay.Status = domain.PaymentFailed
	}
	return pay, nil
}

type apiError struct {
	status int
	msg    string
}

func (e *apiError) Error() string { return fmt.Sprintf("stripe answered %d: %s", e.status, e.msg) }

func (p *Provider) call(ctx context.Context, m *merchant.Merchant, method, path string, form url.Values, idem string, out any) error {
	key := m.PSPCredentials[CredSecretKey]
	if key == "" {
		return fmt.Errorf("stripe: merchant %s has no %s", m.ID, CredSecretKey)
	}
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(p.BaseURL, "/")+path, body)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if idem != "" {
		req.Header.Set("Idempotency-Key", idem)
	}
	resp, err := p.client().Do(req)
	if err != nil {
		return fmt.Errorf("%w: stripe %s: %v", psp.ErrTransient, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode == 429 || resp.StatusCode >= 500 {
		return fmt.Errorf("%w: stripe %s answered %d", psp.ErrTransient, path, resp.StatusCode)
	}
	if resp.StatusCode >= 300 {
		var e struct {
			Error struct {
				Message string `json:"message"`
			} `json:"error"`
		}
		_ = json.Unmarshal(raw, &e)
		return &apiError{resp.StatusCode, e.Error.Message}
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("stripe %s: %w", path, err)
	}
	return nil
}

// event is the part of a Stripe event paylinks reads.
type event struct {
	ID      string `json:"id"`
	Type    string `json:"type"`
	Created int64  `json:"created"`
	Data    struct {
		Object struct {
			Object            string            `json:"object"`
			ID                string            `json:"id"`
			ClientReferenceID string            `json:"client_reference_id"`
			Metadata          map[string]string `json:"metadata"`
			PaymentIntent     string            `json:"payment_intent"`
			PaymentStatus     string            `json:"payment_status"`
			AmountTotal       *int64            `json:"amount_total"`
			Amount            *int64            `json:"amount"`
			Currency          string            `json:"currency"`
			Status            string            `json:"status"`
			FailureReason     string            `json:"failure_reason"`
		} `json:"object"`
	} `json:"data"`
}

// ParseWebhook implements psp.Provider: Stripe-Signature checked against the
// merchant's webhook secrets (current and previous, for rotation), then the
// event mapped.
func (p *Provider) ParseWebhook(_ context.Context, m *merchant.Merchant, h http.Header, body []byte, now time.Time) ([]domain.PaymentEvent, error) {
	secrets := []string{m.PSPCredentials[CredWebhookSecret], m.PSPCredentials[CredWebhookSecretPrevious]}
	if err := psp.VerifySignature(h.Get("Stripe-Signature"), body, secrets, now); err != nil {
		return nil, err
	}
	var ev event
	if err := json.Unmarshal(body, &ev); err != nil || ev.ID == "" || ev.Type == "" {
		return nil, fmt.Errorf("%w: not a Stripe event", psp.ErrPayload)
	}
	return []domain.PaymentEvent{mapEvent(&ev)}, nil
}

func mapEvent(ev *event) domain.PaymentEvent {
	o := ev.Data.Object
	out := domain.PaymentEvent{ID: ev.ID, Type: ev.Type, Kind: domain.PaymentIgnored, At: time.Unix(ev.Created, 0).UTC()}
	out.LinkID = o.Metadata["paylinks_link_id"]
	if out.LinkID == "" {
		out.LinkID = o.ClientReferenceID
	}
	out.Attempt, _ = strconv.Atoi(o.Metadata["paylinks_attempt"])
	out.PaymentRef = o.PaymentIntent
	cur := strings.ToUpper(o.Currency)
	if amt := o.AmountTotal; amt != nil {
		if a, err := money.FromMinor(cur, *amt); err == nil {
			out.Amount = &a
		}
	}
	switch ev.Type {
	case "checkout.session.completed":
		if o.PaymentStatus == "paid" || o.PaymentStatus == "no_payment_required" {
			out.Kind = domain.PaymentSucceeded
		}
	case "checkout.session.async_payment_succeeded":
		out.Kind = domain.PaymentSucceeded
	case "checkout.session.async_payment_failed":
		out.Kind = domain.PaymentFailed
		out.FailureReason = "async_payment_failed"
	case "checkout.session.expired":
		out.Kind = domain.CheckoutExpired
		out.CheckoutURL = o.ID
	case "refund.created", "refund.updated", "refund.failed":
		out.RefundID = o.Metadata["paylinks_refund_id"]
		out.RefundRef = o.ID
		if amt := o.Amount; amt != nil {
			if a, err := money.FromMinor(cur, *amt); err == nil {
				out.Amount = &a
			}
		}
		switch o.Status {
		case "succeeded":
			out.Kind = domain.RefundSucceeded
		case "failed", "canceled":
			out.Kind = domain.RefundFailed
			out.FailureReason = o.FailureReason
		}
	}
	if strings.HasPrefix(out.RefundID, domain.PrefixReview) && (out.Kind == domain.RefundSucceeded || out.Kind == domain.RefundFailed) {
		// The refund of a payment kept for review, which may have no link.
		if !domain.ValidID(domain.PrefixLink, out.LinkID) {
			out.LinkID = ""
		}
		return out
	}
	if !domain.ValidID(domain.PrefixLink, out.LinkID) {
		out.Kind, out.LinkID = domain.PaymentIgnored, "" // not one of our sessions
	}
	return out
}

var _ psp.Provider = (*Provider)(nil)
