package brand

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/png"
	"math/rand/v2"
	"testing"
)

// encode is a w×h PNG of generated pixels.
func encode(t testing.TB, w, h int, seed uint64) []byte {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, 9))
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	base := color.NRGBA{uint8(r.IntN(256)), uint8(r.IntN(256)), uint8(r.IntN(256)), 255}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			c := base
			c.R += uint8(x)
			c.A = uint8(128 + r.IntN(128))
			img.Set(x, y, c)
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// chunk is one PNG chunk: length, type, data, CRC of type and data (PNG
// specification, 5.3).
func chunk(typ string, data []byte) []byte {
	out := binary.BigEndian.AppendUint32(nil, uint32(len(data)))
	out = append(out, typ...)
	out = append(out, data...)
	return binary.BigEndian.AppendUint32(out, crc32.ChecksumIEEE(append([]byte(typ), data...)))
}

// withChunk is p with c inserted after its IHDR (8 signature bytes, then
// IHDR's 25).
func withChunk(p, c []byte) []byte {
	out := append([]byte{}, p[:33]...)
	out = append(out, c...)
	return append(out, p[33:]...)
}

// chunkTypes lists the chunk types of a PNG in order.
func chunkTypes(t *testing.T, p []byte) []string {
	t.Helper()
	var out []string
	for i := 8; i+8 <= len(p); {
		n := int(binary.BigEndian.Uint32(p[i:]))
		out = append(out, string(p[i+4:i+8]))
		i += 12 + n
	}
	return out
}

func onlyCritical(t *testing.T, p []byte) {
	t.Helper()
	for _, c := range chunkTypes(t, p) {
		switch c {
		case "IHDR", "PLTE", "tRNS", "IDAT", "IEND":
		default:
			t.Fatalf("chunk %s survived: %v", c, chunkTypes(t, p))
		}
	}
}

func TestSanitizeKeepsPixelsDropsMetadata(t *testing.T) {
	p := encode(t, 120, 40, 1)
	p = withChunk(p, chunk("tEXt", []byte("Comment\x00<script>alert(1)</script>")))
	p = withChunk(p, chunk("eXIf", []byte("MM\x00*GPS 50.8N 4.3E")))
	p = withChunk(p, chunk("iTXt", []byte("XML:com.adobe.xmp\x00\x00\x00\x00\x00<x:xmpmeta/>")))
	clean, info, err := SanitizePNG(p)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(clean, []byte("script")) || bytes.Contains(clean, []byte("GPS")) || bytes.Contains(clean, []byte("xmpmeta")) {
		t.Fatal("metadata survived")
	}
	onlyCritical(t, clean)
	if info.Width != 120 || info.Height != 40 || info.Bytes != len(clean) || len(info.ETag) != 16 {
		t.Fatalf("info %+v", info)
	}
	a, _ := png.Decode(bytes.NewReader(p))
	b, _ := png.Decode(bytes.NewReader(clean))
	for y := 0; y < 40; y++ {
		for x := 0; x < 120; x++ {
			if color.NRGBAModel.Convert(a.At(x, y)) != color.NRGBAModel.Convert(b.At(x, y)) {
				t.Fatalf("pixel %d,%d changed", x, y)
			}
		}
	}
}

func TestSanitizeRefusesHostileLogos(t *testing.T) {
	ok := encode(t, 16, 16, 2)
	// A decompression bomb: an IHDR that claims 50000×50000 RGBA pixels
	// (10 GB decoded) over a few bytes of IDAT.
	ihdr := binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint32(nil, 50000), 50000)
	ihdr = append(ihdr, 8, 6, 0, 0, 0)
	bomb := append([]byte("\x89PNG\r\n\x1a\n"), chunk("IHDR", ihdr)...)
	bomb = append(bomb, chunk("IDAT", []byte{0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01})...)
	bomb = append(bomb, chunk("IEND", nil)...)
	huge := make([]byte, MaxLogoBytes+1)
	copy(huge, ok)
	cases := map[string][]byte{
		"empty":         nil,
		"svg":           []byte(`<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>`),
		"gif":           []byte("GIF89a\x01\x00\x01\x00\x00\x00\x00;"),
		"truncated":     ok[:len(ok)-20],
		"bad crc":       append(append([]byte{}, ok[:30]...), append([]byte{ok[30] ^ 0xff}, ok[31:]...)...),
		"bomb":          bomb,
		"too wide":      encode(t, MaxLogoSide+1, 2, 3),
		"too many byte": huge,
	}
	for name, p := range cases {
		_, _, err := SanitizePNG(p)
		var ferr *LogoError
		if !errors.As(err, &ferr) || ferr.Message == "" {
			t.Errorf("%s: err %v, want a LogoError", name, err)
		}
	}
}

// TestSanitizeIdempotent: for generated logos, the cleaned PNG is accepted
// again unchanged (same bytes, same ETag) and holds critical chunks only.
func TestSanitizeIdempotent(t *testing.T) {
	for i := uint64(0); i < 30; i++ {
		r := rand.New(rand.NewPCG(i, 3))
		p := encode(t, 1+r.IntN(200), 1+r.IntN(200), i)
		clean, info, err := SanitizePNG(p)
		if err != nil {
			t.Fatal(err)
		}
		again, info2, err := SanitizePNG(clean)
		if err != nil || !bytes.Equal(again, clean) || info != info2 {
			t.Fatalf("case %d: not idempotent (%v)", i, err)
		}
		onlyCritical(t, clean)
	}
}

func FuzzSanitizePNG(f *testing.F) {
	f.Add(encode(f, 4, 4, 1))
	f.Add(withChunk(encode(f, 3, 2, 2), chunk("tEXt", []byte("a\x00b"))))
	f.Add([]byte("\x89PNG\r\n\x1a\n"))
	f.Fuzz(func(t *testing.T, p []byte) {
		clean, info, err := SanitizePNG(p)
		if err != nil {
			return
		}
		if info.Width > MaxLogoSide || info.Height > MaxLogoSide || len(clean) > MaxStoredBytes {
			t.Fatalf("accepted %+v", info)
		}
		onlyCritical(t, clean)
	})
}
