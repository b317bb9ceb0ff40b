package sandbox

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/merchant"
	"github.com/paylinks/paylinks/shared/money"
	"github.com/paylinks/paylinks/shared/psp"
)

// SignatureHeader carries the sandbox's webhook signature, in Stripe's
// format (t=,v1=) with the merchant's PSP webhook secret.
const SignatureHeader = "Sandbox-Signature"

// WebhookEvent is what the sandbox posts.
type WebhookEvent struct {
	ID      string      `json:"id"`
	Type    string      `json:"type"` // payment.succeeded, payment.failed, refund.succeeded, refund.failed
	Created int64       `json:"created"`
	Data    WebhookData `json:"data"`
}

// WebhookData is the event's object.
type WebhookData struct {
	LinkID        string        `json:"link_id"`
	Attempt       int           `json:"attempt"`
	PaymentID     string        `json:"payment_id"`
	Amount        *money.Amount `json:"amount,omitempty"`
	FailureReason string        `json:"failure_reason,omitempty"`
	RefundID      string        `json:"refund_id,omitempty"`
	RefundRef     string        `json:"refund_ref,omitempty"`
}

// PaymentID is the sandbox's payment id for a session (one payment per
// session, as a real PSP's session has).
func PaymentID(session string) string {
	h := sha256.Sum256([]byte(session))
	return "pay_sb_" + hex.EncodeToString(h[:10])
}

// outbox keeps what the sandbox sent, to redeliver on request.
type outbox struct {
	mu   sync.Mutex
	sent map[string]sent
	ids  []string
}

type sent struct {
	url, merchant string
	body          []byte
}

const outboxSize = 1000

func (o *outbox) keep(id string, s sent) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.sent == nil {
		o.sent = map[string]sent{}
	}
	o.sent[id] = s
	o.ids = append(o.ids, id)
	if len(o.ids) > outboxSize {
		delete(o.sent, o.ids[0])
		o.ids = o.ids[1:]
	}
}

func (o *outbox) get(id string) (sent, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	s, ok := o.sent[id]
	return s, ok
}

// Emit signs and posts a webhook event to paylinks' ingest for the merchant,
// in the background with retries (as a PSP does), and keeps it for
// redelivery. Wait, when set, makes it synchronous (Lambda, tests).
func (p *Provider) Emit(ctx context.Context, m *merchant.Merchant, ev WebhookEvent) error {
	body, err := json.Marshal(ev)
	if err != nil {
		return err
	}
	s := sent{url: strings.TrimRight(p.WebhookBaseURL(), "/") + "/webhooks/psp/sandbox/" + m.ID, merchant: m.ID, body: body}
	p.out.keep(ev.ID, s)
	if p.Sync {
		return p.post(ctx, m.PSPWebhookSecret, s)
	}
	go func() {
		bg := context.WithoutCancel(ctx)
		for try := 0; try < 6; try++ {
			if err := p.post(bg, m.PSPWebhookSecret, s); err == nil {
				return
			} else if try == 5 {
				slog.Warn("sandbox webhook not delivered", "event", ev.ID, "error", err.Error())
			}
			time.Sleep(time.Duration(100<<try) * time.Millisecond)
		}
	}()
	return nil
}

// FetchPayment implements psp.Provider from what the sandbox itself sent:
// the last event about the payment says its state.
func (p *Provider) FetchPayment(_ context.Context, m *merchant.Merchant, ref string) (psp.Payment, error) {
	p.out.mu.Lock()
	defer p.out.mu.Unlock()
	for i := len(p.out.ids) - 1; i >= 0; i-- {
		s := p.out.sent[p.out.ids[i]]
		var ev WebhookEvent
		if s.merchant != m.ID || json.Unmarshal(s.body, &ev) != nil || ev.Data.PaymentID != ref {
			continue
		}
		pay := psp.Payment{Ref: ref, LinkID: ev.Data.LinkID, Amount: ev.Data.Amount, Status: domain.PaymentIgnored}
		switch ev.Type {
		case "payment.succeeded":
			pay.Status = domain.PaymentSucceeded
		case "payment.failed":
			pay.Status = domain.PaymentFailed
		default:
			continue
		}
		return pay, nil
	}
	return psp.Payment{}, psp.ErrUnknownPayment
}

// Sent lists the ids of the events the sandbox sent, oldest first.
func (p *Provider) Sent() []string {
	p.out.mu.Lock()
	defer p.out.mu.Unlock()
	return append([]string(nil), p.out.ids...)
}

