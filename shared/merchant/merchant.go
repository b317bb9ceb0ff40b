// Package merchant holds a merchant's profile and settings, and its API keys:
// generated with 192 random bits, stored only as a SHA-256 hash, shown by
// prefix and last four.
package merchant

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"hash/crc32"
	"strings"
	"time"

	"github.com/paylinks/paylinks/shared/bank/reference"
	"github.com/paylinks/paylinks/shared/brand"
	"github.com/paylinks/paylinks/shared/domain"
)

// Merchant is a tenant of paylinks.
type Merchant struct {
	ID                 string              `json:"id" dynamodbav:"id"`
	Name               string              `json:"name" dynamodbav:"name"`
	Live               bool                `json:"live" dynamodbav:"live"`
	PSP                string              `json:"psp" dynamodbav:"psp"`
	PSPCredentials     map[string]string   `json:"-" dynamodbav:"psp_credentials,omitempty"`
	PaymentMethods     []string            `json:"payment_methods" dynamodbav:"payment_methods"`
	RedirectDomains    []string            `json:"redirect_domains" dynamodbav:"redirect_domains"`
	DefaultBeneficiary *domain.Beneficiary `json:"default_beneficiary,omitempty" dynamodbav:"default_beneficiary,omitempty"`
	// BankTransfer holds the settings of bank transfers (nil: the
	// defaults, ReferenceFormat).
	BankTransfer   *domain.BankTransferSettings `json:"bank_transfer,omitempty" dynamodbav:"bank_transfer,omitempty"`
	WebhookURL     string                       `json:"webhook_url,omitempty" dynamodbav:"webhook_url,omitempty"`
	WebhookSecrets []string                     `json:"-" dynamodbav:"webhook_secrets,omitempty"`
	// WebhookDisabledAt is set when the endpoint answered 410 Gone: no
	// events are sent until the URL is set again.
	WebhookDisabledAt     string `json:"-" dynamodbav:"webhook_disabled_at,omitempty"`
	WebhookDisabledReason string `json:"-" dynamodbav:"webhook_disabled_reason,omitempty"`
	// WebhookSecretRotatedAt is when the outbound secret last changed: the
	// previous one (WebhookSecrets[1]) signs beside the new one until
	// PreviousSecretWindow after it.
	WebhookSecretRotatedAt string `json:"-" dynamodbav:"webhook_secret_rotated_at,omitempty"`
	// WebhookSince is when the endpoint was set, changed or turned back on
	// (RFC 3339 with nanoseconds): events that happened before it are never
	// sent to it ("" for an endpoint set before this was recorded).
	WebhookSince string `json:"-" dynamodbav:"webhook_since,omitempty"`
	// PSPWebhookSecret signs the webhooks the PSP sends us (sandbox, Stripe).
	PSPWebhookSecret string `json:"-" dynamodbav:"psp_webhook_secret,omitempty"`
	Version          int    `json:"-" dynamodbav:"version"`
	// Suspended is set by an operator: the merchant's API answers 403 and
	// its links 404 until it is lifted.
	Suspended bool `json:"-" dynamodbav:"suspended,omitempty"`
	// RequireMFA makes every member of the merchant sign in to the
	// dashboard with a TOTP code (set up at their next sign-in).
	RequireMFA bool `json:"-" dynamodbav:"require_mfa,omitempty"`
	// TimeZone is the IANA zone the merchant's days are in ("" until set:
	// domain.DefaultTimeZone).
	TimeZone string `json:"time_zone,omitempty" dynamodbav:"time_zone,omitempty"`
	// Brand is what the customer pages and e-mails show of the merchant
	// (nil: paylinks' own look); the logo's pixels are a separate item
	// (store.Merchants.PutLogo).
	Brand *brand.Settings `json:"brand,omitempty" dynamodbav:"brand,omitempty"`
}

// Zone is the name of the merchant's time zone (the default until set).
func (m *Merchant) Zone() string {
	if m.TimeZone == "" {
		return domain.DefaultTimeZone
	}
	return m.TimeZone
}

// Location is the merchant's time zone; a stored name that no longer
// loads (a zone the database dropped) is the default.
func (m *Merchant) Location() *time.Location {
	loc, err := domain.LoadTimeZone(m.TimeZone)
	if err != nil {
		loc, _ = domain.LoadTimeZone("")
	}
	return loc
}

