package redirect_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"image"
	"image/png"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/makiuchi-d/gozxing"
	zxqr "github.com/makiuchi-d/gozxing/qrcode"

	"github.com/paylinks/paylinks/shared/bank/reference"
	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/htmlsafe"
	"github.com/paylinks/paylinks/shared/merchant"
	"github.com/paylinks/paylinks/shared/money"
	"github.com/paylinks/paylinks/shared/psp"
	"github.com/paylinks/paylinks/shared/redirect"
)

var bankAccount = domain.Beneficiary{Name: "Bakkerij Peeters", IBAN: "BE71096123456769", BIC: "GKCCBEBB"}

// bankLink stores a link of shop offering a bank transfer (in currency,
// with methods; an OGM reference) and returns it.
func (u *unit) bankLink(t *testing.T, lang, currency string, methods ...string) *domain.Link {
	t.Helper()
	id := domain.NewID(domain.PrefixLink, unitNow.Add(-time.Hour))
	code, err := unitKey.NewCode("shop", id)
	if err != nil {
		t.Fatal(err)
	}
	amt, err := money.Parse(currency, "1234.50")
	if err != nil {
		t.Fatal(err)
	}
	b := bankAccount
	l := &domain.Link{ID: id, Merchant: "shop", Code: code, Status: domain.StatusCreated, Amount: amt, Description: "Taart & koffie",
		Language: lang, CreatedAt: unitNow.Add(-time.Hour), ExpiresAt: unitNow.Add(24 * time.Hour), Beneficiary: &b,
		PaymentMethods: methods, BankReference: reference.ForLink(id, 0, reference.BEOGM)}
	u.st.put(l)
	return l
}

// bankWords are words of the bank transfer part each language must show.
var bankWords = map[string][]string{
	"en": {"Pay by bank transfer", "Beneficiary", "Structured reference", "Copy", "1,234.50", "€1,234.50", "Scan this code with your banking app"},
	"nl": {"Betalen via overschrijving", "Begunstigde", "Gestructureerde mededeling", "Kopiëren", "1234,50", "€\u00a01.234,50", "Scan deze code met je bankapp"},
	"fr": {"Payer par virement", "Bénéficiaire", "Communication structurée", "Copier", "1234,50", "1\u202f234,50\u00a0€", "Scannez ce code avec l&#39;app de votre banque"},
	"de": {"Per Überweisung bezahlen", "Empfänger", "Zahlungsreferenz", "Kopieren", "1234,50", "1.234,50\u00a0€", "Scannen Sie diesen Code mit Ihrer Banking-App"},
}

// TestUnitBankPageNamesTheReference: a link with an ISO 11649 RF
// reference is not given the Belgian structured communication's name (nl,
// fr) on its page.
func TestUnitBankPageNamesTheReference(t *testing.T) {
	rf := map[string]string{"en": "Structured reference", "nl": "Betalingskenmerk", "fr": "Référence structurée", "de": "Zahlungsreferenz"}
	for lang, label := range rf {
		u := newUnit(t)
		l := u.bankLink(t, lang, "EUR", domain.MethodBankTransfer)
		l.BankReference = reference.ForLink(l.ID, 0, reference.RF)
		u.st.put(l)
		body := u.get(t, "GET", "/l/"+l.Code, personUA).Body.String()
		if !strings.Contains(body, ">"+htmlsafe.Text(label)+"</dt>") {
			t.Errorf("%s: the RF reference is not called %q", lang, label)
		}
		for _, ogm := range []string{"Gestructureerde mededeling", "gestructureerde mededeling", "Communication structurée", "communication structurée"} {
			if strings.Contains(body, htmlsafe.Text(ogm)) {
				t.Errorf("%s: an RF reference called %q", lang, ogm)
			}
		}
	}
}

