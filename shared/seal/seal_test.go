package seal_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"

	"github.com/paylinks/paylinks/shared/seal"
	"github.com/paylinks/paylinks/shared/testkit/testenv"
)

var bind = map[string]string{"paylinks:merchant": "shop", "paylinks:purpose": "merchant-secrets"}

func roundTrip(t *testing.T, s seal.Sealer) string {
	t.Helper()
	ctx := context.Background()
	secret := []byte(`{"secret_key":"sk_live_51abc"}`)
	sealed, err := s.Seal(ctx, secret, bind)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(sealed, "sk_live") {
		t.Fatalf("plain text in %s", sealed)
	}
	got, err := s.Open(ctx, sealed, bind)
	if err != nil || !bytes.Equal(got, secret) {
		t.Fatalf("open: %q %v", got, err)
	}
	// Bound to the merchant: copied onto another it does not open.
	other := map[string]string{"paylinks:merchant": "evil", "paylinks:purpose": "merchant-secrets"}
	if _, err := s.Open(ctx, sealed, other); err == nil {
		t.Fatal("opened under another merchant")
	}
	// Tampered: does not open.
	b := []byte(sealed)
	b[len(b)-3] ^= 1
	if _, err := s.Open(ctx, string(b), bind); err == nil {
		t.Fatal("tampered value opened")
	}
	return sealed
}

func TestLocal(t *testing.T) {
	s := seal.Local{Key: bytes.Repeat([]byte{7}, 32)}
	sealed := roundTrip(t, s)
	if _, err := (seal.Local{Key: bytes.Repeat([]byte{8}, 32)}).Open(context.Background(), sealed, bind); !errors.Is(err, seal.ErrOpen) {
		t.Fatalf("opened with another key: %v", err)
	}
}

// Envelope encryption against KMS (moto's, on the emulator's port): a data
// key per sealing, wrapped by the key, unwrapped once per warm function.
func TestKMSEnvelope(t *testing.T) {
	cfg := testenv.AWSConfig(t)
	c := kms.NewFromConfig(cfg)
	key, err := c.CreateKey(context.Background(), &kms.CreateKeyInput{Description: aws.String("paylinks test")})
	if err != nil {
		t.Fatalf("create key on moto's KMS: %v", err)
	}
	s := &seal.KMS{Client: c, KeyID: *key.KeyMetadata.KeyId}
	sealed := roundTrip(t, s)
	if !strings.HasPrefix(sealed, "v1.kms.") {
		t.Fatalf("format %s", sealed)
	}
	// Another key cannot unwrap it.
	other, _ := c.CreateKey(context.Background(), &kms.CreateKeyInput{})
	if _, err := (&seal.KMS{Client: c, KeyID: *other.KeyMetadata.KeyId}).Open(context.Background(), sealed, bind); err == nil {
		t.Fatal("opened under another KMS key")
	}
}
