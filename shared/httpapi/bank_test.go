package httpapi_test

import (
	"strings"
	"testing"

	"github.com/paylinks/paylinks/shared/bank/reference"
	"github.com/paylinks/paylinks/shared/testkit/testenv"
)

// TestBankTransferSettingsAndLinks (through the emulator, every request
// and answer held to the OpenAPI document): the merchant enables
// bank_transfer with a default account and a reference format; its links
// then carry a reference of that format, written with its marker; a change
// of format applies to the next link; enabling it with an account without
// BIC is a 422 naming the field.
func TestBankTransferSettingsAndLinks(t *testing.T) {
	env := testenv.New(t)
	key := env.Merchant(t, "shop")
	srv := env.Serve(t)
	st, _, raw := call(t, "PUT", srv.URL+"/v1/settings", key, `{"default_beneficiary":{"name":"Shop BV","iban":"BE71 0961 2345 6769","bic":"GKCCBEBB"},
	 "payment_methods":["card","bank_transfer"],"bank_transfer":{"reference_format":"rf"}}`, nil, true)
	if s := decode(t, raw); st != 200 || s["bank_transfer"].(jsonMap)["reference_format"] != "rf" {
		t.Fatalf("put: %d %s", st, raw)
	}
	for _, want := range []reference.Format{reference.RF, reference.BEOGM} {
		if want == reference.BEOGM {
			if st, _, raw := call(t, "PUT", srv.URL+"/v1/settings", key, `{"bank_transfer":{"reference_format":"be_ogm"}}`, nil, true); st != 200 {
				t.Fatalf("put be_ogm: %d %s", st, raw)
			}
		}
		st, _, raw := call(t, "POST", srv.URL+"/v1/payment-links", key, `{"amount":{"currency":"EUR","value":"5"},"description":"d","customer":{"company_name":"X"},"payment_methods":["bank_transfer"]}`, nil, true)
		if st != 201 {
			t.Fatalf("create: %d %s", st, raw)
		}
		l := decode(t, raw)
		bt := l["bank_transfer"].(jsonMap)
		e, f, err := reference.Check(bt["reference"].(string))
		if err != nil || f != want || bt["beneficiary"].(jsonMap)["iban"] != "BE71096123456769" {
			t.Fatalf("%s: %v %s %v", want, bt, f, err)
		}
		if id, err := env.Store.LinkIDByBankReference(t.Context(), "shop", e); err != nil || id != l["id"] {
			t.Fatalf("marker: %q %v", id, err)
		}
	}
	for _, c := range []struct{ body, field string }{
		{`{"default_beneficiary":{"name":"Shop BV","iban":"BE71096123456769"}}`, "default_beneficiary.bic"},
		{`{"bank_transfer":{"reference_format":"iso"}}`, "bank_transfer.reference_format"},
	} {
		if st, _, raw := call(t, "PUT", srv.URL+"/v1/settings", key, c.body, nil, false); st != 422 || !strings.Contains(string(raw), `"field":"`+c.field+`"`) {
			t.Errorf("%s: %d %s", c.body, st, raw)
		}
	}
}
