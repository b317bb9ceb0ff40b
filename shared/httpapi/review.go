package httpapi

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"time"

	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/money"
	"github.com/paylinks/paylinks/shared/problem"
	"github.com/paylinks/paylinks/shared/reqlog"
	"github.com/paylinks/paylinks/shared/store"
)

// ReviewStore is what listing the payments kept for review reads
// (refund.Service refunds them, over its own store).
type ReviewStore interface {
	ReviewPayments(ctx context.Context, merchant string, q store.ReviewQuery) (store.ReviewPage, error)
}

// ReviewView is a payment kept for review as the API shows it.
type ReviewView struct {
	ID            string        `json:"id"`
	Object        string        `json:"object"`
	Kind          string        `json:"kind"`
	PSP           string        `json:"psp"`
	PSPReference  string        `json:"psp_reference"`
	Amount        *money.Amount `json:"amount"`
	LinkID        *string       `json:"link_id"`
	Expected      *money.Amount `json:"expected"`
	ReceivedAt    string        `json:"received_at"`
	State         string        `json:"state"`
	FailureReason *string       `json:"failure_reason"`
	// Debtor and Remittance are a bank payment's payer and free text (null
	// for PSP payments).
	Debtor     *domain.Debtor `json:"debtor"`
	Remittance *string        `json:"remittance"`
}

func reviewView(p *store.ReviewPayment) ReviewView {
	return ReviewView{ID: p.ID, Object: "review_payment", Kind: p.Kind, PSP: p.PSP, PSPReference: p.PSPReference, Amount: p.Amount,
		LinkID: strp(p.LinkID), Expected: p.Expected, ReceivedAt: p.ReceivedAt.UTC().Format(time.RFC3339), State: p.State,
		FailureReason: strp(p.FailureReason), Debtor: p.Debtor, Remittance: strp(p.Remittance)}
}

var reviewParams = map[string]bool{"kind": true, "limit": true, "cursor": true}

// listReview: GET /v1/payments/review?kind=&limit=&cursor=, newest first.
func (a *API) listReview(w http.ResponseWriter, r *http.Request) error {
	return listing(w, r, reviewParams, checkReviewKind, func(v url.Values, limit int) ([]ReviewView, string, error) {
		q := store.ReviewQuery{Kind: v.Get("kind"), Limit: limit, Cursor: v.Get("cursor")}
		page, err := a.Store.ReviewPayments(r.Context(), merchantOf(r.Context()).ID, q)
		return views(page.Items, reviewView), page.Next, err
	})
}

// checkReviewKind checks a review listing's kind filter.
func checkReviewKind(v url.Values, errs *domain.FieldErrors) {
	switch v.Get("kind") {
	case "", store.ReviewUnmatched, store.ReviewSecond, store.ReviewMismatched, domain.ReviewReversal:
	default:
		errs.Add("kind", "must be unmatched, second, mismatched or reversal")
	}
}

// refundReview: POST /v1/payments/review/{id}/refund -> 202 refunding; 409
// unless open (or when the PSP reported no amount); 404 for another
// merchant's id. A bank payment is refunded by bank transfer to its debtor
// (waiting for a bank refund file); 422 when the bank named no account.
func (a *API) refundReview(w http.ResponseWriter, r *http.Request) error {
	m := merchantOf(r.Context())
	if err := readJSON(r, &struct{}{}, true); err != nil {
		return err
	}
	id := r.PathValue("id")
	reqlog.Set(r.Context(), "review_id", id)
	p, err := a.Refunds.RefundReview(r.Context(), m, id)
	switch {
	case errors.Is(err, store.ErrReviewNotOpen), errors.Is(err, store.ErrReviewNoAmount), errors.Is(err, store.ErrReviewBankNoAmount):
		return problem.New(http.StatusConflict, err.Error())
	case err != nil:
		return bankRefundProblem(err)
	}
	v := reviewView(p)
	// One more write: the refund's start is a conditional update whose new
	// state the answer shows.
	a.Audit(r.Context(), "review.refunded", id, nil, v)
	reqlog.Set(r.Context(), "outcome", "review_refund_queued")
	writeJSON(w, http.StatusAccepted, v)
	return nil
}
