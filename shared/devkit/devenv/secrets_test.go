package devenv

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/paylinks/paylinks/shared/merchant"
)

// TestSecretsRandomPerStateDirAndKept: each state directory gets its own
// random secrets at the first start, kept in a 0600 file and read back
// unchanged on every later start.
func TestSecretsRandomPerStateDirAndKept(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	sa, err := LoadSecrets(a)
	if err != nil {
		t.Fatal(err)
	}
	sb, err := LoadSecrets(b)
	if err != nil {
		t.Fatal(err)
	}
	for _, pair := range [][2]string{{sa.SandboxSecret, sb.SandboxSecret}, {sa.LinkCodeSecret, sb.LinkCodeSecret},
		{sa.PSPWebhookSecret, sb.PSPWebhookSecret}, {sa.WebhookSecret, sb.WebhookSecret}, {sa.APIKey, sb.APIKey}} {
		if pair[0] == pair[1] {
			t.Errorf("two state directories share a secret")
		}
	}
	checkSecretsShape(t, sa)
	fi, err := os.Stat(filepath.Join(a, SecretsFile))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("%s mode %v, want 0600", SecretsFile, fi.Mode().Perm())
	}
	again, err := LoadSecrets(a)
	if err != nil {
		t.Fatal(err)
	}
	if again != sa {
		t.Errorf("a restart changed the secrets")
	}
	// A file edited into garbage is refused, never silently replaced.
	if err := os.WriteFile(filepath.Join(b, SecretsFile), []byte(`{"sandbox_secret":"short"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadSecrets(b); err == nil {
		t.Errorf("a broken secrets file was accepted")
	}
}

// checkSecretsShape: one directory's secrets differ from each other, the
// signing secrets are 32 random bytes in hex, the webhook secrets whsec_ and
// 32 bytes in base64, none derived from the merchant id.
func checkSecretsShape(t *testing.T, s Secrets) {
	t.Helper()
	if s.SandboxSecret == s.LinkCodeSecret || s.PSPWebhookSecret == s.WebhookSecret {
		t.Errorf("one directory's secrets repeat each other")
	}
	for _, h := range []string{s.SandboxSecret, s.LinkCodeSecret} {
		if raw, err := hex.DecodeString(h); err != nil || len(raw) != 32 || bytes.Equal(raw, make([]byte, 32)) {
			t.Errorf("secret %q is not 32 random bytes in hex", h)
		}
	}
	for _, w := range []string{s.PSPWebhookSecret, s.WebhookSecret} {
		if raw, err := base64.StdEncoding.DecodeString(w[len("whsec_"):]); err != nil || len(raw) != 32 || w[:6] != "whsec_" {
			t.Errorf("webhook secret is not whsec_ and 32 bytes in base64")
		}
	}
	if s.PSPWebhookSecret == "whsec_sandbox_demo" {
		t.Errorf("the PSP webhook secret is derived from the merchant id")
	}
}

// TestKeyWithoutChecksum: a state file whose API key was made before keys
// carried a checksum keeps its other secrets and gets a new, well-formed
// key, written back; a chosen PAYLINKS_DEV_API_KEY without a valid checksum
// is refused with a well-formed key to use instead.
func TestKeyWithoutChecksum(t *testing.T) {
	dir := t.TempDir()
	s, err := LoadSecrets(dir)
	if err != nil {
		t.Fatal(err)
	}
	old := s
	old.APIKey = "sk_test_" + strings.Repeat("o", 32)
	raw, _ := json.Marshal(old)
	if err := os.WriteFile(filepath.Join(dir, SecretsFile), raw, 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := LoadSecrets(dir)
	if err != nil || !merchant.WellFormed(got.APIKey) || got.SealKey != s.SealKey || got.SandboxSecret != s.SandboxSecret {
		t.Fatalf("an old key's state file: %+v %v", got, err)
	}
	if again, err := LoadSecrets(dir); err != nil || again != got {
		t.Fatalf("the new key was not kept: %+v %v", again, err)
	}
	if err := CheckKey(""); err != nil {
		t.Fatalf("no key chosen: %v", err)
	}
	if err := CheckKey(got.APIKey); err != nil {
		t.Fatalf("a well-formed key: %v", err)
	}
	err = CheckKey("sk_test_devkey123456")
	want := merchant.Suggest("sk_test_devkey123456")
	if err == nil || !strings.Contains(err.Error(), "PAYLINKS_DEV_API_KEY="+want) || !merchant.WellFormed(want) {
		t.Fatalf("a key without its checksum: %v", err)
	}
}
