package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/money"
	"github.com/paylinks/paylinks/shared/problem"
	"github.com/paylinks/paylinks/shared/reqlog"
	"github.com/paylinks/paylinks/shared/store"
	"github.com/paylinks/paylinks/shared/validate"
)

// RefundLister is what listing a link's refunds reads (refund.Service
// makes them, over its own store).
type RefundLister interface {
	Refunds(ctx context.Context, merchant, linkID string) ([]*store.Refund, error)
}

// RefundView is a refund as the API shows it.
type RefundView struct {
	ID            string       `json:"id"`
	Object        string       `json:"object"`
	LinkID        string       `json:"link_id"`
	Amount        money.Amount `json:"amount"`
	Reason        *string      `json:"reason"`
	Status        string       `json:"status"`
	PSP           *string      `json:"psp"`
	PSPReference  *string      `json:"psp_reference"`
	FailureReason *string      `json:"failure_reason"`
	// BankFileID is the bank refund file paying a refund by bank transfer
	// out (absent until it is in one).
	BankFileID *string `json:"bank_file_id,omitempty"`
	CreatedAt  string  `json:"created_at"`
	UpdatedAt  string  `json:"updated_at"`
}

func refundView(r *store.Refund) RefundView {
	return RefundView{ID: r.ID, Object: "refund", LinkID: r.LinkID, Amount: r.Amount, Reason: strp(r.Reason), Status: r.Status,
		PSP: strp(r.PSP), PSPReference: strp(r.PSPReference), FailureReason: strp(r.FailureReason), BankFileID: strp(r.BankFileID),
		CreatedAt: r.CreatedAt.UTC().Format(time.RFC3339), UpdatedAt: r.UpdatedAt.UTC().Format(time.RFC3339)}
}

type refundRequest struct {
	Amount amountJSON `json:"amount"`
	Reason *string    `json:"reason"`
}

// createRefund: 201 pending refund; 409 unless paid; 422 above what is left.
func (a *API) createRefund(w http.ResponseWriter, r *http.Request) error {
	m := merchantOf(r.Context())
	var req refundRequest
	if err := readJSON(r, &req, true); err != nil { // no body: refund what is left
		return err
	}
	l, err := a.pathLink(r)
	if err != nil {
		return err
	}
	var errs domain.FieldErrors
	var amt *money.Amount
	if len(req.Amount) > 0 && string(req.Amount) != "null" {
		var a money.Amount
		if err := json.Unmarshal(req.Amount, &a); err != nil {
			var fe *money.FieldError
			if errors.As(err, &fe) {
				errs.Add("amount."+fe.Field, fe.Msg)
			} else {
				errs.Add("amount", "must be an object {\"currency\", \"value\"}")
			}
		} else if a.Currency != l.Amount.Currency {
			errs.Add("amount.currency", "must be the link's currency, "+l.Amount.Currency)
		} else {
			amt = &a
		}
	}
	reason := ""
	if req.Reason != nil {
		if !validate.Text(*req.Reason, 200) {
			errs.Add("reason", "must be 1 to 200 characters")
		}
		reason = *req.Reason
	}
	if len(errs) > 0 {
		return problem.Invalid(errs...)
	}
	if l.Status == "paid" && amt == nil && !l.RefundLeft().Value.IsPositive() {
		return domain.ErrRefundTooLarge
	}
	ref, err := a.Refunds.Create(r.Context(), m, l, amt, reason)
	if err != nil {
		return bankRefundProblem(err)
	}
	reqlog.Set(r.Context(), "outcome", "refund_created")
	writeJSON(w, http.StatusCreated, refundView(ref))
	return nil
}

func (a *API) listRefunds(w http.ResponseWriter, r *http.Request) error {
	m := merchantOf(r.Context())
	l, err := a.pathLink(r)
	if err != nil {
		return err
	}
	rs, err := a.Store.Refunds(r.Context(), m.ID, l.ID)
	if err != nil {
		return err
	}
	out := make([]RefundView, len(rs))
	for i, x := range rs {
		out[i] = refundView(x)
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": out})
	return nil
}

// bankRefundProblem is the 422 of a refund by bank transfer that cannot be
// made (no account of the payer known, not in euro), the 409 of a payment
// the bank took back (a reversal); any other error as it is.
func bankRefundProblem(err error) error {
	switch {
	case errors.Is(err, domain.ErrNoPayee) || errors.Is(err, domain.ErrPayoutCurrency):
		return problem.New(http.StatusUnprocessableEntity, err.Error())
	case errors.Is(err, domain.ErrPaymentReversed):
		return problem.New(http.StatusConflict, domain.ErrPaymentReversed.Error())
	}
	return err
}
