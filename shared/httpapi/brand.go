package httpapi

import (
	"context"
	"errors"
	"mime"
	"net/http"

	"github.com/paylinks/paylinks/shared/brand"
	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/merchant"
	"github.com/paylinks/paylinks/shared/problem"
	"github.com/paylinks/paylinks/shared/reqlog"
)

// BrandStore is what the brand routes write beside the settings: the
// logo's PNG, written or deleted in one transaction with the settings that
// describe it.
type BrandStore interface {
	PutLogo(ctx context.Context, m *merchant.Merchant, png []byte) error
	DeleteLogo(ctx context.Context, m *merchant.Merchant) error
	GetLogo(ctx context.Context, merchantID string) ([]byte, string, error)
}

// BrandLogoPath is where the dashboard reads the merchant's logo.
const BrandLogoPath = "/v1/settings/brand/logo"

// BrandView is what GET /v1/settings/brand shows: null for what is not set.
type BrandView struct {
	Object string `json:"object"`
	// AccentColor is the merchant's ("#rrggbb") or null for the default,
	// AccentInEffect the colour the pages use.
	AccentColor    *string        `json:"accent_color"`
	AccentInEffect string         `json:"accent_color_in_effect"`
	SupportEmail   *string        `json:"support_email"`
	SupportPhone   *string        `json:"support_phone"`
	Logo           *BrandLogoView `json:"logo"`
}

// BrandLogoView describes the cleaned logo.
type BrandLogoView struct {
	brand.Logo
	// URL is where the dashboard reads it (settings:read).
	URL string `json:"url"`
}

func brandView(b *brand.Settings) BrandView {
	v := BrandView{Object: "brand", AccentInEffect: b.Accent()}
	if b == nil {
		return v
	}
	v.AccentColor, v.SupportEmail, v.SupportPhone = strp(b.AccentColor), strp(b.SupportEmail), strp(b.SupportPhone)
	if b.Logo != nil {
		v.Logo = &BrandLogoView{Logo: *b.Logo, URL: BrandLogoPath + "?v=" + b.Logo.ETag}
	}
	return v
}

func (a *API) getBrand(w http.ResponseWriter, r *http.Request) error {
	m, err := a.Store.GetMerchant(r.Context(), merchantOf(r.Context()).ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, brandView(m.Brand))
	return nil
}

// putBrand changes the brand's colour and support contact (a field left
// out is kept, "" clears it); the logo has its own route.
func (a *API) putBrand(w http.ResponseWriter, r *http.Request) error {
	var in brand.Input
	if err := readJSON(r, &in, false); err != nil {
		return err
	}
	return a.changeBrand(w, r, "brand_updated", func(cur *merchant.Merchant, next *brand.Settings) error {
		checked, errs := brand.Check(*next, in)
		if err := errs.Err(); err != nil {
			return err
		}
		*next = checked
		return a.Store.UpdateMerchant(r.Context(), withBrand(cur, next))
	})
}

// putLogo takes a PNG body, cleans it (brand.SanitizePNG) and stores it
// with the settings that describe it.
func (a *API) putLogo(w http.ResponseWriter, r *http.Request) error {
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "image/png" {
		return problem.New(http.StatusUnsupportedMediaType, "send the logo as the body, Content-Type: image/png")
	}
	body, err := readBody(r)
	if err != nil {
		return err
	}
	png, logo, err := brand.SanitizePNG(body)
	var lerr *brand.LogoError
	if errors.As(err, &lerr) {
		return domain.FieldErrors{{Field: "logo", Message: lerr.Message}}
	}
	if err != nil {
		return err
	}
	return a.changeBrand(w, r, "logo_updated", func(cur *merchant.Merchant, next *brand.Settings) error {
		next.Logo = &logo
		return a.Store.PutLogo(r.Context(), withBrand(cur, next), png)
	})
}

// deleteLogo removes the logo (none is no error).
func (a *API) deleteLogo(w http.ResponseWriter, r *http.Request) error {
	return a.changeBrand(w, r, "logo_deleted", func(cur *merchant.Merchant, next *brand.Settings) error {
		if next.Logo == nil {
			return nil
		}
		next.Logo = nil
		return a.Store.DeleteLogo(r.Context(), withBrand(cur, next))
	})
}

// changeBrand reads the merchant, lets change decide and write its next
// brand, then forgets the cached merchant, audits the change
// (settings.updated) and answers the brand.
func (a *API) changeBrand(w http.ResponseWriter, r *http.Request, outcome string, change func(cur *merchant.Merchant, next *brand.Settings) error) error {
	id := merchantOf(r.Context()).ID
	cur, err := a.Store.GetMerchant(r.Context(), id)
	if err != nil {
		return err
	}
	next := brand.Settings{}
	if cur.Brand != nil {
		next = *cur.Brand
	}
	if err := change(cur, &next); err != nil {
		return err
	}
	a.merchants.Forget(id)
	before, after := brandView(cur.Brand), brandView(&next)
	a.Audit(r.Context(), "settings.updated", id, map[string]any{"brand": before}, map[string]any{"brand": after})
	reqlog.Set(r.Context(), "outcome", outcome)
	writeJSON(w, http.StatusOK, after)
	return nil
}

// withBrand is cur with brand b, at the next version.
func withBrand(cur *merchant.Merchant, b *brand.Settings) *merchant.Merchant {
	next := *cur
	next.Brand = b
	if b.Empty() {
		next.Brand = nil
	}
	next.Version = cur.Version + 1
	return &next
}

// getLogo serves the logo to the dashboard (the customer pages serve their
// own copy, shared/redirect).
func (a *API) getLogo(w http.ResponseWriter, r *http.Request) error {
	png, etag, err := a.Store.GetLogo(r.Context(), merchantOf(r.Context()).ID)
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "image/png")
	h.Set("ETag", `"`+etag+`"`)
	h.Set("Cache-Control", "private, no-cache")
	h.Set("X-Content-Type-Options", "nosniff")
	if r.Header.Get("If-None-Match") == `"`+etag+`"` {
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	_, _ = w.Write(png)
	return nil
}