// Redeliver posts a sent event again (what PSP dashboards offer), signed
// anew with the current time.
func (p *Provider) Redeliver(ctx context.Context, m *merchant.Merchant, eventID string) error {
	s, ok := p.out.get(eventID)
	if !ok || s.merchant != m.ID {
		return fmt.Errorf("sandbox event %s: %w", eventID, ErrBadSession)
	}
	return p.post(ctx, m.PSPWebhookSecret, s)
}

func (p *Provider) post(ctx context.Context, secret string, s sent) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.url, bytes.NewReader(s.body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(SignatureHeader, psp.SignedHeader(secret, time.Now(), s.body))
	resp, err := p.client().Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode >= 300 {
		return fmt.Errorf("webhook answered %d", resp.StatusCode)
	}
	return nil
}

func (p *Provider) client() *http.Client {
	if p.HTTP != nil {
		return p.HTTP
	}
	return &http.Client{Timeout: 10 * time.Second}
}

// WebhookBaseURL is where webhooks go: paylinks' own public base.
func (p *Provider) WebhookBaseURL() string {
	if p.WebhookURL != "" {
		return p.WebhookURL
	}
	return p.BaseURL
}

// ParseWebhook implements psp.Provider: the signature is checked with the
// merchant's PSP webhook secret (300 s tolerance), then the event mapped.
func (p *Provider) ParseWebhook(_ context.Context, m *merchant.Merchant, h http.Header, body []byte, now time.Time) ([]domain.PaymentEvent, error) {
	if err := TestMode(m); err != nil {
		return nil, fmt.Errorf("%w: %w", psp.ErrSignature, err)
	}
	if err := psp.VerifySignature(h.Get(SignatureHeader), body, []string{m.PSPWebhookSecret}, now); err != nil {
		return nil, err
	}
	// The amount is read apart: one that is not money (an unknown currency,
	// too many decimals, zero) is still a payment the sandbox reports, kept
	// for review with no amount rather than refused (the PSP would retry it
	// for days and the money would be seen nowhere).
	type data WebhookData
	var ev struct {
		WebhookEvent
		Data struct {
			data
			Amount json.RawMessage `json:"amount"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &ev); err != nil || ev.ID == "" || ev.Data.LinkID == "" {
		return nil, fmt.Errorf("%w: not a sandbox event", psp.ErrPayload)
	}
	out := domain.PaymentEvent{ID: ev.ID, Type: ev.Type, LinkID: ev.Data.LinkID, Attempt: ev.Data.Attempt, PaymentRef: ev.Data.PaymentID,
		FailureReason: ev.Data.FailureReason, RefundID: ev.Data.RefundID, RefundRef: ev.Data.RefundRef,
		At: time.Unix(ev.Created, 0).UTC()}
	if raw := ev.Data.Amount; len(raw) > 0 && string(raw) != "null" {
		var a money.Amount
		if json.Unmarshal(raw, &a) == nil {
			out.Amount = &a
		}
	}
	switch ev.Type {
	case "payment.succeeded":
		out.Kind = domain.PaymentSucceeded
	case "payment.failed":
		out.Kind = domain.PaymentFailed
	case "refund.succeeded":
		out.Kind = domain.RefundSucceeded
	case "refund.failed":
		out.Kind = domain.RefundFailed
	default:
		out.Kind = domain.PaymentIgnored
	}
	if !domain.ValidID(domain.PrefixLink, out.LinkID) {
		return nil, fmt.Errorf("%w: link_id", psp.ErrPayload)
	}
	return []domain.PaymentEvent{out}, nil
}

// Refund implements psp.Provider: sandbox refunds succeed unless the reason
// contains "fail". The refund's PSP reference derives from the refund id, so
// the same request twice is the same refund.
func (p *Provider) Refund(_ context.Context, _ *merchant.Merchant, r psp.RefundRequest) (psp.RefundResult, error) {
	h := sha256.Sum256([]byte(r.RefundID))
	ref := "re_sb_" + hex.EncodeToString(h[:10])
	if strings.Contains(strings.ToLower(r.Reason), "fail") {
		return psp.RefundResult{Ref: ref, Status: domain.RefundFailed, Reason: "sandbox_refund_failed"}, nil
	}
	return psp.RefundResult{Ref: ref, Status: domain.RefundSucceeded}, nil
}
