// Package send delivers payment links to customers through the channel
// port: the API and the sweep enqueue, the worker (SQS) checks the link
// again, renders the localized message, sends it once and writes the
// outcome on the link's timeline.
package send

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/paylinks/paylinks/shared/bank/reference"
	"github.com/paylinks/paylinks/shared/brand"
	"github.com/paylinks/paylinks/shared/channel"
	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/merchant"
	"github.com/paylinks/paylinks/shared/queue"
	"github.com/paylinks/paylinks/shared/store"
)

// Message asks the worker to deliver a link once; (link, channel, send id)
// is the idempotency key.
type Message struct {
	Merchant string `json:"merchant"`
	LinkID   string `json:"link_id"`
	Channel  string `json:"channel"`
	SendID   string `json:"send_id"`
	Kind     string `json:"kind"` // link or reminder
}

// Store is what sending needs of the table: the link as it is now, a
// send's claim (each send id delivered once), its outcome with its
// timeline event or its claim given back, and the timeline entry of a
// queued send. *store.Store is one.
type Store interface {
	Get(ctx context.Context, merchant, id string) (*domain.Link, error)
	AddEvent(ctx context.Context, merchant string, ev domain.Event) error
	ClaimSend(ctx context.Context, merchant, linkID, sendID string, now time.Time, lease time.Duration) (done bool, err error)
	FinishSend(ctx context.Context, merchant, linkID, sendID, outcome string, ev domain.Event) error
	ReleaseSend(ctx context.Context, merchant, linkID, sendID string) error
}

// Service enqueues and delivers.
type Service struct {
	Store         Store
	Queue         queue.Enqueuer
	Channels      channel.Registry
	Merchants     func(ctx context.Context, id string) (*merchant.Merchant, error)
	PublicBaseURL string
	Log           *slog.Logger
	Now           func() time.Time
}

const lease = 60 * time.Second

// Sendable reports whether a link may be sent now.
func Sendable(l *domain.Link, now time.Time) error {
	if l.Archived || !l.Status.Open() || l.ExpiredAt(now) {
		return domain.ErrNotSendable
	}
	return nil
}

// Enqueue checks the link and queues one delivery; it returns the send id.
func (s *Service) Enqueue(ctx context.Context, l *domain.Link, ch, kind, sendID string) (string, error) {
	if err := Sendable(l, s.Now()); err != nil {
		return "", err
	}
	if l.Customer.Address(ch) == "" {
		return "", domain.ErrNoAddress
	}
	if sendID == "" {
		sendID = domain.NewID("snd_", s.Now())
	}
	if err := s.Queue.Send(ctx, Message{Merchant: l.Merchant, LinkID: l.ID, Channel: ch, SendID: sendID, Kind: kind}, 0); err != nil {
		return "", err
	}
	// The message is on its way: its timeline entry is best effort (the
	// worker's message.sent follows), never a reason to answer an error
	// that would make the caller send it again.
	ev := domain.NewEvent(l.ID, "message.queued", "", "", s.Now(), map[string]string{"channel": ch, "send_id": sendID, "kind": kind})
	if err := s.Store.AddEvent(ctx, l.Merchant, ev); err != nil {
		s.Log.LogAttrs(ctx, slog.LevelWarn, "send queued, timeline entry lost", slog.String("merchant", l.Merchant),
			slog.String("link_id", l.ID), slog.String("send_id", sendID), slog.String("error", err.Error()))
	}
	return sendID, nil
}

// The created event's data keys of a send asked for at creation.
const (
	RequestedChannel = domain.EventSendChannel
	RequestedID      = domain.EventSendID
)

// Requested queues the send a link's created event asked for (the table
// stream's hand-off); the worker sends each send id once, so the API's own
// attempt and this one make one message.
func (s *Service) Requested(ctx context.Context, l *domain.Link, data map[string]string) error {
	ch, id := data[RequestedChannel], data[RequestedID]
	if ch == "" || id == "" {
		return nil
	}
	if err := s.Queue.Send(ctx, Message{Merchant: l.Merchant, LinkID: l.ID, Channel: ch, SendID: id, Kind: "link"}, 0); err != nil {
		return fmt.Errorf("queue requested send %s: %w", id, err)
	}
	return nil
}

// Remind is the sweep's hand-off of a due reminder.
func (s *Service) Remind(ctx context.Context, d store.Due) error {
	return s.Queue.Send(ctx, Message{Merchant: d.Merchant, LinkID: d.ID, Channel: d.Channel, SendID: "reminder", Kind: "reminder"}, 0)
}

// Handle is the send queue's consumer.
func (s *Service) Handle(ctx context.Context, m events.SQSMessage) error {
	return queue.Typed(s.Process)(ctx, m)
}

// Validate refuses a send message that names no link or send.
func (m *Message) Validate() error {
	if m.LinkID == "" || m.SendID == "" || m.Merchant == "" {
		return errors.New("a send message names a merchant, a link and a send id")
	}
	return nil
}

// Process delivers one decoded send.
func (s *Service) Process(ctx context.Context, m queue.Message[Message]) error {
	msg := m.Body
	outcome, err := s.deliver(ctx, msg)
	attrs := []slog.Attr{slog.String("merchant", msg.Merchant), slog.String("link_id", msg.LinkID), slog.String("channel", msg.Channel),
		slog.String("send_id", msg.SendID), slog.String("kind", msg.Kind), slog.String("outcome", outcome)}
	if err != nil {
		s.Log.LogAttrs(ctx, slog.LevelWarn, "send", append(attrs, slog.String("error", err.Error()))...)
		return err
	}
	s.Log.LogAttrs(ctx, slog.LevelInfo, "send", attrs...)
	return nil
}

