// Package seed makes the demo merchant that `make dev` and the tests use.
package seed

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/merchant"
	"github.com/paylinks/paylinks/shared/store"
)

// Demo returns a test merchant's settings (sandbox PSP) with secrets derived
// from its id, which tests sign with. Tests only: `make dev` seeds DemoWith
// and the random secrets of its state directory.
func Demo(id string) *merchant.Merchant {
	return DemoWith(id, "whsec_sandbox_"+id, DemoWebhookSecret(id))
}

// DemoWith returns the demo merchant's settings (sandbox PSP) with the given
// PSP webhook secret and outbound webhook secret.
func DemoWith(id, pspWebhookSecret, webhookSecret string) *merchant.Merchant {
	return &merchant.Merchant{
		ID: id, Name: "Demo Shop", PSP: "sandbox",
		PaymentMethods:   []string{"card", "ideal", "bancontact", "sepa_transfer"},
		RedirectDomains:  []string{"shop.example"},
		PSPWebhookSecret: pspWebhookSecret,
		WebhookSecrets:   []string{webhookSecret},
	}
}

// DemoWebhookSecret is a test merchant's outbound webhook secret, derived
// from its id (tests only): whsec_ and 32 bytes in base64.
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

// MerchantOnce writes m and its key when the merchant does not exist yet; an
// existing merchant keeps its settings (changed since through the API) and
// gets the key added when it lacks it. It reports whether m was created.
func MerchantOnce(ctx context.Context, st *store.Store, m *merchant.Merchant, secret string) (bool, error) {
	if !merchant.WellFormed(secret) {
		return false, fmt.Errorf("API key must start with sk_test_ or sk_live_")
	}
	_, err := st.GetMerchant(ctx, m.ID)
	if errors.Is(err, domain.ErrNotFound) {
		_, err := Merchant(ctx, st, m, secret)
		return err == nil, err
	}
	if err != nil {
		return false, fmt.Errorf("read merchant %s: %w", m.ID, err)
	}
	owner, err := st.LookupKey(ctx, secret)
	switch {
	case err == nil && owner == m.ID:
		return false, nil
	case err == nil:
		return false, fmt.Errorf("API key ending %s belongs to another merchant", secret[len(secret)-4:])
	case !errors.Is(err, domain.ErrNotFound):
		return false, err
	}
	k := merchant.KeyFor(m.ID, secret)
	k.Created = time.Now().UTC().Format(time.RFC3339)
	if err := st.PutKey(ctx, k); err != nil {
		return false, err
	}
	return false, nil
}
