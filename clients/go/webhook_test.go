package paylinks

import (
	"errors"
	"net/http"
	"strconv"
	"testing"
	"time"
)

// The Standard Webhooks specification's own example: the same secret, id,
// timestamp and body give the same signature.
func TestSignWebhookSpecExample(t *testing.T) {
	h, err := SignWebhook("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek",
		time.Unix(1614265330, 0), []byte(`{"test": 2432232314}`))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := h.Get("webhook-signature"), "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="; got != want {
		t.Errorf("signature %s, want %s", got, want)
	}
	if h.Get("webhook-timestamp") != "1614265330" || h.Get("webhook-id") != "msg_p5jXN8AQM9LWM0D4loKWxJek" {
		t.Errorf("headers %v", h)
	}
}

const body = `{"type":"payment_link.paid","timestamp":"2026-12-07T10:00:00Z","data":{"event_id":"ev_1","sequence":3,` +
	`"link":{"id":"pl_1","amount":{"currency":"EUR","value":"12.50"}}}}`

func TestVerifyWebhook(t *testing.T) {
	secret, other := NewWebhookSecret(), NewWebhookSecret()
	now := time.Unix(1_800_000_000, 0)
	h, err := SignWebhook(secret, "whd_1", now, []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	ev, err := VerifyWebhook(secret, h, []byte(body), now.Add(4*time.Minute))
	if err != nil {
		t.Fatalf("a good webhook: %v", err)
	}
	if ev.Type != "payment_link.paid" || ev.Data.Link.Id != "pl_1" || ev.Data.Link.Amount.Value != "12.50" || ev.Data.Sequence != 3 {
		t.Errorf("event %+v", ev)
	}
	// During a rotation the header holds two signatures: either secret verifies.
	ho, _ := SignWebhook(other, "whd_1", now, []byte(body))
	both := http.Header{}
	for k, v := range h {
		both[k] = v
	}
	both.Set("webhook-signature", "v2,zzz "+ho.Get("webhook-signature")+" "+h.Get("webhook-signature"))
	for _, s := range []string{secret, other} {
		if _, err := VerifyWebhook(s, both, []byte(body), now); err != nil {
			t.Errorf("two signatures, one of them with the secret: %v", err)
		}
	}

	bad := func(name string, secret string, h http.Header, b string, now time.Time, want error) {
		t.Helper()
		if _, err := VerifyWebhook(secret, h, []byte(b), now); !errors.Is(err, want) {
			t.Errorf("%s: %v, want %v", name, err, want)
		}
	}
	bad("tampered body", secret, h, body[:len(body)-2]+" }}", now, ErrWebhookSignature)
	bad("another secret", other, h, body, now, ErrWebhookSignature)
	bad("too old", secret, h, body, now.Add(5*time.Minute+time.Second), ErrWebhookTimestamp)
	bad("from the future", secret, h, body, now.Add(-5*time.Minute-time.Second), ErrWebhookTimestamp)
	bad("bad secret", "whsec_short", h, body, now, ErrWebhookSecret)
	bad("no prefix", secret[len("whsec_"):], h, body, now, ErrWebhookSecret)
	for _, k := range []string{"webhook-id", "webhook-timestamp", "webhook-signature"} {
		c := h.Clone()
		c.Del(k)
		bad("without "+k, secret, c, body, now, ErrWebhookHeaders)
	}
	c := h.Clone()
	c.Set("webhook-id", "whd_2")
	bad("another id", secret, c, body, now, ErrWebhookSignature)
	c = h.Clone()
	c.Set("webhook-timestamp", strconv.FormatInt(now.Unix()+1, 10))
	bad("another timestamp", secret, c, body, now, ErrWebhookSignature)
	c.Set("webhook-timestamp", "soon")
	bad("a timestamp not a number", secret, c, body, now, ErrWebhookHeaders)
	c = h.Clone()
	c.Set("webhook-signature", "v1,"+h.Get("webhook-signature")[3:10])
	bad("a truncated signature", secret, c, body, now, ErrWebhookSignature)
}

// The signatures of every webhook-signature line count (a proxy may split
// the header), and a timestamp is digits only, as the TypeScript client
// reads them; a signed body that is not JSON is an error.
func TestVerifyWebhookAsTheTypeScriptClient(t *testing.T) {
	secret, other := NewWebhookSecret(), NewWebhookSecret()
	now := time.Unix(1_800_000_000, 0)
	h, _ := SignWebhook(secret, "msg_1", now, []byte(body))
	ho, _ := SignWebhook(other, "msg_1", now, []byte(body))
	lines := h.Clone()
	lines["Webhook-Signature"] = []string{ho.Get("webhook-signature"), h.Get("webhook-signature")}
	if _, err := VerifyWebhook(secret, lines, []byte(body), now); err != nil {
		t.Errorf("the matching signature on the header's second line: %v", err)
	}
	plus := h.Clone()
	plus.Set("webhook-timestamp", "+"+h.Get("webhook-timestamp"))
	if _, err := VerifyWebhook(secret, plus, []byte(body), now); !errors.Is(err, ErrWebhookHeaders) {
		t.Errorf("a timestamp with a sign: %v, want %v", err, ErrWebhookHeaders)
	}
	hn, _ := SignWebhook(secret, "msg_1", now, []byte("not json"))
	if ev, err := VerifyWebhook(secret, hn, []byte("not json"), now); err == nil || ev != nil {
		t.Errorf("a signed body that is not JSON: %v %v", ev, err)
	}
}
