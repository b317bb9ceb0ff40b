// Package channel sends links to customers: e-mail (Amazon SES v2), SMS
// (Amazon SNS) and WhatsApp (AWS End User Messaging Social) behind one port,
// with localized templates, and an outbox that keeps what would be sent for
// `make dev`.
package channel

import (
	"context"
	"errors"
	"fmt"
)

// Channels.
const (
	Email    = "email"
	SMS      = "sms"
	WhatsApp = "whatsapp"
)

// Valid reports a known channel.
func Valid(c string) bool { return c == Email || c == SMS || c == WhatsApp }

// Message is one rendered message to one recipient.
type Message struct {
	Channel  string `json:"channel"`
	To       string `json:"to"`
	Subject  string `json:"subject,omitempty"`
	Text     string `json:"text"`
	HTML     string `json:"html,omitempty"`
	Lang     string `json:"lang"`
	Merchant string `json:"merchant"`
	LinkID   string `json:"link_id"`
	Kind     string `json:"kind"` // link or reminder
}

// Errors a sender returns.
var (
	// ErrPermanent: the message can never be delivered (invalid address,
	// opted out). Recorded, not retried.
	ErrPermanent = errors.New("permanent delivery failure")
	// ErrTransient: throttling or a provider hiccup. Retried by the queue.
	ErrTransient = errors.New("transient delivery failure")
)

// Sender delivers messages on one or more channels.
type Sender interface {
	Send(ctx context.Context, m Message) (providerID string, err error)
}

// Registry picks a sender per channel.
type Registry map[string]Sender

// Send routes a message.
func (r Registry) Send(ctx context.Context, m Message) (string, error) {
	s, ok := r[m.Channel]
	if !ok {
		return "", fmt.Errorf("%w: no sender for channel %q", ErrPermanent, m.Channel)
	}
	return s.Send(ctx, m)
}
