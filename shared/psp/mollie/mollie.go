// Package mollie is the Mollie adapter: payments API for links; webhooks
// carry only a payment id and are fetched back with the merchant's key
// before anything is believed.
package mollie

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/merchant"
	"github.com/paylinks/paylinks/shared/money"
	"github.com/paylinks/paylinks/shared/psp"
)

// Name of the provider.
const Name = "mollie"

// CredAPIKey is the merchant's Mollie API key in its PSP credentials.
const CredAPIKey = "api_key"

// Provider talks to Mollie's API.
type Provider struct {
	BaseURL       string // https://api.mollie.com (a double in tests)
	PublicBaseURL string // paylinks' public base: redirect and webhook URLs
	HTTP          *http.Client
}

// Name implements psp.Provider.
func (p *Provider) Name() string { return Name }

// CheckoutHosts implements psp.Provider.
func (p *Provider) CheckoutHosts() []string { return []string{"www.mollie.com"} }

var methods = map[string]string{"card": "creditcard", "ideal": "ideal", "bancontact": "bancontact", "sepa_transfer": "banktransfer",
	"paypal": "paypal", "apple_pay": "applepay", "klarna": "klarnapaylater", "eps": "eps", "przelewy24": "przelewy24", "kbc": "kbc",
	"belfius": "belfius", "twint": "twint", "giropay": "giropay", "sofort": "sofort"}

var locales = map[string]string{"en": "en_US", "nl": "nl_BE", "fr": "fr_BE", "de": "de_DE"}

type amount struct {
	Currency string `json:"currency"`
	Value    string `json:"value"`
}

func toAmount(a money.Amount) amount { return amount{a.Currency, a.String()} }

// Payment is the part of a Mollie payment paylinks reads.
type Payment struct {
	ID        string                     `json:"id"`
	Status    string                     `json:"status"`
	Amount    amount                     `json:"amount"`
	Metadata  map[string]string          `json:"metadata"`
	ExpiresAt string                     `json:"expiresAt"`
	PaidAt    string                     `json:"paidAt"`
	FailedAt  string                     `json:"failedAt"`
	Details   map[string]any             `json:"details"`
	Links     map[string]link            `json:"_links"`
	Embedded  struct{ Refunds []Refund } `json:"_embedded"`
}

type link struct {
	Href string `json:"href"`
}

// Refund is a Mollie refund.
type Refund struct {
	ID       string            `json:"id"`
	Status   string            `json:"status"`
	Amount   amount            `json:"amount"`
	Metadata map[string]string `json:"metadata"`
}

// CreateCheckout implements psp.Provider with POST /v2/payments.
func (p *Provider) CreateCheckout(ctx context.Context, m *merchant.Merchant, l *domain.Link, idem string) (psp.Checkout, error) {
	base := strings.TrimRight(p.PublicBaseURL, "/")
	redirect := l.RedirectURL
	if redirect == "" {
		redirect = base + "/l/" + l.Code + "/done"
	}
	req := map[string]any{
		"amount":      toAmount(l.Amount),
		"description": l.Description,
		"redirectUrl": redirect,
		"cancelUrl":   base + "/l/" + l.Code,
		"webhookUrl":  base + "/webhooks/psp/mollie/" + l.Merchant,
		"locale":      locales[l.Language],
		"metadata":    map[string]string{"paylinks_link_id": l.ID, "paylinks_merchant": l.Merchant, "paylinks_attempt": strconv.Itoa(l.Attempt)},
	}
	var ms []string
	for _, pm := range l.PaymentMethods {
		if s, ok := methods[pm]; ok {
			ms = append(ms, s)
		}
	}
	if len(ms) > 0 {
		req["method"] = ms
	}
	var out Payment
	if err := p.call(ctx, m, http.MethodPost, "/v2/payments", req, idem, &out); err != nil {
		return psp.Checkout{}, err
	}
	href := out.Links["checkout"].Href
	if href == "" {
		return psp.Checkout{}, fmt.Errorf("mollie payment %s has no checkout link", out.ID)
	}
	exp, err := time.Parse(time.RFC3339, out.ExpiresAt)
	if err != nil {
		exp = time.Now().Add(15 * time.Minute)
	}
	return psp.Checkout{ID: out.ID, URL: href, ExpiresAt: exp.UTC(), Persist: true}, nil
}

