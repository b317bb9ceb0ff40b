package httpapi_test

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/png"
	"strings"
	"testing"

	"github.com/paylinks/paylinks/shared/testkit/testenv"
)

// logoPNG is a small generated PNG with a tEXt chunk after its header.
func logoPNG(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.Set(x, y, color.NRGBA{uint8(x * 3), 0x2c, 0x91, 255})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	data := []byte("Comment\x00tracking-id-42")
	c := binary.BigEndian.AppendUint32(nil, uint32(len(data)))
	c = append(c, "tEXt"...)
	c = append(c, data...)
	c = binary.BigEndian.AppendUint32(c, crc32.ChecksumIEEE(append([]byte("tEXt"), data...)))
	p := b.Bytes()
	return append(append(append([]byte{}, p[:33]...), c...), p[33:]...)
}

// TestBrandSettings: the brand's colour and support contact are checked
// (422 naming the field: a colour white text cannot be read on, an address
// or number the customer fields would refuse), kept when left out; the
// logo is a PNG body, cleaned of its metadata, served back with its ETag,
// deleted; hostile logos are refused; each change is audited.
func TestBrandSettings(t *testing.T) {
	env := testenv.New(t)
	key := env.Merchant(t, "shop")
	base := env.Serve(t).URL + "/v1/settings/brand"
	st, _, raw := call(t, "GET", base, key, "", nil, true)
	if b := decode(t, raw); st != 200 || b["accent_color"] != nil || b["accent_color_in_effect"] != "#0b5cff" || b["logo"] != nil {
		t.Fatalf("unbranded: %d %s", st, raw)
	}
	for body, field := range map[string]string{`{"accent_color":"#ffcc00"}`: "accent_color", `{"accent_color":"blue"}`: "accent_color",
		`{"support_email":"help at shop"}`: "support_email", `{"support_phone":"0470 12 34 56"}`: "support_phone"} {
		if st, _, raw := call(t, "PUT", base, key, body, nil, true); st != 422 || !strings.Contains(string(raw), `"field":"`+field+`"`) {
			t.Errorf("%s: %d %s", body, st, raw)
		}
	}
	st, _, raw = call(t, "PUT", base, key, `{"accent_color":"#6B2C91","support_email":"hulp@shop.example","support_phone":"+3293001122"}`, nil, true)
	if b := decode(t, raw); st != 200 || b["accent_color"] != "#6b2c91" || b["support_phone"] != "+3293001122" {
		t.Fatalf("set: %d %s", st, raw)
	}
	st, _, raw = call(t, "PUT", base, key, `{"support_phone":""}`, nil, true)
	if b := decode(t, raw); st != 200 || b["accent_color"] != "#6b2c91" || b["support_email"] != "hulp@shop.example" || b["support_phone"] != nil {
		t.Fatalf("clear the phone: %d %s", st, raw)
	}
	brandLogo(t, base, key)
	st, _, raw = call(t, "GET", env.Serve(t).URL+"/v1/audit-log", key, "", nil, false)
	if st != 200 || strings.Count(string(raw), `"brand"`) < 6 {
		t.Fatalf("audit: %d %s", st, raw)
	}
}

func brandLogo(t *testing.T, base, key string) {
	t.Helper()
	pngHeader := map[string]string{"Content-Type": "image/png"}
	p := logoPNG(t, 120, 40)
	if st, _, raw := call(t, "PUT", base+"/logo", key, string(p), nil, false); st != 415 {
		t.Fatalf("JSON content type: %d %s", st, raw)
	}
	for name, body := range map[string]string{"svg": `<svg xmlns="http://www.w3.org/2000/svg"/>`, "truncated": string(p[:60]),
		"too large": string(p) + strings.Repeat("\x00", 300<<10)} {
		if st, _, raw := call(t, "PUT", base+"/logo", key, body, pngHeader, false); st != 422 || !strings.Contains(string(raw), `"field":"logo"`) {
			t.Errorf("%s: %d %s", name, st, raw)
		}
	}
	st, _, raw := call(t, "PUT", base+"/logo", key, string(p), pngHeader, false)
	b := decode(t, raw)
	logo, _ := b["logo"].(map[string]any)
	if st != 200 || logo == nil || logo["width"] != 120.0 || logo["height"] != 40.0 || b["accent_color"] != "#6b2c91" {
		t.Fatalf("logo: %d %s", st, raw)
	}
	st, h, got := call(t, "GET", base+"/logo", key, "", nil, false)
	if st != 200 || h.Get("Content-Type") != "image/png" || bytes.Contains(got, []byte("tracking-id")) || h.Get("ETag") != `"`+logo["etag"].(string)+`"` {
		t.Fatalf("get logo: %d %v (%d bytes)", st, h, len(got))
	}
	if _, err := png.Decode(bytes.NewReader(got)); err != nil {
		t.Fatal(err)
	}
	if st, _, _ := call(t, "GET", base+"/logo", key, "", map[string]string{"If-None-Match": h.Get("ETag")}, false); st != 304 {
		t.Fatalf("If-None-Match: %d", st)
	}
	st, _, raw = call(t, "DELETE", base+"/logo", key, "", nil, false)
	if b := decode(t, raw); st != 200 || b["logo"] != nil || b["accent_color"] != "#6b2c91" {
		t.Fatalf("delete: %d %s", st, raw)
	}
	if st, _, _ := call(t, "GET", base+"/logo", key, "", nil, false); st != 404 {
		t.Fatalf("deleted logo: %d", st)
	}
}

