// Package refund gives money back on paid links: the API reserves the
// amount and enqueues; the worker submits to the PSP once (a claim and the
// PSP's idempotency key derived from the refund id); the PSP's answer or
// webhook settles it pending -> succeeded | failed.
package refund

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/merchant"
	"github.com/paylinks/paylinks/shared/money"
	"github.com/paylinks/paylinks/shared/psp"
	"github.com/paylinks/paylinks/shared/queue"
	"github.com/paylinks/paylinks/shared/store"
)

// Message asks the worker to submit a refund: of a link (LinkID and
// RefundID) or of a payment kept for review (ReviewID).
type Message struct {
	Merchant string `json:"merchant"`
	LinkID   string `json:"link_id,omitempty"`
	RefundID string `json:"refund_id,omitempty"`
	ReviewID string `json:"review_id,omitempty"`
}

// Store is what refunds need of the table: the link a refund is of; a
// link's refunds (reserved, claimed for the PSP call or given back,
// noted as submitted, read and settled); and the refunds of payments kept
// for review (started, claimed or given back, noted as submitted,
// settled). *store.Store is one.
type Store interface {
	Get(ctx context.Context, merchant, id string) (*domain.Link, error)

	CreateRefund(ctx context.Context, l *domain.Link, r *store.Refund, now time.Time) error
	ClaimRefund(ctx context.Context, merchant, linkID, id string, now time.Time, lease time.Duration) (*store.Refund, bool, error)
	ReleaseRefundClaim(ctx context.Context, merchant, linkID, id string) error
	MarkRefundSubmitted(ctx context.Context, merchant, linkID, id, ref string, now time.Time) error
	GetRefund(ctx context.Context, merchant, linkID, id string) (*store.Refund, error)
	SettleRefund(ctx context.Context, merchant string, r *store.Refund, d domain.RefundSettlement, ref, reason string, now time.Time) (bool, error)

	StartReviewRefund(ctx context.Context, merchant, id string, now time.Time) (*store.ReviewPayment, error)
	ClaimReviewRefund(ctx context.Context, merchant, id string, now time.Time, lease time.Duration) (*store.ReviewPayment, bool, error)
	ReleaseReviewClaim(ctx context.Context, merchant, id string) error
	MarkReviewRefundSubmitted(ctx context.Context, merchant, id string, attempt int, ref string, now time.Time) error
	SettleReviewRefund(ctx context.Context, merchant, id string, attempt int, ok bool, ref, reason string, now time.Time) (bool, error)

	BankStore
}

// BankStore is what refunds by bank transfer need of the table: who paid a
// link by bank, refunds made with their payouts, the payouts waiting and
// the files that pay them out. *store.Store is one.
type BankStore interface {
	LinkPayer(ctx context.Context, merchant, id string) (*domain.Debtor, error)
	CreateBankRefund(ctx context.Context, l *domain.Link, r *store.Refund, p domain.Payout, now time.Time) error
	StartBankReviewRefund(ctx context.Context, merchant string, cur *store.ReviewPayment, p domain.Payout, now time.Time) (*store.ReviewPayment, error)
	WaitingPayouts(ctx context.Context, merchant string, limit int) ([]store.WaitingPayout, error)
	FileBankRefunds(ctx context.Context, f *store.BankFile, ps []store.WaitingPayout, now time.Time) error
	BankFiles(ctx context.Context, merchant string, limit int, cursor string) (store.BankFilePage, error)
	GetBankFile(ctx context.Context, merchant, id string) (*store.BankFile, error)
}

// Service creates, submits and settles refunds.
type Service struct {
	Store     Store
	PSPs      psp.Registry
	Queue     queue.Enqueuer
	Merchants func(ctx context.Context, id string) (*merchant.Merchant, error)
	Log       *slog.Logger
	Now       func() time.Time
}

// claimLease is how long a worker holds a refund while it calls the PSP.
const claimLease = 60 * time.Second

// Create reserves and records a refund of amount (nil: what is left) on a
// merchant's paid link, then enqueues it. If the enqueue fails the refund is
// failed at once and its reservation released, and the error returned.
//
// A link paid by bank transfer is refunded by bank transfer (createByBank):
// pending until a bank refund file pays it out, never queued for a PSP.
func (s *Service) Create(ctx context.Context, m *merchant.Merchant, l *domain.Link, amount *money.Amount, reason string) (*store.Refund, error) {
	if err := domain.RefundRefusal(l); err != nil {
		return nil, err
	}
	a := l.RefundLeft()
	if amount != nil {
		a = *amount
	}
	if l.PSP == domain.ProviderBank {
		return s.createByBank(ctx, m, l, a, reason)
	}
	r := &store.Refund{ID: domain.NewID(domain.PrefixRefund, s.Now()), Merchant: m.ID, Amount: a, Reason: reason, PSP: l.PSP}
	if err := s.Store.CreateRefund(ctx, l, r, s.Now()); err != nil {
		return nil, err
	}
	if err := s.Queue.Send(ctx, Message{Merchant: m.ID, LinkID: l.ID, RefundID: r.ID}, 0); err != nil {
		_, serr := s.settle(context.WithoutCancel(ctx), m.ID, l.ID, r.ID, false, "", "could_not_enqueue")
		return nil, errors.Join(fmt.Errorf("enqueue refund %s: %w", r.ID, err), serr)
	}
	return r, nil
}

