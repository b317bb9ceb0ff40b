package outbound

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/paylinks/paylinks/shared/merchant"
	"github.com/paylinks/paylinks/shared/queue"
	"github.com/paylinks/paylinks/shared/store"
)

// Schedule is the wait after each failed attempt: doubling from 5 seconds
// to SQS's 12-hour visibility ceiling, 14 attempts over 75.6 hours (more
// than 3 days), then the DLQ.
var Schedule = []time.Duration{
	5 * time.Second, time.Minute, 5 * time.Minute, 30 * time.Minute, time.Hour, 2 * time.Hour, 4 * time.Hour, 8 * time.Hour,
	12 * time.Hour, 12 * time.Hour, 12 * time.Hour, 12 * time.Hour, 12 * time.Hour,
}

// RetryQueue is what the worker needs of its queue.
type RetryQueue interface {
	queue.Enqueuer
	Postpone(ctx context.Context, receipt string, d time.Duration) error
	DeadLetter(ctx context.Context, v any) error
}

// DeliveryStore is what the delivery worker needs of the table: a
// delivery's generation claimed for one attempt, the attempt recorded with
// the delivery's new status, and the merchant's endpoint turned off when it
// answers 410 Gone. *store.Store is one.
type DeliveryStore interface {
	ClaimDelivery(ctx context.Context, merchant, id string, gen int, carrier string, now time.Time, lease time.Duration) (*store.Delivery, error)
	RecordAttempt(ctx context.Context, d *store.Delivery, a store.Attempt, status string, next time.Time, now time.Time) error
	DisableWebhook(ctx context.Context, merchantID, reason string, now time.Time) error
}

// Deliverer is the delivery worker (the webhooks queue's consumer).
type Deliverer struct {
	Store     DeliveryStore
	Merchants func(ctx context.Context, id string) (*merchant.Merchant, error)
	Queue     RetryQueue
	Client    *http.Client
	Schedule  []time.Duration
	Lease     time.Duration // longer than one attempt
	Log       *slog.Logger
	Now       func() time.Time
}

// errLater leaves a message on the queue for its next attempt.
var errLater = errors.New("webhook attempt failed; retried later")

// UserAgent identifies paylinks' webhook requests.
const UserAgent = "paylinks-webhooks/1"

// Handle makes one attempt of a delivery. The message's id is the carrier
// of its generation: duplicates of the message, or of the stream record
// that made it, find another carrier or a finished delivery and do nothing.
func (w *Deliverer) Handle(ctx context.Context, msg events.SQSMessage) error {
	return queue.Typed(w.Process)(ctx, msg)
}

// Validate refuses a delivery message that names no delivery.
func (m *Message) Validate() error {
	if m.DeliveryID == "" || m.Merchant == "" {
		return errors.New("a webhook message names a merchant and a delivery")
	}
	return nil
}

// Process makes one attempt of a decoded delivery.
func (w *Deliverer) Process(ctx context.Context, msg queue.Message[Message]) error {
	m := msg.Body
	now := w.Now()
	d, err := w.Store.ClaimDelivery(ctx, m.Merchant, m.DeliveryID, m.Gen, msg.ID, now, w.Lease)
	switch {
	case errors.Is(err, store.ErrDeliveryStale):
		w.Log.LogAttrs(ctx, slog.LevelInfo, "webhook message dropped", slog.String("merchant", m.Merchant),
			slog.String("delivery_id", m.DeliveryID), slog.String("outcome", "stale"))
		return nil
	case errors.Is(err, store.ErrDeliveryBusy):
		if perr := w.Queue.Postpone(ctx, msg.Receipt, w.Lease); perr != nil {
			return perr
		}
		return errLater
	case err != nil:
		return err
	}
	a, code := w.attempt(ctx, d, now)
	status, next, outcome := store.DeliverySucceeded, time.Time{}, "delivered"
	switch {
	case code >= 200 && code < 300:
	case code == http.StatusGone:
		status, outcome = store.DeliveryFailed, "endpoint_gone"
		if err := w.Store.DisableWebhook(ctx, m.Merchant, "endpoint answered 410 Gone to "+d.ID, now); err != nil {
			return err
		}
	case code == -1:
		status, outcome = store.DeliveryFailed, "endpoint_disabled"
	case d.GenAttempts > len(w.Schedule):
		status, outcome = store.DeliveryFailed, "gave_up"
	default:
		status, outcome = store.DeliveryPending, "retry"
		next = now.Add(w.Schedule[d.GenAttempts-1])
	}
	if err := w.Store.RecordAttempt(ctx, d, a, status, next, w.Now()); err != nil {
		if errors.Is(err, store.ErrDeliveryStale) {
			return nil // retried by hand meanwhile: that generation carries on
		}
		return err
	}
	w.Log.LogAttrs(ctx, slog.LevelInfo, "webhook attempt", slog.String("merchant", d.Merchant), slog.String("link_id", d.LinkID),
		slog.String("delivery_id", d.ID), slog.String("event", d.EventType), slog.Int("attempt", d.GenAttempts),
		slog.Int("status_code", a.StatusCode), slog.String("outcome", outcome))
	switch outcome {
	case "retry":
		if err := w.Queue.Postpone(ctx, msg.Receipt, next.Sub(now)); err != nil {
			return err
		}
		return errLater
	case "gave_up":
		return w.Queue.DeadLetter(ctx, m)
	}
	return nil
}

