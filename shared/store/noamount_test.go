package store_test

import (
	"errors"
	"testing"
	"time"

	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/store"
	"github.com/paylinks/paylinks/shared/testkit/testenv"
)

// A bank payment is never kept for review without an amount (it could be
// neither matched nor refunded); a PSP's still is (refunded at the PSP).
func TestBankPaymentKeptOnlyWithAnAmount(t *testing.T) {
	env := testenv.New(t)
	now := time.Now().UTC()
	ev := domain.PaymentEvent{ID: "bank_zero", Kind: domain.PaymentSucceeded, PaymentRef: "bank_zero", Debtor: bankPayer, At: now}
	if _, err := env.Store.KeepForReview(ctx, "m1", domain.ProviderBank, ev, domain.ReviewUnmatched, nil, now); !errors.Is(err, store.ErrBankNoAmount) {
		t.Fatalf("a bank payment with no amount: %v", err)
	}
	if page, _ := env.Store.ReviewPayments(ctx, "m1", store.ReviewQuery{}); len(page.Items) != 0 {
		t.Fatalf("kept %+v", page.Items)
	}
	ev.ID, ev.PaymentRef, ev.Debtor = "pi_none", "pi_none", nil
	if ok, err := env.Store.KeepForReview(ctx, "m1", "sandbox", ev, domain.ReviewMismatched, nil, now); err != nil || !ok {
		t.Fatalf("a PSP's payment with no amount: %v %v", ok, err)
	}
}