// TestUnitBankPageInEveryLanguage: a person opening a link whose only
// method is the bank transfer gets the page (200) in the link's language
// with the beneficiary, the IBAN grouped by four, the BIC, the amount, the
// printed reference, the copy buttons (hidden until the script, which the
// CSP allows by its hash, shows them) and the EPC QR code; the click is
// recorded and no checkout is made.
func TestUnitBankPageInEveryLanguage(t *testing.T) {
	for lang, words := range bankWords {
		u := newUnit(t)
		l := u.bankLink(t, lang, "EUR", domain.MethodBankTransfer)
		rec := u.get(t, "GET", "/l/"+l.Code, personUA)
		body := rec.Body.String()
		if rec.Code != http.StatusOK {
			t.Fatalf("%s: %d\n%s", lang, rec.Code, body)
		}
		printed, _ := reference.Print(l.BankReference)
		want := append([]string{`lang="` + lang + `"`, "Bakkerij Peeters", "BE71 0961 2345 6769", "GKCCBEBB", htmlsafe.Text(printed),
			`data-copy="BE71096123456769"`, `data-copy="` + l.BankReference + `"`, `src="/l/` + l.Code + `/epc.png"`, `hidden`}, words...)
		for _, w := range want {
			if !strings.Contains(body, w) {
				t.Errorf("%s: the page lacks %q\n%s", lang, w, body)
			}
		}
		if strings.Contains(body, `class="button"`) {
			t.Errorf("%s: a checkout button for a link paid by transfer only", lang)
		}
		checkScriptAllowed(t, rec.Header().Get("Content-Security-Policy"), body)
		cur, _ := u.st.GetByCode(t.Context(), l.Code)
		if cur.Status != domain.StatusClicked || cur.ClickCount != 1 || u.psp.made != 0 || u.st.checkouts != 0 {
			t.Fatalf("%s: %s, %d clicks, %d checkouts; want clicked, 1, none", lang, cur.Status, cur.ClickCount, u.psp.made)
		}
		if rec.Header().Get("Cache-Control") != "no-store" || rec.Header().Get("Location") != "" {
			t.Fatalf("%s: headers %v", lang, rec.Header())
		}
	}
}

// checkScriptAllowed: the page's one script is the one its CSP allows by
// hash, and nothing else may run.
func checkScriptAllowed(t *testing.T, csp, body string) {
	t.Helper()
	m := regexp.MustCompile(`(?s)<script>(.*?)</script>`).FindAllStringSubmatch(body, -1)
	if len(m) != 1 {
		t.Fatalf("%d scripts", len(m))
	}
	sum := sha256.Sum256([]byte(m[0][1]))
	want := "script-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
	if !strings.Contains(csp, want) || !strings.Contains(csp, "default-src 'none'") {
		t.Fatalf("CSP %q does not allow the page's script (%s)", csp, want)
	}
}

