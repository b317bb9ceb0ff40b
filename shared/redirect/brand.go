package redirect

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"

	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/htmlsafe"
)

// brandCSS styles a branded page's logo and support contact (the accent
// colour is a checked "#rrggbb", written into the page's own stylesheet,
// which the pages' CSP already allows: no new source).
const brandCSS = `
img.logo{display:block;max-width:12.5rem;max-height:3.5rem;width:auto;height:auto;margin:0 0 1rem}
p.support{margin-top:1.5rem;border-top:1px solid #d0d7de;padding-top:1rem;color:#57606a;font-size:.95rem}
p.support a{color:%s;font-weight:600}
p.support a:focus{outline:3px solid #1b1f24;outline-offset:2px}`

// brandHTML is the page's logo and support contact, each escaped for where
// it stands, and their style ("" for an unbranded page; the not-found and
// error pages, which know no merchant, show neither).
func brandHTML(p Page) (logo, support, style string) {
	b := p.Brand
	if b.Empty() || p.Merchant == "" {
		return "", "", ""
	}
	e := htmlsafe.Text
	if p.LogoPath != "" && b.Logo != nil {
		logo = fmt.Sprintf("\n"+`<img class="logo" src="%s" alt="%s" width="%d" height="%d">`, e(p.LogoPath), e(p.Merchant), b.Logo.Width, b.Logo.Height)
	}
	var links []string
	if b.SupportEmail != "" {
		links = append(links, `<a href="mailto:`+e(b.SupportEmail)+`">`+e(b.SupportEmail)+`</a>`)
	}
	if b.SupportPhone != "" {
		links = append(links, `<a href="tel:`+e(b.SupportPhone)+`">`+e(b.SupportPhone)+`</a>`)
	}
	if len(links) > 0 {
		support = "\n" + `<p class="support">` + e(fmt.Sprintf(p.T["support"], p.Merchant)) + " " + strings.Join(links, " · ") + "</p>"
	}
	return logo, support, fmt.Sprintf(brandCSS, b.Accent())
}

// plainNotFound is err as the image routes answer it: a not-found in text.
func plainNotFound(err error) error {
	var nf *notFound
	if errors.As(err, &nf) {
		nf.plain = true
		return nf
	}
	if errors.Is(err, domain.ErrNotFound) {
		return &notFound{outcome: "no_logo", plain: true}
	}
	return err
}

// logoCache keeps merchants' logos by merchant and ETag (a new logo is a
// new entry), so that a busy link's page does not read the table for each
// image; at most logoCacheSize are kept.
type logoCache struct {
	mu sync.Mutex
	m  map[string][]byte
}

const logoCacheSize = 64

// get is the merchant's logo and its ETag: the one of that etag when
// cached, else the stored one (which a merchant read before a change names
// no more).
func (c *logoCache) get(ctx context.Context, st Store, merchantID, etag string) ([]byte, string, error) {
	key := merchantID + "/" + etag
	c.mu.Lock()
	png, ok := c.m[key]
	c.mu.Unlock()
	if ok {
		return png, etag, nil
	}
	png, got, err := st.GetLogo(ctx, merchantID)
	if err != nil {
		return nil, "", err
	}
	c.mu.Lock()
	if c.m == nil || len(c.m) >= logoCacheSize {
		c.m = map[string][]byte{}
	}
	c.m[merchantID+"/"+got] = png
	c.mu.Unlock()
	return png, got, nil
}

// logo serves the merchant's logo of a link's code from the pages' own
// origin (their CSP allows images of 'self' only): with its ETag, cached
// for a year at the version the pages link (?v=), 5 minutes otherwise.
func (h *Handler) logo(w http.ResponseWriter, r *http.Request) error {
	m, err := h.serving(r.Context(), r.PathValue("code"), true)
	if err != nil {
		return plainNotFound(err)
	}
	if m.Brand == nil || m.Brand.Logo == nil {
		return &notFound{outcome: "no_logo", plain: true}
	}
	// The stored logo's own ETag labels the bytes, even when the merchant
	// read (cached for 30 s) still names the one before a change.
	png, etag, err := h.logos.get(r.Context(), h.Store, m.ID, m.Brand.Logo.ETag)
	if err != nil {
		return plainNotFound(err)
	}
	hd := w.Header()
	hd.Set("Content-Type", "image/png")
	hd.Set("ETag", `"`+etag+`"`)
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Content-Security-Policy", "default-src 'none'")
	hd.Set("Cache-Control", "public, max-age=300")
	if r.URL.Query().Get("v") == etag {
		hd.Set("Cache-Control", "public, max-age=31536000, immutable")
	}
	if r.Header.Get("If-None-Match") == `"`+etag+`"` {
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	_, _ = w.Write(png)
	return nil
}
