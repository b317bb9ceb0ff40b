package brand

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"image/png"
)

// The logo's limits: the upload's size, its sides, and the cleaned PNG's
// size (kept well under DynamoDB's 400 KB item, where it is stored).
const (
	MaxLogoBytes   = 256 << 10
	MaxLogoSide    = 1024
	MaxStoredBytes = 320 << 10
)

// LogoError is why an uploaded logo is refused (the API's 422 on "logo").
type LogoError struct{ Message string }

func (e *LogoError) Error() string { return "logo " + e.Message }

var pngSignature = []byte("\x89PNG\r\n\x1a\n")

// SanitizePNG checks an uploaded logo and returns it cleaned: a PNG (its
// signature, then decoded by image/png) of at most MaxLogoBytes and
// MaxLogoSide pixels a side (read from its header before any pixel is
// decoded, so a decompression bomb costs nothing), encoded again from its
// pixels alone, so that no text, EXIF, XMP, colour profile or unknown
// chunk survives.
func SanitizePNG(p []byte) ([]byte, Logo, error) {
	switch {
	case len(p) == 0:
		return nil, Logo{}, &LogoError{"is empty: send the PNG image as the body (Content-Type: image/png)"}
	case len(p) > MaxLogoBytes:
		return nil, Logo{}, &LogoError{fmt.Sprintf("is %d bytes: it may be %d KB at most", len(p), MaxLogoBytes>>10)}
	case !bytes.HasPrefix(p, pngSignature):
		return nil, Logo{}, &LogoError{"must be a PNG image (SVG, JPEG and other formats are not accepted)"}
	}
	cfg, err := png.DecodeConfig(bytes.NewReader(p))
	if err != nil {
		return nil, Logo{}, &LogoError{"is not a readable PNG image: " + err.Error()}
	}
	if cfg.Width > MaxLogoSide || cfg.Height > MaxLogoSide {
		return nil, Logo{}, &LogoError{fmt.Sprintf("is %d×%d pixels: it may be %d×%d at most", cfg.Width, cfg.Height, MaxLogoSide, MaxLogoSide)}
	}
	img, err := png.Decode(bytes.NewReader(p))
	if err != nil {
		return nil, Logo{}, &LogoError{"is not a readable PNG image: " + err.Error()}
	}
	var out bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(&out, img); err != nil {
		return nil, Logo{}, fmt.Errorf("encode logo: %w", err)
	}
	if out.Len() > MaxStoredBytes {
		return nil, Logo{}, &LogoError{fmt.Sprintf("takes %d KB once cleaned: make it smaller or simpler (%d KB at most)", out.Len()>>10, MaxStoredBytes>>10)}
	}
	sum := sha256.Sum256(out.Bytes())
	return out.Bytes(), Logo{ETag: hex.EncodeToString(sum[:8]), Width: img.Bounds().Dx(), Height: img.Bounds().Dy(), Bytes: out.Len()}, nil
}
