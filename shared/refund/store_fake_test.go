package refund_test

import (
	"context"
	"sync"
	"time"

	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/refund"
	"github.com/paylinks/paylinks/shared/store"
	"github.com/paylinks/paylinks/shared/testkit/fakes"
)

// fakeStore is refund.Store in memory, with the table's guards: a refund
// reserves at most what its link has left, is claimed by one worker while
// pending and unsubmitted, and settles once (moving its link's counters,
// kept in minor units, by the decision's deltas); a review payment's refund
// moves open -> refunding -> refunded | open.
type fakeStore struct {
	mu        sync.Mutex
	links     map[string]*domain.Link
	refunds   map[string]*store.Refund // by refund id
	claimed   map[string]time.Time     // refund or review id -> claimed until
	reviews   map[string]*store.ReviewPayment
	committed map[string]int64 // link id -> refunds held (succeeded + pending)
	refunded  map[string]int64 // link id -> refunds succeeded
	events    int              // timeline events written
	bank      bankFake
}

var _ refund.Store = (*fakeStore)(nil)

func newFakeStore() *fakeStore {
	return &fakeStore{links: map[string]*domain.Link{}, refunds: map[string]*store.Refund{}, claimed: map[string]time.Time{},
		reviews: map[string]*store.ReviewPayment{}, committed: map[string]int64{}, refunded: map[string]int64{}}
}

// counters are what link id holds and has refunded, in minor units.
func (f *fakeStore) counters(id string) (committed, refunded int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.committed[id], f.refunded[id]
}

func (f *fakeStore) refund(id string) store.Refund {
	f.mu.Lock()
	defer f.mu.Unlock()
	return *f.refunds[id]
}

func (f *fakeStore) Get(_ context.Context, _, id string) (*domain.Link, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return fakes.Copy(f.links, id)
}

func (f *fakeStore) CreateRefund(_ context.Context, l *domain.Link, r *store.Refund, now time.Time) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	cur, ok := f.links[l.ID]
	switch {
	case !ok:
		return domain.ErrNotPaid
	case domain.RefundRefusal(cur) != nil:
		return domain.RefundRefusal(cur)
	case f.committed[l.ID]+r.Amount.Minor() > cur.Amount.Minor():
		return domain.ErrRefundTooLarge
	}
	f.committed[l.ID] += r.Amount.Minor()
	r.Status, r.CreatedAt, r.UpdatedAt, r.LinkID = store.RefundPending, now, now, l.ID
	c := *r
	f.refunds[r.ID] = &c
	f.events++
	return nil
}

func (f *fakeStore) ClaimRefund(_ context.Context, _, _, id string, now time.Time, lease time.Duration) (*store.Refund, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	r, ok := f.refunds[id]
	switch {
	case !ok:
		return nil, false, domain.ErrNotFound
	case r.Status != store.RefundPending || r.Submitted:
		c := *r
		return &c, false, nil
	case now.Before(f.claimed[id]):
		c := *r
		return &c, false, store.ErrRefundClaimed
	}
	f.claimed[id] = now.Add(lease)
	c := *r
	return &c, true, nil
}

func (f *fakeStore) ReleaseRefundClaim(_ context.Context, _, _, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.claimed, id)
	return nil
}

func (f *fakeStore) MarkRefundSubmitted(_ context.Context, _, _, id, ref string, now time.Time) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if r, ok := f.refunds[id]; ok && r.Status == store.RefundPending {
		r.Submitted, r.PSPReference, r.UpdatedAt = true, ref, now
		delete(f.claimed, id)
	}
	return nil
}

func (f *fakeStore) GetRefund(_ context.Context, _, _, id string) (*store.Refund, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	r, ok := f.refunds[id]
	if !ok {
		return nil, domain.ErrNotFound
	}
	c := *r
	return &c, nil
}

// SettleRefund carries d out when the refund is still pending.
func (f *fakeStore) SettleRefund(_ context.Context, _ string, r *store.Refund, d domain.RefundSettlement, ref, reason string, now time.Time) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	cur, ok := f.refunds[r.ID]
	if !d.Settle || !ok || cur.Status != store.RefundPending {
		return false, nil
	}
	cur.Status, cur.UpdatedAt = d.Status, now
	if ref != "" {
		cur.PSPReference = ref
	}
	if d.Status == store.RefundFailed {
		cur.FailureReason = reason
	}
	delete(f.claimed, r.ID)
	f.refunded[cur.LinkID] += d.RefundedDelta
	f.committed[cur.LinkID] += d.CommittedDelta
	f.events++
	return true, nil
}

func (f *fakeStore) StartReviewRefund(_ context.Context, _, id string, now time.Time) (*store.ReviewPayment, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p, ok := f.reviews[id]
	switch {
	case !ok:
		return nil, domain.ErrNotFound
	case domain.ReviewRefundRefusal(p.Kind) != nil:
		c := *p
		return &c, domain.ReviewRefundRefusal(p.Kind)
	case p.State == store.ReviewOpen && p.Amount == nil && p.PSP == domain.ProviderBank:
		c := *p
		return &c, store.ErrReviewBankNoAmount
	case p.State == store.ReviewOpen && p.Amount == nil:
		c := *p
		return &c, store.ErrReviewNoAmount
	case p.State != store.ReviewOpen:
		c := *p
		return &c, store.ErrReviewNotOpen
	case p.PSP == domain.ProviderBank:
		c := *p
		return &c, store.ErrReviewByBank
	}
	p.State, p.Submitted, p.FailureReason = store.ReviewRefunding, false, ""
	p.RefundAttempt++
	delete(f.claimed, id)
	c := *p
	return &c, nil
}

func (f *fakeStore) ClaimReviewRefund(_ context.Context, _, id string, now time.Time, lease time.Duration) (*store.ReviewPayment, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p, ok := f.reviews[id]
	switch {
	case !ok:
		return nil, false, domain.ErrNotFound
	case p.State != store.ReviewRefunding || p.Submitted:
		c := *p
		return &c, false, nil
	case now.Before(f.claimed[id]):
		c := *p
		return &c, false, store.ErrRefundClaimed
	}
	f.claimed[id] = now.Add(lease)
	c := *p
	return &c, true, nil
}

func (f *fakeStore) ReleaseReviewClaim(_ context.Context, _, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.claimed, id)
	return nil
}

func (f *fakeStore) MarkReviewRefundSubmitted(_ context.Context, _, id string, attempt int, ref string, _ time.Time) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if p, ok := f.reviews[id]; ok && p.State == store.ReviewRefunding && p.RefundAttempt == attempt {
		p.Submitted, p.RefundRef = true, ref
		delete(f.claimed, id)
	}
	return nil
}

func (f *fakeStore) SettleReviewRefund(_ context.Context, _, id string, attempt int, ok bool, ref, reason string, _ time.Time) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p, found := f.reviews[id]
	if !found {
		return false, domain.ErrNotFound
	}
	if p.State != store.ReviewRefunding || p.RefundAttempt != attempt {
		return false, nil
	}
	p.State = store.ReviewRefunded
	if !ok {
		if reason == "" {
			reason = "refund_failed"
		}
		p.State, p.FailureReason = store.ReviewOpen, reason
	}
	if ref != "" {
		p.RefundRef = ref
	}
	delete(f.claimed, id)
	return true, nil
}