// TestUnitBankPageBesideCheckout: a link with other methods too shows the
// transfer and a button to the PSP checkout made for its attempt (reused
// on the next open); a checkout that cannot be made leaves the transfer
// on the page with a word on it.
func TestUnitBankPageBesideCheckout(t *testing.T) {
	u := newUnit(t)
	l := u.bankLink(t, "en", "EUR", "card", domain.MethodBankTransfer)
	for i := 0; i < 2; i++ {
		rec := u.get(t, "GET", "/l/"+l.Code, personUA)
		want := `<a class="button" href="https://pay.example/c/` + l.ID + `-attempt-1">Pay online</a>`
		if rec.Code != 200 || !strings.Contains(rec.Body.String(), want) || !strings.Contains(rec.Body.String(), "Pay by bank transfer") {
			t.Fatalf("open %d: %d\n%s", i, rec.Code, rec.Body)
		}
	}
	if u.psp.made != 1 {
		t.Fatalf("%d checkouts made, want 1", u.psp.made)
	}
	// The merchant's methods when the link names none.
	for _, methods := range [][]string{{domain.MethodBankTransfer}, {"card", domain.MethodBankTransfer}} {
		mu := newUnit(t)
		mu.st.merchants["shop"].PaymentMethods = methods
		l := mu.bankLink(t, "en", "EUR")
		rec := mu.get(t, "GET", "/l/"+l.Code, personUA)
		if button := strings.Contains(rec.Body.String(), `class="button"`); rec.Code != 200 || button != (len(methods) > 1) || mu.psp.made != len(methods)-1 {
			t.Fatalf("a link of a merchant with %v: %d, %d checkouts\n%s", methods, rec.Code, mu.psp.made, rec.Body)
		}
	}
	down := newUnit(t)
	h := redirect.New(down.st, psp.Registry{"fake": &downPSP{}}, "https://links.example/")
	h.Codes, h.Now = unitKey, func() time.Time { return unitNow }
	down.mux = http.NewServeMux()
	h.Routes(down.mux)
	dl := down.bankLink(t, "de", "EUR", "card", domain.MethodBankTransfer)
	rec := down.get(t, "GET", "/l/"+dl.Code, personUA)
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), "Die Online-Zahlung ist gerade nicht möglich") ||
		!strings.Contains(rec.Body.String(), "BE71 0961 2345 6769") || strings.Contains(rec.Body.String(), `class="button"`) {
		t.Fatalf("checkout down: %d\n%s", rec.Code, rec.Body)
	}
}

// TestUnitBankLinkBotsPaidExpired: a bot gets the preview and records
// nothing; a paid link its page, an expired one 410, as any link.
func TestUnitBankLinkBotsPaidExpired(t *testing.T) {
	u := newUnit(t)
	l := u.bankLink(t, "nl", "EUR", domain.MethodBankTransfer)
	if rec := u.get(t, "GET", "/l/"+l.Code, "WhatsApp/2.23.20.0 A"); rec.Code != 200 || !strings.Contains(rec.Body.String(), `og:title`) ||
		strings.Contains(rec.Body.String(), "BE71") {
		t.Fatalf("bot: %d\n%s", rec.Code, rec.Body)
	}
	if u.st.writes() != 0 {
		t.Fatalf("a bot wrote %d times", u.st.writes())
	}
	paid := u.bankLink(t, "nl", "EUR", domain.MethodBankTransfer)
	paid.Status = domain.StatusPaid
	u.st.put(paid)
	if rec := u.get(t, "GET", "/l/"+paid.Code, personUA); rec.Code != 200 || !strings.Contains(rec.Body.String(), "Al betaald") ||
		strings.Contains(rec.Body.String(), "BE71") {
		t.Fatalf("paid: %d\n%s", rec.Code, rec.Body)
	}
	expired := u.bankLink(t, "nl", "EUR", domain.MethodBankTransfer)
	expired.Status = domain.StatusExpired
	u.st.put(expired)
	if rec := u.get(t, "GET", "/l/"+expired.Code, personUA); rec.Code != http.StatusGone || strings.Contains(rec.Body.String(), "BE71") {
		t.Fatalf("expired: %d\n%s", rec.Code, rec.Body)
	}
}

