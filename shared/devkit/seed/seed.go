// Package seed makes the demo merchant that `make dev` and the tests use.
package seed

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"github.com/paylinks/paylinks/shared/admin"
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
			return "", fmt.Errorf("API key is not well-formed (prefix, 32 characters, checksum); for instance %s", merchant.Suggest(secret))
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

// MerchantOnce makes the merchant m.ID through the operators' code
// (shared/admin: the register, the sandbox) when it does not exist yet,
// then gives it m's settings as the merchant would set them; an existing
// merchant keeps its settings (changed since through the API). The key
// secret is issued when the merchant lacks it. It reports whether m was
// created.
func MerchantOnce(ctx context.Context, st *store.Store, m *merchant.Merchant, secret string) (bool, error) {
	if !merchant.WellFormed(secret) {
		return false, fmt.Errorf("API key is not well-formed (prefix, 32 characters, checksum); for instance %s", merchant.Suggest(secret))
	}
	ops := &admin.Admin{Store: st, Sandbox: m.PSP == "sandbox", Now: time.Now}
	created := false
	_, err := ops.CreateMerchant(ctx, m.ID, m.Name, map[bool]string{true: "live", false: "test"}[m.Live])
	switch {
	case err == nil:
		created = true
		settings := *m
		settings.Version = 2 // over the operator's version 1
		if err := st.UpdateMerchant(ctx, &settings); err != nil {
			return false, fmt.Errorf("settings of %s: %w", m.ID, err)
		}
	case !errors.Is(err, domain.ErrConflict):
		return false, fmt.Errorf("create merchant %s: %w", m.ID, err)
	}
	owner, err := st.LookupKey(ctx, secret)
	switch {
	case err == nil && owner.Merchant == m.ID:
		return created, nil
	case err == nil:
		return false, fmt.Errorf("API key ending %s belongs to another merchant", secret[len(secret)-4:])
	case !errors.Is(err, domain.ErrNotFound):
		return false, err
	}
	if _, err := ops.IssueKey(ctx, m.ID, secret); err != nil {
		return false, err
	}
	return created, nil
}
