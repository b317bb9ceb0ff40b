package stripe

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/merchant"
	"github.com/paylinks/paylinks/shared/money"
	"github.com/paylinks/paylinks/shared/psp"
	"github.com/paylinks/paylinks/shared/testkit/psptest"
)

const whsec = "whsec_test_5f3b2c1d"

func testMerchant() *merchant.Merchant {
	return &merchant.Merchant{ID: "shop", PSP: Name, PSPCredentials: map[string]string{CredSecretKey: "sk_test_stripe", CredWebhookSecret: whsec}}
}

func testLink() *domain.Link {
	return &domain.Link{ID: "pl_01JDA3M6ZQ8X2W4T0F3K9P7R5S", Merchant: "shop", Code: "shop_x", Amount: money.MustParse("EUR", "120.98"),
		Description: "Invoice 2026-113", Language: "nl", Attempt: 1, PaymentMethods: []string{"card", "bancontact", "apple_pay"},
		Customer: domain.Customer{Email: "ana@example.be"}, ExpiresAt: time.Now().Add(30 * 24 * time.Hour)}
}

func TestCreateCheckout(t *testing.T) {
	d := psptest.NewStripe(t, "sk_test_stripe")
	p := &Provider{BaseURL: d.URL, PublicBaseURL: "https://pay.example"}
	l := testLink()
	c1, err := p.CreateCheckout(context.Background(), testMerchant(), l, "pl_x-attempt-1")
	if err != nil {
		t.Fatal(err)
	}
	c2, _ := p.CreateCheckout(context.Background(), testMerchant(), l, "pl_x-attempt-1")
	if c1.URL != c2.URL || !strings.HasPrefix(c1.URL, "https://checkout.stripe.com/") || !c1.Persist {
		t.Fatalf("sessions %+v %+v", c1, c2)
	}
	if err := psp.CheckCheckoutURL(p, c1.URL); err != nil {
		t.Fatal(err)
	}
	f := d.Sessions[0]
	want := map[string]string{"line_items[0][price_data][unit_amount]": "12098", "line_items[0][price_data][currency]": "eur",
		"client_reference_id": l.ID, "metadata[paylinks_link_id]": l.ID, "metadata[paylinks_attempt]": "1",
		"payment_intent_data[metadata][paylinks_link_id]": l.ID, "payment_method_types[0]": "card", "payment_method_types[1]": "bancontact",
		"payment_method_types[2]": "", "success_url": "https://pay.example/l/shop_x/done", "cancel_url": "https://pay.example/l/shop_x", "locale": "nl",
		"line_items[0][price_data][product_data][name]": "Invoice 2026-113", "customer_email": "ana@example.be", "mode": "payment"}
	for k, v := range want {
		if f.Get(k) != v {
			t.Errorf("%s = %q, want %q", k, f.Get(k), v)
		}
	}
	exp, _ := strconv.ParseInt(f.Get("expires_at"), 10, 64)
	if d := time.Until(time.Unix(exp, 0)); d > 24*time.Hour || d < 23*time.Hour {
		t.Errorf("session expiry in %v", d)
	}
	// Bad key: an error, not a session.
	if _, err := p.CreateCheckout(context.Background(), &merchant.Merchant{ID: "shop", PSPCredentials: map[string]string{CredSecretKey: "sk_wrong"}}, l, "k"); err == nil {
		t.Fatal("wrong key accepted")
	}
	d.Fail = 1
	if _, err := p.CreateCheckout(context.Background(), testMerchant(), l, "k2"); !errors.Is(err, psp.ErrTransient) {
		t.Fatalf("503: %v", err)
	}
}