// attempt POSTs the delivery once; code is the answer's status, 0 when
// there was none, -1 when the endpoint is off. The attempt's text, which
// the merchant reads, is a category only (failureCategory); the error
// itself goes to the log, for operators.
func (w *Deliverer) attempt(ctx context.Context, d *store.Delivery, now time.Time) (store.Attempt, int) {
	a := store.Attempt{At: now.UTC().Format(time.RFC3339)}
	m, err := w.Merchants(ctx, d.Merchant)
	if err != nil {
		a.Error = "merchant unavailable"
		w.logFailure(ctx, d, a.Error, err)
		return a, 0
	}
	if !m.WebhookEnabled() {
		a.Error = "webhook endpoint disabled or removed"
		return a, -1
	}
	ts := now.Unix()
	body := []byte(d.Body)
	sig, err := SignatureHeader(m.SigningSecrets(now), d.ID, ts, body)
	if err != nil {
		a.Error = "signing failed"
		w.logFailure(ctx, d, a.Error, err)
		return a, 0
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, m.WebhookURL, bytes.NewReader(body))
	if err != nil {
		a.Error = "invalid endpoint URL"
		w.logFailure(ctx, d, a.Error, err)
		return a, 0
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", UserAgent)
	req.Header.Set("webhook-id", d.ID)
	req.Header.Set("webhook-timestamp", strconv.FormatInt(ts, 10))
	req.Header.Set("webhook-signature", sig)
	start := time.Now()
	resp, err := w.Client.Do(req)
	a.DurationMS = time.Since(start).Milliseconds()
	if err != nil {
		a.Error = failureCategory(err)
		w.logFailure(ctx, d, a.Error, err)
		return a, 0
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
	a.StatusCode = resp.StatusCode
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		a.Error = "HTTP " + strconv.Itoa(resp.StatusCode)
	}
	return a, resp.StatusCode
}

// logFailure logs a failed attempt's error for operators. A *url.Error is
// unwrapped first: its text holds the endpoint URL, whose query may carry
// the merchant's token.
func (w *Deliverer) logFailure(ctx context.Context, d *store.Delivery, category string, err error) {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	w.Log.LogAttrs(ctx, slog.LevelWarn, "webhook attempt failed", slog.String("merchant", d.Merchant),
		slog.String("delivery_id", d.ID), slog.String("category", category), slog.String("error", err.Error()))
}

// The categories a failed request is recorded as; "HTTP <status>" for an
// answer outside 2xx.
const (
	FailRefusedAddress = "refused address"
	FailDNS            = "DNS"
	FailTimeout        = "timeout"
	FailTLS            = "TLS"
	FailRefused        = "connection refused"
	FailReset          = "connection reset"
	FailUnreachable    = "network unreachable"
	FailClosed         = "connection closed"
	FailCanceled       = "canceled"
	FailConnection     = "connection failed"
)

// failureCategory is what a failed request is recorded as: never its
// text, which names addresses, ports and the resolver (a port-probe
// oracle for whoever sets the endpoint).
func failureCategory(err error) string {
	var dnsErr *net.DNSError
	switch {
	case errors.Is(err, ErrForbiddenTarget):
		return FailRefusedAddress
	case errors.As(err, &dnsErr):
		return FailDNS
	case tlsFailure(err):
		return FailTLS
	}
	return networkCategory(err)
}

// networkCategory sorts the failures of the connection itself.
func networkCategory(err error) string {
	var ne net.Error
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return FailRefused
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return FailTimeout
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE), errors.Is(err, syscall.ECONNABORTED):
		return FailReset
	case errors.Is(err, syscall.ENETUNREACH), errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.EADDRNOTAVAIL):
		return FailUnreachable
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), strings.Contains(err.Error(), "server closed idle connection"):
		return FailClosed // the last: net/http's own error, made with errors.New
	case errors.Is(err, context.Canceled):
		return FailCanceled
	}
	return FailConnection
}

// tlsFailure is a failed TLS handshake: certificate, alert, protocol, or
// an endpoint that answered https in plain http.
func tlsFailure(err error) bool {
	var (
		rec   tls.RecordHeaderError
		alert tls.AlertError
		cert  *tls.CertificateVerificationError
		ech   *tls.ECHRejectionError
		auth  x509.UnknownAuthorityError
		host  x509.HostnameError
		inval x509.CertificateInvalidError
	)
	if errors.As(err, &rec) || errors.As(err, &alert) || errors.As(err, &cert) || errors.As(err, &ech) ||
		errors.As(err, &auth) || errors.As(err, &host) || errors.As(err, &inval) {
		return true
	}
	// crypto/tls makes most of its errors with errors.New("tls: ..."), and
	// net/http turns a plain-http answer to a handshake into a new error.
	text := err.Error()
	return strings.Contains(text, "tls: ") || strings.Contains(text, "server gave HTTP response to HTTPS client")
}
