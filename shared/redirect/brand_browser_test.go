package redirect_test

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/paylinks/paylinks/shared/testkit/browser"
	"github.com/paylinks/paylinks/shared/testkit/testenv"
)

// logoImage is a 240×72 generated logo: a purple band with a white disc.
func logoImage(t *testing.T) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, 240, 72))
	for y := 0; y < 72; y++ {
		for x := 0; x < 240; x++ {
			c := color.NRGBA{0x6b, 0x2c, 0x91, 255}
			if dx, dy := x-36, y-36; dx*dx+dy*dy < 24*24 {
				c = color.NRGBA{255, 255, 255, 255}
			} else if x > 72 && y > 28 && y < 44 {
				c = color.NRGBA{0xf3, 0xe8, 0xfa, 255}
			}
			img.Set(x, y, c)
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func apiCall(t *testing.T, method, url, key, contentType, body string) string {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", contentType)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 {
		t.Fatalf("%s %s: %d %s", method, url, resp.StatusCode, raw)
	}
	return string(raw)
}

// TestBrowserBrandedBankPage: a branded merchant's bank transfer page, as
// a person opens it in Chromium, shows the logo (loaded from the pages'
// own origin under the unchanged CSP: no violation in the console), the
// accent colour on the pay button and the support contact; axe finds no
// serious or critical violation, on a desktop and on a 390 px phone.
func TestBrowserBrandedBankPage(t *testing.T) {
	env := testenv.New(t)
	key := env.Merchant(t, "bakkerij")
	srv := env.Serve(t)
	apiCall(t, "PUT", srv.URL+"/v1/settings", key, "application/json",
		`{"name":"Bakkerij Peeters","default_beneficiary":{"name":"Bakkerij Peeters","iban":"BE71096123456769","bic":"GKCCBEBB"},"payment_methods":["card","bank_transfer"]}`)
	apiCall(t, "PUT", srv.URL+"/v1/settings/brand", key, "application/json", `{"accent_color":"#6b2c91","support_email":"hulp@peeters.example","support_phone":"+3293001122"}`)
	apiCall(t, "PUT", srv.URL+"/v1/settings/brand/logo", key, "image/png", string(logoImage(t)))
	created := apiCall(t, "POST", srv.URL+"/v1/payment-links", key, "application/json",
		`{"amount":{"currency":"EUR","value":"1234.50"},"description":"Taart & koffie","customer":{"first_name":"Ana","last_name":"Peeters","language":"nl"}}`)
	url := created[strings.Index(created, `"url":"`)+7:]
	url = url[:strings.Index(url, `"`)]
	b := browser.New(t)
	b.As(browser.PersonUA)
	b.Go(url)
	if b.Count("img.logo") != 1 || !strings.Contains(b.Text("p.support"), "hulp@peeters.example") || !strings.Contains(b.Text("h1"), "Betaalverzoek") {
		t.Fatalf("the branded page lacks its logo or support contact")
	}
	src := b.Attr("img.logo", "src")
	resp, err := http.Get(srv.URL + src)
	if err != nil || resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/png" {
		t.Fatalf("logo %s: %v %v", src, err, resp)
	}
	resp.Body.Close()
	b.Axe(t, "branded-bank-page")
	b.NoErrors(t)
	b.Shot("branded-bank-page")
	b.Mobile(t)
	b.Shot("branded-bank-page-phone")
	b.Desktop()
}
