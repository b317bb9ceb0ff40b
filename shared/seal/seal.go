// Package seal encrypts the small secrets paylinks keeps for merchants (PSP
// credentials, webhook signing secrets) before they reach the table.
// Deployed, it is envelope encryption under the stack's KMS key: each
// sealing asks KMS for a fresh AES-256 data key, encrypts with AES-GCM, and
// keeps the data key only as KMS wrapped it; opening asks KMS to unwrap it
// (cached in memory for a few minutes, so a warm function does not call KMS
// per request). Locally (make dev, tests) a 32-byte key from the dev state
// stands in for KMS with the same format.
package seal

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
)

// Sealer seals and opens secrets bound to a context (the merchant they
// belong to): a sealed value copied onto another merchant does not open.
type Sealer interface {
	Seal(ctx context.Context, plaintext []byte, bind map[string]string) (string, error)
	Open(ctx context.Context, sealed string, bind map[string]string) ([]byte, error)
}

// ErrOpen is a sealed value that does not open (tampered, wrong binding,
// wrong key).
var ErrOpen = errors.New("sealed value does not open")

const version = "v1"

// aad is the binding as GCM's additional data: sorted key=value lines.
func aad(bind map[string]string) []byte {
	keys := make([]string, 0, len(bind))
	for k := range bind {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		b.WriteString(k + "=" + bind[k] + "\n")
	}
	return []byte(b.String())
}

func newGCM(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("aes: %w", err)
	}
	g, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("gcm: %w", err)
	}
	return g, nil
}

func gcmSeal(key, plaintext, ad []byte) ([]byte, error) {
	g, err := newGCM(key)
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, g.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("nonce: %w", err)
	}
	return g.Seal(nonce, nonce, plaintext, ad), nil
}

func gcmOpen(key, box, ad []byte) ([]byte, error) {
	g, err := newGCM(key)
	if err != nil {
		return nil, err
	}
	if len(box) < g.NonceSize() {
		return nil, ErrOpen
	}
	out, err := g.Open(nil, box[:g.NonceSize()], box[g.NonceSize():], ad)
	if err != nil {
		return nil, ErrOpen
	}
	return out, nil
}

var b64 = base64.RawURLEncoding

// Local seals with one AES-256 key held by the process (make dev keeps it in
// its state file; tests make one). Format: v1.local..<nonce+ciphertext>.
type Local struct{ Key []byte }

// Seal implements Sealer.
func (l Local) Seal(_ context.Context, plaintext []byte, bind map[string]string) (string, error) {
	if len(l.Key) != 32 {
		return "", fmt.Errorf("local seal key must be 32 bytes, is %d", len(l.Key))
	}
	box, err := gcmSeal(l.Key, plaintext, aad(bind))
	if err != nil {
		return "", err
	}
	return version + ".local.." + b64.EncodeToString(box), nil
}

// Open implements Sealer.
func (l Local) Open(_ context.Context, sealed string, bind map[string]string) ([]byte, error) {
	parts := strings.Split(sealed, ".")
	if len(parts) != 4 || parts[0] != version || parts[1] != "local" || len(l.Key) != 32 {
		return nil, ErrOpen
	}
	box, err := b64.DecodeString(parts[3])
	if err != nil {
		return nil, ErrOpen
	}
	return gcmOpen(l.Key, box, aad(bind))
}

// KMS is envelope encryption under a KMS key. Format:
// v1.kms.<wrapped data key>.<nonce+ciphertext>; the binding is both KMS's
// encryption context and GCM's additional data.
type KMS struct {
	Client *kms.Client
	KeyID  string
	// CacheTTL is how long an unwrapped data key is kept (5 min when zero).
	CacheTTL time.Duration

	mu    sync.Mutex
	cache map[string]cached
}

type cached struct {
	key []byte
	at  time.Time
}

// Seal implements Sealer.
func (k *KMS) Seal(ctx context.Context, plaintext []byte, bind map[string]string) (string, error) {
	out, err := k.Client.GenerateDataKey(ctx, &kms.GenerateDataKeyInput{
		KeyId: aws.String(k.KeyID), KeySpec: kmstypes.DataKeySpecAes256, EncryptionContext: bind,
	})
	if err != nil {
		return "", fmt.Errorf("kms generate data key: %w", err)
	}
	box, err := gcmSeal(out.Plaintext, plaintext, aad(bind))
	clear(out.Plaintext)
	if err != nil {
		return "", err
	}
	return version + ".kms." + b64.EncodeToString(out.CiphertextBlob) + "." + b64.EncodeToString(box), nil
}

// Open implements Sealer.
func (k *KMS) Open(ctx context.Context, sealed string, bind map[string]string) ([]byte, error) {
	parts := strings.Split(sealed, ".")
	if len(parts) != 4 || parts[0] != version || parts[1] != "kms" {
		return nil, ErrOpen
	}
	wrapped, err1 := b64.DecodeString(parts[2])
	box, err2 := b64.DecodeString(parts[3])
	if err1 != nil || err2 != nil {
		return nil, ErrOpen
	}
	cacheKey := parts[2] + "|" + string(aad(bind))
	key, err := k.unwrap(ctx, cacheKey, wrapped, bind)
	if err != nil {
		return nil, err
	}
	return gcmOpen(key, box, aad(bind))
}

func (k *KMS) unwrap(ctx context.Context, cacheKey string, wrapped []byte, bind map[string]string) ([]byte, error) {
	ttl := k.CacheTTL
	if ttl == 0 {
		ttl = 5 * time.Minute
	}
	k.mu.Lock()
	if c, ok := k.cache[cacheKey]; ok && time.Since(c.at) < ttl {
		k.mu.Unlock()
		return c.key, nil
	}
	k.mu.Unlock()
	out, err := k.Client.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: wrapped, EncryptionContext: bind, KeyId: aws.String(k.KeyID)})
	if err != nil {
		var bad *kmstypes.InvalidCiphertextException
		if errors.As(err, &bad) {
			return nil, ErrOpen
		}
		return nil, fmt.Errorf("kms decrypt: %w", err)
	}
	k.mu.Lock()
	if k.cache == nil {
		k.cache = map[string]cached{}
	}
	if len(k.cache) > 1000 { // bounded: a warm function sees few merchants
		k.cache = map[string]cached{}
	}
	k.cache[cacheKey] = cached{key: out.Plaintext, at: time.Now()}
	k.mu.Unlock()
	return out.Plaintext, nil
}
