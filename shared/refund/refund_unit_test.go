package refund_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/merchant"
	"github.com/paylinks/paylinks/shared/money"
	"github.com/paylinks/paylinks/shared/psp"
	"github.com/paylinks/paylinks/shared/queue"
	"github.com/paylinks/paylinks/shared/refund"
	"github.com/paylinks/paylinks/shared/store"
)

// fakePSP refunds at once and counts its calls; its other methods are not
// called by refunds.
type fakePSP struct {
	psp.Provider
	calls []psp.RefundRequest
}

func (p *fakePSP) Refund(_ context.Context, _ *merchant.Merchant, r psp.RefundRequest) (psp.RefundResult, error) {
	p.calls = append(p.calls, r)
	return psp.RefundResult{Ref: "re_psp_" + r.RefundID, Status: domain.RefundSucceeded}, nil
}

// fakeQueue keeps what was sent, or refuses everything with err.
type fakeQueue struct {
	sent []refund.Message
	err  error
}

func (q *fakeQueue) Send(_ context.Context, v any, _ time.Duration) error {
	if q.err != nil {
		return q.err
	}
	q.sent = append(q.sent, v.(refund.Message))
	return nil
}

var unitNow = time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)

type unit struct {
	st  *fakeStore
	psp *fakePSP
	q   *fakeQueue
	svc *refund.Service
	m   *merchant.Merchant
	l   *domain.Link
}

// newUnit is the refund service over a store in memory holding one link of
// shop paid EUR 60.00 through the fake PSP.
func newUnit(t *testing.T) *unit {
	t.Helper()
	st, p, q := newFakeStore(), &fakePSP{}, &fakeQueue{}
	m := &merchant.Merchant{ID: "shop", Name: "Shop", PSP: "fake"}
	paidAt := unitNow.Add(-time.Hour)
	l := &domain.Link{ID: domain.NewID(domain.PrefixLink, paidAt), Merchant: "shop", Status: domain.StatusPaid,
		Amount: money.MustParse("EUR", "60.00"), AmountRefunded: money.Zero("EUR"), RefundCommitted: money.Zero("EUR"),
		PSP: "fake", PSPReference: "pi_1", PaidAt: &paidAt, ExpiresAt: unitNow.Add(time.Hour)}
	st.links[l.ID] = l
	svc := &refund.Service{Store: st, PSPs: psp.Registry{"fake": p}, Queue: q, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Merchants: func(context.Context, string) (*merchant.Merchant, error) { return m, nil }, Now: func() time.Time { return unitNow }}
	return &unit{st, p, q, svc, m, l}
}

