package mollie

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/merchant"
	"github.com/paylinks/paylinks/shared/money"
	"github.com/paylinks/paylinks/shared/psp"
	"github.com/paylinks/paylinks/shared/testkit/psptest"
)

func testMerchant() *merchant.Merchant {
	return &merchant.Merchant{ID: "shop", PSP: Name, PSPCredentials: map[string]string{CredAPIKey: "test_mollie_key"}}
}

func load(t *testing.T, name string) map[string]any {
	raw, err := os.ReadFile("../../../testdata/mollie/" + name)
	if err != nil {
		t.Fatal(err)
	}
	var p map[string]any
	_ = json.Unmarshal(raw, &p)
	return p
}

func TestCreateCheckout(t *testing.T) {
	d := psptest.NewMollie(t, "test_mollie_key")
	p := &Provider{BaseURL: d.URL, PublicBaseURL: "https://pay.example"}
	l := &domain.Link{ID: "pl_01JDA3M6ZQ8X2W4T0F3K9P7R5S", Merchant: "shop", Code: "shop_x", Amount: money.MustParse("EUR", "120.98"),
		Description: "Invoice", Language: "fr", Attempt: 2, PaymentMethods: []string{"bancontact", "card"}}
	c, err := p.CreateCheckout(context.Background(), testMerchant(), l, "k1")
	if err != nil {
		t.Fatal(err)
	}
	again, _ := p.CreateCheckout(context.Background(), testMerchant(), l, "k1")
	if c.URL != again.URL || !strings.HasPrefix(c.URL, "https://www.mollie.com/checkout/") || psp.CheckCheckoutURL(p, c.URL) != nil {
		t.Fatalf("checkout %+v %+v", c, again)
	}
	if len(d.Payments()) != 1 {
		t.Fatal("the idempotency key made two payments")
	}
	evs, err := p.ParseWebhook(context.Background(), testMerchant(), nil, []byte("id="+c.ID), time.Now())
	if err != nil || evs[0].Kind != domain.PaymentIgnored {
		t.Fatalf("open payment: %+v %v", evs, err)
	}
	d.SetStatus(c.ID, "paid")
	evs, err = p.ParseWebhook(context.Background(), testMerchant(), nil, []byte("id="+c.ID), time.Now())
	if err != nil || evs[0].Kind != domain.PaymentSucceeded || evs[0].LinkID != l.ID || evs[0].Attempt != 2 || evs[0].Amount.String() != "120.98" {
		t.Fatalf("paid payment: %+v %v", evs, err)
	}
	if n := d.Calls.Count("GET /v2/payments/"); n != 2 {
		t.Fatalf("fetched back %d times", n)
	}
}

