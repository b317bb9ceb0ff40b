// Package outbound sends paylinks' events to the integrator's webhook
// endpoint: the stream handler turns each change of a link into a delivery,
// the delivery worker POSTs it signed per Standard Webhooks
// (https://www.standardwebhooks.com), retried with growing delays for more
// than three days, never to a private address.
package outbound

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// SecretPrefix starts every endpoint secret; the rest is the key, base64.
const SecretPrefix = "whsec_"

// ErrBadSecret is a secret that is not whsec_ and 24 to 64 base64 bytes.
var ErrBadSecret = errors.New("webhook secret must be whsec_ followed by 24 to 64 bytes in base64")

// DecodeSecret returns the HMAC key of a whsec_ secret.
func DecodeSecret(secret string) ([]byte, error) {
	rest, ok := strings.CutPrefix(secret, SecretPrefix)
	if !ok {
		return nil, ErrBadSecret
	}
	key, err := base64.StdEncoding.DecodeString(rest)
	if err != nil || len(key) < 24 || len(key) > 64 {
		return nil, ErrBadSecret
	}
	return key, nil
}

// Sign is one signature: "v1," and the base64 HMAC-SHA256 of
// "<id>.<timestamp>.<body>".
func Sign(key []byte, id string, timestamp int64, body []byte) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(id))
	m.Write([]byte{'.'})
	m.Write([]byte(strconv.FormatInt(timestamp, 10)))
	m.Write([]byte{'.'})
	m.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// SignatureHeader signs with every secret (the new one and, during a
// rotation, the previous one), space-separated as the spec has it.
func SignatureHeader(secrets []string, id string, timestamp int64, body []byte) (string, error) {
	sigs := make([]string, 0, len(secrets))
	for _, s := range secrets {
		key, err := DecodeSecret(s)
		if err != nil {
			return "", fmt.Errorf("secret %d: %w", len(sigs), err)
		}
		sigs = append(sigs, Sign(key, id, timestamp, body))
	}
	if len(sigs) == 0 {
		return "", ErrBadSecret
	}
	return strings.Join(sigs, " "), nil
}
