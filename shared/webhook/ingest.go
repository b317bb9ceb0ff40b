// Package webhook takes PSP webhooks in: Ingest verifies, records and
// enqueues them and answers fast; Apply (the SQS consumer) applies each event
// to its link exactly once.
package webhook

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/links"
	"github.com/paylinks/paylinks/shared/merchant"
	"github.com/paylinks/paylinks/shared/problem"
	"github.com/paylinks/paylinks/shared/psp"
	"github.com/paylinks/paylinks/shared/queue"
	"github.com/paylinks/paylinks/shared/reqlog"
)

// MaxBody is the largest webhook accepted.
const MaxBody = 1 << 20

// Message is what goes on the PSP events queue.
type Message struct {
	Merchant string              `json:"merchant"`
	Provider string              `json:"provider"`
	Event    domain.PaymentEvent `json:"event"`
}

// IngestStore is what the ingest needs of the table: the merchant a
// webhook is for, and the PSP event's record (deduped on its id) and its
// mark once it is on the queue. *store.Store is one.
type IngestStore interface {
	GetMerchant(ctx context.Context, id string) (*merchant.Merchant, error)
	RecordWebhook(ctx context.Context, merchant, provider string, ev domain.PaymentEvent, now time.Time) (bool, error)
	MarkEnqueued(ctx context.Context, merchant, provider, id string) error
}

// Ingest serves POST /webhooks/psp/{provider}/{merchant}.
type Ingest struct {
	Store     IngestStore
	PSPs      psp.Registry
	Queue     queue.Enqueuer
	Now       func() time.Time
	merchants *merchant.Cache[string, *merchant.Merchant]
}

// NewIngest wires the ingest handler.
func NewIngest(st IngestStore, psps psp.Registry, q queue.Enqueuer) *Ingest {
	return &Ingest{Store: st, PSPs: psps, Queue: q, Now: time.Now,
		merchants: &merchant.Cache[string, *merchant.Merchant]{TTL: 30 * time.Second, Load: st.GetMerchant}}
}

// Routes registers the ingest route.
func (in *Ingest) Routes(mux *http.ServeMux) {
	mux.HandleFunc("POST /webhooks/psp/{provider}/{merchant}", handle(in.ingest))
}

// refused is a webhook answered with status and message instead of being
// recorded; cause, when set, goes to the request log.
type refused struct {
	status int
	msg    string
	cause  error
}

func (e *refused) Error() string {
	if e.cause != nil {
		return e.msg + ": " + e.cause.Error()
	}
	return e.msg
}

func (e *refused) Unwrap() error { return e.cause }

// handle is the one adapter from the ingest to HTTP: 200 with what it
// recorded, the status and message of a refusal, or 503 for any other error
// (nothing was recorded for sure: the PSP retries).
func handle(h func(r *http.Request) (string, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		msg, err := h(r)
		if err == nil {
			answer(w, r, http.StatusOK, msg)
			return
		}
		var ref *refused
		if !errors.As(err, &ref) {
			ref = &refused{status: http.StatusServiceUnavailable, msg: "could not record; retry", cause: err}
		}
		if ref.cause != nil {
			reqlog.Set(r.Context(), "error", ref.cause.Error())
		}
		answer(w, r, ref.status, ref.msg)
	}
}

// ingest verifies a PSP's webhook, records and enqueues its events.
func (in *Ingest) ingest(r *http.Request) (string, error) {
	ctx := r.Context()
	name, mid := r.PathValue("provider"), r.PathValue("merchant")
	reqlog.Set(ctx, "provider", name)
	reqlog.Set(ctx, "merchant", mid)
	p, err := in.PSPs.Get(name)
	if err != nil {
		return "", &refused{status: http.StatusNotFound, msg: "unknown provider"}
	}
	m, err := in.merchants.Get(ctx, mid)
	if errors.Is(err, domain.ErrNotFound) || (err == nil && m.PSP != name) {
		return "", &refused{status: http.StatusNotFound, msg: "unknown merchant"}
	}
	if err != nil {
		return "", err
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxBody+1))
	if err != nil {
		return "", &refused{status: http.StatusBadRequest, msg: "could not read the body"}
	}
	if len(body) > MaxBody {
		return "", &refused{status: http.StatusRequestEntityTooLarge, msg: "body over 1 MiB"}
	}
	evs, err := p.ParseWebhook(ctx, m, r.Header, body, in.Now())
	switch {
	case errors.Is(err, psp.ErrSignature):
		return "", &refused{status: http.StatusUnauthorized, msg: "signature invalid"}
	case errors.Is(err, psp.ErrPayload):
		return "", &refused{status: http.StatusBadRequest, msg: "payload invalid"}
	case err != nil:
		return "", &refused{status: http.StatusServiceUnavailable, msg: "could not verify; retry", cause: err}
	}
	for _, ev := range evs {
		reqlog.Set(ctx, "link_id", ev.LinkID)
		reqlog.Set(ctx, "psp_event", ev.ID)
		if err := in.record(ctx, m.ID, name, ev); err != nil {
			return "", err
		}
	}
	return fmt.Sprintf("recorded %d event(s)", len(evs)), nil
}

