package devenv

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/paylinks/paylinks/shared/merchant"
	"github.com/paylinks/paylinks/shared/seal"
)

// SecretsFile is the state file, in the dev state directory, that keeps the
// secrets `make dev` generated at its first start.
const SecretsFile = "dev-secrets.json"

// Secrets are the local stack's secrets: random (crypto/rand, 32 bytes each)
// at the first start, then read back, so that sessions, link codes and
// signed webhooks made before a restart still verify after it.
type Secrets struct {
	// SandboxSecret signs sandbox checkout sessions (hex).
	SandboxSecret string `json:"sandbox_secret"`
	// LinkCodeSecret is the key for link codes (hex).
	LinkCodeSecret string `json:"link_code_secret"`
	// PSPWebhookSecret signs the sandbox's webhooks to the demo merchant.
	PSPWebhookSecret string `json:"psp_webhook_secret"`
	// WebhookSecret signs the demo merchant's outbound webhooks.
	WebhookSecret string `json:"webhook_secret"`
	// SealKey seals merchants' secrets in the local table (base64 of 32
	// bytes; KMS does it when deployed).
	SealKey string `json:"seal_key"`
	// APIKey is the demo merchant's key when PAYLINKS_DEV_API_KEY is unset.
	APIKey string `json:"api_key"`
}

// LoadSecrets reads dir's secrets file, or makes new secrets and writes the
// file (mode 0600) when there is none. A file whose API key was made before
// keys carried a checksum gets a new key (written back; Bootstrap adds it
// beside the old one).
func LoadSecrets(dir string) (Secrets, error) {
	path := filepath.Join(dir, SecretsFile)
	b, err := os.ReadFile(path)
	if err == nil {
		var s Secrets
		if err := json.Unmarshal(b, &s); err != nil {
			return Secrets{}, fmt.Errorf("read %s: %w", path, err)
		}
		if strings.HasPrefix(s.APIKey, "sk_test_") && !merchant.WellFormed(s.APIKey) {
			if s.APIKey, _, err = merchant.NewKey("demo", false); err != nil {
				return Secrets{}, err
			}
			if err := s.check(); err != nil {
				return Secrets{}, fmt.Errorf("%s: %w (make dev-reset starts afresh)", path, err)
			}
			return s, save(dir, s)
		}
		if err := s.check(); err != nil {
			return Secrets{}, fmt.Errorf("%s: %w (make dev-reset starts afresh)", path, err)
		}
		return s, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return Secrets{}, fmt.Errorf("read %s: %w", path, err)
	}
	s, err := newSecrets()
	if err != nil {
		return Secrets{}, err
	}
	return s, save(dir, s)
}

// save writes s to dir's secrets file: aside (CreateTemp makes it 0600)
// and renamed, so that a crash never leaves half a file.
func save(dir string, s Secrets) error {
	path := filepath.Join(dir, SecretsFile)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("state directory: %w", err)
	}
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return fmt.Errorf("marshal secrets: %w", err)
	}
	f, err := os.CreateTemp(dir, SecretsFile+".*")
	if err != nil {
		return fmt.Errorf("write secrets: %w", err)
	}
	tmp := f.Name()
	if _, err := f.Write(append(b, '\n')); err != nil {
		f.Close()
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", tmp, err)
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", tmp, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// CheckKey refuses a chosen PAYLINKS_DEV_API_KEY that is not a well-formed
// key, naming one to use instead ("" is no choice: the state file's key).
func CheckKey(key string) error {
	if key == "" || merchant.WellFormed(key) {
		return nil
	}
	return fmt.Errorf("PAYLINKS_DEV_API_KEY is not a well-formed API key (sk_test_ or sk_live_, 32 base64url characters, "+
		"a 6-character checksum); use for instance PAYLINKS_DEV_API_KEY=%s (go run ./infra/admin new-key prints a random one)", merchant.Suggest(key))
}

func newSecrets() (Secrets, error) {
	var raw [5][32]byte
	for i := range raw {
		if _, err := rand.Read(raw[i][:]); err != nil {
			return Secrets{}, fmt.Errorf("random secret: %w", err)
		}
	}
	key, _, err := merchant.NewKey("demo", false)
	if err != nil {
		return Secrets{}, err
	}
	return Secrets{
		SandboxSecret:    hex.EncodeToString(raw[0][:]),
		LinkCodeSecret:   hex.EncodeToString(raw[1][:]),
		PSPWebhookSecret: "whsec_" + base64.StdEncoding.EncodeToString(raw[2][:]),
		WebhookSecret:    "whsec_" + base64.StdEncoding.EncodeToString(raw[3][:]),
		SealKey:          base64.StdEncoding.EncodeToString(raw[4][:]),
		APIKey:           key,
	}, nil
}

// check refuses a file edited into something unusable.
func (s Secrets) check() error {
	for name, v := range map[string]string{"sandbox_secret": s.SandboxSecret, "link_code_secret": s.LinkCodeSecret} {
		if b, err := hex.DecodeString(v); err != nil || len(b) != 32 {
			return fmt.Errorf("%s is not 32 bytes in hex", name)
		}
	}
	for name, v := range map[string]string{"psp_webhook_secret": s.PSPWebhookSecret, "webhook_secret": s.WebhookSecret} {
		if len(v) < 6 || v[:6] != "whsec_" {
			return fmt.Errorf("%s is not whsec_ and base64", name)
		}
		if b, err := base64.StdEncoding.DecodeString(v[6:]); err != nil || len(b) != 32 {
			return fmt.Errorf("%s is not whsec_ and 32 bytes in base64", name)
		}
	}
	if b, err := base64.StdEncoding.DecodeString(s.SealKey); err != nil || len(b) != 32 {
		return fmt.Errorf("seal_key is not 32 bytes in base64")
	}
	if !merchant.WellFormed(s.APIKey) {
		return fmt.Errorf("api_key is not an API key")
	}
	return nil
}

// Sealer is the local sealer of the dev table's merchant secrets.
func (s Secrets) Sealer() (seal.Local, error) {
	key, err := base64.StdEncoding.DecodeString(s.SealKey)
	if err != nil || len(key) != 32 {
		return seal.Local{}, fmt.Errorf("seal_key is not 32 bytes in base64")
	}
	return seal.Local{Key: key}, nil
}
