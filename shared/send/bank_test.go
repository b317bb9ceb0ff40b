package send_test

import (
	"strings"
	"testing"
	"time"

	"github.com/paylinks/paylinks/shared/bank/reference"
	"github.com/paylinks/paylinks/shared/channel"
	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/merchant"
	"github.com/paylinks/paylinks/shared/money"
	"github.com/paylinks/paylinks/shared/send"
)

// TestRenderBankTransfer: the e-mail (and its preview, the same Render) of
// a link offering a bank transfer shows the IBAN grouped by four and the
// printed reference, in the link's language; a link offering none shows
// neither.
func TestRenderBankTransfer(t *testing.T) {
	id := domain.NewID(domain.PrefixLink, unitNow)
	l := &domain.Link{ID: id, Merchant: "shop", Code: "shop_code", Status: domain.StatusCreated, Amount: money.MustParse("EUR", "9.99"),
		Description: "Factuur 7", Language: "fr", Customer: domain.Customer{CompanyName: "ACME", Email: "acme@example.be"},
		ExpiresAt: unitNow.Add(time.Hour), Beneficiary: &domain.Beneficiary{Name: "Bakkerij Peeters", IBAN: "BE71096123456769", BIC: "GKCCBEBB"},
		BankReference: reference.ForLink(id, 0, reference.RF)}
	printed, _ := reference.Print(l.BankReference)
	m, err := send.Render(l, &merchant.Merchant{Name: "Bakkerij Peeters"}, "https://links.example", "link", channel.Email)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"BE71 0961 2345 6769", printed, "Référence structurée", "Payer par virement"} {
		if !strings.Contains(m.Text, want) {
			t.Errorf("the e-mail lacks %q:\n%s", want, m.Text)
		}
	}
	l.BankReference = ""
	if m, _ = send.Render(l, &merchant.Merchant{Name: "Bakkerij Peeters"}, "https://links.example", "link", channel.Email); strings.Contains(m.Text, "BE71") {
		t.Fatalf("a link without transfer shows its account:\n%s", m.Text)
	}
}
