package httpapi_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/merchant"
	"github.com/paylinks/paylinks/shared/psp"
	"github.com/paylinks/paylinks/shared/psp/stripe"
	"github.com/paylinks/paylinks/shared/queue"
	"github.com/paylinks/paylinks/shared/refund"
	"github.com/paylinks/paylinks/shared/service"
	"github.com/paylinks/paylinks/shared/testkit/psptest"
	"github.com/paylinks/paylinks/shared/testkit/testenv"
)

// TestStripeWrongMoneyAndReviewRefundOnce: signed Stripe events for the
// wrong currency and with no amount leave the link unpaid; the right one
// pays it. A review payment's refund reaches Stripe once even when its
// message is delivered twice.
func TestStripeWrongMoneyAndReviewRefundOnce(t *testing.T) {
	d := psptest.NewStripe(t, "sk_test_shop")
	env := testenv.New(t)
	m := &merchant.Merchant{ID: "shop", Name: "Shop", PSP: stripe.Name, PaymentMethods: []string{"card"}, RedirectDomains: []string{"shop.example"},
		PSPCredentials: map[string]string{stripe.CredSecretKey: "sk_test_shop", stripe.CredWebhookSecret: "whsec_stripe_shop"}}
	key := env.MerchantWith(t, m)
	srv := env.ServeWith(t, func(o *service.Options) { o.StripeAPI = d.URL })
	srv.Consume(t)
	st, _, raw := call(t, "POST", srv.URL+"/v1/payment-links", key, `{"amount":{"currency":"EUR","value":"120.98"},"description":"Order","customer":{"company_name":"Acme BV"}}`, nil, true)
	if st != 201 {
		t.Fatalf("create %d %s", st, raw)
	}
	id := decode(t, raw)["id"].(string)
	doc, err := os.ReadFile("../../testdata/stripe/checkout.session.completed.json")
	if err != nil {
		t.Fatal(err)
	}
	doc = bytes.ReplaceAll(doc, []byte("pl_01JDA3M6ZQ8X2W4T0F3K9P7R5S"), []byte(id))
	post := func(evID, pi string, edit func(o map[string]any)) {
		var ev map[string]any
		_ = json.Unmarshal(doc, &ev)
		ev["id"] = evID
		o := ev["data"].(map[string]any)["object"].(map[string]any)
		o["payment_intent"] = pi
		edit(o)
		body, _ := json.Marshal(ev)
		req, _ := http.NewRequest("POST", srv.URL+"/webhooks/psp/stripe/shop", bytes.NewReader(body))
		req.Header.Set("Stripe-Signature", psp.SignedHeader("whsec_stripe_shop", time.Now(), body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("stripe webhook %s: %v %v", evID, err, resp)
		}
		resp.Body.Close()
	}
	post("evt_usd", "pi_usd", func(o map[string]any) { o["currency"], o["amount_total"] = "usd", 1 })
	post("evt_jpy", "pi_jpy", func(o map[string]any) { o["currency"], o["amount_total"] = "jpy", 1 })
	post("evt_none", "pi_none", func(o map[string]any) { delete(o, "amount_total"); delete(o, "currency") })
	var items []any
	testenv.Eventually(t, 20*time.Second, "three payments under review", func() bool {
		st, _, raw := call(t, "GET", srv.URL+"/v1/payments/review", key, "", nil, true)
		if st != 200 {
			return false
		}
		items = decode(t, raw)["data"].([]any)
		return len(items) == 3
	})
	if l := linkStatus(t, srv.URL, key, id); l["status"] != "created" {
		t.Fatalf("wrong money moved the link: %v", l)
	}
	post("evt_right", "pi_right", func(map[string]any) {})
	testenv.Eventually(t, 20*time.Second, "paid", func() bool { return linkStatus(t, srv.URL, key, id)["status"] == "paid" })

	var py string
	for _, x := range items {
		if x.(jsonMap)["psp_reference"] == "pi_usd" {
			py = x.(jsonMap)["id"].(string)
		}
	}
	if st, _, raw := call(t, "POST", srv.URL+"/v1/payments/review/"+py+"/refund", key, "", nil, true); st != 202 {
		t.Fatalf("review refund %d %s", st, raw)
	}
	// The same message again, as SQS may deliver it.
	again := refund.Message{Merchant: "shop", ReviewID: py}
	if err := srv.Service.Sender(queue.Refunds).Send(t.Context(), again, 0); err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, 20*time.Second, "review payment refunded", func() bool {
		p, err := env.Store.GetReviewPayment(t.Context(), "shop", py)
		return err == nil && p.State == "refunded"
	})
	time.Sleep(time.Second)
	if n := d.Calls.Count("POST /v1/refunds"); n != 1 || len(d.RefundIDs()) != 1 {
		t.Fatalf("%d refund calls at Stripe, %d refunds", n, len(d.RefundIDs()))
	}
	if l, _ := env.Store.Get(t.Context(), "shop", id); l.Status != domain.StatusPaid || l.PSPReference != "pi_right" {
		t.Fatalf("link %+v", l)
	}
}
