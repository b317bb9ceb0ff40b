package merchant_test

import (
	"testing"

	"github.com/paylinks/paylinks/shared/bank/reference"
	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/merchant"
)

// TestReferenceFormat: a merchant's links get the format it set, else the
// Belgian structured communication for a Belgian default account and RF
// for any other; the link settings carry it.
func TestReferenceFormat(t *testing.T) {
	be := &domain.Beneficiary{Name: "Shop", IBAN: "BE71096123456769", BIC: "GKCCBEBB"}
	nl := &domain.Beneficiary{Name: "Shop", IBAN: "NL91ABNA0417164300", BIC: "ABNANL2A"}
	cases := []struct {
		m    merchant.Merchant
		want reference.Format
	}{
		{merchant.Merchant{}, reference.RF},
		{merchant.Merchant{DefaultBeneficiary: be}, reference.BEOGM},
		{merchant.Merchant{DefaultBeneficiary: nl}, reference.RF},
		{merchant.Merchant{DefaultBeneficiary: be, BankTransfer: &domain.BankTransferSettings{ReferenceFormat: "rf"}}, reference.RF},
		{merchant.Merchant{DefaultBeneficiary: nl, BankTransfer: &domain.BankTransferSettings{ReferenceFormat: "be_ogm"}}, reference.BEOGM},
	}
	for i, c := range cases {
		if got := c.m.ReferenceFormat(); got != c.want {
			t.Errorf("case %d: %s, want %s", i, got, c.want)
		}
		if got := c.m.LinkSettings().ReferenceFormat; got != c.want {
			t.Errorf("case %d: link settings %s, want %s", i, got, c.want)
		}
	}
}