// Handle is the refunds queue's consumer: it submits the refund to the PSP
// once and settles it with the PSP's answer (or leaves it for the webhook).
func (s *Service) Handle(ctx context.Context, m events.SQSMessage) error {
	return queue.Typed(s.Process)(ctx, m)
}

// Validate refuses a refund message that names no refund.
func (m *Message) Validate() error {
	if m.Merchant == "" || (m.ReviewID == "" && (m.RefundID == "" || m.LinkID == "")) {
		return errors.New("a refund message names a merchant and a refund (link and refund id) or a review payment")
	}
	return nil
}

// Process submits one decoded refund to its PSP.
func (s *Service) Process(ctx context.Context, m queue.Message[Message]) error {
	msg := m.Body
	var outcome string
	var err error
	if msg.ReviewID != "" {
		outcome, err = s.submitReview(ctx, msg)
	} else {
		outcome, err = s.submit(ctx, msg)
	}
	attrs := []slog.Attr{slog.String("merchant", msg.Merchant), slog.String("link_id", msg.LinkID), slog.String("refund_id", msg.RefundID),
		slog.String("review_id", msg.ReviewID), slog.String("outcome", outcome)}
	if err != nil {
		s.Log.LogAttrs(ctx, slog.LevelWarn, "refund", append(attrs, slog.String("error", err.Error()))...)
		return err
	}
	s.Log.LogAttrs(ctx, slog.LevelInfo, "refund", attrs...)
	return nil
}

func (s *Service) submit(ctx context.Context, msg Message) (string, error) {
	r, claimed, err := s.Store.ClaimRefund(ctx, msg.Merchant, msg.LinkID, msg.RefundID, s.Now(), claimLease)
	if errors.Is(err, domain.ErrNotFound) {
		return "unknown_refund", fmt.Errorf("%w: refund %s not found", queue.ErrPermanent, msg.RefundID)
	}
	if err == nil && r.PSP == domain.ProviderBank {
		// Never queued; a message naming one changes nothing: a bank
		// refund file pays it out.
		_ = s.Store.ReleaseRefundClaim(context.WithoutCancel(ctx), msg.Merchant, msg.LinkID, msg.RefundID)
		return "by_bank_file", nil
	}
	if err != nil {
		return "claimed_elsewhere", err // redelivered later: by then submitted or free again
	}
	if !claimed {
		return "already_" + r.Status, nil // a duplicate delivery: the PSP is not called again
	}
	l, err := s.Store.Get(ctx, msg.Merchant, msg.LinkID)
	if err != nil {
		_ = s.Store.ReleaseRefundClaim(context.WithoutCancel(ctx), msg.Merchant, msg.LinkID, msg.RefundID)
		return "link_error", err
	}
	return s.toPSP(ctx, pspCall{
		merchant: msg.Merchant, psp: r.PSP,
		req: psp.RefundRequest{RefundID: r.ID, LinkID: l.ID, PaymentRef: l.PSPReference, Amount: r.Amount, Reason: r.Reason},
		release: func(ctx context.Context) error {
			return s.Store.ReleaseRefundClaim(ctx, msg.Merchant, msg.LinkID, msg.RefundID)
		},
		submitted: func(ref string) error {
			return s.Store.MarkRefundSubmitted(ctx, msg.Merchant, msg.LinkID, msg.RefundID, ref, s.Now())
		},
		settle: func(ok bool, ref, reason string) error {
			_, err := s.settle(ctx, msg.Merchant, msg.LinkID, msg.RefundID, ok, ref, reason)
			return err
		},
	})
}

// pspCall is one refund handed to a PSP once its claim is held: release
// gives the claim back after a failure that SQS will redeliver, submitted
// notes a refund the PSP settles later, settle ends it.
type pspCall struct {
	merchant, psp string
	req           psp.RefundRequest
	release       func(context.Context) error
	submitted     func(ref string) error
	settle        func(ok bool, ref, reason string) error
}

// toPSP asks the PSP for the refund and records its answer. A failure gives
// the claim back: SQS redelivers, and the PSP's idempotency key (from the
// refund id) keeps it one refund.
func (s *Service) toPSP(ctx context.Context, c pspCall) (string, error) {
	fail := func(outcome string, err error) (string, error) {
		_ = c.release(context.WithoutCancel(ctx))
		return outcome, err
	}
	m, err := s.Merchants(ctx, c.merchant)
	if err != nil {
		return fail("merchant_error", err)
	}
	p, err := s.PSPs.Get(c.psp)
	if err != nil {
		return fail("no_psp", err)
	}
	res, err := p.Refund(ctx, m, c.req)
	if err != nil {
		return fail("psp_error", err)
	}
	switch {
	case res.Pending:
		return "submitted", c.submitted(res.Ref)
	case res.Status == domain.RefundSucceeded:
		return "succeeded", c.settle(true, res.Ref, "")
	default:
		return "failed", c.settle(false, res.Ref, res.Reason)
	}
}