func (s *Service) deliver(ctx context.Context, msg Message) (string, error) {
	done, err := s.Store.ClaimSend(ctx, msg.Merchant, msg.LinkID, msg.SendID, s.Now(), lease)
	if err != nil {
		return "busy", err
	}
	if done {
		return "duplicate", nil
	}
	finish := func(outcome, typ string, data map[string]string) (string, error) {
		if data == nil {
			data = map[string]string{}
		}
		data["channel"], data["send_id"], data["kind"] = msg.Channel, msg.SendID, msg.Kind
		ev := domain.NewEvent(msg.LinkID, typ, "", "", s.Now(), data)
		return outcome, s.Store.FinishSend(ctx, msg.Merchant, msg.LinkID, msg.SendID, outcome, ev)
	}
	l, err := s.Store.Get(ctx, msg.Merchant, msg.LinkID)
	if errors.Is(err, domain.ErrNotFound) {
		_ = s.Store.ReleaseSend(ctx, msg.Merchant, msg.LinkID, msg.SendID)
		return "unknown_link", nil // deleted: nothing to send
	}
	if err != nil {
		_ = s.Store.ReleaseSend(ctx, msg.Merchant, msg.LinkID, msg.SendID)
		return "error", err
	}
	// Checked again now, not only when enqueued.
	if err := Sendable(l, s.Now()); err != nil {
		return finish("skipped", "message.skipped", map[string]string{"reason": string(l.Status)})
	}
	to := l.Customer.Address(msg.Channel)
	if to == "" {
		return finish("failed", "message.failed", map[string]string{"reason": "no_address"})
	}
	m, err := s.Merchants(ctx, msg.Merchant)
	if err != nil {
		_ = s.Store.ReleaseSend(ctx, msg.Merchant, msg.LinkID, msg.SendID)
		return "error", err
	}
	rendered, err := Render(l, m, s.PublicBaseURL, msg.Kind, msg.Channel)
	if err != nil {
		return finish("failed", "message.failed", map[string]string{"reason": "render"})
	}
	rendered.To, rendered.Merchant, rendered.LinkID = to, l.Merchant, l.ID
	id, err := s.Channels.Send(ctx, rendered)
	switch {
	case errors.Is(err, channel.ErrPermanent):
		return finish("failed", "message.failed", map[string]string{"reason": err.Error()})
	case err != nil:
		_ = s.Store.ReleaseSend(context.WithoutCancel(ctx), msg.Merchant, msg.LinkID, msg.SendID)
		return "retry", err // throttled or down: the queue retries, the DLQ catches the rest
	}
	typ := "message.sent"
	if msg.Kind == "reminder" {
		typ = "reminder.sent"
	}
	return finish("sent", typ, map[string]string{"provider_id": id})
}

// EnqueueSoon queues a send recorded with its link without waiting for the
// table's stream, which queues it again (the worker sends each send id
// once): at most a second, and never a reason to fail the creation. It
// returns why the send was deferred, or "".
func (s *Service) EnqueueSoon(ctx context.Context, l *domain.Link, channel, sendID string) string {
	qctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
	defer cancel()
	if _, err := s.Enqueue(qctx, l, channel, "link", sendID); err != nil {
		return err.Error()
	}
	return ""
}

// bankOf is how to pay l by bank transfer, as its e-mail shows it (nil
// when l offers none).
func bankOf(l *domain.Link) *channel.Bank {
	if !l.OffersBankTransfer() || l.Beneficiary == nil {
		return nil
	}
	printed, err := reference.Print(l.BankReference)
	if err != nil {
		printed = l.BankReference
	}
	return &channel.Bank{Beneficiary: l.Beneficiary.Name, IBAN: domain.PrintIBAN(l.Beneficiary.IBAN), BIC: l.Beneficiary.BIC, Reference: printed}
}

// Render is the message of kind (link or reminder) on channel ch that the
// link's customer gets, in the link's language, from merchant mc: what
// the worker sends and what the dashboard's preview shows before sending.
// The e-mail of a link that offers a bank transfer shows the transfer's
// beneficiary, IBAN, BIC and structured reference; that of a branded
// merchant its logo, accent colour and support contact.
func Render(l *domain.Link, mc *merchant.Merchant, publicBaseURL, kind, ch string) (channel.Message, error) {
	name := l.Customer.Name()
	if strings.TrimSpace(name) == "" {
		name = l.Customer.Email
	}
	m, err := channel.Render(kind, ch, l.Language, channel.Data{Name: name, Merchant: mc.Name, Amount: l.Amount.Display(l.Language),
		Description: l.Description, URL: publicBaseURL + "/l/" + l.Code, Expires: l.ExpiresAt, Bank: bankOf(l), Brand: brandOf(mc.Brand, l.Code, publicBaseURL)})
	if err != nil {
		return channel.Message{}, fmt.Errorf("render %s %s of %s: %w", kind, ch, l.ID, err)
	}
	m.To = l.Customer.Address(ch)
	return m, nil
}

// brandOf is what the e-mails of the link coded code show of brand b (nil
// when nothing is set): its logo as an absolute URL on the customer pages'
// host.
func brandOf(b *brand.Settings, code, publicBaseURL string) *channel.Brand {
	if b.Empty() {
		return nil
	}
	out := &channel.Brand{Accent: b.Accent(), SupportEmail: b.SupportEmail, SupportPhone: b.SupportPhone}
	if p := b.LogoPath(code); p != "" {
		out.LogoURL = publicBaseURL + p
	}
	return out
}
