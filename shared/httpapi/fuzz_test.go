package httpapi

import (
	"testing"
	"time"
	"unicode/utf8"

	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/merchant"
	"github.com/paylinks/paylinks/shared/problem"
)

var fuzzMerchant = &merchant.Merchant{ID: "shop", PSP: "sandbox", PaymentMethods: []string{"card", "ideal"}, RedirectDomains: []string{"shop.example"}}

// FuzzCreateBody: whatever the body, the create path answers a 4xx problem
// or a valid link, never a panic or a 5xx.
func FuzzCreateBody(f *testing.F) {
	for _, s := range []string{
		`{"amount":{"currency":"EUR","value":"12.50"},"description":"d","customer":{"company_name":"X"}}`,
		`{"amount":{"currency":"JPY","value":1200},"description":"d","customer":{"first_name":"A","last_name":"B","email":"a@b.be"},"expires_in_days":3}`,
		`{"amount":{"currency":"EUR","value":"1e3"},"description":"","customer":{}}`,
		`{"reminder":{"before_expiry_hours":24},"send":{"channel":"sms"},"metadata":{"a":"b"}}`,
		`[`, `null`, `{"amount":null}`, `{"beneficiary":{"name":"X","iban":"BE71096123456769"}}`,
		`{"amount":{"currency":"EUR","value":"1"},"Amount":{"currency":"EUR","value":"9"}}`, `{"customer":{"company_name":"\u202eX","x":1}}`,
	} {
		f.Add([]byte(s))
	}
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, body []byte) {
		var req createRequest
		err := decodeStrict(body, &req)
		if err == nil && !utf8.Valid(body) {
			t.Fatalf("%q: accepted invalid UTF-8", body)
		}
		if err == nil {
			var l *domain.Link
			l, _, err = domain.NewLink(req.input(), fuzzMerchant.LinkSettings(), now)
			if err == nil && l == nil {
				t.Fatal("no link and no error")
			}
		}
		if err != nil {
			if p := problem.From(err); p.Status < 400 || p.Status >= 500 {
				t.Fatalf("%q: %v", body, err)
			}
		}
	})
}
