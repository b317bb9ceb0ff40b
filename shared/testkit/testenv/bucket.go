package testenv

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"

	"github.com/paylinks/paylinks/shared/objects"
)

// NewBucket makes a fresh bucket on the S3 emulator (moto) for the test:
// the statements' files. Its objects are left to the emulator (moto keeps
// them in memory until it stops).
func NewBucket(t testing.TB) *objects.Bucket {
	t.Helper()
	cfg := AWSConfig(t)
	var b [6]byte
	_, _ = rand.Read(b[:])
	bkt := &objects.Bucket{Name: "test-" + hex.EncodeToString(b[:]), Region: cfg.Region, Endpoint: os.Getenv("AWS_ENDPOINT_URL_S3"), Credentials: cfg.Credentials}
	if bkt.Endpoint == "" {
		bkt.Endpoint = os.Getenv("AWS_ENDPOINT_URL")
	}
	if err := bkt.CreateBucket(context.Background()); err != nil {
		t.Fatalf("create bucket on the S3 emulator (moto; run `make test`, which starts it): %v", err)
	}
	return bkt
}
