package webhook_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/merchant"
	"github.com/paylinks/paylinks/shared/money"
	"github.com/paylinks/paylinks/shared/psp"
	"github.com/paylinks/paylinks/shared/psp/sandbox"
	"github.com/paylinks/paylinks/shared/queue"
	"github.com/paylinks/paylinks/shared/webhook"
)

var unitNow = time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)

// unitLink stores an open link of shop for EUR 12.50 and returns its id.
func unitLink(t *testing.T, st *fakeStore, status domain.Status) string {
	t.Helper()
	id := domain.NewID(domain.PrefixLink, unitNow)
	st.links[id] = &domain.Link{ID: id, Merchant: "shop", Status: status, Amount: eur(t, "12.50"), Attempt: 1,
		CreatedAt: unitNow.Add(-time.Hour), ExpiresAt: unitNow.Add(24 * time.Hour)}
	return id
}

func eur(t *testing.T, v string) money.Amount {
	t.Helper()
	a, err := money.Parse("EUR", v)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func newApply(st *fakeStore) *webhook.Apply {
	return &webhook.Apply{Store: st, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: func() time.Time { return unitNow }}
}

func apply(t *testing.T, a *webhook.Apply, ev domain.PaymentEvent) {
	t.Helper()
	if err := a.Process(t.Context(), queue.Message[webhook.Message]{Body: webhook.Message{Merchant: "shop", Provider: sandbox.Name, Event: ev}}); err != nil {
		t.Fatalf("apply %s: %v", ev.ID, err)
	}
}

func TestUnitApplyDuplicateEventChangesNothing(t *testing.T) {
	st := newFakeStore()
	id := unitLink(t, st, domain.StatusClicked)
	a := newApply(st)
	amt := eur(t, "12.50")
	paid := domain.PaymentEvent{ID: "evt_1", Kind: domain.PaymentSucceeded, LinkID: id, PaymentRef: "pay_1", Amount: &amt, At: unitNow}
	apply(t, a, paid)
	first := st.link(id)
	if first.Status != domain.StatusPaid || first.PSPReference != "pay_1" || st.events != 1 {
		t.Fatalf("after the payment: %s ref %q, %d events; want paid by pay_1, 1 event", first.Status, first.PSPReference, st.events)
	}
	// The PSP delivers the same event again, and another event of the same
	// payment: neither moves the link, writes an event or keeps a review.
	again := paid
	again.At = unitNow.Add(time.Minute)
	apply(t, a, again)
	other := paid
	other.ID = "evt_1b"
	apply(t, a, other)
	if got := st.link(id); got.Status != domain.StatusPaid || !got.PaidAt.Equal(*first.PaidAt) || st.events != 1 || len(st.reviews) != 0 {
		t.Fatalf("after duplicates: %s paid at %v, %d events, reviews %v; want as before, 1 event, none", got.Status, got.PaidAt, st.events, st.reviews)
	}
}

func TestUnitApplySecondAndMismatchedPaymentsAreKeptForReview(t *testing.T) {
	st := newFakeStore()
	id := unitLink(t, st, domain.StatusClicked)
	a := newApply(st)
	wrong, right := eur(t, "12.49"), eur(t, "12.50")
	apply(t, a, domain.PaymentEvent{ID: "evt_short", Kind: domain.PaymentSucceeded, LinkID: id, PaymentRef: "pay_short", Amount: &wrong, At: unitNow})
	if got := st.link(id); got.Status != domain.StatusClicked || st.reviews["evt_short"] != domain.ReviewMismatched {
		t.Fatalf("a mismatched payment: link %s, reviews %v; want clicked, kept as %s", got.Status, st.reviews, domain.ReviewMismatched)
	}
	apply(t, a, domain.PaymentEvent{ID: "evt_ok", Kind: domain.PaymentSucceeded, LinkID: id, PaymentRef: "pay_ok", Amount: &right, At: unitNow})
	apply(t, a, domain.PaymentEvent{ID: "evt_two", Kind: domain.PaymentSucceeded, LinkID: id, PaymentRef: "pay_two", Amount: &right, At: unitNow})
	apply(t, a, domain.PaymentEvent{ID: "evt_two", Kind: domain.PaymentSucceeded, LinkID: id, PaymentRef: "pay_two", Amount: &right, At: unitNow})
	if got := st.link(id); got.PSPReference != "pay_ok" || st.reviews["evt_two"] != domain.ReviewSecond || len(st.reviews) != 2 || st.events != 1 {
		t.Fatalf("a second payment: link paid by %q, reviews %v, %d events; want pay_ok, evt_two kept once as %s", got.PSPReference, st.reviews, st.events, domain.ReviewSecond)
	}
}

func TestUnitApplyCheckoutExpiredClearsTheCheckout(t *testing.T) {
	st := newFakeStore()
	id := unitLink(t, st, domain.StatusClicked)
	exp := unitNow.Add(time.Hour)
	st.links[id].CheckoutURL, st.links[id].CheckoutExpiresAt = "https://checkout.stripe.com/c/pay/cs_test_new", &exp
	a := newApply(st)
	// An older session's expiry leaves the current one.
	apply(t, a, domain.PaymentEvent{ID: "evt_x1", Kind: domain.CheckoutExpired, LinkID: id, CheckoutURL: "cs_test_old", At: unitNow})
	if got := st.link(id); got.CheckoutURL == "" {
		t.Fatal("an older session's expiry cleared the current checkout")
	}
	apply(t, a, domain.PaymentEvent{ID: "evt_x2", Kind: domain.CheckoutExpired, LinkID: id, CheckoutURL: "cs_test_new", At: unitNow})
	if got := st.link(id); got.CheckoutURL != "" || got.CheckoutExpiresAt != nil || got.Status != domain.StatusClicked || st.events != 0 {
		t.Fatalf("after checkout_expired: %q %v %s, %d events; want no checkout, still clicked, no event", got.CheckoutURL, got.CheckoutExpiresAt, got.Status, st.events)
	}
}

func TestUnitApplyRefundEventWithoutHandlerFails(t *testing.T) {
	a := newApply(newFakeStore())
	err := a.Process(t.Context(), queue.Message[webhook.Message]{Body: webhook.Message{Merchant: "shop", Provider: sandbox.Name,
		Event: domain.PaymentEvent{ID: "evt_r", Kind: domain.RefundSucceeded, LinkID: "pl_x", RefundID: "re_x"}}})
	if err == nil {
		t.Fatal("a refund event with no refund handler was dropped")
	}
}

// fakeQueue keeps what was sent.
type fakeQueue struct{ sent []webhook.Message }

func (q *fakeQueue) Send(_ context.Context, v any, _ time.Duration) error {
	q.sent = append(q.sent, v.(webhook.Message))
	return nil
}

func TestUnitIngestRetryIsNotEnqueuedAgain(t *testing.T) {
	st := newFakeStore()
	st.merchants["shop"] = &merchant.Merchant{ID: "shop", PSP: sandbox.Name, PSPWebhookSecret: "whsec_x"}
	q := &fakeQueue{}
	in := webhook.NewIngest(st, psp.Registry{sandbox.Name: &sandbox.Provider{}}, q)
	in.Now = func() time.Time { return unitNow }
	mux := http.NewServeMux()
	in.Routes(mux)
	amt := eur(t, "12.50")
	linkID := domain.NewID(domain.PrefixLink, unitNow)
	body, _ := json.Marshal(sandbox.WebhookEvent{ID: "evt_1", Type: "payment.succeeded", Created: unitNow.Unix(),
		Data: sandbox.WebhookData{LinkID: linkID, Attempt: 1, PaymentID: "pay_1", Amount: &amt}})
	for i := range 3 {
		req := httptest.NewRequest("POST", "/webhooks/psp/sandbox/shop", bytes.NewReader(body))
		req.Header.Set(sandbox.SignatureHeader, psp.SignedHeader("whsec_x", unitNow, body))
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			t.Fatalf("delivery %d: %d %s", i, rec.Code, rec.Body)
		}
	}
	if len(q.sent) != 1 || q.sent[0].Event.ID != "evt_1" || q.sent[0].Event.LinkID != linkID || q.sent[0].Merchant != "shop" || !st.recorded["evt_1"] {
		t.Fatalf("three deliveries of one event queued %+v (recorded %v); want it queued once", q.sent, st.recorded)
	}
}
