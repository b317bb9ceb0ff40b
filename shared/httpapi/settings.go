package httpapi

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"time"

	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/merchant"
	"github.com/paylinks/paylinks/shared/outbound"
	"github.com/paylinks/paylinks/shared/problem"
	"github.com/paylinks/paylinks/shared/reqlog"
	"github.com/paylinks/paylinks/shared/validate"
)

// SettingsStore is what reading and changing a merchant's settings use.
type SettingsStore interface {
	GetMerchant(ctx context.Context, id string) (*merchant.Merchant, error)
	UpdateMerchant(ctx context.Context, m *merchant.Merchant) error
}

// KeyStore is what the API keys routes read and write (and what removing
// or demoting a member revokes).
type KeyStore interface {
	ListKeys(ctx context.Context, merchantID string) ([]merchant.Key, error)
	PutKey(ctx context.Context, k merchant.Key) error
	DeleteKey(ctx context.Context, merchantID, id string) error
}

// maxActiveKeys is how many full API keys a merchant may hold at once
// (rotation); restricted keys are not counted in it.
const maxActiveKeys = 2

// maxRestrictedKeys bounds a merchant's restricted keys, so that its key
// listing stays one small query.
const maxRestrictedKeys = 50

// maxKeyName is the longest key name, in characters.
const maxKeyName = 100

// SettingsView is what GET /v1/settings shows; secrets are write-only.
type SettingsView struct {
	Merchant           string              `json:"merchant"`
	Name               string              `json:"name"`
	Live               bool                `json:"live"`
	DefaultBeneficiary *domain.Beneficiary `json:"default_beneficiary"`
	RedirectDomains    []string            `json:"redirect_domains"`
	PaymentMethods     []string            `json:"payment_methods"`
	PSP                string              `json:"psp"`
	PSPCredentialsSet  []string            `json:"psp_credentials_set"`
	WebhookURL         *string             `json:"webhook_url"`
	WebhookSecretSet   bool                `json:"webhook_secret_set"`
	// WebhookDisabledAt is set when the endpoint answered 410 Gone.
	WebhookDisabledAt     *string `json:"webhook_disabled_at"`
	WebhookDisabledReason *string `json:"webhook_disabled_reason"`
	RequireMFA            bool    `json:"require_mfa"`
	// BankTransfer is the reference format in effect (the default when
	// none was set).
	BankTransfer domain.BankTransferSettings `json:"bank_transfer"`
	// TimeZone is the zone the merchant's days are in (IANA name; the
	// default when none was set).
	TimeZone string `json:"time_zone"`
}

func settingsView(m *merchant.Merchant) SettingsView {
	set := []string{}
	for k := range m.PSPCredentials {
		set = append(set, k)
	}
	sort.Strings(set)
	nz := func(s []string) []string {
		if s == nil {
			return []string{}
		}
		return s
	}
	return SettingsView{Merchant: m.ID, Name: m.Name, Live: m.Live, DefaultBeneficiary: m.DefaultBeneficiary,
		RedirectDomains: nz(m.RedirectDomains), PaymentMethods: nz(m.PaymentMethods), PSP: m.PSP,
		PSPCredentialsSet: set, WebhookURL: strp(m.WebhookURL), WebhookSecretSet: len(m.WebhookSecrets) > 0,
		WebhookDisabledAt: strp(m.WebhookDisabledAt), WebhookDisabledReason: strp(m.WebhookDisabledReason), RequireMFA: m.RequireMFA,
		BankTransfer: domain.BankTransferSettings{ReferenceFormat: string(m.ReferenceFormat())}, TimeZone: m.Zone()}
}

func (a *API) getSettings(w http.ResponseWriter, r *http.Request) error {
	m, err := a.Store.GetMerchant(r.Context(), merchantOf(r.Context()).ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, settingsView(m))
	return nil
}

