// The t=,v1= HMAC-SHA256 webhook signature: Stripe documents it, the
// sandbox signs its own webhooks with it.

package psp

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// SignatureTolerance is how old a signed timestamp may be (Stripe's default).
const SignatureTolerance = 300 * time.Second

// SignatureHeader is parsed `t=<unix>,v1=<hex>,v1=<hex>,...`.
type SignatureHeader struct {
	Timestamp int64
	V1        [][]byte
}

// ParseSignatureHeader reads a Stripe-Signature header. Unknown schemes
// (v0, ...) are skipped as Stripe documents; at least one v1 is required.
func ParseSignatureHeader(h string) (SignatureHeader, error) {
	var out SignatureHeader
	if len(h) > 4096 {
		return out, fmt.Errorf("%w: header too long", ErrSignature)
	}
	seenT := false
	for _, part := range strings.Split(h, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return out, fmt.Errorf("%w: malformed element %q", ErrSignature, part)
		}
		switch k {
		case "t":
			ts, err := strconv.ParseInt(v, 10, 64)
			if err != nil || seenT || ts <= 0 {
				return out, fmt.Errorf("%w: bad timestamp", ErrSignature)
			}
			out.Timestamp, seenT = ts, true
		case "v1":
			b, err := hex.DecodeString(v)
			if err != nil || len(b) != sha256.Size {
				continue // a malformed signature can match nothing
			}
			if len(out.V1) < 8 {
				out.V1 = append(out.V1, b)
			}
		}
	}
	if !seenT || len(out.V1) == 0 {
		return out, fmt.Errorf("%w: needs t= and v1=", ErrSignature)
	}
	return out, nil
}

// Sign computes the v1 signature of body at t with secret.
func Sign(secret string, t int64, body []byte) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(strconv.FormatInt(t, 10)))
	m.Write([]byte("."))
	m.Write(body)
	return m.Sum(nil)
}

// SignedHeader builds a header value for body (the sandbox sends these).
func SignedHeader(secret string, t time.Time, body []byte) string {
	ts := t.Unix()
	return "t=" + strconv.FormatInt(ts, 10) + ",v1=" + hex.EncodeToString(Sign(secret, ts, body))
}

// VerifySignature checks the header against body with any of the secrets (several
// during rotation, several v1 too) in constant time, and the timestamp
// within the tolerance of now.
func VerifySignature(header string, body []byte, secrets []string, now time.Time) error {
	h, err := ParseSignatureHeader(header)
	if err != nil {
		return err
	}
	ok := false
	for _, s := range secrets {
		if s == "" {
			continue
		}
		want := Sign(s, h.Timestamp, body)
		for _, got := range h.V1 {
			if hmac.Equal(want, got) {
				ok = true
			}
		}
	}
	if !ok {
		return fmt.Errorf("%w: no v1 signature matches", ErrSignature)
	}
	age := now.Sub(time.Unix(h.Timestamp, 0))
	if age > SignatureTolerance || age < -SignatureTolerance {
		return fmt.Errorf("%w: timestamp outside the %s tolerance", ErrSignature, SignatureTolerance)
	}
	return nil
}
