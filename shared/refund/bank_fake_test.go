package refund_test

import (
	"context"
	"slices"
	"time"

	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/store"
)

// bankFake is the fake store's part of refunds by bank transfer, with the
// table's guards: a payout is recorded and listed with its refund, a file
// claims each payout once (pending, in no file), all or nothing.
type bankFake struct {
	payers  map[string]*domain.Debtor // link id -> who paid it by bank
	waiting []store.WaitingPayout
	fileOf  map[string]string // end-to-end id -> file
	files   []*store.BankFile // oldest first
	// beforeFile runs before a file's claims are checked (a race's other
	// file, in tests).
	beforeFile func()
}

func (f *fakeStore) LinkPayer(_ context.Context, _, id string) (*domain.Debtor, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.bank.payers[id], nil
}

func (f *fakeStore) CreateBankRefund(ctx context.Context, l *domain.Link, r *store.Refund, p domain.Payout, now time.Time) error {
	r.EndToEndID = p.EndToEndID
	if err := f.CreateRefund(ctx, l, r, now); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.refunds[r.ID].EndToEndID = p.EndToEndID
	f.bank.waiting = append(f.bank.waiting, store.WaitingPayout{Payout: p, CreatedAt: now.Format(time.RFC3339Nano)})
	return nil
}

func (f *fakeStore) StartBankReviewRefund(_ context.Context, _ string, cur *store.ReviewPayment, p domain.Payout, now time.Time) (*store.ReviewPayment, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	r, ok := f.reviews[cur.ID]
	switch {
	case !ok:
		return nil, domain.ErrNotFound
	case domain.ReviewRefundRefusal(r.Kind) != nil:
		c := *r
		return &c, domain.ReviewRefundRefusal(r.Kind)
	case r.State != store.ReviewOpen || r.PSP != domain.ProviderBank || r.RefundAttempt != p.Attempt-1:
		c := *r
		return &c, store.ErrReviewNotOpen
	}
	r.State, r.RefundAttempt, r.EndToEndID, r.BankFileID = store.ReviewRefunding, p.Attempt, p.EndToEndID, ""
	f.bank.waiting = append(f.bank.waiting, store.WaitingPayout{Payout: p, CreatedAt: now.Format(time.RFC3339Nano)})
	c := *r
	return &c, nil
}

func (f *fakeStore) WaitingPayouts(_ context.Context, _ string, limit int) ([]store.WaitingPayout, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.bank.waiting[:min(limit, len(f.bank.waiting))]), nil
}

// claimable reports a payout its refund still waits on (the lock held).
func (f *fakeStore) claimable(p domain.Payout) bool {
	if f.bank.fileOf[p.EndToEndID] != "" {
		return false
	}
	if p.ReviewID != "" {
		r, ok := f.reviews[p.ReviewID]
		return ok && r.State == store.ReviewRefunding && r.RefundAttempt == p.Attempt
	}
	r, ok := f.refunds[p.RefundID]
	return ok && r.Status == store.RefundPending
}

func (f *fakeStore) FileBankRefunds(_ context.Context, file *store.BankFile, ps []store.WaitingPayout, now time.Time) error {
	if f.bank.beforeFile != nil {
		race := f.bank.beforeFile
		f.bank.beforeFile = nil
		race()
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	var gone []string
	for _, p := range ps {
		if !f.claimable(p.Payout) {
			gone = append(gone, p.EndToEndID)
		}
	}
	if len(gone) > 0 {
		f.unlist(gone)
		return store.ErrPayoutsTaken
	}
	if f.bank.fileOf == nil {
		f.bank.fileOf = map[string]string{}
	}
	var e2es []string
	for _, p := range ps {
		f.bank.fileOf[p.EndToEndID] = file.ID
		e2es = append(e2es, p.EndToEndID)
		if p.ReviewID != "" {
			f.reviews[p.ReviewID].BankFileID = file.ID
		} else {
			f.refunds[p.RefundID].BankFileID = file.ID
		}
	}
	f.unlist(e2es)
	file.Status, file.CreatedAt = store.BankFileReady, now.Format(time.RFC3339Nano)
	c := *file
	f.bank.files = append(f.bank.files, &c)
	return nil
}

func (f *fakeStore) unlist(e2es []string) {
	f.bank.waiting = slices.DeleteFunc(f.bank.waiting, func(w store.WaitingPayout) bool { return slices.Contains(e2es, w.EndToEndID) })
}

func (f *fakeStore) BankFiles(_ context.Context, _ string, _ int, _ string) (store.BankFilePage, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var page store.BankFilePage
	for i := len(f.bank.files) - 1; i >= 0; i-- {
		page.Items = append(page.Items, *f.bank.files[i])
	}
	return page, nil
}

func (f *fakeStore) GetBankFile(_ context.Context, _, id string) (*store.BankFile, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, x := range f.bank.files {
		if x.ID == id {
			c := *x
			return &c, nil
		}
	}
	return nil, domain.ErrNotFound
}
