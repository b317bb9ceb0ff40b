package refund_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/merchant"
	"github.com/paylinks/paylinks/shared/money"
	"github.com/paylinks/paylinks/shared/psp"
	"github.com/paylinks/paylinks/shared/psp/mollie"
	"github.com/paylinks/paylinks/shared/psp/stripe"
	"github.com/paylinks/paylinks/shared/refund"
	"github.com/paylinks/paylinks/shared/service"
	"github.com/paylinks/paylinks/shared/store"
	"github.com/paylinks/paylinks/shared/testkit/psptest"
	"github.com/paylinks/paylinks/shared/testkit/testenv"
)

func paid(t *testing.T, env *testenv.Env, m *merchant.Merchant, ref string) *domain.Link {
	now := time.Now().UTC()
	id := domain.NewID(domain.PrefixLink, now)
	code, _ := testenv.CodeKey.NewCode(m.ID, id)
	l := &domain.Link{ID: id, Merchant: m.ID, Code: code, Status: domain.StatusCreated, Amount: money.MustParse("EUR", "60.00"),
		AmountRefunded: money.Zero("EUR"), RefundCommitted: money.Zero("EUR"), Description: "d", Language: "en", Origin: domain.OriginAPI,
		ExpiresAt: now.Add(time.Hour), CreatedAt: now, UpdatedAt: now}
	if err := env.Store.CreateLink(t.Context(), store.NewLink{Link: l, Event: domain.NewEvent(id, domain.EventCreated, "", domain.StatusCreated, now, nil)}); err != nil {
		t.Fatal(err)
	}
	next := *l
	next.Status, next.PSP, next.PSPReference, next.PaidAt = domain.StatusPaid, m.PSP, ref, &now
	if err := env.Store.Transition(t.Context(), l, &next, domain.NewEvent(id, domain.EventPaid, l.Status, next.Status, now, nil)); err != nil {
		t.Fatal(err)
	}
	return &next
}

func stripeMerchant() *merchant.Merchant {
	return &merchant.Merchant{ID: "shop", Name: "Shop", PSP: stripe.Name, PaymentMethods: []string{"card"},
		PSPCredentials: map[string]string{stripe.CredSecretKey: "sk_test_shop", stripe.CredWebhookSecret: "whsec_shop"}}
}

