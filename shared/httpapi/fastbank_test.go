package httpapi_test

import (
	"testing"

	"github.com/paylinks/paylinks/shared/bank/reference"
	"github.com/paylinks/paylinks/shared/domain"
)

// Bank transfers in the fast tier (see fast_test.go).

// bankShop enables bank_transfer for "shop", with a Belgian default account.
func bankShop(f *fastAPI) {
	m := f.st.merchants["shop"]
	m.PaymentMethods = append(m.PaymentMethods, domain.MethodBankTransfer)
	m.DefaultBeneficiary = &domain.Beneficiary{Name: "Demo Shop", IBAN: "BE71096123456769", BIC: "GKCCBEBB"}
}

// TestFastCreateBankTransfer: a link asking for bank_transfer is 201 with
// its bank_transfer (a reference valid in the merchant's default format,
// OGM for a Belgian account, in print form; the beneficiary; the EPC QR
// code's URL), the same when read back; by the merchant's methods a EUR
// link offers it and a USD link does not; asked in USD, or with a
// beneficiary without BIC, it is a 422 naming the field and writes nothing.
func TestFastCreateBankTransfer(t *testing.T) {
	f := newFastAPI(t)
	bankShop(f)
	c := f.key()
	l := f.create(c, `{"amount":{"currency":"EUR","value":"42.00"},"description":"d","customer":{"company_name":"ACME"},"payment_methods":["bank_transfer"]}`)
	bt, ok := l["bank_transfer"].(map[string]any)
	if !ok {
		t.Fatalf("no bank_transfer: %v", l)
	}
	ref, _ := bt["reference"].(string)
	e, format, err := reference.Check(ref)
	if err != nil || format != reference.BEOGM || ref[:3] != "+++" {
		t.Fatalf("reference %q: %s %v", ref, format, err)
	}
	b := bt["beneficiary"].(map[string]any)
	if b["name"] != "Demo Shop" || b["iban"] != "BE71096123456769" || b["bic"] != "GKCCBEBB" || bt["qr_url"] != l["url"].(string)+"/epc.png" {
		t.Fatalf("bank_transfer %v", bt)
	}
	stored, err := f.st.Get(t.Context(), "shop", l["id"].(string))
	if err != nil || stored.BankReference != e {
		t.Fatalf("stored %q, shown %q: %v", stored.BankReference, e, err)
	}
	if got := f.do(c, "GET", "/v1/payment-links/"+stored.ID, ""); got.status != 200 || got.object(t)["bank_transfer"].(map[string]any)["reference"] != ref {
		t.Fatalf("read back: %d %s", got.status, got.body)
	}
	if d := f.create(c, `{"amount":{"currency":"EUR","value":"5"},"description":"d","customer":{"company_name":"ACME"}}`); d["bank_transfer"] == nil {
		t.Fatalf("by the merchant's methods, EUR: no bank_transfer")
	}
	if d := f.create(c, `{"amount":{"currency":"USD","value":"5"},"description":"d","customer":{"company_name":"ACME"}}`); d["bank_transfer"] != nil {
		t.Fatalf("by the merchant's methods, USD: %v", d["bank_transfer"])
	}
	before := f.st.written()
	r := f.do(c, "POST", "/v1/payment-links", `{"amount":{"currency":"USD","value":"5"},"description":"d","customer":{"company_name":"ACME"},"payment_methods":["card","bank_transfer"]}`)
	wantProblem(t, "asked in USD", r, 422, "payment_methods")
	r = f.do(c, "POST", "/v1/payment-links", `{"amount":{"currency":"EUR","value":"5"},"description":"d","customer":{"company_name":"ACME"},"payment_methods":["bank_transfer"],"beneficiary":{"name":"X","iban":"NL91ABNA0417164300"}}`)
	wantProblem(t, "no BIC", r, 422, "beneficiary.bic")
	if w := f.dataWrites(before); len(w) != 0 {
		t.Fatalf("refusals wrote %v", w)
	}
}

// TestFastSettingsBankTransfer: the settings show the reference format in
// effect (be_ogm for a Belgian default account, rf without one); a format
// that is not one, or bank_transfer enabled without a default account
// with a BIC, is a 422 naming the field.
func TestFastSettingsBankTransfer(t *testing.T) {
	f := newFastAPI(t)
	c := f.key()
	got := f.do(c, "GET", "/v1/settings", "").object(t)
	if bt, _ := got["bank_transfer"].(map[string]any); bt["reference_format"] != "rf" {
		t.Fatalf("without an account: %v", got["bank_transfer"])
	}
	bankShop(f)
	got = f.do(c, "GET", "/v1/settings", "").object(t)
	if bt, _ := got["bank_transfer"].(map[string]any); bt["reference_format"] != "be_ogm" {
		t.Fatalf("with a Belgian account: %v", got["bank_transfer"])
	}
	for _, k := range []struct{ body, field string }{
		{`{"bank_transfer":{"reference_format":"ogm"}}`, "bank_transfer.reference_format"},
		{`{"bank_transfer":{}}`, "bank_transfer.reference_format"},
		{`{"bank_transfer":{"reference_format":"rf","x":1}}`, "bank_transfer.x"},
		{`{"default_beneficiary":{"name":"Demo Shop","iban":"BE71096123456769"}}`, "default_beneficiary.bic"},
	} {
		wantProblem(t, k.body, f.do(c, "PUT", "/v1/settings", k.body), 422, k.field)
	}
	g := newFastAPI(t)
	wantProblem(t, "enabled without an account", g.do(g.key(), "PUT", "/v1/settings", `{"payment_methods":["card","bank_transfer"]}`), 422, "default_beneficiary")
}
