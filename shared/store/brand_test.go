package store_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/paylinks/paylinks/shared/brand"
	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/testkit/testenv"
)

// TestLogoWithSettings: the logo and the settings that describe it are
// written together (a stale version writes neither), read back as they
// were, and deleted together.
func TestLogoWithSettings(t *testing.T) {
	env := testenv.New(t)
	env.Merchant(t, "m_brand")
	m, err := env.Store.GetMerchant(ctx, "m_brand")
	if err != nil {
		t.Fatal(err)
	}
	png := bytes.Repeat([]byte{0x89, 'P', 'N', 'G', 0}, brand.MaxStoredBytes/5)
	next := *m
	next.Brand = &brand.Settings{AccentColor: "#123456", Logo: &brand.Logo{ETag: "0123456789abcdef", Width: 10, Height: 10, Bytes: len(png)}}
	next.Version = m.Version + 1
	if err := env.Store.PutLogo(ctx, &next, png); err != nil {
		t.Fatal(err)
	}
	got, etag, err := env.Store.GetLogo(ctx, "m_brand")
	if err != nil || etag != "0123456789abcdef" || !bytes.Equal(got, png) {
		t.Fatalf("GetLogo: %d bytes, %q, %v", len(got), etag, err)
	}
	read, err := env.Store.GetMerchant(ctx, "m_brand")
	if err != nil || read.Brand == nil || read.Brand.Logo == nil || read.Brand.Logo.ETag != "0123456789abcdef" || read.Brand.AccentColor != "#123456" {
		t.Fatalf("merchant %+v %v", read.Brand, err)
	}
	stale := next
	stale.Brand = &brand.Settings{Logo: &brand.Logo{ETag: "ffffffffffffffff"}}
	if err := env.Store.PutLogo(ctx, &stale, []byte("other")); !errors.Is(err, domain.ErrConflict) {
		t.Fatalf("stale PutLogo: %v", err)
	}
	if _, etag, _ := env.Store.GetLogo(ctx, "m_brand"); etag != "0123456789abcdef" {
		t.Fatalf("a refused write changed the logo: %q", etag)
	}
	gone := *read
	gone.Brand = &brand.Settings{AccentColor: "#123456"}
	gone.Version = read.Version + 1
	if err := env.Store.DeleteLogo(ctx, &gone); err != nil {
		t.Fatal(err)
	}
	if _, _, err := env.Store.GetLogo(ctx, "m_brand"); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("after delete: %v", err)
	}
}