type settingsRequest struct {
	Name               *string             `json:"name"`
	DefaultBeneficiary *domain.Beneficiary `json:"default_beneficiary"`
	RedirectDomains    []string            `json:"redirect_domains"`
	PaymentMethods     []string            `json:"payment_methods"`
	PSP                *string             `json:"psp"`
	PSPCredentials     map[string]string   `json:"psp_credentials"`
	WebhookURL         *string             `json:"webhook_url"`
	WebhookSecret      *string             `json:"webhook_secret"`
	// RequireMFA makes every member sign in with a TOTP code.
	RequireMFA *bool `json:"require_mfa"`
	// BankTransfer sets the format of the links' bank references.
	BankTransfer *domain.BankTransferSettings `json:"bank_transfer"`
	// TimeZone sets the zone of the merchant's days (IANA name).
	TimeZone *string `json:"time_zone"`
}

// putSettings replaces the settings it is given and keeps the others. A new
// webhook_secret keeps the previous one beside it for rotation.
func (a *API) putSettings(w http.ResponseWriter, r *http.Request) error {
	id := merchantOf(r.Context()).ID
	var req settingsRequest
	if err := readJSON(r, &req, false); err != nil {
		return err
	}
	cur, err := a.Store.GetMerchant(r.Context(), id)
	if err != nil {
		return err
	}
	if req.RequireMFA != nil && *req.RequireMFA != cur.RequireMFA {
		if err := domain.CanSetMFARequirement(principalOf(r.Context()).authority()); err != nil {
			return err
		}
	}
	in := domain.SettingsInput(req)
	b, errs := domain.CheckSettings(&in, &domain.SettingsRules{Live: cur.Live, PSPs: a.PSPNames, CheckWebhookURL: a.WebhookGuard.CheckURL,
		CheckWebhookSecret: func(s string) error { _, err := outbound.DecodeSecret(s); return err },
		WebhookURL:         cur.WebhookURL, HasWebhookSecret: len(cur.WebhookSecrets) > 0,
		PaymentMethods: cur.PaymentMethods, DefaultBeneficiary: cur.DefaultBeneficiary})
	if len(errs) > 0 {
		return errs
	}
	next, err := a.applySettings(cur, &in, b)
	if err != nil {
		return err
	}
	if err := a.Store.UpdateMerchant(r.Context(), next); err != nil {
		return err
	}
	a.merchants.Forget(id)
	a.Audit(r.Context(), "settings.updated", id, settingsView(cur), settingsView(next))
	reqlog.Set(r.Context(), "outcome", "settings_updated")
	writeJSON(w, http.StatusOK, settingsView(next))
	return nil
}

// applySettings is cur with the checked change in applied (b is the default
// beneficiary as CheckSettings kept it).
func (a *API) applySettings(cur *merchant.Merchant, in *domain.SettingsInput, b *domain.Beneficiary) (*merchant.Merchant, error) {
	next := *cur
	if in.Name != nil {
		next.Name = *in.Name
	}
	if b != nil {
		next.DefaultBeneficiary = b
	}
	if in.RedirectDomains != nil {
		next.RedirectDomains = in.RedirectDomains
	}
	if in.PaymentMethods != nil {
		next.PaymentMethods = in.PaymentMethods
	}
	if in.PSP != nil {
		next.PSP = *in.PSP
	}
	if in.PSPCredentials != nil {
		next.PSPCredentials = in.PSPCredentials
	}
	if in.WebhookURL != nil {
		next.WebhookURL = *in.WebhookURL
		// Setting the URL (again) turns an endpoint disabled by a 410 back on.
		next.WebhookDisabledAt, next.WebhookDisabledReason = "", ""
	}
	if in.WebhookSecret != nil {
		a.rotateSecret(&next, cur, *in.WebhookSecret)
	}
	if in.RequireMFA != nil {
		next.RequireMFA = *in.RequireMFA
	}
	if in.BankTransfer != nil {
		bt := *in.BankTransfer
		next.BankTransfer = &bt
	}
	if in.TimeZone != nil {
		next.TimeZone = *in.TimeZone
	}
	a.markWebhookSince(&next, cur)
	if live, known := a.PSPNames[next.PSP]; known && !live && next.PSPWebhookSecret == "" {
		// A test PSP (the sandbox) signs its webhooks with a secret of
		// the merchant's own, made here, never derived.
		sec, err := merchant.NewSecret("whsec_sb_")
		if err != nil {
			return nil, fmt.Errorf("sandbox webhook secret: %w", err)
		}
		next.PSPWebhookSecret = sec
	}
	next.Version = cur.Version + 1
	return &next, nil
}

