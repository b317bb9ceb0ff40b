package redirect

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"strings"
	"sync"

	"github.com/boombuler/barcode"
	"github.com/boombuler/barcode/qr"

	"github.com/paylinks/paylinks/shared/reqlog"
)

// qrQuiet is the quiet zone around the code, in modules (ISO/IEC 18004).
const qrQuiet = 4

// qrPixels is the PNG's module size.
const qrPixels = 8

// QR encodes a URL as a QR code (error correction M).
func QR(url string) (barcode.Barcode, error) {
	return qr.Encode(url, qr.M, qr.Auto)
}

// QRPNG renders a code as a PNG with its quiet zone.
func QRPNG(code barcode.Barcode) ([]byte, error) {
	n := code.Bounds().Dx()
	size := (n + 2*qrQuiet) * qrPixels
	img := image.NewPaletted(image.Rect(0, 0, size, size), color.Palette{color.White, color.Black})
	for y := 0; y < n; y++ {
		for x := 0; x < n; x++ {
			if code.At(x, y) != color.Black {
				continue
			}
			for dy := 0; dy < qrPixels; dy++ {
				for dx := 0; dx < qrPixels; dx++ {
					img.SetColorIndex((x+qrQuiet)*qrPixels+dx, (y+qrQuiet)*qrPixels+dy, 1)
				}
			}
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// QRSVG renders a code as an SVG path, one unit per module.
func QRSVG(code barcode.Barcode) []byte {
	n := code.Bounds().Dx()
	var path strings.Builder
	for y := 0; y < n; y++ {
		for x := 0; x < n; x++ {
			if code.At(x, y) == color.Black {
				fmt.Fprintf(&path, "M%d %dh1v1h-1z", x+qrQuiet, y+qrQuiet)
			}
		}
	}
	total := n + 2*qrQuiet
	return []byte(fmt.Sprintf(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" shape-rendering="crispEdges" role="img" aria-label="QR code"><rect width="100%%" height="100%%" fill="#fff"/><path fill="#000" d="%s"/></svg>`, total, total, path.String()))
}

// qrCache keeps the last rendered images: a QR depends on its code alone,
// so a popular link's image is drawn once per warm function.
type qrCache struct {
	mu  sync.Mutex
	img map[string][]byte
}

const qrCacheSize = 512

func (c *qrCache) get(k string) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	b, ok := c.img[k]
	return b, ok
}

func (c *qrCache) put(k string, b []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.img == nil || len(c.img) >= qrCacheSize {
		c.img = map[string][]byte{}
	}
	c.img[k] = b
}

// qr serves a link's QR code. The image follows from the code alone, so it
// is served without a table read once the code's tag verifies, with a
// strong ETag and a year-long immutable Cache-Control; a revalidation
// answers 304 before anything is drawn.
func (h *Handler) qr(format string) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		code := r.PathValue("code")
		if _, err := h.Codes.Verify(code); err != nil {
			return &notFound{outcome: "bad_code", plain: true}
		}
		etag := `"` + format + "-" + code + `"`
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		w.Header().Set("ETag", etag)
		if inm := r.Header.Get("If-None-Match"); inm != "" && (inm == "*" || strings.Contains(inm, etag)) {
			reqlog.Set(r.Context(), "outcome", "qr_not_modified")
			w.WriteHeader(http.StatusNotModified)
			return nil
		}
		ctype := "image/png"
		if format == "svg" {
			ctype = "image/svg+xml"
		}
		body, ok := h.qrs.get(etag)
		if !ok {
			bc, err := QR(h.PublicBaseURL + "/l/" + code)
			if err != nil {
				return fmt.Errorf("qr code of %s: %w", code, err)
			}
			if format == "svg" {
				body = QRSVG(bc)
			} else if body, err = QRPNG(bc); err != nil {
				return fmt.Errorf("qr png of %s: %w", code, err)
			}
			h.qrs.put(etag, body)
		}
		w.Header().Set("Content-Type", ctype)
		reqlog.Set(r.Context(), "outcome", "qr_"+format)
		_, _ = w.Write(body)
		return nil
	}
}
