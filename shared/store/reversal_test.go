package store_test

import (
	"errors"
	"testing"
	"time"

	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/store"
	"github.com/paylinks/paylinks/shared/testkit/testenv"
)

// TestReversalStopsRefunds: a reversal kept for review names the link it
// took the payment of (reversed_by, kept through the link's later
// changes); the reservation refuses a refund of that link even when the
// caller read it before the reversal (ErrPaymentReversed), and the
// reversal itself is refused by either review refund with the same error.
func TestReversalStopsRefunds(t *testing.T) {
	env := testenv.New(t)
	now := time.Now().UTC()
	l := bankPaidLink(t, env, "m1", now)
	if _, err := bankRefund(t, env, l, "1.00", now); err != nil {
		t.Fatalf("a refund before the reversal: %v", err)
	}
	a := l.Amount
	if ok, err := env.Store.KeepForReview(ctx, "m1", domain.ProviderBank, domain.PaymentEvent{ID: "bank_rev", Kind: domain.PaymentSucceeded,
		PaymentRef: "bank_rev", Amount: &a, Debtor: bankPayer, At: now}, domain.ReviewReversal, l, now); err != nil || !ok {
		t.Fatalf("keep the reversal: %v %v", ok, err)
	}
	got, err := env.Store.Get(ctx, "m1", l.ID)
	if err != nil || got.ReversedBy == "" || got.Status != domain.StatusPaid {
		t.Fatalf("reversed link %+v, %v", got, err)
	}
	if _, err := bankRefund(t, env, l, "1.00", now); !errors.Is(err, domain.ErrPaymentReversed) { // l as read before the reversal
		t.Fatalf("a bank refund after the reversal: %v", err)
	}
	if err := env.Store.CreateRefund(ctx, l, &store.Refund{ID: domain.NewID(domain.PrefixRefund, now), Merchant: "m1", Amount: a, PSP: domain.ProviderBank}, now); !errors.Is(err, domain.ErrPaymentReversed) {
		t.Fatalf("a refund after the reversal: %v", err)
	}
	next := *got
	next.Archived, next.UpdatedAt = true, now
	if err := env.Store.Transition(ctx, got, &next, domain.NewEvent(l.ID, domain.EventArchived, got.Status, got.Status, now, nil)); err != nil {
		t.Fatal(err)
	}
	if again, _ := env.Store.Get(ctx, "m1", l.ID); again.ReversedBy != got.ReversedBy {
		t.Fatalf("a later change of the link dropped reversed_by: %q", again.ReversedBy)
	}
	cur, err := env.Store.StartReviewRefund(ctx, "m1", got.ReversedBy, now)
	if !errors.Is(err, domain.ErrPaymentReversed) || cur.Kind != domain.ReviewReversal {
		t.Fatalf("the reversal's refund: %+v, %v", cur, err)
	}
	payee, _ := domain.PayeeOf(bankPayer)
	rp, _ := domain.ReviewPayout(cur.ID, 1, a, payee)
	if _, err := env.Store.StartBankReviewRefund(ctx, "m1", cur, rp, now); !errors.Is(err, domain.ErrPaymentReversed) {
		t.Fatalf("the reversal's refund by bank: %v", err)
	}
}
