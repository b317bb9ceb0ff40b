package webhook_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/merchant"
	"github.com/paylinks/paylinks/shared/money"
	"github.com/paylinks/paylinks/shared/psp"
	"github.com/paylinks/paylinks/shared/psp/sandbox"
	"github.com/paylinks/paylinks/shared/psp/stripe"
	"github.com/paylinks/paylinks/shared/queue"
	"github.com/paylinks/paylinks/shared/service"
	"github.com/paylinks/paylinks/shared/store"
	"github.com/paylinks/paylinks/shared/testkit/psptest"
	"github.com/paylinks/paylinks/shared/testkit/testenv"
)

// settle waits until the PSP events queue is drained and consumed.
func settle(t *testing.T, w *world) {
	t.Helper()
	testenv.Eventually(t, 10*time.Second, "queue drained", func() bool { return queueDepth(t, w, queue.PSPEvents) == 0 })
	time.Sleep(300 * time.Millisecond)
}

// reviewOf lists the merchant's review payments of a kind.
func reviewOf(t *testing.T, w *world, kind string) []store.ReviewPayment {
	t.Helper()
	page, err := w.env.Store.ReviewPayments(t.Context(), "shop", store.ReviewQuery{Kind: kind, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	return page.Items
}

// TestSandboxWrongMoneyKeptForReview: signed sandbox payments whose currency
// or amount differ from the link's, or that carry no amount, never pay it.
func TestSandboxWrongMoneyKeptForReview(t *testing.T) {
	w := newWorld(t)
	id, url := w.create(body) // EUR 120.98
	w.click(url)
	usd, jpy, short := money.MustParse("USD", "0.01"), money.MustParse("JPY", "1"), money.MustParse("EUR", "120.97")
	for i, a := range []*money.Amount{&usd, &jpy, &short, nil} {
		ev := sandbox.WebhookEvent{ID: "evt_sb_wrong_" + string(rune('a'+i)), Type: "payment.succeeded", Created: time.Now().Unix(),
			Data: sandbox.WebhookData{LinkID: id, Attempt: 1, PaymentID: "pay_sb_wrong_" + string(rune('a'+i)), Amount: a}}
		if st := w.post("shop", ev, secret, time.Now(), nil); st != 200 {
			t.Fatalf("webhook %d", st)
		}
	}
	settle(t, w)
	if l := w.link(id); l.Status != domain.StatusClicked || l.PaidAt != nil || l.PSPReference != "" {
		t.Fatalf("wrong money paid the link: %s %s", l.Status, l.PSPReference)
	}
	items := reviewOf(t, w, store.ReviewMismatched)
	if len(items) != 4 {
		t.Fatalf("%d mismatched review items", len(items))
	}
	for _, it := range items {
		if it.LinkID != id || it.Expected == nil || it.Expected.String() != "120.98" || it.State != store.ReviewOpen {
			t.Fatalf("review item %+v", it)
		}
	}
	// A sandbox amount that is not money (too many decimals) is a payment
	// with no readable amount: kept for review, never a 400 the PSP retries.
	raw := []byte(`{"id":"evt_sb_odd","type":"payment.succeeded","created":` + jsonInt(time.Now().Unix()) +
		`,"data":{"link_id":"` + id + `","attempt":1,"payment_id":"pay_sb_odd","amount":{"currency":"EUR","value":"120.981"}}}`)
	req, _ := http.NewRequest("POST", w.srv.URL+"/webhooks/psp/sandbox/shop", bytes.NewReader(raw))
	req.Header.Set(sandbox.SignatureHeader, psp.SignedHeader(secret, time.Now(), raw))
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("odd amount: %v %v", err, resp)
	}
	settle(t, w)
	if n := len(reviewOf(t, w, store.ReviewMismatched)); n != 5 || w.link(id).Status != domain.StatusClicked {
		t.Fatalf("%d mismatched after an unreadable amount, link %s", n, w.link(id).Status)
	}
	// The right money pays it.
	right := money.MustParse("EUR", "120.98")
	ev := sandbox.WebhookEvent{ID: "evt_sb_right", Type: "payment.succeeded", Created: time.Now().Unix(),
		Data: sandbox.WebhookData{LinkID: id, Attempt: 1, PaymentID: "pay_sb_right", Amount: &right}}
	w.post("shop", ev, secret, time.Now(), nil)
	l := w.waitStatus(id, domain.StatusPaid)
	if l.PSPReference != "pay_sb_right" {
		t.Fatalf("paid link ref %s", l.PSPReference)
	}
}

func jsonInt(n int64) string { b, _ := json.Marshal(n); return string(b) }

// TestStripeWrongMoneyKeptForReview: the same with Stripe's documented
// checkout.session.completed, signed as Stripe signs.
func TestStripeWrongMoneyKeptForReview(t *testing.T) {
	d := psptest.NewStripe(t, "sk_test_shop")
	m := &merchant.Merchant{ID: "shop", Name: "Shop", PSP: stripe.Name, PaymentMethods: []string{"card"}, RedirectDomains: []string{"shop.example"},
		PSPCredentials: map[string]string{stripe.CredSecretKey: "sk_test_shop", stripe.CredWebhookSecret: "whsec_stripe_shop"}}
	w := pspWorld(t, m, func(o *service.Options) { o.StripeAPI = d.URL })
	id, _ := w.create(body)
	doc, _ := os.ReadFile("../../testdata/stripe/checkout.session.completed.json")
	doc = bytes.ReplaceAll(doc, []byte("pl_01JDA3M6ZQ8X2W4T0F3K9P7R5S"), []byte(id))
	post := func(evID, pi string, edit func(o map[string]any)) {
		var ev map[string]any
		_ = json.Unmarshal(doc, &ev)
		ev["id"] = evID
		o := ev["data"].(map[string]any)["object"].(map[string]any)
		o["payment_intent"] = pi
		edit(o)
		raw, _ := json.Marshal(ev)
		req, _ := http.NewRequest("POST", w.srv.URL+"/webhooks/psp/stripe/shop", bytes.NewReader(raw))
		req.Header.Set("Stripe-Signature", psp.SignedHeader("whsec_stripe_shop", time.Now(), raw))
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("webhook %s: %v %v", evID, err, resp)
		}
		resp.Body.Close()
	}
	post("evt_usd", "pi_usd", func(o map[string]any) { o["currency"], o["amount_total"] = "usd", 1 })
	post("evt_short", "pi_short", func(o map[string]any) { o["amount_total"] = 12097 })
	post("evt_none", "pi_none", func(o map[string]any) { delete(o, "amount_total") })
	settle(t, w)
	if l := w.link(id); l.Status != domain.StatusCreated {
		t.Fatalf("wrong money paid the link: %s %s", l.Status, l.PSPReference)
	}
	if items := reviewOf(t, w, store.ReviewMismatched); len(items) != 3 {
		t.Fatalf("%d mismatched review items", len(items))
	}
	post("evt_right", "pi_right", func(map[string]any) {})
	if l := w.waitStatus(id, domain.StatusPaid); l.PSPReference != "pi_right" {
		t.Fatalf("paid by %s", l.PSPReference)
	}
}