func TestWebhookFetchesBack(t *testing.T) {
	d := psptest.NewMollie(t, "test_mollie_key")
	p := &Provider{BaseURL: d.URL}
	for file, want := range map[string][]domain.PaymentKind{
		"payment-open.json":          {domain.PaymentIgnored},
		"payment-paid.json":          {domain.PaymentSucceeded},
		"payment-failed.json":        {domain.PaymentFailed},
		"payment-expired.json":       {domain.CheckoutExpired},
		"payment-paid-refunded.json": {domain.PaymentSucceeded, domain.RefundSucceeded},
	} {
		d.Put(load(t, file))
		evs, err := p.ParseWebhook(context.Background(), testMerchant(), nil, []byte("id=tr_WDqYK6vllg"), time.Now())
		if err != nil || len(evs) != len(want) {
			t.Fatalf("%s: %+v %v", file, evs, err)
		}
		for i, k := range want {
			if evs[i].Kind != k {
				t.Errorf("%s[%d]: %s want %s", file, i, evs[i].Kind, k)
			}
		}
		if want[0] == domain.PaymentSucceeded && (evs[0].ID != "tr_WDqYK6vllg:paid" || evs[0].PaymentRef != "tr_WDqYK6vllg") {
			t.Errorf("%s: %+v", file, evs[0])
		}
		if len(evs) == 2 && (evs[1].RefundID != "re_01JDA3N0000000000000000000" || evs[1].ID != "re_4qqhO89gsT:refunded") {
			t.Errorf("refund event %+v", evs[1])
		}
	}
	// Bodies that are not a payment id; ids the merchant's key cannot see.
	for _, body := range []string{"", "id=", "id=abc", "id=tr_x;drop", "%%%"} {
		if _, err := p.ParseWebhook(context.Background(), testMerchant(), nil, []byte(body), time.Now()); !errors.Is(err, psp.ErrPayload) {
			t.Errorf("%q: %v", body, err)
		}
	}
	if _, err := p.ParseWebhook(context.Background(), testMerchant(), nil, []byte("id=tr_unknown1"), time.Now()); !errors.Is(err, psp.ErrPayload) {
		t.Errorf("unknown payment: %v", err)
	}
	d.Fail = 1
	if _, err := p.ParseWebhook(context.Background(), testMerchant(), nil, []byte("id=tr_WDqYK6vllg"), time.Now()); !errors.Is(err, psp.ErrTransient) {
		t.Errorf("mollie down: %v", err)
	}
	// The merchant's own key is used: another key sees nothing.
	other := &merchant.Merchant{ID: "other", PSPCredentials: map[string]string{CredAPIKey: "someone_else"}}
	if _, err := p.ParseWebhook(context.Background(), other, nil, []byte("id=tr_WDqYK6vllg"), time.Now()); err == nil {
		t.Error("another merchant's key fetched the payment")
	}
}

func TestRefund(t *testing.T) {
	d := psptest.NewMollie(t, "test_mollie_key")
	d.Put(load(t, "payment-paid.json"))
	p := &Provider{BaseURL: d.URL}
	req := psp.RefundRequest{RefundID: "re_01", LinkID: "pl_x", PaymentRef: "tr_WDqYK6vllg", Amount: money.MustParse("EUR", "20.00")}
	r1, err := p.Refund(context.Background(), testMerchant(), req)
	r2, _ := p.Refund(context.Background(), testMerchant(), req)
	if err != nil || !r1.Pending || r1.Ref != r2.Ref || d.Calls.Count("POST /v2/payments/tr_WDqYK6vllg/refunds") != 2 {
		t.Fatalf("%+v %+v %v", r1, r2, err)
	}
	d.SetRefundStatus("tr_WDqYK6vllg", "refunded")
	evs, _ := p.ParseWebhook(context.Background(), testMerchant(), nil, []byte("id=tr_WDqYK6vllg"), time.Now())
	if len(evs) != 2 || evs[1].Kind != domain.RefundSucceeded || evs[1].RefundID != "re_01" {
		t.Fatalf("%+v", evs)
	}
}

func FuzzParseWebhookBody(f *testing.F) {
	f.Add("id=tr_WDqYK6vllg")
	f.Add("id=tr_x&id=tr_y")
	f.Fuzz(func(t *testing.T, body string) {
		p := &Provider{BaseURL: "http://127.0.0.1:1"} // nothing listens: only malformed bodies may answer fast
		_, err := p.ParseWebhook(context.Background(), testMerchant(), nil, []byte(body), time.Now())
		if err == nil {
			t.Fatalf("%q accepted without fetching", body)
		}
	})
}

func TestFetchPayment(t *testing.T) {
	d := psptest.NewMollie(t, "test_mollie_key")
	d.Put(load(t, "payment-paid.json"))
	p := &Provider{BaseURL: d.URL}
	got, err := p.FetchPayment(context.Background(), testMerchant(), "tr_WDqYK6vllg")
	if err != nil || got.Status != domain.PaymentSucceeded || got.Amount.String() != "120.98" || got.LinkID != "pl_01JDA3M6ZQ8X2W4T0F3K9P7R5S" {
		t.Fatalf("%+v %v", got, err)
	}
	if _, err := p.FetchPayment(context.Background(), testMerchant(), "tr_nothere"); !errors.Is(err, psp.ErrUnknownPayment) {
		t.Fatalf("unknown: %v", err)
	}
}