// markWebhookSince records when an endpoint was set, changed or turned
// back on: it receives the events that happen from then on, never older
// ones the table's stream hands over late (outbound.Stream drops them).
func (a *API) markWebhookSince(next, cur *merchant.Merchant) {
	if next.WebhookEnabled() && (!cur.WebhookEnabled() || next.WebhookURL != cur.WebhookURL) {
		next.WebhookSince = a.Now().UTC().Format(time.RFC3339Nano)
	}
}

// rotateSecret sets the outbound webhook secret s: the previous one signs
// beside it for 24 hours (merchant.PreviousSecretWindow), then no more.
func (a *API) rotateSecret(next, cur *merchant.Merchant, s string) {
	next.WebhookSecrets = []string{s}
	if len(cur.WebhookSecrets) > 0 && cur.WebhookSecrets[0] != s {
		next.WebhookSecrets = append(next.WebhookSecrets, cur.WebhookSecrets[0])
		next.WebhookSecretRotatedAt = a.Now().UTC().Format(time.RFC3339)
	} else if len(cur.WebhookSecrets) > 1 {
		next.WebhookSecrets = append(next.WebhookSecrets, cur.WebhookSecrets[1])
	}
}

// KeyView shows an API key without its secret.
type KeyView struct {
	ID          string              `json:"id"`
	Name        string              `json:"name,omitempty"`
	Prefix      string              `json:"prefix"`
	Last4       string              `json:"last4"`
	CreatedAt   string              `json:"created_at"`
	Restricted  bool                `json:"restricted"`
	Permissions []domain.Permission `json:"permissions"`
	// LastUsedAt is when the key was last used (recorded at most once an
	// hour); null when never.
	LastUsedAt *string `json:"last_used_at"`
	// CreatedBy is who made the key (null for keys made before this was
	// recorded).
	CreatedBy *domain.Actor `json:"created_by"`
	Secret    string        `json:"secret,omitempty"`
	// SecretNote says why an answer has no secret: a replay of the
	// creation (the secret is shown once and never stored).
	SecretNote string `json:"secret_note,omitempty"`
}

func keyView(k merchant.Key) KeyView {
	v := KeyView{ID: k.ID(), Name: k.Name, Prefix: k.Prefix, Last4: k.Last4, CreatedAt: k.Created,
		Restricted: k.Restricted(), Permissions: k.Grants(), LastUsedAt: strp(k.LastUsed)}
	if k.CreatedBy.Type != "" {
		by := k.CreatedBy.Public()
		v.CreatedBy = &by
	}
	return v
}

// replayNote is what a replayed key creation says instead of the secret.
const replayNote = "the secret is shown only once, in the first answer, and is never stored: this is a replay (Idempotency-Key); revoke the key if the secret was lost"