// TestUnitEPCImage: epc.png decodes to the EPC payload of the link's
// beneficiary, amount and reference; epc.svg is the same code as SVG;
// both carry a strong ETag and a revalidation answers 304; a link that
// offers no transfer, is not in EUR, is paid, expired or archived, or a
// forged code, is 404 text.
func TestUnitEPCImage(t *testing.T) {
	u := newUnit(t)
	l := u.bankLink(t, "fr", "EUR", domain.MethodBankTransfer)
	rec := u.get(t, "GET", "/l/"+l.Code+"/epc.png", personUA)
	if rec.Code != 200 || rec.Header().Get("Content-Type") != "image/png" || rec.Header().Get("ETag") == "" {
		t.Fatalf("epc.png: %d %v", rec.Code, rec.Header())
	}
	want := "BCD\n002\n1\nSCT\nGKCCBEBB\nBakkerij Peeters\nBE71096123456769\nEUR1234.50\n\n" + l.BankReference
	if got := decodeQR(t, rec.Body.Bytes()); got != want {
		t.Fatalf("epc.png reads %q, want %q", got, want)
	}
	req, _ := http.NewRequest("GET", "/l/"+l.Code+"/epc.png", nil)
	req.Header.Set("If-None-Match", rec.Header().Get("ETag"))
	again := httpDo(u, req)
	if again.Code != http.StatusNotModified {
		t.Fatalf("revalidation: %d", again.Code)
	}
	svg := u.get(t, "GET", "/l/"+l.Code+"/epc.svg", personUA)
	if svg.Code != 200 || svg.Header().Get("Content-Type") != "image/svg+xml" || !strings.HasPrefix(svg.Body.String(), "<svg") ||
		svg.Header().Get("ETag") == rec.Header().Get("ETag") {
		t.Fatalf("epc.svg: %d %v", svg.Code, svg.Header())
	}
	if u.st.writes() != 0 {
		t.Fatalf("the images wrote %d times", u.st.writes())
	}
	for name, change := range map[string]func(*domain.Link){
		"no transfer": func(l *domain.Link) { l.BankReference = "" },
		"USD":         func(l *domain.Link) { l.Amount = money.MustParse("USD", "1234.50") },
		"paid":        func(l *domain.Link) { l.Status = domain.StatusPaid },
		"expired":     func(l *domain.Link) { l.Status = domain.StatusExpired },
		"past expiry": func(l *domain.Link) { l.ExpiresAt = unitNow.Add(-time.Minute) },
		"archived":    func(l *domain.Link) { l.Archived = true },
	} {
		c := u.bankLink(t, "fr", "EUR", domain.MethodBankTransfer)
		change(c)
		u.st.put(c)
		for _, f := range []string{"png", "svg"} {
			if rec := u.get(t, "GET", "/l/"+c.Code+"/epc."+f, personUA); rec.Code != 404 || rec.Header().Get("Content-Type") != "text/plain; charset=utf-8" {
				t.Errorf("%s epc.%s: %d %s", name, f, rec.Code, rec.Header().Get("Content-Type"))
			}
		}
	}
	forged, _ := domain.CodeKey("another key of thirty-two bytes!!").NewCode("shop", l.ID)
	if rec := u.get(t, "GET", "/l/"+forged+"/epc.png", personUA); rec.Code != 404 {
		t.Fatalf("forged: %d", rec.Code)
	}
}

func httpDo(u *unit, req *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	u.mux.ServeHTTP(rec, req)
	return rec
}

// decodeQR reads a QR code from a PNG as a camera would (the pure-barcode
// path when gozxing's detector misses, as in package epc's tests).
func decodeQR(t *testing.T, b []byte) string {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	hints := map[gozxing.DecodeHintType]interface{}{gozxing.DecodeHintType_CHARACTER_SET: "UTF-8"}
	res, err := decodeImage(img, hints)
	if err != nil {
		hints[gozxing.DecodeHintType_PURE_BARCODE] = true
		if res, err = decodeImage(img, hints); err != nil {
			t.Fatalf("decoding: %v", err)
		}
	}
	return res.GetText()
}

func decodeImage(img image.Image, hints map[gozxing.DecodeHintType]interface{}) (*gozxing.Result, error) {
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		return nil, fmt.Errorf("bitmap: %w", err)
	}
	return zxqr.NewQRCodeReader().Decode(bmp, hints)
}

// downPSP cannot make a checkout now.
type downPSP struct{ fakePSP }

func (p *downPSP) CreateCheckout(context.Context, *merchant.Merchant, *domain.Link, string) (psp.Checkout, error) {
	return psp.Checkout{}, errors.New("psp: 503")
}
