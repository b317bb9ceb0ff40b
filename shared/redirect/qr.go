package redirect

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"strings"

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

func (h *Handler) qr(format string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		code := r.PathValue("code")
		l, err := h.Store.GetByCode(r.Context(), code)
		if err != nil || l.Archived {
			reqlog.Set(r.Context(), "outcome", "not_found")
			http.Error(w, "not found", http.StatusNotFound)
			return
		}
		reqlog.Set(r.Context(), "link_id", l.ID)
		etag := `"` + format + "-" + code + `"`
		w.Header().Set("Cache-Control", "public, max-age=86400, immutable")
		w.Header().Set("ETag", etag)
		if r.Header.Get("If-None-Match") == etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		bc, err := QR(h.PublicBaseURL + "/l/" + code)
		if err != nil {
			h.fail(w, r, l, err)
			return
		}
		var body []byte
		if format == "svg" {
			w.Header().Set("Content-Type", "image/svg+xml")
			body = QRSVG(bc)
		} else {
			w.Header().Set("Content-Type", "image/png")
			if body, err = QRPNG(bc); err != nil {
				h.fail(w, r, l, err)
				return
			}
		}
		reqlog.Set(r.Context(), "outcome", "qr_"+format)
		_, _ = w.Write(body)
	}
}