func (u *unit) create(t *testing.T, value string) *store.Refund {
	t.Helper()
	a := money.MustParse("EUR", value)
	r, err := u.svc.Create(t.Context(), u.m, u.l, &a, "")
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func (u *unit) settle(t *testing.T, r *store.Refund, kind domain.PaymentKind) string {
	t.Helper()
	out, err := u.svc.Settle(t.Context(), "shop", domain.PaymentEvent{ID: "evt_" + string(kind), Kind: kind, LinkID: r.LinkID,
		RefundID: r.ID, RefundRef: "re_psp_1", At: unitNow})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestUnitSettlingASettledRefundMovesNothing(t *testing.T) {
	u := newUnit(t)
	r := u.create(t, "20.00")
	if c, d := u.st.counters(u.l.ID); c != 2000 || d != 0 {
		t.Fatalf("after create: committed %d, refunded %d; want 2000, 0", c, d)
	}
	if out := u.settle(t, r, domain.RefundSucceeded); out != string(domain.RefundSucceeded) {
		t.Fatalf("first settlement: %q", out)
	}
	events := u.st.events
	for _, kind := range []domain.PaymentKind{domain.RefundSucceeded, domain.RefundFailed} {
		if out := u.settle(t, r, kind); out != "duplicate" {
			t.Fatalf("%s on a succeeded refund: %q, want duplicate", kind, out)
		}
	}
	if c, d := u.st.counters(u.l.ID); c != 2000 || d != 2000 || u.st.events != events {
		t.Fatalf("after duplicates: committed %d, refunded %d, %d new events; want 2000, 2000, none", c, d, u.st.events-events)
	}
	if got := u.st.refund(r.ID); got.Status != store.RefundSucceeded {
		t.Fatalf("refund is %s after a late failure, want succeeded", got.Status)
	}
}

func TestUnitFailedRefundGivesItsReservationBackOnce(t *testing.T) {
	u := newUnit(t)
	r := u.create(t, "60.00")
	if out := u.settle(t, r, domain.RefundFailed); out != string(domain.RefundFailed) {
		t.Fatalf("failure: %q", out)
	}
	for _, kind := range []domain.PaymentKind{domain.RefundFailed, domain.RefundSucceeded} {
		if out := u.settle(t, r, kind); out != "duplicate" {
			t.Fatalf("%s on a failed refund: %q, want duplicate", kind, out)
		}
	}
	if c, d := u.st.counters(u.l.ID); c != 0 || d != 0 {
		t.Fatalf("after a failed refund: committed %d, refunded %d; want 0, 0", c, d)
	}
	u.create(t, "60.00") // what was held back may be refunded again
}

func TestUnitSettleOfUnknownRefundIsNotAnError(t *testing.T) {
	u := newUnit(t)
	for _, ev := range []domain.PaymentEvent{
		{ID: "e1", Kind: domain.RefundSucceeded, LinkID: u.l.ID, RefundID: "re_unknown"},
		{ID: "e2", Kind: domain.RefundSucceeded},
	} {
		if out, err := u.svc.Settle(t.Context(), "shop", ev); err != nil || (out != "unknown_refund" && out != "not_ours") {
			t.Fatalf("%+v: %q %v", ev, out, err)
		}
	}
}

func TestUnitMessageTwiceCallsThePSPOnce(t *testing.T) {
	u := newUnit(t)
	r := u.create(t, "15.00")
	if len(u.q.sent) != 1 {
		t.Fatalf("create queued %d messages, want 1", len(u.q.sent))
	}
	msg := queue.Message[refund.Message]{Body: u.q.sent[0]}
	for i := range 2 {
		if err := u.svc.Process(t.Context(), msg); err != nil {
			t.Fatalf("delivery %d: %v", i, err)
		}
	}
	if len(u.psp.calls) != 1 || u.psp.calls[0].RefundID != r.ID || u.psp.calls[0].PaymentRef != "pi_1" || u.psp.calls[0].Amount.Minor() != 1500 {
		t.Fatalf("PSP calls %+v, want one refund of 15.00 on pi_1", u.psp.calls)
	}
	if c, d := u.st.counters(u.l.ID); c != 1500 || d != 1500 {
		t.Fatalf("committed %d, refunded %d; want 1500, 1500", c, d)
	}
}

func TestUnitUnknownRefundMessageIsPermanent(t *testing.T) {
	u := newUnit(t)
	err := u.svc.Process(t.Context(), queue.Message[refund.Message]{Body: refund.Message{Merchant: "shop", LinkID: u.l.ID, RefundID: "re_gone"}})
	if !errors.Is(err, queue.ErrPermanent) || len(u.psp.calls) != 0 {
		t.Fatalf("unknown refund: %v, %d PSP calls; want a permanent failure, none", err, len(u.psp.calls))
	}
}

func TestUnitEnqueueFailureFailsTheRefundAtOnce(t *testing.T) {
	u := newUnit(t)
	u.q.err = errors.New("queue down")
	a := money.MustParse("EUR", "25.00")
	if _, err := u.svc.Create(t.Context(), u.m, u.l, &a, ""); err == nil {
		t.Fatal("create succeeded with the queue down")
	}
	if c, d := u.st.counters(u.l.ID); c != 0 || d != 0 {
		t.Fatalf("after a failed enqueue: committed %d, refunded %d; want the reservation released", c, d)
	}
	for id, r := range u.st.refunds {
		if r.Status != store.RefundFailed || r.FailureReason != "could_not_enqueue" {
			t.Fatalf("refund %s is %s (%q), want failed: could_not_enqueue", id, r.Status, r.FailureReason)
		}
	}
}

func TestUnitReviewPaymentIsRefundedOnce(t *testing.T) {
	u := newUnit(t)
	amt := money.MustParse("EUR", "60.00")
	id := domain.NewID(domain.PrefixReview, unitNow)
	u.st.reviews[id] = &store.ReviewPayment{ID: id, Merchant: "shop", Kind: domain.ReviewSecond, PSP: "fake", PSPReference: "pi_2",
		Amount: &amt, LinkID: u.l.ID, State: store.ReviewOpen}
	if _, err := u.svc.RefundReview(t.Context(), u.m, id); err != nil {
		t.Fatal(err)
	}
	if _, err := u.svc.RefundReview(t.Context(), u.m, id); !errors.Is(err, store.ErrReviewNotOpen) {
		t.Fatalf("a second refund of a refunding payment: %v, want ErrReviewNotOpen", err)
	}
	for i := range 2 {
		if err := u.svc.Process(t.Context(), queue.Message[refund.Message]{Body: u.q.sent[0]}); err != nil {
			t.Fatalf("delivery %d: %v", i, err)
		}
	}
	p := u.st.reviews[id]
	if len(u.psp.calls) != 1 || u.psp.calls[0].RefundID != id+"-1" || u.psp.calls[0].PaymentRef != "pi_2" || p.State != store.ReviewRefunded {
		t.Fatalf("PSP calls %+v, payment %s; want one refund %s-1 of pi_2, refunded", u.psp.calls, p.State, id)
	}
	if c, d := u.st.counters(u.l.ID); c != 0 || d != 0 {
		t.Fatalf("a review payment's refund moved the link's counters: %d, %d", c, d)
	}
}
