package store_test

import (
	"errors"
	"testing"
	"time"

	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/links"
	"github.com/paylinks/paylinks/shared/money"
	"github.com/paylinks/paylinks/shared/store"
	"github.com/paylinks/paylinks/shared/testkit/testenv"
)

// TestPaymentAppliesOnlyWithTheLinksMoney: exact decimal equality of
// currency and amount, whatever the PSP's formatting; anything else is kept
// for review once per PSP payment, however often and in whatever order its
// events come.
func TestPaymentAppliesOnlyWithTheLinksMoney(t *testing.T) {
	env := testenv.New(t)
	now := time.Now().UTC()
	l, ev := newLink(t, "m1", "", now) // EUR 120.98
	if err := env.Store.CreateLink(ctx, store.NewLink{Link: l, Event: ev}); err != nil {
		t.Fatal(err)
	}
	pay := func(id, ref string, a *money.Amount) links.Applied {
		t.Helper()
		res, err := links.ApplyPayment(ctx, env.Store, "m1", "sandbox", domain.PaymentEvent{ID: id, Kind: domain.PaymentSucceeded, LinkID: l.ID, PaymentRef: ref, Amount: a, At: now}, now)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	usd, yen, more := money.MustParse("USD", "120.98"), money.MustParse("JPY", "121"), money.MustParse("EUR", "120.99")
	for i, c := range []struct {
		id, ref string
		a       *money.Amount
		want    links.Applied
	}{
		{"e1", "p1", &usd, links.AppliedReview},
		{"e1", "p1", &usd, links.AppliedDuplicate}, // the same event again
		{"e2", "p1", &usd, links.AppliedDuplicate}, // another event of the same payment
		{"e3", "p2", &yen, links.AppliedReview},
		{"e4", "p3", &more, links.AppliedReview},
		{"e5", "p4", nil, links.AppliedReview},
	} {
		if got := pay(c.id, c.ref, c.a); got != c.want {
			t.Fatalf("case %d: %s, want %s", i, got, c.want)
		}
	}
	if got, _ := env.Store.Get(ctx, "m1", l.ID); got.Status != domain.StatusCreated || got.Version != l.Version+4 {
		t.Fatalf("link %s version %d (one bump per review item)", got.Status, got.Version)
	}
	page, err := env.Store.ReviewPayments(ctx, "m1", store.ReviewQuery{Kind: store.ReviewMismatched, Limit: 10})
	if err != nil || len(page.Items) != 4 || page.Next != "" {
		t.Fatalf("review %+v %v", page, err)
	}
	// 120.980 EUR as a decimal with another exponent is the same money.
	same := money.Amount{Currency: "EUR", Value: money.MustParse("EUR", "120.98").Value.Shift(1).Shift(-1)}
	if got := pay("e6", "p5", &same); got != links.AppliedChange {
		t.Fatalf("the link's money: %s", got)
	}
	got, _ := env.Store.Get(ctx, "m1", l.ID)
	if got.Status != domain.StatusPaid || got.PSPReference != "p5" {
		t.Fatalf("paid %s ref %s", got.Status, got.PSPReference)
	}
	// A second payment on the paid link: kept, once.
	if r := pay("e7", "p6", &same); r != links.AppliedReview {
		t.Fatalf("second payment %s", r)
	}
	if r := pay("e8", "p6", &same); r != links.AppliedDuplicate {
		t.Fatalf("second payment again %s", r)
	}
	all, _ := env.Store.ReviewPayments(ctx, "m1", store.ReviewQuery{Limit: 10})
	if len(all.Items) != 5 || all.Items[0].Kind != store.ReviewSecond {
		t.Fatalf("all kinds, newest first: %+v", all.Items)
	}
	checkReviewPages(t, env, all.Items)
}

// checkReviewPages: pages of 2, by kind and for every kind, walk the same
// items in order; a cursor of one kind is refused for another, a cursor of
// another merchant's listing too.
func checkReviewPages(t *testing.T, env *testenv.Env, all []store.ReviewPayment) {
	t.Helper()
	for _, kind := range []string{"", store.ReviewMismatched} {
		walked := walkReview(t, env, kind)
		var want []store.ReviewPayment
		for _, p := range all {
			if kind == "" || p.Kind == kind {
				want = append(want, p)
			}
		}
		if len(walked) != len(want) {
			t.Fatalf("kind %q: %d walked, want %d", kind, len(walked), len(want))
		}
		for i := range want {
			if walked[i].ID != want[i].ID {
				t.Fatalf("kind %q: item %d is %s, want %s", kind, i, walked[i].ID, want[i].ID)
			}
		}
	}
	first, _ := env.Store.ReviewPayments(ctx, "m1", store.ReviewQuery{Kind: store.ReviewMismatched, Limit: 1})
	if _, err := env.Store.ReviewPayments(ctx, "m1", store.ReviewQuery{Kind: store.ReviewSecond, Limit: 1, Cursor: first.Next}); !errors.Is(err, domain.ErrBadCursor) {
		t.Fatalf("cursor of another kind: %v", err)
	}
	other, _ := env.Store.ReviewPayments(ctx, "m1", store.ReviewQuery{Limit: 1})
	if _, err := env.Store.ReviewPayments(ctx, "m2", store.ReviewQuery{Limit: 1, Cursor: other.Next}); !errors.Is(err, domain.ErrBadCursor) {
		t.Fatalf("foreign cursor: %v", err)
	}
}

// walkReview lists m1's review payments of kind in pages of 2.
func walkReview(t *testing.T, env *testenv.Env, kind string) []store.ReviewPayment {
	t.Helper()
	var walked []store.ReviewPayment
	q := store.ReviewQuery{Kind: kind, Limit: 2}
	for {
		p, err := env.Store.ReviewPayments(ctx, "m1", q)
		if err != nil {
			t.Fatal(err)
		}
		walked = append(walked, p.Items...)
		if p.Next == "" {
			return walked
		}
		q.Cursor = p.Next
	}
}

// TestRefundsCappedByWhatWasReceived: a link that received other money
// than its own received nothing and refunds nothing; once its own money paid
// it, refunds are capped by it, by a guard that reads the table, not the
// caller's copy of the link.
func TestRefundsCappedByWhatWasReceived(t *testing.T) {
	env := testenv.New(t)
	now := time.Now().UTC()
	l, ev := newLink(t, "m1", "", now)
	if err := env.Store.CreateLink(ctx, store.NewLink{Link: l, Event: ev}); err != nil {
		t.Fatal(err)
	}
	refund := func(l *domain.Link, v string) error {
		return env.Store.CreateRefund(ctx, l, &store.Refund{ID: domain.NewID(domain.PrefixRefund, time.Now()), Amount: money.MustParse("EUR", v), PSP: "sandbox"}, now)
	}
	less := money.MustParse("EUR", "100.00")
	if r, err := links.ApplyPayment(ctx, env.Store, "m1", "sandbox", domain.PaymentEvent{ID: "e0", Kind: domain.PaymentSucceeded, LinkID: l.ID, PaymentRef: "p0", Amount: &less, At: now}, now); err != nil || r != links.AppliedReview {
		t.Fatalf("less money: %s %v", r, err)
	}
	unpaid, _ := env.Store.Get(ctx, "m1", l.ID)
	if err := refund(unpaid, "1.00"); !errors.Is(err, domain.ErrNotPaid) {
		t.Fatalf("refund of a link paid with other money: %v", err)
	}
	a := l.Amount
	if _, err := links.ApplyPayment(ctx, env.Store, "m1", "sandbox", domain.PaymentEvent{ID: "e1", Kind: domain.PaymentSucceeded, LinkID: l.ID, PaymentRef: "p1", Amount: &a, At: now}, now); err != nil {
		t.Fatal(err)
	}
	stale, _ := env.Store.Get(ctx, "m1", l.ID)
	if err := refund(stale, l.Amount.Add(money.MustParse("EUR", "0.01")).String()); !errors.Is(err, domain.ErrRefundTooLarge) {
		t.Fatalf("refund above what was received: %v", err)
	}
	if err := refund(stale, "60.00"); err != nil {
		t.Fatal(err)
	}
	rest := l.Amount.Sub(money.MustParse("EUR", "60.00"))
	// The stale copy still says nothing is committed: the table's guard holds.
	if err := refund(stale, rest.Add(money.MustParse("EUR", "0.01")).String()); !errors.Is(err, domain.ErrRefundTooLarge) {
		t.Fatalf("refund above what is left, with a stale link: %v", err)
	}
	if err := refund(stale, rest.String()); err != nil {
		t.Fatal(err)
	}
}

// A review refund's PSP refund id names the review payment and the attempt;
// anything else is not one (the refund webhook then goes to link refunds).
func TestReviewFromRefundKey(t *testing.T) {
	id := domain.NewID(domain.PrefixReview, time.Now())
	p := &store.ReviewPayment{ID: id, RefundAttempt: 3}
	if got, n, ok := store.ReviewFromRefundKey(p.RefundKey()); !ok || got != id || n != 3 {
		t.Fatalf("%s: %s %d %v", p.RefundKey(), got, n, ok)
	}
	for _, bad := range []string{id, id + "-", id + "-0", id + "-2x", id + "--1", "re_" + id[3:] + "-1", "py_short-1", ""} {
		if _, _, ok := store.ReviewFromRefundKey(bad); ok {
			t.Errorf("%q taken for a review refund", bad)
		}
	}
}
