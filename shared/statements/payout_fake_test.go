package statements_test

import (
	"context"
	"time"

	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/store"
)

// payoutFake is the fake store's part of payouts: their records by
// end-to-end id, the links' refunds, and how often each settled.
type payoutFake struct {
	payouts map[string]*domain.Payout // m/e2e
	refunds map[string]*store.Refund  // m/refund id
	settled map[string]int            // refund or review id -> settlements
}

func (f *fakeStore) addPayout(m string, p domain.Payout, r *store.Refund) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.po.payouts == nil {
		f.po = payoutFake{payouts: map[string]*domain.Payout{}, refunds: map[string]*store.Refund{}, settled: map[string]int{}}
	}
	f.po.payouts[k(m, p.EndToEndID)] = &p
	if r != nil {
		f.po.refunds[k(m, r.ID)] = r
	}
}

func (f *fakeStore) settlements(id string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.po.settled[id]
}

func (f *fakeStore) PayoutByEndToEnd(_ context.Context, m, e2e string) (*domain.Payout, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p, ok := f.po.payouts[k(m, e2e)]
	if !ok {
		return nil, domain.ErrNotFound
	}
	c := *p
	return &c, nil
}

func (f *fakeStore) GetRefund(_ context.Context, m, _, id string) (*store.Refund, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	r, ok := f.po.refunds[k(m, id)]
	if !ok {
		return nil, domain.ErrNotFound
	}
	c := *r
	return &c, nil
}

func (f *fakeStore) SettleRefund(_ context.Context, m string, r *store.Refund, d domain.RefundSettlement, _, _ string, _ time.Time) (bool, error) {
	var changed bool
	err := f.write("SettleRefund", func() error {
		f.mu.Lock()
		defer f.mu.Unlock()
		cur, ok := f.po.refunds[k(m, r.ID)]
		if !d.Settle || !ok || cur.Status != store.RefundPending {
			return nil
		}
		cur.Status, changed = d.Status, true
		f.po.settled[r.ID]++
		return nil
	})
	return changed, err
}

func (f *fakeStore) SettleReviewRefund(_ context.Context, m, id string, attempt int, ok bool, _, _ string, _ time.Time) (bool, error) {
	var changed bool
	err := f.write("SettleReviewRefund", func() error {
		f.mu.Lock()
		defer f.mu.Unlock()
		p, found := f.reviews[k(m, id)]
		if !found {
			return domain.ErrNotFound
		}
		if p.State != store.ReviewRefunding || p.RefundAttempt != attempt {
			return nil
		}
		p.State, changed = store.ReviewRefunded, true
		if !ok {
			p.State = store.ReviewOpen
		}
		f.po.settled[id]++
		return nil
	})
	return changed, err
}

func (f *fakeStore) Refunds(_ context.Context, m, linkID string) ([]*store.Refund, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []*store.Refund
	for key, r := range f.po.refunds {
		if key == k(m, r.ID) && r.LinkID == linkID {
			c := *r
			out = append(out, &c)
		}
	}
	return out, nil
}

// LinkPayer: the fake keeps no payer (the reversal's account is then not
// checked against one).
func (f *fakeStore) LinkPayer(context.Context, string, string) (*domain.Debtor, error) {
	return nil, nil
}

// hold holds link's unfiled bank refunds for reversal rev, as the
// reversal's transaction does (the lock held).
func (f *fakeStore) hold(m, linkID, rev string) {
	for key, r := range f.po.refunds {
		if key == k(m, r.ID) && r.LinkID == linkID && r.EndToEndID != "" && r.Status == store.RefundPending && r.BankFileID == "" && r.HeldBy == "" {
			r.HeldBy = rev
		}
	}
}
