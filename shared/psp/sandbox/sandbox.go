// Package sandbox is paylinks' built-in PSP for development, tests and
// demos: a hosted checkout page with Pay and Decline that reports back with
// signed webhooks, like a real PSP.
package sandbox

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/merchant"
	"github.com/paylinks/paylinks/shared/psp"
)

// Name of the provider.
const Name = "sandbox"

// Provider is the sandbox PSP. Its checkout session ids are signed tokens
// naming the merchant, link and attempt, so a session needs no storage and
// the same attempt always yields the same session (idempotent by design).
type Provider struct {
	BaseURL string // where the sandbox pages are served, e.g. http://127.0.0.1:8080
	Secret  []byte // signs session tokens
	// WebhookURL is paylinks' public base the webhooks go to (BaseURL when
	// empty).
	WebhookURL string
	// Sync sends webhooks before answering the customer (in Lambda, where
	// nothing runs after the answer); otherwise they go in the background.
	Sync bool
	HTTP *http.Client
	out  outbox
}

// Name implements psp.Provider.
func (p *Provider) Name() string { return Name }

// CheckoutHosts implements psp.Provider.
func (p *Provider) CheckoutHosts() []string {
	u, err := url.Parse(p.BaseURL)
	if err != nil {
		return nil
	}
	return []string{u.Host}
}

// ErrLive is a live merchant reaching the sandbox: test money never pays a
// live link, whatever the merchant's settings say.
var ErrLive = errors.New("the sandbox serves test-mode merchants only")

// TestOnly implements psp.TestOnly: the sandbox moves no money.
func (p *Provider) TestOnly() bool { return true }

// TestMode refuses live merchants.
func TestMode(m *merchant.Merchant) error {
	if m == nil || m.Live {
		return ErrLive
	}
	return nil
}

// CreateCheckout implements psp.Provider.
func (p *Provider) CreateCheckout(_ context.Context, m *merchant.Merchant, l *domain.Link, _ string) (psp.Checkout, error) {
	if err := TestMode(m); err != nil {
		return psp.Checkout{}, err
	}
	if len(p.Secret) == 0 {
		return psp.Checkout{}, errors.New("sandbox: no session secret configured")
	}
	s := Session{Merchant: l.Merchant, LinkID: l.ID, Attempt: l.Attempt}
	tok := p.Token(s)
	return psp.Checkout{ID: tok, URL: strings.TrimRight(p.BaseURL, "/") + "/sandbox/checkout/" + tok, ExpiresAt: l.ExpiresAt, Persist: false}, nil
}

// Session is what a sandbox checkout session names.
type Session struct {
	Merchant string
	LinkID   string
	Attempt  int
}

// ErrBadSession is a token that is not one of ours.
var ErrBadSession = errors.New("unknown sandbox session")

// Token encodes and signs a session: cs_<payload>.<mac>.
func (p *Provider) Token(s Session) string {
	payload := base64.RawURLEncoding.EncodeToString([]byte(s.Merchant + "|" + s.LinkID + "|" + strconv.Itoa(s.Attempt)))
	return "cs_" + payload + "." + p.mac(payload)
}

func (p *Provider) mac(payload string) string {
	h := hmac.New(sha256.New, p.Secret)
	h.Write([]byte("sandbox-session|" + payload))
	return base64.RawURLEncoding.EncodeToString(h.Sum(nil))[:22]
}

// ParseToken verifies a session token.
func (p *Provider) ParseToken(tok string) (Session, error) {
	rest, ok := strings.CutPrefix(tok, "cs_")
	if !ok || len(tok) > 512 || len(p.Secret) == 0 {
		return Session{}, ErrBadSession
	}
	payload, mac, ok := strings.Cut(rest, ".")
	if !ok || subtle.ConstantTimeCompare([]byte(mac), []byte(p.mac(payload))) != 1 {
		return Session{}, ErrBadSession
	}
	raw, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil {
		return Session{}, ErrBadSession
	}
	parts := strings.Split(string(raw), "|")
	if len(parts) != 3 {
		return Session{}, ErrBadSession
	}
	n, err := strconv.Atoi(parts[2])
	if err != nil {
		return Session{}, fmt.Errorf("%w: attempt", ErrBadSession)
	}
	return Session{Merchant: parts[0], LinkID: parts[1], Attempt: n}, nil
}

var _ psp.Provider = (*Provider)(nil)
