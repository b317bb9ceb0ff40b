package paylinks

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/paylinks/paylinks/clients/go/api"
)

// WebhookTolerance is how far a webhook's webhook-timestamp may be from now
// (either way) for VerifyWebhook to accept it: older ones may be replays.
const WebhookTolerance = 5 * time.Minute

// The errors of VerifyWebhook (wrapped: use errors.Is).
var (
	// ErrWebhookSecret: the secret is not whsec_ and 24 to 64 bytes in base64.
	ErrWebhookSecret = errors.New("webhook secret must be whsec_ followed by 24 to 64 bytes in base64")
	// ErrWebhookHeaders: webhook-id, webhook-timestamp or webhook-signature
	// is missing or malformed.
	ErrWebhookHeaders = errors.New("webhook headers missing or malformed")
	// ErrWebhookTimestamp: the timestamp is more than WebhookTolerance away.
	ErrWebhookTimestamp = errors.New("webhook timestamp outside the tolerance")
	// ErrWebhookSignature: no signature matches the secret.
	ErrWebhookSignature = errors.New("no webhook signature matches")
)

const secretPrefix = "whsec_"

func decodeSecret(secret string) ([]byte, error) {
	rest, ok := strings.CutPrefix(secret, secretPrefix)
	if !ok {
		return nil, ErrWebhookSecret
	}
	key, err := base64.StdEncoding.DecodeString(rest)
	if err != nil || len(key) < 24 || len(key) > 64 {
		return nil, ErrWebhookSecret
	}
	return key, nil
}

// NewWebhookSecret returns a random whsec_ secret (32 bytes).
func NewWebhookSecret() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return secretPrefix + base64.StdEncoding.EncodeToString(b[:])
}

func sign(key []byte, id string, ts int64, body []byte) []byte {
	m := hmac.New(sha256.New, key)
	fmt.Fprintf(m, "%s.%d.", id, ts)
	m.Write(body)
	return m.Sum(nil)
}

// SignWebhook returns the Standard Webhooks headers (webhook-id,
// webhook-timestamp, webhook-signature "v1,<base64 HMAC-SHA256 of
// id.timestamp.body>") of body sent at time at with secret.
func SignWebhook(secret, id string, at time.Time, body []byte) (http.Header, error) {
	key, err := decodeSecret(secret)
	if err != nil {
		return nil, err
	}
	ts := at.Unix()
	h := http.Header{}
	h.Set("webhook-id", id)
	h.Set("webhook-timestamp", strconv.FormatInt(ts, 10))
	h.Set("webhook-signature", "v1,"+base64.StdEncoding.EncodeToString(sign(key, id, ts, body)))
	return h, nil
}

// VerifyWebhook checks a webhook paylinks sent (Standard Webhooks): its
// webhook-timestamp is within WebhookTolerance of now, and one of the
// space-separated v1 signatures of webhook-signature is the HMAC-SHA256 of
// "webhook-id.webhook-timestamp.body" with secret (compared in constant
// time). It returns the event the body carries; deduplicate on webhook-id.
func VerifyWebhook(secret string, headers http.Header, body []byte, now time.Time) (*api.WebhookEvent, error) {
	key, err := decodeSecret(secret)
	if err != nil {
		return nil, err
	}
	// Every line of webhook-signature (a proxy may split the header).
	id, tsText, sigs := headers.Get("webhook-id"), headers.Get("webhook-timestamp"), strings.Join(headers.Values("webhook-signature"), " ")
	if id == "" || tsText == "" || strings.TrimSpace(sigs) == "" {
		return nil, fmt.Errorf("%w: webhook-id, webhook-timestamp and webhook-signature are needed", ErrWebhookHeaders)
	}
	ts, err := strconv.ParseInt(tsText, 10, 64)
	if err != nil || strings.TrimLeft(tsText, "0123456789") != "" {
		return nil, fmt.Errorf("%w: webhook-timestamp %q is not Unix seconds", ErrWebhookHeaders, tsText)
	}
	if d := now.Sub(time.Unix(ts, 0)); d > WebhookTolerance || d < -WebhookTolerance {
		return nil, fmt.Errorf("%w: %s from now", ErrWebhookTimestamp, d.Round(time.Second))
	}
	want := sign(key, id, ts, body)
	matched := false
	for _, s := range strings.Fields(sigs) {
		version, b64, ok := strings.Cut(s, ",")
		if !ok || version != "v1" {
			continue
		}
		got, err := base64.StdEncoding.DecodeString(b64)
		if err == nil && hmac.Equal(got, want) {
			matched = true
		}
	}
	if !matched {
		return nil, ErrWebhookSignature
	}
	var ev api.WebhookEvent
	if err := json.Unmarshal(body, &ev); err != nil {
		return nil, fmt.Errorf("paylinks: webhook %s: body: %w", id, err)
	}
	return &ev, nil
}