var paymentID = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^tr_[A-Za-z0-9]{4,64}$`) })

// fetch reads a payment (with its refunds) with the merchant's key.
func (p *Provider) fetch(ctx context.Context, m *merchant.Merchant, id string) (Payment, error) {
	var out Payment
	err := p.call(ctx, m, http.MethodGet, "/v2/payments/"+url.PathEscape(id)+"?embed=refunds", nil, "", &out)
	var ae *apiError
	if errors.As(err, &ae) && ae.status == http.StatusNotFound {
		return out, psp.ErrUnknownPayment
	}
	return out, err
}

// FetchPayment implements psp.Provider.
func (p *Provider) FetchPayment(ctx context.Context, m *merchant.Merchant, id string) (psp.Payment, error) {
	pay, err := p.fetch(ctx, m, id)
	if err != nil {
		return psp.Payment{}, err
	}
	evs := mapPayment(&pay, time.Now())
	out := psp.Payment{Ref: pay.ID, Status: domain.PaymentIgnored, LinkID: evs[0].LinkID, Amount: evs[0].Amount}
	if k := evs[0].Kind; k == domain.PaymentSucceeded || k == domain.PaymentFailed {
		out.Status = k
	}
	return out, nil
}

// ParseWebhook implements psp.Provider. Mollie's webhook is `id=tr_...`,
// unsigned: the payment is fetched back with the merchant's key and only
// what Mollie's API says is believed.
func (p *Provider) ParseWebhook(ctx context.Context, m *merchant.Merchant, _ http.Header, body []byte, now time.Time) ([]domain.PaymentEvent, error) {
	form, err := url.ParseQuery(string(body))
	if err != nil || !paymentID().MatchString(form.Get("id")) {
		return nil, fmt.Errorf("%w: expected a form with id=tr_ and a payment id", psp.ErrPayload)
	}
	pay, err := p.fetch(ctx, m, form.Get("id"))
	if errors.Is(err, psp.ErrUnknownPayment) {
		return nil, fmt.Errorf("%w: %v", psp.ErrPayload, err)
	}
	if err != nil {
		return nil, err
	}
	return mapPayment(&pay, now), nil
}

// mapPayment turns a payment's state into events whose ids name the state,
// so each state is applied once however often Mollie calls.
func mapPayment(pay *Payment, now time.Time) []domain.PaymentEvent {
	linkID := pay.Metadata["paylinks_link_id"]
	if !domain.ValidID(domain.PrefixLink, linkID) {
		return []domain.PaymentEvent{{ID: pay.ID + ":" + pay.Status, Kind: domain.PaymentIgnored, Type: "payment." + pay.Status, At: now}}
	}
	attempt, _ := strconv.Atoi(pay.Metadata["paylinks_attempt"])
	base := domain.PaymentEvent{ID: pay.ID + ":" + pay.Status, Type: "payment." + pay.Status, LinkID: linkID, Attempt: attempt, PaymentRef: pay.ID, At: now}
	if a, err := money.Parse(pay.Amount.Currency, pay.Amount.Value); err == nil {
		base.Amount = &a
	}
	var out []domain.PaymentEvent
	switch pay.Status {
	case "paid":
		base.Kind = domain.PaymentSucceeded
		if t, err := time.Parse(time.RFC3339, pay.PaidAt); err == nil {
			base.At = t
		}
	case "failed", "canceled":
		base.Kind = domain.PaymentFailed
		base.FailureReason = pay.Status
	case "expired":
		base.Kind = domain.CheckoutExpired
		base.CheckoutURL = pay.ID
	default:
		base.Kind = domain.PaymentIgnored
	}
	out = append(out, base)
	for _, r := range pay.Embedded.Refunds {
		ev := domain.PaymentEvent{ID: r.ID + ":" + r.Status, Type: "refund." + r.Status, LinkID: linkID, PaymentRef: pay.ID,
			RefundID: r.Metadata["paylinks_refund_id"], RefundRef: r.ID, At: now, Kind: domain.PaymentIgnored}
		switch r.Status {
		case "refunded":
			ev.Kind = domain.RefundSucceeded
		case "failed", "canceled":
			ev.Kind = domain.RefundFailed
			ev.FailureReason = r.Status
		}
		if ev.RefundID != "" && ev.Kind != domain.PaymentIgnored {
			out = append(out, ev)
		}
	}
	return out
}

// Refund implements psp.Provider with POST /v2/payments/{id}/refunds.
func (p *Provider) Refund(ctx context.Context, m *merchant.Merchant, r psp.RefundRequest) (psp.RefundResult, error) {
	req := map[string]any{"amount": toAmount(r.Amount), "description": "Refund " + r.RefundID,
		"metadata": map[string]string{"paylinks_refund_id": r.RefundID, "paylinks_link_id": r.LinkID}}
	var out Refund
	err := p.call(ctx, m, http.MethodPost, "/v2/payments/"+url.PathEscape(r.PaymentRef)+"/refunds", req, "refund-"+r.RefundID, &out)
	var ae *apiError
	if errors.As(err, &ae) {
		return psp.RefundResult{Status: domain.RefundFailed, Reason: ae.msg}, nil
	}
	if err != nil {
		return psp.RefundResult{}, err
	}
	switch out.Status {
	case "refunded":
		return psp.RefundResult{Ref: out.ID, Status: domain.RefundSucceeded}, nil
	case "failed", "canceled":
		return psp.RefundResult{Ref: out.ID, Status: domain.RefundFailed, Reason: out.Status}, nil
	default:
		return psp.RefundResult{Ref: out.ID, Pending: true}, nil
	}
}

type apiError struct {
	status int
	msg    string
}

func (e *apiError) Error() string { return fmt.Sprintf("mollie answered %d: %s", e.status, e.msg) }

func (p *Provider) call(ctx context.Context, m *merchant.Merchant, method, path string, in any, idem string, out any) error {
	key := m.PSPCredentials[CredAPIKey]
	if key == "" {
		return fmt.Errorf("mollie: merchant %s has no %s", m.ID, CredAPIKey)
	}
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(p.BaseURL, "/")+path, body)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+key)
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if idem != "" {
		req.Header.Set("Idempotency-Key", idem)
	}
	client := p.HTTP
	if client == nil {
		client = &http.Client{Timeout: 15 * time.Second}
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("%w: mollie %s: %v", psp.ErrTransient, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode == 429 || resp.StatusCode >= 500 {
		return fmt.Errorf("%w: mollie %s answered %d", psp.ErrTransient, path, resp.StatusCode)
	}
	if resp.StatusCode >= 300 {
		var e struct {
			Detail string `json:"detail"`
		}
		_ = json.Unmarshal(raw, &e)
		return &apiError{resp.StatusCode, e.Detail}
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("mollie %s: %w", path, err)
	}
	return nil
}

var _ psp.Provider = (*Provider)(nil)
