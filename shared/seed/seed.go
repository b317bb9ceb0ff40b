// Package seed makes the demo merchant that `make dev` and the tests use.
package seed

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"time"

	"github.com/paylinks/paylinks/shared/merchant"
	"github.com/paylinks/paylinks/shared/store"
)

// Demo returns the demo merchant's settings (sandbox PSP).
func Demo(id string) *merchant.Merchant {
	return &merchant.Merchant{
		ID: id, Name: "Demo Shop", PSP: "sandbox",
		PaymentMethods:   []string{"card", "ideal", "bancontact", "sepa_transfer"},
		RedirectDomains:  []string{"shop.example"},
		PSPWebhookSecret: "whsec_sandbox_" + id,
		WebhookSecrets:   []string{DemoWebhookSecret(id)},
	}
}

// DemoWebhookSecret is the demo merchant's outbound webhook secret, derived
// from its id (dev and tests only): whsec_ and 32 bytes in base64.
func DemoWebhookSecret(id string) string {
	sum := sha256.Sum256([]byte("paylinks demo outbound webhooks " + id))
	return "whsec_" + base64.StdEncoding.EncodeToString(sum[:])
}

// Merchant writes m and an API key for it; when secret is empty a new key is
// made. It returns the secret.
func Merchant(ctx context.Context, st *store.Store, m *merchant.Merchant, secret string) (string, error) {
	if err := st.PutMerchant(ctx, m); err != nil {
		return "", err
	}
	var k merchant.Key
	if secret == "" {
		var err error
		if secret, k, err = merchant.NewKey(m.ID, m.Live); err != nil {
			return "", err
		}
	} else {
		if !merchant.WellFormed(secret) {
			return "", fmt.Errorf("API key must start with sk_test_ or sk_live_")
		}
		k = merchant.KeyFor(m.ID, secret)
	}
	if k.Created == "" {
		k.Created = time.Now().UTC().Format(time.RFC3339)
	}
	if err := st.PutKey(ctx, k); err != nil {
		return "", err
	}
	return secret, nil
}
