package linkview_test

import (
	"encoding/json"
	"testing"

	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/linkview"
)

// payment_method is always in a link's JSON: bank_transfer for a link
// paid by bank, the method a PSP's payment used when the link offered it
// one alone, null when unknown or not paid.
func TestPaymentMethod(t *testing.T) {
	cases := []struct {
		name    string
		status  domain.Status
		psp     string
		methods []string
		want    any
	}{
		{"paid by bank", domain.StatusPaid, domain.ProviderBank, []string{"card", "bank_transfer"}, "bank_transfer"},
		{"paid at a PSP, one method offered", domain.StatusPaid, "stripe", []string{"ideal"}, "ideal"},
		{"paid at a PSP, one method at the PSP beside the bank's", domain.StatusPaid, "mollie", []string{"bank_transfer", "bancontact"}, "bancontact"},
		{"paid at a PSP, several methods", domain.StatusPaid, "stripe", []string{"card", "ideal"}, nil},
		{"paid at a PSP, the merchant's methods", domain.StatusPaid, "stripe", nil, nil},
		{"not paid", domain.StatusClicked, "", []string{"ideal"}, nil},
		{"declined at a PSP", domain.StatusDeclined, "stripe", []string{"ideal"}, nil},
	}
	for _, c := range cases {
		l := &domain.Link{ID: "pl_1", Status: c.status, PSP: c.psp, PaymentMethods: c.methods}
		raw, _ := json.Marshal(linkview.Of(l, "https://x"))
		var got map[string]any
		_ = json.Unmarshal(raw, &got)
		pm, ok := got["payment_method"]
		if !ok || pm != c.want {
			t.Errorf("%s: payment_method %v (given %v), want %v", c.name, pm, ok, c.want)
		}
	}
}