// PreviousSecretWindow is how long a rotated-out outbound webhook secret
// keeps signing beside the new one (Stripe's default for rolled secrets).
const PreviousSecretWindow = 24 * time.Hour

// SigningSecrets are the outbound webhook secrets that sign at now: the
// current one, and the previous one for PreviousSecretWindow after the
// rotation.
func (m *Merchant) SigningSecrets(now time.Time) []string {
	if len(m.WebhookSecrets) <= 1 {
		return m.WebhookSecrets
	}
	at, err := time.Parse(time.RFC3339, m.WebhookSecretRotatedAt)
	if err != nil || now.Sub(at) >= PreviousSecretWindow {
		return m.WebhookSecrets[:1]
	}
	return m.WebhookSecrets[:2]
}

// NewSecret is prefix and 32 random bytes in base64 (a signing secret made
// by paylinks, never derived).
func NewSecret(prefix string) (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("random secret: %w", err)
	}
	return prefix + base64.StdEncoding.EncodeToString(b[:]), nil
}

// WebhookEnabled reports an endpoint to send events to.
func (m *Merchant) WebhookEnabled() bool {
	return m.WebhookURL != "" && len(m.WebhookSecrets) > 0 && m.WebhookDisabledAt == ""
}

// AllowsMethod reports an enabled payment method.
func (m *Merchant) AllowsMethod(method string) bool {
	for _, x := range m.PaymentMethods {
		if x == method {
			return true
		}
	}
	return false
}

// AllowsRedirectHost reports a host on the redirect allow-list (exact, or a
// subdomain of an entry).
func (m *Merchant) AllowsRedirectHost(host string) bool {
	host = strings.ToLower(host)
	for _, d := range m.RedirectDomains {
		d = strings.ToLower(d)
		if host == d || strings.HasSuffix(host, "."+d) {
			return true
		}
	}
	return false
}

// ReferenceFormat is the format of the structured references the
// merchant's links get for bank transfers: the one set, else be_ogm when
// the default beneficiary's account is Belgian and rf otherwise.
func (m *Merchant) ReferenceFormat() reference.Format {
	return domain.ReferenceFormatFor(m.BankTransfer, m.DefaultBeneficiary)
}

// LinkSettings are the settings a new link is checked against
// (domain.NewLink).
func (m *Merchant) LinkSettings() *domain.LinkSettings {
	return &domain.LinkSettings{Merchant: m.ID, PSP: m.PSP, PaymentMethods: m.PaymentMethods,
		DefaultBeneficiary: m.DefaultBeneficiary, AllowsRedirectHost: m.AllowsRedirectHost, ReferenceFormat: m.ReferenceFormat()}
}

// Key is an API key as stored: never the secret itself.
type Key struct {
	Hash     string `dynamodbav:"hash"`
	Merchant string `dynamodbav:"merchant"`
	Prefix   string `dynamodbav:"prefix"`
	Last4    string `dynamodbav:"last4"`
	Created  string `dynamodbav:"created_at"`
	// Name is the merchant's label for the key (optional).
	Name string `dynamodbav:"name,omitempty"`
	// Permissions restrict the key; none stored means every permission
	// (full keys, and every key made before permissions existed).
	Permissions []domain.Permission `dynamodbav:"permissions,omitempty"`
	// LastUsed is when the key was last used (RFC 3339, to the hour at
	// worst: it is recorded at most once an hour; "" never).
	LastUsed string `dynamodbav:"last_used_at,omitempty"`
	// CreatedBy is who made the key (a member, a key, the operator); a
	// member's keys go when the member does.
	CreatedBy domain.Actor `dynamodbav:"created_by,omitempty"`
	// Member is the member the key was made on behalf of: its maker, or
	// the member behind the key that made it ("" for the operator's and
	// the merchant's own keys). The member's keys go when the member does.
	Member string `dynamodbav:"member,omitempty"`
}

// Restricted reports a key limited to chosen permissions.
func (k Key) Restricted() bool { return len(k.Permissions) > 0 }

// Grants is what the key may do: its permissions, or every one for a full key.
func (k Key) Grants() []domain.Permission {
	if k.Restricted() {
		return k.Permissions
	}
	return domain.AllPermissions
}

// ID names a key without revealing it: "key_" and the first 16 hex digits
// of its hash.
func (k Key) ID() string { return "key_" + k.Hash[:16] }

// HashKey is the stored form of a secret key.
func HashKey(secret string) string {
	h := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(h[:])
}