func TestParseDocumentedEvents(t *testing.T) {
	p := &Provider{}
	now := time.Unix(1795435260, 0)
	want := map[string]domain.PaymentKind{
		"checkout.session.completed.json":               domain.PaymentSucceeded,
		"checkout.session.completed.unpaid.json":        domain.PaymentIgnored,
		"checkout.session.async_payment_succeeded.json": domain.PaymentSucceeded,
		"checkout.session.async_payment_failed.json":    domain.PaymentFailed,
		"checkout.session.expired.json":                 domain.CheckoutExpired,
		"refund.updated.succeeded.json":                 domain.RefundSucceeded,
		"refund.failed.json":                            domain.RefundFailed,
		"charge.succeeded.json":                         domain.PaymentIgnored,
	}
	files, _ := filepath.Glob("../../../testdata/stripe/*.json")
	if len(files) != len(want) {
		t.Fatalf("%d testdata files", len(files))
	}
	for _, f := range files {
		body, _ := os.ReadFile(f)
		h := http.Header{}
		h.Set("Stripe-Signature", psp.SignedHeader(whsec, now, body))
		evs, err := p.ParseWebhook(context.Background(), testMerchant(), h, body, now)
		if err != nil || len(evs) != 1 {
			t.Fatalf("%s: %v", f, err)
		}
		ev := evs[0]
		if ev.Kind != want[filepath.Base(f)] {
			t.Errorf("%s: kind %s", f, ev.Kind)
		}
		switch ev.Kind {
		case domain.PaymentSucceeded:
			if ev.LinkID != "pl_01JDA3M6ZQ8X2W4T0F3K9P7R5S" || ev.PaymentRef != "pi_3OaBcDeFgHiJkLmN1a2b3c4d" || ev.Amount.String() != "120.98" || ev.Attempt != 1 {
				t.Errorf("%s: %+v", f, ev)
			}
		case domain.RefundSucceeded, domain.RefundFailed:
			if ev.RefundID != "re_01JDA3N0000000000000000000" || ev.RefundRef != "re_3OaBcDeFgHiJkLmN1x2y3z4w" || ev.Amount.String() != "50.00" {
				t.Errorf("%s: %+v", f, ev)
			}
		}
		// Rotation: the previous secret still verifies.
		m := testMerchant()
		m.PSPCredentials[CredWebhookSecret], m.PSPCredentials[CredWebhookSecretPrevious] = "whsec_new", whsec
		if _, err := p.ParseWebhook(context.Background(), m, h, body, now); err != nil {
			t.Errorf("%s with the previous secret: %v", f, err)
		}
	}
	h := http.Header{}
	h.Set("Stripe-Signature", psp.SignedHeader(whsec, now, []byte(`not json`)))
	if _, err := p.ParseWebhook(context.Background(), testMerchant(), h, []byte(`not json`), now); !errors.Is(err, psp.ErrPayload) {
		t.Fatalf("garbage: %v", err)
	}
}

// TestReviewRefundEventsKept: the refund of a payment kept for review
// (refund id py_..., maybe no link) settles by webhook like any refund.
func TestReviewRefundEventsKept(t *testing.T) {
	body, _ := os.ReadFile("../../../testdata/stripe/refund.updated.succeeded.json")
	body = bytes.ReplaceAll(body, []byte("re_01JDA3N0000000000000000000"), []byte("py_01JDA3N0000000000000000000-1"))
	body = bytes.ReplaceAll(body, []byte("pl_01JDA3M6ZQ8X2W4T0F3K9P7R5S"), []byte(""))
	now := time.Unix(1795435260, 0)
	h := http.Header{}
	h.Set("Stripe-Signature", psp.SignedHeader(whsec, now, body))
	evs, err := (&Provider{}).ParseWebhook(context.Background(), testMerchant(), h, body, now)
	if err != nil || len(evs) != 1 || evs[0].Kind != domain.RefundSucceeded || evs[0].RefundID != "py_01JDA3N0000000000000000000-1" || evs[0].LinkID != "" {
		t.Fatalf("%+v %v", evs, err)
	}
}

func TestRefund(t *testing.T) {
	d := psptest.NewStripe(t, "sk_test_stripe")
	p := &Provider{BaseURL: d.URL}
	req := psp.RefundRequest{RefundID: "re_01", LinkID: "pl_x", PaymentRef: "pi_1", Amount: money.MustParse("EUR", "5.00")}
	r1, err := p.Refund(context.Background(), testMerchant(), req)
	r2, _ := p.Refund(context.Background(), testMerchant(), req)
	if err != nil || r1.Status != domain.RefundSucceeded || r1.Ref != r2.Ref {
		t.Fatalf("%+v %+v %v", r1, r2, err)
	}
	d.RefundStatus = "pending"
	if r, _ := p.Refund(context.Background(), testMerchant(), psp.RefundRequest{RefundID: "re_02", PaymentRef: "pi_1", Amount: req.Amount}); !r.Pending {
		t.Fatalf("pending: %+v", r)
	}
}

func TestFetchPayment(t *testing.T) {
	d := psptest.NewStripe(t, "sk_test_stripe")
	d.PaymentIntents = map[string]map[string]any{
		"pi_ok":   {"id": "pi_ok", "object": "payment_intent", "status": "succeeded", "amount": 12098, "currency": "eur", "metadata": map[string]string{"paylinks_link_id": "pl_x"}},
		"pi_open": {"id": "pi_open", "object": "payment_intent", "status": "processing", "amount": 100, "currency": "eur"},
		"pi_no":   {"id": "pi_no", "object": "payment_intent", "status": "canceled", "amount": 100, "currency": "eur"},
	}
	p := &Provider{BaseURL: d.URL}
	for ref, want := range map[string]domain.PaymentKind{"pi_ok": domain.PaymentSucceeded, "pi_open": domain.PaymentIgnored, "pi_no": domain.PaymentFailed} {
		got, err := p.FetchPayment(context.Background(), testMerchant(), ref)
		if err != nil || got.Status != want {
			t.Errorf("%s: %+v %v", ref, got, err)
		}
	}
	got, _ := p.FetchPayment(context.Background(), testMerchant(), "pi_ok")
	if got.Amount.String() != "120.98" || got.LinkID != "pl_x" {
		t.Fatalf("%+v", got)
	}
	if _, err := p.FetchPayment(context.Background(), testMerchant(), "pi_missing"); !errors.Is(err, psp.ErrUnknownPayment) {
		t.Fatalf("missing: %v", err)
	}
}