// TestBrandedPreview: the dashboard's preview of a branded merchant's link
// shows the e-mail as sent (logo on the customer pages' host, accent,
// support contact), and the preview frame's policy lets that one origin's
// images load, nothing else.
func TestBrandedPreview(t *testing.T) {
	env := testenv.New(t)
	key := env.Merchant(t, "shop")
	srv := env.Serve(t)
	call(t, "PUT", srv.URL+"/v1/settings/brand", key, `{"accent_color":"#1a7f37","support_email":"help@shop.example"}`, nil, true)
	_, _, raw := call(t, "PUT", srv.URL+"/v1/settings/brand/logo", key, string(logoPNG(t, 20, 20)), map[string]string{"Content-Type": "image/png"}, false)
	etag := decode(t, raw)["logo"].(map[string]any)["etag"].(string)
	_, _, raw = call(t, "POST", srv.URL+"/v1/payment-links", key, `{"amount":{"currency":"EUR","value":"5"},"description":"d","customer":{"first_name":"Ana","last_name":"Peeters","email":"ana@example.be"}}`, nil, true)
	l := decode(t, raw)
	if l["url"] == nil {
		t.Fatalf("create: %s", raw)
	}
	code := l["url"].(string)[strings.LastIndex(l["url"].(string), "/")+1:]
	st, h, html := call(t, "GET", srv.URL+"/v1/payment-links/"+l["id"].(string)+"/preview/email", key, "", nil, false)
	for _, want := range []string{`src="` + srv.URL + "/l/" + code + "/logo.png?v=" + etag + `"`, "background:#1a7f37", "mailto:help@shop.example"} {
		if st != 200 || !strings.Contains(string(html), want) {
			t.Errorf("preview lacks %q: %d\n%s", want, st, html)
		}
	}
	if csp := h.Get("Content-Security-Policy"); !strings.Contains(csp, "img-src data: "+srv.URL+";") || !strings.Contains(csp, "sandbox") {
		t.Errorf("preview CSP %q", csp)
	}
}

// TestLogoForASettingsReader: the logo is the settings' to read: a key
// holding settings:read alone (no right to customers' data) gets the PNG as
// the owner does, and its ETag's 304. Before, the answer went through the
// redaction of people's data, which refuses what is not JSON: 500.
func TestLogoForASettingsReader(t *testing.T) {
	env := testenv.New(t)
	key := env.Merchant(t, "shop")
	base := env.Serve(t).URL
	if st, _, raw := call(t, "PUT", base+"/v1/settings/brand/logo", key, string(logoPNG(t, 30, 20)), map[string]string{"Content-Type": "image/png"}, false); st != 200 {
		t.Fatalf("logo: %d %s", st, raw)
	}
	st, _, raw := call(t, "POST", base+"/v1/api-keys", key, `{"name":"brand reader","permissions":["settings:read"]}`, nil, true)
	if st != 201 {
		t.Fatalf("key: %d %s", st, raw)
	}
	reader := decode(t, raw)["secret"].(string)
	_, _, want := call(t, "GET", base+"/v1/settings/brand/logo", key, "", nil, false)
	st, h, got := call(t, "GET", base+"/v1/settings/brand/logo", reader, "", nil, false)
	if st != 200 || h.Get("Content-Type") != "image/png" || !bytes.Equal(got, want) {
		t.Fatalf("the logo for settings:read alone: %d %s %q", st, h.Get("Content-Type"), got)
	}
	if st, _, raw := call(t, "GET", base+"/v1/settings/brand/logo", reader, "", map[string]string{"If-None-Match": h.Get("ETag")}, false); st != 304 {
		t.Fatalf("If-None-Match for settings:read alone: %d %s", st, raw)
	}
}
