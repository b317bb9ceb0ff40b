package redirect_test

import (
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/paylinks/paylinks/shared/bank/reference"
	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/merchant"
	"github.com/paylinks/paylinks/shared/testkit/testenv"
)

// bankService serves a merchant on the sandbox PSP that enables card and
// bank_transfer, with a Belgian default account.
func bankService(t *testing.T) (*testenv.Env, *testenv.Server, string) {
	t.Helper()
	env := testenv.New(t)
	b := bankAccount
	key := env.MerchantWith(t, &merchant.Merchant{ID: "shop", Name: "Bakkerij Peeters", PSP: "sandbox",
		PaymentMethods: []string{"card", domain.MethodBankTransfer}, DefaultBeneficiary: &b})
	return env, env.Serve(t), key
}

type bankLinkView struct {
	ID, URL      string
	BankTransfer *struct {
		Reference   string
		Beneficiary struct{ Name, IBAN, BIC string }
		QRURL       string `json:"qr_url"`
	} `json:"bank_transfer"`
}

func createBankLink(t *testing.T, srv *testenv.Server, key, body string) bankLinkView {
	t.Helper()
	req, _ := http.NewRequest("POST", srv.URL+"/v1/payment-links", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 201 {
		t.Fatalf("create: %d %s", resp.StatusCode, raw)
	}
	var v bankLinkView
	if err := jsonUnmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

// TestBankTransferThroughTheService: a link made through the API with
// bank_transfer carries its reference (valid, in the merchant's default
// format: OGM for a Belgian account), its marker, and its EPC QR code's
// URL; a person's open records the click and shows the transfer beside
// the sandbox's checkout; the EPC QR code decodes to the link's transfer.
func TestBankTransferThroughTheService(t *testing.T) {
	env, srv, key := bankService(t)
	v := createBankLink(t, srv, key, `{"amount":{"currency":"EUR","value":"42.00"},"description":"Taart","customer":{"company_name":"ACME","language":"nl"},"payment_methods":["card","bank_transfer"]}`)
	if v.BankTransfer == nil || v.BankTransfer.Beneficiary.IBAN != "BE71096123456769" || v.BankTransfer.Beneficiary.BIC != "GKCCBEBB" ||
		v.BankTransfer.QRURL != v.URL+"/epc.png" {
		t.Fatalf("view: %+v", v.BankTransfer)
	}
	e, f, err := reference.Check(v.BankTransfer.Reference)
	if err != nil || f != reference.BEOGM {
		t.Fatalf("reference %q: %s %v", v.BankTransfer.Reference, f, err)
	}
	if id, err := env.Store.LinkIDByBankReference(t.Context(), "shop", e); err != nil || id != v.ID {
		t.Fatalf("marker: %q %v", id, err)
	}
	st, _, body := get(t, v.URL, browserUA, "GET")
	if st != 200 || !strings.Contains(body, "Betalen via overschrijving") || !strings.Contains(body, "BE71 0961 2345 6769") ||
		!strings.Contains(body, `<a class="button" href="`+srv.URL+`/sandbox/`) {
		t.Fatalf("page: %d\n%s", st, body)
	}
	l, _ := env.Store.Get(t.Context(), "shop", v.ID)
	if l.Status != domain.StatusClicked || l.ClickCount != 1 || l.BankReference != e {
		t.Fatalf("after the open: %s %d %q", l.Status, l.ClickCount, l.BankReference)
	}
	st, h, img := get(t, v.BankTransfer.QRURL, browserUA, "GET")
	if st != 200 || h.Get("Content-Type") != "image/png" {
		t.Fatalf("epc.png: %d", st)
	}
	want := "BCD\n002\n1\nSCT\nGKCCBEBB\nBakkerij Peeters\nBE71096123456769\nEUR42.00\n\n" + e
	if got := decodeQR(t, []byte(img)); got != want {
		t.Fatalf("epc.png reads %q, want %q", got, want)
	}
}

// TestUSDLinkOffersNoBankTransfer: a link in USD with the merchant's
// methods offers no transfer: no bank_transfer in its view, no EPC QR code.
func TestUSDLinkOffersNoBankTransfer(t *testing.T) {
	_, srv, key := bankService(t)
	usd := createBankLink(t, srv, key, `{"amount":{"currency":"USD","value":"42.00"},"description":"Taart","customer":{"company_name":"ACME"}}`)
	if usd.BankTransfer != nil {
		t.Fatalf("a USD link offers a transfer: %+v", usd.BankTransfer)
	}
	if st, _, _ := get(t, usd.URL+"/epc.png", browserUA, "GET"); st != 404 {
		t.Fatalf("a USD link's epc.png: %d", st)
	}
}

// TestBrowserBankPage: in Chromium the copy buttons show (the page's CSP
// runs its script by hash) and the EPC QR code loads.
func TestBrowserBankPage(t *testing.T) {
	bin := chromium(t)
	_, srv, key := bankService(t)
	dir := shotDir(t)
	for _, lang := range []string{"en", "nl", "fr", "de"} {
		v := createBankLink(t, srv, key, `{"amount":{"currency":"EUR","value":"1234.50"},"description":"Taart","customer":{"company_name":"ACME","language":"`+lang+`"},"payment_methods":["bank_transfer"]}`)
		dom := browse(t, bin, v.URL, filepath.Join(dir, "bank-"+lang+".png"))
		if strings.Count(dom, `class="copy"`) != 3 || strings.Contains(dom, `class="copy" hidden`) || !strings.Contains(dom, "epc.png") {
			t.Errorf("%s: the copy buttons did not show:\n%s", lang, dom)
		}
	}
	t.Logf("screenshots in %s", dir)
}