// Key format: the mode's prefix, 32 base64url characters (24 random bytes,
// 192 bits) and a 6-character checksum, the CRC-32 (IEEE) of everything
// before it in base62, as GitHub's tokens carry one: a mistyped or forged
// key is refused from its text alone, before any lookup.
const (
	keyBodyLen     = 32
	keyChecksumLen = 6
	// KeyLen is the length of every API key.
	KeyLen = len("sk_test_") + keyBodyLen + keyChecksumLen
)

const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// NewKey makes a secret key (sk_test_ or sk_live_, 32 base64url chars of
// 192 random bits, the checksum) and its stored form.
func NewKey(merchantID string, live bool) (secret string, k Key, err error) {
	var b [24]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", Key{}, fmt.Errorf("random key: %w", err)
	}
	prefix := "sk_test_"
	if live {
		prefix = "sk_live_"
	}
	secret = WithChecksum(prefix + base64.RawURLEncoding.EncodeToString(b[:]))
	return secret, KeyFor(merchantID, secret), nil
}

// KeyFor is the stored form of a given secret.
func KeyFor(merchantID, secret string) Key {
	prefix := "sk_test_"
	if strings.HasPrefix(secret, "sk_live_") {
		prefix = "sk_live_"
	}
	return Key{Hash: HashKey(secret), Merchant: merchantID, Prefix: prefix, Last4: secret[len(secret)-4:]}
}

// WithChecksum is unsummed (a prefix and 32 body characters) with its
// checksum appended: a well-formed key when unsummed is one without it.
func WithChecksum(unsummed string) string { return unsummed + checksum(unsummed) }

// checksum is the CRC-32 of s in 6 base62 digits (62^6 > 2^32).
func checksum(s string) string {
	v := crc32.ChecksumIEEE([]byte(s))
	var out [keyChecksumLen]byte
	for i := keyChecksumLen - 1; i >= 0; i-- {
		out[i] = base62[v%62]
		v /= 62
	}
	return string(out[:])
}

// WellFormed reports one of our keys: a mode's prefix, 32 base64url body
// characters and the checksum of both (checked before any lookup, so
// garbage, typos and forgeries never reach the table).
func WellFormed(secret string) bool {
	if len(secret) != KeyLen || (!strings.HasPrefix(secret, "sk_test_") && !strings.HasPrefix(secret, "sk_live_")) {
		return false
	}
	cut := KeyLen - keyChecksumLen
	for i := len("sk_test_"); i < cut; i++ {
		if !isBodyChar(secret[i]) {
			return false
		}
	}
	return subtle.ConstantTimeCompare([]byte(secret[cut:]), []byte(checksum(secret[:cut]))) == 1
}

// Legacy reports a key in the format made before keys carried their
// checksum (a mode's prefix and 32 base64url characters): still looked up,
// so that a deployment's existing integrations keep working while the
// merchant rotates them (a new key, then the old one revoked); unlike a
// well-formed key it cannot be told from a guess without the lookup.
func Legacy(secret string) bool {
	const n = len("sk_test_") + keyBodyLen
	if len(secret) != n || (!strings.HasPrefix(secret, "sk_test_") && !strings.HasPrefix(secret, "sk_live_")) {
		return false
	}
	for i := len("sk_test_"); i < n; i++ {
		if !isBodyChar(secret[i]) {
			return false
		}
	}
	return true
}

// LookedUp reports a key worth a lookup: well-formed, or in the legacy
// format.
func LookedUp(secret string) bool { return WellFormed(secret) || Legacy(secret) }

func isBodyChar(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_'
}

// Suggest is a well-formed key close to secret, to offer when a chosen key
// (make dev's PAYLINKS_DEV_API_KEY) is not one: secret itself when it is
// well-formed; else its prefix (sk_test_ unless sk_live_) and its first 32
// body characters, padded with zeros, characters outside base64url
// dropped, with the checksum.
func Suggest(secret string) string {
	if WellFormed(secret) {
		return secret
	}
	prefix := "sk_test_"
	if strings.HasPrefix(secret, "sk_live_") {
		prefix = "sk_live_"
	}
	var body []byte
	for i := len(prefix); i < len(secret) && len(body) < keyBodyLen && strings.HasPrefix(secret, prefix); i++ {
		if isBodyChar(secret[i]) {
			body = append(body, secret[i])
		}
	}
	for len(body) < keyBodyLen {
		body = append(body, '0')
	}
	return WithChecksum(prefix + string(body))
}