// settle moves a refund to its outcome once: decided on the refund as read
// (domain.DecideRefundSettlement), written guarded on it being still
// pending; false when it was settled already or meanwhile.
func (s *Service) settle(ctx context.Context, merchant, linkID, id string, ok bool, ref, reason string) (bool, error) {
	r, err := s.Store.GetRefund(ctx, merchant, linkID, id)
	if err != nil {
		return false, err
	}
	return s.Store.SettleRefund(ctx, merchant, r, domain.DecideRefundSettlement(r.Status, r.Amount.Minor(), ok), ref, reason, s.Now())
}

// Settle applies a PSP's refund webhook: the refund named by the event moves
// to succeeded or failed once.
func (s *Service) Settle(ctx context.Context, merchantID string, ev domain.PaymentEvent) (string, error) {
	if id, attempt, ok := store.ReviewFromRefundKey(ev.RefundID); ok {
		changed, err := s.Store.SettleReviewRefund(ctx, merchantID, id, attempt, ev.Kind == domain.RefundSucceeded, ev.RefundRef, ev.FailureReason, s.Now())
		switch {
		case errors.Is(err, domain.ErrNotFound):
			return "unknown_review_payment", nil
		case err != nil:
			return "", err
		case !changed:
			return "duplicate", nil
		}
		return "review_" + string(ev.Kind), nil
	}
	if ev.RefundID == "" || ev.LinkID == "" {
		return "not_ours", nil
	}
	changed, err := s.settle(ctx, merchantID, ev.LinkID, ev.RefundID, ev.Kind == domain.RefundSucceeded, ev.RefundRef, ev.FailureReason)
	if errors.Is(err, domain.ErrNotFound) {
		return "unknown_refund", nil
	}
	if err != nil {
		return "", err
	}
	if !changed {
		return "duplicate", nil
	}
	return string(ev.Kind), nil
}

// RefundReview gives a payment kept for review back through its PSP: open
// -> refunding, then the worker submits it once (its claim, and the PSP's
// idempotency key derived from the review payment's id and attempt) and
// settles it refunded, or open again when the PSP refuses. If the enqueue
// fails the payment is open again at once and the error returned.
//
// A bank payment is refunded by bank transfer instead (refundReviewByBank).
func (s *Service) RefundReview(ctx context.Context, m *merchant.Merchant, id string) (*store.ReviewPayment, error) {
	p, err := s.Store.StartReviewRefund(ctx, m.ID, id, s.Now())
	if errors.Is(err, store.ErrReviewByBank) {
		return s.refundReviewByBank(ctx, m, p)
	}
	if err != nil {
		return p, err
	}
	if err := s.Queue.Send(ctx, Message{Merchant: m.ID, ReviewID: p.ID}, 0); err != nil {
		_, serr := s.Store.SettleReviewRefund(context.WithoutCancel(ctx), m.ID, p.ID, p.RefundAttempt, false, "", "could_not_enqueue", s.Now())
		return nil, errors.Join(fmt.Errorf("enqueue refund of review payment %s: %w", p.ID, err), serr)
	}
	return p, nil
}

func (s *Service) submitReview(ctx context.Context, msg Message) (string, error) {
	p, claimed, err := s.Store.ClaimReviewRefund(ctx, msg.Merchant, msg.ReviewID, s.Now(), claimLease)
	if errors.Is(err, domain.ErrNotFound) {
		return "unknown_review_payment", fmt.Errorf("%w: review payment %s not found", queue.ErrPermanent, msg.ReviewID)
	}
	if err != nil {
		return "claimed_elsewhere", err
	}
	if !claimed {
		return "already_" + p.State, nil // a duplicate delivery: the PSP is not called again
	}
	if p.Amount == nil {
		_, err := s.Store.SettleReviewRefund(ctx, msg.Merchant, p.ID, p.RefundAttempt, false, "", "no_amount_reported", s.Now())
		return "no_amount", err
	}
	return s.toPSP(ctx, pspCall{
		merchant: msg.Merchant, psp: p.PSP,
		req: psp.RefundRequest{RefundID: p.RefundKey(), LinkID: p.LinkID, PaymentRef: p.PSPReference, Amount: *p.Amount, Reason: "payment_review"},
		release: func(ctx context.Context) error {
			return s.Store.ReleaseReviewClaim(ctx, msg.Merchant, p.ID)
		},
		submitted: func(ref string) error {
			return s.Store.MarkReviewRefundSubmitted(ctx, msg.Merchant, p.ID, p.RefundAttempt, ref, s.Now())
		},
		settle: func(ok bool, ref, reason string) error {
			_, err := s.Store.SettleReviewRefund(ctx, msg.Merchant, p.ID, p.RefundAttempt, ok, ref, reason, s.Now())
			return err
		},
	})
}
