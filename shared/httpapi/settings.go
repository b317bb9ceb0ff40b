package httpapi

import (
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/merchant"
	"github.com/paylinks/paylinks/shared/outbound"
	"github.com/paylinks/paylinks/shared/problem"
	"github.com/paylinks/paylinks/shared/reqlog"
	"github.com/paylinks/paylinks/shared/validate"
)

// PaymentMethods are the methods a merchant may enable.
var PaymentMethods = []string{"card", "ideal", "bancontact", "sepa_transfer", "sepa_debit", "paypal", "apple_pay",
	"google_pay", "klarna", "eps", "przelewy24", "kbc", "belfius", "twint", "giropay", "sofort"}

// maxActiveKeys is how many API keys a merchant may hold at once (rotation).
const maxActiveKeys = 2

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
		WebhookDisabledAt: strp(m.WebhookDisabledAt), WebhookDisabledReason: strp(m.WebhookDisabledReason)}
}

func (a *API) getSettings(w http.ResponseWriter, r *http.Request) {
	m, err := a.Store.GetMerchant(r.Context(), merchantOf(r.Context()).ID)
	if err != nil {
		fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, settingsView(m))
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
}

// putSettings replaces the settings it is given and keeps the others. A new
// webhook_secret keeps the previous one beside it for rotation.
func (a *API) putSettings(w http.ResponseWriter, r *http.Request) {
	id := merchantOf(r.Context()).ID
	var req settingsRequest
	if err := readJSON(r, &req, false); err != nil {
		fail(w, r, err)
		return
	}
	cur, err := a.Store.GetMerchant(r.Context(), id)
	if err != nil {
		fail(w, r, err)
		return
	}
	next := *cur
	var errs fieldErrs
	if req.Name != nil {
		if !validate.PayerText(*req.Name, 100) {
			errs.add("name", "must be 1 to 100 characters shown to payers: not blank, no control or bidi override characters")
		}
		next.Name = *req.Name
	}
	if b := req.DefaultBeneficiary; b != nil {
		next.DefaultBeneficiary = beneficiary("default_beneficiary", b, &errs)
	}
	if req.RedirectDomains != nil {
		if len(req.RedirectDomains) > 50 {
			errs.add("redirect_domains", "has at most 50 domains")
		}
		for i, d := range req.RedirectDomains {
			if err := validate.RedirectDomain(d); err != nil {
				errs.add(fmt.Sprintf("redirect_domains[%d]", i), err.Error())
			}
		}
		next.RedirectDomains = req.RedirectDomains
	}
	if req.PaymentMethods != nil {
		if len(req.PaymentMethods) == 0 {
			errs.add("payment_methods", "must enable at least one method")
		}
		for i, pm := range req.PaymentMethods {
			if !contains(PaymentMethods, pm) {
				errs.add(fmt.Sprintf("payment_methods[%d]", i), "must be one of "+strings.Join(PaymentMethods, ", "))
			}
		}
		next.PaymentMethods = req.PaymentMethods
	}
	if req.PSP != nil {
		if live, ok := a.PSPNames[*req.PSP]; !ok {
			errs.add("psp", "must be one of the configured providers")
		} else if cur.Live && !live {
			errs.add("psp", "is a test-mode provider: a live merchant cannot choose it")
		}
		next.PSP = *req.PSP
	}
	if req.PSPCredentials != nil {
		if len(req.PSPCredentials) > 10 {
			errs.add("psp_credentials", "has at most 10 entries")
		}
		for k, v := range req.PSPCredentials {
			if !validate.Text(k, 40) || !validate.Text(v, 512) {
				errs.add("psp_credentials."+k, "keys are 1 to 40 and values 1 to 512 characters")
			}
		}
		next.PSPCredentials = req.PSPCredentials
	}
	if req.WebhookURL != nil {
		if *req.WebhookURL != "" {
			if err := a.WebhookGuard.CheckURL(*req.WebhookURL); err != nil {
				errs.add("webhook_url", err.Error())
			}
		}
		next.WebhookURL = *req.WebhookURL
		// Setting the URL (again) turns an endpoint disabled by a 410 back on.
		next.WebhookDisabledAt, next.WebhookDisabledReason = "", ""
	}
	if req.WebhookSecret != nil {
		s := *req.WebhookSecret
		if _, err := outbound.DecodeSecret(s); err != nil {
			errs.add("webhook_secret", "must be whsec_ followed by 24 to 64 random bytes in base64")
		}
		next.WebhookSecrets = []string{s}
		if len(cur.WebhookSecrets) > 0 && cur.WebhookSecrets[0] != s {
			// The previous secret signs beside the new one for 24 hours
			// (merchant.PreviousSecretWindow), then no more.
			next.WebhookSecrets = append(next.WebhookSecrets, cur.WebhookSecrets[0])
			next.WebhookSecretRotatedAt = a.Now().UTC().Format(time.RFC3339)
		} else if len(cur.WebhookSecrets) > 1 {
			next.WebhookSecrets = append(next.WebhookSecrets, cur.WebhookSecrets[1])
		}
	}
	if live, known := a.PSPNames[next.PSP]; known && !live && next.PSPWebhookSecret == "" {
		// A test PSP (the sandbox) signs its webhooks with a secret of
		// the merchant's own, made here, never derived.
		sec, err := merchant.NewSecret("whsec_sb_")
		if err != nil {
			fail(w, r, err)
			return
		}
		next.PSPWebhookSecret = sec
	}
	if next.WebhookURL != "" && len(next.WebhookSecrets) == 0 {
		errs.add("webhook_secret", "is required with webhook_url (whsec_ and 24 to 64 random bytes in base64)")
	}
	if len(errs) > 0 {
		fail(w, r, problem.Invalid(errs...))
		return
	}
	next.Version = cur.Version + 1
	if err := a.Store.UpdateMerchant(r.Context(), &next); err != nil {
		fail(w, r, err)
		return
	}
	a.merchants.Forget(id)
	reqlog.Set(r.Context(), "outcome", "settings_updated")
	writeJSON(w, http.StatusOK, settingsView(&next))
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// KeyView shows an API key without its secret.
type KeyView struct {
	ID        string `json:"id"`
	Prefix    string `json:"prefix"`
	Last4     string `json:"last4"`
	CreatedAt string `json:"created_at"`
	Secret    string `json:"secret,omitempty"`
}

func keyView(k merchant.Key) KeyView {
	return KeyView{ID: k.ID(), Prefix: k.Prefix, Last4: k.Last4, CreatedAt: k.Created}
}

func (a *API) listKeys(w http.ResponseWriter, r *http.Request) {
	keys, err := a.Store.ListKeys(r.Context(), merchantOf(r.Context()).ID)
	if err != nil {
		fail(w, r, err)
		return
	}
	out := make([]KeyView, len(keys))
	for i, k := range keys {
		out[i] = keyView(k)
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": out})
}

// createKey makes a second key for rotation; the secret is shown once.
func (a *API) createKey(w http.ResponseWriter, r *http.Request) {
	m := merchantOf(r.Context())
	keys, err := a.Store.ListKeys(r.Context(), m.ID)
	if err != nil {
		fail(w, r, err)
		return
	}
	if len(keys) >= maxActiveKeys {
		fail(w, r, problem.New(http.StatusConflict, "two keys are active already: revoke one first"))
		return
	}
	secret, k, err := merchant.NewKey(m.ID, m.Live)
	if err != nil {
		fail(w, r, err)
		return
	}
	k.Created = a.Now().UTC().Format(time.RFC3339)
	if err := a.Store.PutKey(r.Context(), k); err != nil {
		fail(w, r, err)
		return
	}
	v := keyView(k)
	v.Secret = secret
	reqlog.Set(r.Context(), "outcome", "key_created")
	writeJSON(w, http.StatusCreated, v)
}

// revokeKey deletes a key; the last one cannot be revoked.
func (a *API) revokeKey(w http.ResponseWriter, r *http.Request) {
	m := merchantOf(r.Context())
	keys, err := a.Store.ListKeys(r.Context(), m.ID)
	if err != nil {
		fail(w, r, err)
		return
	}
	if len(keys) <= 1 {
		if len(keys) == 1 && keys[0].ID() == r.PathValue("id") {
			fail(w, r, problem.New(http.StatusConflict, "this is the only active key: create another one first"))
			return
		}
	}
	err = a.Store.DeleteKey(r.Context(), m.ID, r.PathValue("id"))
	if errors.Is(err, domain.ErrNotFound) {
		fail(w, r, err)
		return
	}
	if err != nil {
		fail(w, r, err)
		return
	}
	a.keys.Clear()
	reqlog.Set(r.Context(), "outcome", "key_revoked")
	w.WriteHeader(http.StatusNoContent)
}