// record dedupes on the PSP event id and enqueues: a retry of an event that
// is already on the queue does nothing; one whose enqueue failed before is
// enqueued now. Apply is idempotent too, so a crash between the two steps
// cannot apply an event twice.
func (in *Ingest) record(ctx context.Context, m, provider string, ev domain.PaymentEvent) error {
	done, err := in.Store.RecordWebhook(ctx, m, provider, ev, in.Now())
	if err != nil || done || ev.Kind == domain.PaymentIgnored {
		return err // ignored kinds are kept on record, not queued
	}
	if err := in.Queue.Send(ctx, Message{Merchant: m, Provider: provider, Event: ev}, 0); err != nil {
		return err
	}
	return in.Store.MarkEnqueued(ctx, m, provider, ev.ID)
}

func answer(w http.ResponseWriter, r *http.Request, status int, msg string) {
	outcome := "recorded"
	if status >= 300 {
		outcome = "refused"
	}
	reqlog.Set(r.Context(), "outcome", outcome)
	w.Header().Set("Content-Type", "application/json")
	if status >= 500 {
		w.Header().Set("Retry-After", strconv.Itoa(problem.RetryAfter))
	}
	w.WriteHeader(status)
	fmt.Fprintf(w, "{\"status\":%d,\"message\":%q}\n", status, msg)
}

// ApplyStore is what the apply worker needs of the table: a payment or a
// decline applied to its link (links.PaymentStore), and an expired PSP
// session forgotten. *store.Store is one.
type ApplyStore interface {
	links.PaymentStore
	ClearCheckout(ctx context.Context, merchant, linkID, sessionID string) error
}

// Apply is the SQS consumer of the PSP events queue.
type Apply struct {
	Store ApplyStore
	Log   *slog.Logger
	Now   func() time.Time
	// Refunds settles refund events; nil until refunds are wired.
	Refunds func(ctx context.Context, msg Message) (string, error)
}

// Handle applies one message.
func (a *Apply) Handle(ctx context.Context, m events.SQSMessage) error {
	return queue.Typed(a.Process)(ctx, m)
}

// Process applies one decoded PSP event.
func (a *Apply) Process(ctx context.Context, m queue.Message[Message]) error {
	msg := m.Body
	var outcome string
	var err error
	switch msg.Event.Kind {
	case domain.PaymentSucceeded, domain.PaymentFailed:
		var res links.Applied
		res, err = links.ApplyPayment(ctx, a.Store, msg.Merchant, msg.Provider, msg.Event, a.Now())
		outcome = string(res)
	case domain.CheckoutExpired:
		err = a.Store.ClearCheckout(ctx, msg.Merchant, msg.Event.LinkID, msg.Event.CheckoutURL)
		outcome = "checkout_cleared"
	case domain.RefundSucceeded, domain.RefundFailed:
		if a.Refunds == nil {
			return fmt.Errorf("refund event %s: no refund handler", msg.Event.ID)
		}
		outcome, err = a.Refunds(ctx, msg)
	default:
		outcome = "ignored"
	}
	attrs := []slog.Attr{slog.String("merchant", msg.Merchant), slog.String("link_id", msg.Event.LinkID),
		slog.String("psp", msg.Provider), slog.String("psp_event", msg.Event.ID), slog.String("kind", string(msg.Event.Kind)),
		slog.String("outcome", outcome)}
	if err != nil {
		a.Log.LogAttrs(ctx, slog.LevelWarn, "psp event", append(attrs, slog.String("error", err.Error()))...)
		return err
	}
	a.Log.LogAttrs(ctx, slog.LevelInfo, "psp event", attrs...)
	return nil
}