func (a *API) listKeys(w http.ResponseWriter, r *http.Request) error {
	keys, err := a.Store.ListKeys(r.Context(), merchantOf(r.Context()).ID)
	if err != nil {
		return err
	}
	out := make([]KeyView, len(keys))
	for i, k := range keys {
		out[i] = keyView(k)
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": out})
	return nil
}

// keyRequest is POST /v1/api-keys's optional body.
type keyRequest struct {
	Name string `json:"name"`
	// Permissions restrict the new key; left out (or null), it has all.
	Permissions *[]string `json:"permissions"`
}

// newKeyRequest reads and checks the body: the name, and the permissions,
// each known and held by the caller's own key (a key hands out no power it
// lacks: 403 naming the first one missing).
func newKeyRequest(r *http.Request) (keyRequest, []domain.Permission, error) {
	var req keyRequest
	if err := readJSON(r, &req, true); err != nil {
		return req, nil, err
	}
	var errs domain.FieldErrors
	if req.Name != "" && !validate.Text(req.Name, maxKeyName) {
		errs.Add("name", fmt.Sprintf("must be one line of at most %d characters", maxKeyName))
	}
	var perms []domain.Permission
	if req.Permissions != nil {
		var perr domain.FieldErrors
		perms, perr = domain.ParsePermissions("permissions", *req.Permissions)
		errs = append(errs, perr...)
	}
	if err := errs.Err(); err != nil {
		return req, nil, err
	}
	perms, err := domain.KeyGrants(principalOf(r.Context()).authority(), perms)
	if err != nil {
		return req, nil, err
	}
	return req, perms, nil
}

// keyGrant checks a key request (its fields, and that the caller holds every
// permission it asks for) before the Idempotency-Key is looked at: a stored
// answer holds the new key's secret, so a weaker key must not get it by
// replaying another key's request.
func (a *API) keyGrant(next http.HandlerFunc) http.HandlerFunc {
	return handle(func(w http.ResponseWriter, r *http.Request) error {
		body, err := readBody(r)
		if err != nil {
			return err
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		if _, _, err := newKeyRequest(r); err != nil {
			return err
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		next(w, r)
		return nil
	})
}

// createKey makes a key: a full one (a second key for rotation, two at most)
// or one restricted to chosen permissions; the secret is shown once.
func (a *API) createKey(w http.ResponseWriter, r *http.Request) error {
	m := merchantOf(r.Context())
	req, perms, err := newKeyRequest(r)
	if err != nil {
		return err
	}
	keys, err := a.Store.ListKeys(r.Context(), m.ID)
	if err != nil {
		return err
	}
	full, restricted := countKeys(keys)
	switch {
	case perms == nil && full >= maxActiveKeys:
		return problem.New(http.StatusConflict, "two full keys are active already: revoke one first")
	case perms != nil && restricted >= maxRestrictedKeys:
		return problem.New(http.StatusConflict, fmt.Sprintf("%d restricted keys are active already: revoke one first", maxRestrictedKeys))
	}
	secret, k, err := merchant.NewKey(m.ID, m.Live)
	if err != nil {
		return err
	}
	k.Created = a.Now().UTC().Format(time.RFC3339)
	k.Name, k.Permissions, k.CreatedBy, k.Member = req.Name, perms, domain.ActorOf(r.Context()).Public(), principalOf(r.Context()).behalfOf
	if err := a.Store.PutKey(r.Context(), k); err != nil {
		return err
	}
	v := keyView(k)
	a.Audit(r.Context(), "api_key.created", k.ID(), nil, v)
	// An Idempotency-Key keeps the answer without the secret: a replay
	// says the secret was shown once.
	stored := v
	stored.SecretNote = replayNote
	slotOf(r.Context()).storeInstead(stored)
	v.Secret = secret
	reqlog.Set(r.Context(), "outcome", "key_created")
	writeJSON(w, http.StatusCreated, v)
	return nil
}

// countKeys counts full and restricted keys.
func countKeys(keys []merchant.Key) (full, restricted int) {
	for _, k := range keys {
		if k.Restricted() {
			restricted++
		} else {
			full++
		}
	}
	return full, restricted
}

// revokeKey deletes a key; the last full one cannot be revoked.
func (a *API) revokeKey(w http.ResponseWriter, r *http.Request) error {
	m := merchantOf(r.Context())
	keys, err := a.Store.ListKeys(r.Context(), m.ID)
	if err != nil {
		return err
	}
	var before any
	for _, k := range keys {
		if k.ID() != r.PathValue("id") {
			continue
		}
		if err := domain.CanRevokeKey(principalOf(r.Context()).authority(), k.Grants()); err != nil {
			return err
		}
		if full, _ := countKeys(keys); full <= 1 && !k.Restricted() {
			return problem.New(http.StatusConflict, "this is the only full key: create another one first")
		}
		before = keyView(k)
	}
	err = a.Store.DeleteKey(r.Context(), m.ID, r.PathValue("id"))
	if errors.Is(err, domain.ErrNotFound) {
		return err
	}
	if err != nil {
		return err
	}
	a.keys.Clear()
	a.Audit(r.Context(), "api_key.revoked", r.PathValue("id"), before, nil)
	reqlog.Set(r.Context(), "outcome", "key_revoked")
	w.WriteHeader(http.StatusNoContent)
	return nil
}
