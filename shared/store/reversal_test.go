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

// TestReversalHoldsUnfiledRefunds: money the bank took back is not paid
// out again. A reversal holds the link's bank refunds that no file holds
// yet (held_by, in the reversal's own transaction), and a file never
// claims a held refund; a refund a file held before the reversal stays in
// it (the file may be at the bank already). Both orders, and every
// refund of the link, whatever their number.
func TestReversalHoldsUnfiledRefunds(t *testing.T) {
	for _, filedFirst := range []int{0, 1, 2} {
		env := testenv.New(t)
		now := time.Now().UTC()
		l := bankPaidLink(t, env, "m1", now)
		var refunds []*store.Refund
		for i := 0; i < 3; i++ {
			r, err := bankRefund(t, env, l, "1.00", now)
			if err != nil {
				t.Fatal(err)
			}
			refunds = append(refunds, r)
		}
		filed := map[string]bool{}
		if filedFirst > 0 {
			w, err := env.Store.WaitingPayouts(ctx, "m1", filedFirst)
			if err != nil || len(w) != filedFirst {
				t.Fatalf("waiting %+v %v", w, err)
			}
			if err := env.Store.FileBankRefunds(ctx, &store.BankFile{ID: domain.NewID(domain.PrefixBankFile, now), Merchant: "m1", Refunds: len(w),
				Total: l.Amount, XML: "<x/>"}, w, now); err != nil {
				t.Fatal(err)
			}
			for _, p := range w {
				filed[p.RefundID] = true
			}
		}
		a := l.Amount
		if ok, err := env.Store.KeepForReview(ctx, "m1", domain.ProviderBank, domain.PaymentEvent{ID: "bank_rev", Kind: domain.PaymentSucceeded,
			PaymentRef: "bank_rev", Amount: &a, Debtor: bankPayer, At: now}, domain.ReviewReversal, l, now); err != nil || !ok {
			t.Fatalf("keep the reversal: %v %v", ok, err)
		}
		for _, r := range refunds {
			got, err := env.Store.GetRefund(ctx, "m1", l.ID, r.ID)
			if err != nil {
				t.Fatal(err)
			}
			if held := got.HeldBy != ""; held == filed[r.ID] || got.Status != store.RefundPending {
				t.Errorf("filed first %d: refund %s filed %v: held by %q, %s", filedFirst, r.ID, filed[r.ID], got.HeldBy, got.Status)
			}
		}
		w, err := env.Store.WaitingPayouts(ctx, "m1", 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(w) > 0 {
			err := env.Store.FileBankRefunds(ctx, &store.BankFile{ID: domain.NewID(domain.PrefixBankFile, now.Add(time.Second)), Merchant: "m1",
				Refunds: len(w), Total: l.Amount, XML: "<x/>"}, w, now)
			if !errors.Is(err, store.ErrPayoutsTaken) {
				t.Errorf("filed first %d: a file of the held payouts: %v", filedFirst, err)
			}
		}
		if w, _ := env.Store.WaitingPayouts(ctx, "m1", 10); len(w) != 0 {
			t.Errorf("filed first %d: still waiting %+v", filedFirst, w)
		}
	}
}
