package statements

import (
	"context"
	"errors"
	"time"

	"github.com/paylinks/paylinks/shared/bank"
	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/store"
)

// PayoutStore is what confirming refunds paid out by bank refund files
// needs of the table (*store.Store is one): the payout an end-to-end id
// names, and its refund, read and settled.
type PayoutStore interface {
	PayoutByEndToEnd(ctx context.Context, merchant, e2e string) (*domain.Payout, error)
	GetRefund(ctx context.Context, merchant, linkID, id string) (*store.Refund, error)
	Refunds(ctx context.Context, merchant, linkID string) ([]*store.Refund, error)
	LinkPayer(ctx context.Context, merchant, id string) (*domain.Debtor, error)
	SettleRefund(ctx context.Context, merchant string, r *store.Refund, d domain.RefundSettlement, ref, reason string, now time.Time) (bool, error)
	SettleReviewRefund(ctx context.Context, merchant, id string, attempt int, ok bool, ref, reason string, now time.Time) (bool, error)
}

// payout reconciles an entry whose end-to-end id may be a payout's
// (domain.DecidePayoutEntry): the debit of a payout settles its refund
// succeeded once (a link's refund as a PSP's would, with refund.succeeded;
// a review payment refunded), money coming back is kept for review. false
// when no payout has that id: the entry is reconciled as any other.
func (s *Service) payout(ctx context.Context, merchantID string, e bank.Entry, e2e string, rec *store.StatementEntry) (bool, error) {
	p, err := s.Store.PayoutByEndToEnd(ctx, merchantID, e2e)
	if errors.Is(err, domain.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	var r *store.Refund
	st := &domain.PayoutStatus{Amount: p.Amount}
	if p.ReviewID != "" {
		rp, err := s.Store.GetReviewPayment(ctx, merchantID, p.ReviewID)
		if err != nil {
			return false, err
		}
		st.Settled = rp.State != store.ReviewRefunding || rp.RefundAttempt != p.Attempt
	} else {
		if r, err = s.Store.GetRefund(ctx, merchantID, p.LinkID, p.RefundID); err != nil {
			return false, err
		}
		st.Amount, st.Settled = r.Amount, r.Status != store.RefundPending
	}
	d := domain.DecidePayoutEntry(e, st)
	if d.Step == domain.PayoutNotOurs {
		return false, nil
	}
	rec.LinkID, rec.ReviewID = p.LinkID, p.ReviewID
	rec.Outcome, rec.Reason = d.Outcome, d.Reason
	// The other side of a payout's entry is its payee, whom the payout
	// names, and its text the payout's: the entry keeps no second copy of
	// them (an erasure reaches the payout from the link, not the entry).
	rec.DebtorName, rec.DebtorIBAN, rec.Remittance = "", "", ""
	if d.Step != domain.PayoutSettle {
		return true, nil
	}
	var changed bool
	if r != nil {
		changed, err = s.Store.SettleRefund(ctx, merchantID, r, domain.DecideRefundSettlement(r.Status, r.Amount.Minor(), true), "", "", s.now())
	} else {
		changed, err = s.Store.SettleReviewRefund(ctx, merchantID, p.ReviewID, p.Attempt, true, "", "", s.now())
	}
	if err != nil {
		return false, err
	}
	if !changed { // settled meanwhile, by the same debit read in another statement
		rec.Outcome, rec.Reason = domain.EntryDuplicate, domain.ReasonRefundSettled
	}
	return true, nil
}
