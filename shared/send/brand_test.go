package send_test

import (
	"strings"
	"testing"
	"time"

	"github.com/paylinks/paylinks/shared/brand"
	"github.com/paylinks/paylinks/shared/channel"
	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/merchant"
	"github.com/paylinks/paylinks/shared/money"
	"github.com/paylinks/paylinks/shared/send"
)

// TestRenderBranded: the e-mail (and the dashboard's preview, the same
// Render) of a branded merchant links the logo on the customer pages' host
// by the link's code and the logo's version, paints the button in the
// accent colour and names the support contact; an unbranded merchant's is
// paylinks' own.
func TestRenderBranded(t *testing.T) {
	l := &domain.Link{ID: "pl_1", Merchant: "shop", Code: "shop_code", Status: domain.StatusCreated, Amount: money.MustParse("EUR", "9.99"),
		Description: "Factuur 7", Language: "nl", Customer: domain.Customer{FirstName: "An", Email: "an@example.be"}, ExpiresAt: unitNow.Add(time.Hour)}
	m := &merchant.Merchant{ID: "shop", Name: "Bakkerij Peeters", Brand: &brand.Settings{AccentColor: "#6b2c91", SupportEmail: "hulp@peeters.example",
		Logo: &brand.Logo{ETag: "0123456789abcdef"}}}
	msg, err := send.Render(l, m, "https://links.example", "link", channel.Email)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`src="https://links.example/l/shop_code/logo.png?v=0123456789abcdef"`, "background:#6b2c91", "mailto:hulp@peeters.example"} {
		if !strings.Contains(msg.HTML, want) {
			t.Errorf("HTML lacks %q:\n%s", want, msg.HTML)
		}
	}
	if !strings.Contains(msg.Text, "Vragen? Neem contact op met Bakkerij Peeters: hulp@peeters.example") {
		t.Errorf("text:\n%s", msg.Text)
	}
	m.Brand = nil
	if msg, _ = send.Render(l, m, "https://links.example", "link", channel.Email); strings.Contains(msg.HTML, "<img") || !strings.Contains(msg.HTML, "#0b5cff") {
		t.Errorf("unbranded:\n%s", msg.HTML)
	}
}
