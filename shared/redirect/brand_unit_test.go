package redirect_test

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/paylinks/paylinks/shared/brand"
	"github.com/paylinks/paylinks/shared/domain"
)

// unbrandedCSP is the customer pages' policy before brands existed: a
// brand changes none of it (images from the pages' own origin only).
const unbrandedCSP = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; form-action 'self'; frame-ancestors 'none'"

// brandShop gives merchant shop a brand with a cleaned generated logo.
func brandShop(t *testing.T, u *unit) *brand.Settings {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, 160, 48))
	for y := 0; y < 48; y++ {
		for x := 0; x < 160; x++ {
			img.Set(x, y, color.NRGBA{0x6b, uint8(x), 0x91, 255})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	clean, logo, err := brand.SanitizePNG(b.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	s := &brand.Settings{AccentColor: "#6b2c91", SupportEmail: "hulp@peeters.example", SupportPhone: "+3293001122", Logo: &logo}
	u.st.merchants["shop"].Brand = s
	u.st.logos = map[string][]byte{"shop": clean}
	return s
}

// TestUnitBrandedPages: every page of a branded merchant's link shows its
// logo (from the pages' own origin, versioned), its accent colour on the
// pay button and its support contact, in the link's language; the CSP is
// the one unbranded pages have.
func TestUnitBrandedPages(t *testing.T) {
	u := newUnit(t)
	b := brandShop(t, u)
	code := u.link(t, domain.StatusCreated)
	paid := u.link(t, domain.StatusPaid)
	for _, c := range []struct{ path, ua string }{{"/l/" + code, "WhatsApp/2"}, {"/l/" + paid, personUA}} {
		rec := u.get(t, "GET", c.path, c.ua)
		body := rec.Body.String()
		logo := `<img class="logo" src="/l/` + strings.TrimPrefix(c.path, "/l/") + `/logo.png?v=` + b.Logo.ETag + `" alt="Bakkerij Peeters" width="160" height="48">`
		for _, want := range []string{logo, "background:#6b2c91", "Vragen? Neem contact op met Bakkerij Peeters:", `href="mailto:hulp@peeters.example"`, `href="tel:&#43;3293001122"`} {
			if !strings.Contains(body, want) {
				t.Errorf("%s lacks %q:\n%s", c.path, want, body)
			}
		}
		if got := rec.Header().Get("Content-Security-Policy"); got != unbrandedCSP {
			t.Errorf("%s: CSP %q, want %q", c.path, got, unbrandedCSP)
		}
	}
	u.st.merchants["shop"].Brand = nil
	other := newUnit(t)
	plain := other.link(t, domain.StatusPaid)
	if body := other.get(t, "GET", "/l/"+plain, personUA).Body.String(); strings.Contains(body, "<img") || !strings.Contains(body, "#0b5cff") || strings.Contains(body, "mailto:") {
		t.Errorf("an unbranded page:\n%s", body)
	}
}

// TestUnitLogoRoute: the logo is served as the stored PNG with its ETag,
// cached for a year at its current version (a shorter while at another),
// 304 for a matching If-None-Match; a merchant without a logo, a forged
// code and a suspended merchant get 404.
func TestUnitLogoRoute(t *testing.T) {
	u := newUnit(t)
	b := brandShop(t, u)
	code := u.link(t, domain.StatusCreated)
	rec := u.get(t, "GET", "/l/"+code+"/logo.png?v="+b.Logo.ETag, personUA)
	h := rec.Header()
	if rec.Code != 200 || h.Get("Content-Type") != "image/png" || h.Get("ETag") != `"`+b.Logo.ETag+`"` ||
		h.Get("Cache-Control") != "public, max-age=31536000, immutable" || h.Get("X-Content-Type-Options") != "nosniff" || !bytes.Equal(rec.Body.Bytes(), u.st.logos["shop"]) {
		t.Fatalf("logo: %d %v", rec.Code, h)
	}
	if rec := u.get(t, "GET", "/l/"+code+"/logo.png?v=old", personUA); rec.Code != 200 || rec.Header().Get("Cache-Control") != "public, max-age=300" {
		t.Fatalf("another version: %d %v", rec.Code, rec.Header())
	}
	req, _ := http.NewRequest("GET", "/l/"+code+"/logo.png", nil)
	req.Header.Set("If-None-Match", `"`+b.Logo.ETag+`"`)
	if rec := serve(u, req); rec.Code != http.StatusNotModified || rec.Body.Len() != 0 {
		t.Fatalf("If-None-Match: %d", rec.Code)
	}
	if rec := u.get(t, "GET", "/l/shop_forged/logo.png", personUA); rec.Code != 404 {
		t.Fatalf("forged code: %d", rec.Code)
	}
	held := newUnit(t)
	brandShop(t, held)
	held.st.merchants["shop"].Suspended = true
	if rec := held.get(t, "GET", "/l/"+held.link(t, domain.StatusCreated)+"/logo.png", personUA); rec.Code != 404 {
		t.Fatalf("suspended: %d", rec.Code)
	}
	bare := newUnit(t)
	if rec := bare.get(t, "GET", "/l/"+bare.link(t, domain.StatusCreated)+"/logo.png", personUA); rec.Code != 404 {
		t.Fatalf("no logo: %d", rec.Code)
	}
}

func serve(u *unit, req *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	u.mux.ServeHTTP(rec, req)
	return rec
}

// TestUnitLogoChangedMeanwhile: while the merchant read the pages hold
// still names the logo before a change, the logo route labels the bytes it
// serves with their own ETag, and never caches them for long under the
// old version.
func TestUnitLogoChangedMeanwhile(t *testing.T) {
	u := newUnit(t)
	old := brandShop(t, u)
	code := u.link(t, domain.StatusCreated)
	if rec := u.get(t, "GET", "/l/"+code, "WhatsApp/2"); rec.Code != 200 {
		t.Fatal(rec.Code)
	}
	newer := bytes.Repeat([]byte{1}, 10)
	u.st.logos["shop"] = newer
	rec := u.get(t, "GET", "/l/"+code+"/logo.png?v="+old.Logo.ETag, personUA)
	if !bytes.Equal(rec.Body.Bytes(), newer) || rec.Header().Get("ETag") == `"`+old.Logo.ETag+`"` || rec.Header().Get("Cache-Control") != "public, max-age=300" {
		t.Fatalf("served %d bytes as %v", rec.Body.Len(), rec.Header())
	}
}