func TestMessageTwiceCallsThePSPOnce(t *testing.T) {
	d := psptest.NewStripe(t, "sk_test_shop")
	env := testenv.New(t)
	m := stripeMerchant()
	env.MerchantWith(t, m)
	srv := env.ServeWith(t, func(o *service.Options) { o.StripeAPI = d.URL }) // no consumers: the test delivers by hand
	l := paid(t, env, m, "pi_123")
	r, err := srv.Service.Refunds.Create(t.Context(), m, l, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(refund.Message{Merchant: "shop", LinkID: l.ID, RefundID: r.ID})
	msg := events.SQSMessage{MessageId: "m1", Body: string(body)}
	// Twice at once, then twice more later (SQS redelivery).
	var wg sync.WaitGroup
	for i := 0; i < 2; i++ {
		wg.Add(1)
		go func() { defer wg.Done(); _ = srv.Service.Refunds.Handle(t.Context(), msg) }()
	}
	wg.Wait()
	for i := 0; i < 2; i++ {
		if err := srv.Service.Refunds.Handle(t.Context(), msg); err != nil {
			t.Fatal(err)
		}
	}
	if n := d.Calls.Count("POST /v1/refunds"); n != 1 {
		t.Fatalf("the PSP was called %d times", n)
	}
	got, _ := env.Store.GetRefund(t.Context(), "shop", l.ID, r.ID)
	cur, _ := env.Store.Get(t.Context(), "shop", l.ID)
	if got.Status != store.RefundSucceeded || !strings.HasPrefix(got.PSPReference, "re_test_") || cur.AmountRefunded.String() != "60.00" {
		t.Fatalf("refund %+v, link refunded %s", got, cur.AmountRefunded)
	}
	// A malformed message is poison (DLQ), not a crash.
	if err := srv.Service.Refunds.Handle(t.Context(), events.SQSMessage{Body: "{"}); err == nil {
		t.Fatal("malformed message accepted")
	}
}

func TestTransientPSPErrorRetriesOneRefund(t *testing.T) {
	d := psptest.NewStripe(t, "sk_test_shop")
	env := testenv.New(t)
	m := stripeMerchant()
	env.MerchantWith(t, m)
	srv := env.ServeWith(t, func(o *service.Options) { o.StripeAPI = d.URL })
	l := paid(t, env, m, "pi_9")
	r, _ := srv.Service.Refunds.Create(t.Context(), m, l, nil, "")
	body, _ := json.Marshal(refund.Message{Merchant: "shop", LinkID: l.ID, RefundID: r.ID})
	d.Fail = 1
	if err := srv.Service.Refunds.Handle(t.Context(), events.SQSMessage{Body: string(body)}); err == nil {
		t.Fatal("a 503 from the PSP must leave the message for a retry")
	}
	if err := srv.Service.Refunds.Handle(t.Context(), events.SQSMessage{Body: string(body)}); err != nil {
		t.Fatal(err)
	}
	got, _ := env.Store.GetRefund(t.Context(), "shop", l.ID, r.ID)
	if got.Status != store.RefundSucceeded {
		t.Fatalf("%+v", got)
	}
}

func TestStripePendingSettledByWebhook(t *testing.T) {
	d := psptest.NewStripe(t, "sk_test_shop")
	d.RefundStatus = "pending"
	env := testenv.New(t)
	m := stripeMerchant()
	env.MerchantWith(t, m)
	srv := env.ServeWith(t, func(o *service.Options) { o.StripeAPI = d.URL })
	srv.Consume(t)
	l := paid(t, env, m, "pi_3OaBcDeFgHiJkLmN1a2b3c4d")
	r, _ := srv.Service.Refunds.Create(t.Context(), m, l, &money.Amount{Currency: "EUR", Value: money.MustParse("EUR", "50.00").Value}, "")
	testenv.Eventually(t, 10*time.Second, "submitted", func() bool {
		got, _ := env.Store.GetRefund(t.Context(), "shop", l.ID, r.ID)
		return got.Submitted
	})
	raw, _ := os.ReadFile("../../testdata/stripe/refund.updated.succeeded.json")
	raw = bytes.ReplaceAll(raw, []byte("pl_01JDA3M6ZQ8X2W4T0F3K9P7R5S"), []byte(l.ID))
	raw = bytes.ReplaceAll(raw, []byte("re_01JDA3N0000000000000000000"), []byte(r.ID))
	for i := 0; i < 2; i++ { // delivered twice: settled once
		req, _ := http.NewRequest("POST", srv.URL+"/webhooks/psp/stripe/shop", bytes.NewReader(raw))
		req.Header.Set("Stripe-Signature", psp.SignedHeader("whsec_shop", time.Now(), raw))
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("webhook: %v %d", err, resp.StatusCode)
		}
	}
	testenv.Eventually(t, 10*time.Second, "settled", func() bool {
		got, _ := env.Store.GetRefund(t.Context(), "shop", l.ID, r.ID)
		return got.Status == store.RefundSucceeded
	})
	time.Sleep(300 * time.Millisecond)
	cur, _ := env.Store.Get(t.Context(), "shop", l.ID)
	if cur.AmountRefunded.String() != "50.00" || cur.RefundState() != "partial" {
		t.Fatalf("refunded %s", cur.AmountRefunded)
	}
}

func TestMollieRefundSettledByWebhook(t *testing.T) {
	d := psptest.NewMollie(t, "test_key")
	env := testenv.New(t)
	m := &merchant.Merchant{ID: "shop", Name: "Shop", PSP: mollie.Name, PaymentMethods: []string{"ideal"}, PSPCredentials: map[string]string{mollie.CredAPIKey: "test_key"}}
	env.MerchantWith(t, m)
	srv := env.ServeWith(t, func(o *service.Options) { o.MollieAPI = d.URL })
	srv.Consume(t)
	l := paid(t, env, m, "tr_paid0001")
	d.Put(map[string]any{"resource": "payment", "id": "tr_paid0001", "status": "paid", "amount": map[string]string{"currency": "EUR", "value": "60.00"},
		"metadata": map[string]string{"paylinks_link_id": l.ID, "paylinks_attempt": "1"}})
	r, err := srv.Service.Refunds.Create(t.Context(), m, l, nil, "customer asked")
	if err != nil {
		t.Fatal(err)
	}
	testenv.Eventually(t, 10*time.Second, "submitted to Mollie", func() bool {
		got, _ := env.Store.GetRefund(t.Context(), "shop", l.ID, r.ID)
		return got.Submitted
	})
	d.SetRefundStatus("tr_paid0001", "refunded")
	resp, err := http.Post(srv.URL+"/webhooks/psp/mollie/shop", "application/x-www-form-urlencoded", strings.NewReader("id=tr_paid0001"))
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("webhook: %v %d", err, resp.StatusCode)
	}
	testenv.Eventually(t, 10*time.Second, "settled", func() bool {
		got, _ := env.Store.GetRefund(t.Context(), "shop", l.ID, r.ID)
		return got.Status == store.RefundSucceeded
	})
	cur, _ := env.Store.Get(t.Context(), "shop", l.ID)
	if cur.AmountRefunded.String() != "60.00" || cur.Status != domain.StatusPaid {
		t.Fatalf("link %s %s", cur.Status, cur.AmountRefunded)
	}
}
