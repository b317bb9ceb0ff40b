package httpapi

import (
	"context"
	"errors"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/money"
	"github.com/paylinks/paylinks/shared/problem"
	"github.com/paylinks/paylinks/shared/reqlog"
	"github.com/paylinks/paylinks/shared/store"
)

// MaxStatementBody is the largest bank statement file the API takes (413
// above): statements.MaxUpload.
const MaxStatementBody = 10 << 20

// BankStatements takes bank statements in and matches bank payments kept
// for review to links (statements.Service; nil where the API offers
// neither: 404).
type BankStatements interface {
	Upload(ctx context.Context, merchant, contentType string, body []byte) (*store.Statement, error)
	Statement(ctx context.Context, merchant, id string) (*store.Statement, error)
	Statements(ctx context.Context, merchant string, limit int, cursor string) (store.StatementPage, error)
	Entries(ctx context.Context, merchant, id string, limit int, cursor string) (store.EntryPage, error)
	Match(ctx context.Context, merchant, reviewID, linkID string) (*store.ReviewPayment, *domain.Link, error)
}

// StatementView is a bank statement as the API shows it.
type StatementView struct {
	ID          string  `json:"id"`
	Object      string  `json:"object"`
	Status      string  `json:"status"`
	Format      *string `json:"format"`
	AccountIBAN *string `json:"account_iban"`
	Source      string  `json:"source"`
	Entries     int     `json:"entries"`
	Matched     int     `json:"matched"`
	Review      int     `json:"review"`
	Ignored     int     `json:"ignored"`
	Duplicates  int     `json:"duplicates"`
	Error       *string `json:"error,omitempty"`
	CreatedAt   string  `json:"created_at"`
}

func statementView(s *store.Statement) StatementView {
	return StatementView{ID: s.ID, Object: "bank_statement", Status: s.Status, Format: strp(s.Format), AccountIBAN: strp(s.AccountIBAN), Source: s.Source,
		Entries: s.Entries, Matched: s.Matched, Review: s.Review, Ignored: s.Ignored, Duplicates: s.Duplicates, Error: strp(s.Error),
		CreatedAt: rfc3339(s.CreatedAt)}
}

// EntryView is one entry of a statement and what it did.
type EntryView struct {
	Object     string         `json:"object"`
	Index      int            `json:"index"`
	BookedOn   *string        `json:"booked_on"`
	Amount     entryAmount    `json:"amount"`
	Credit     bool           `json:"credit"`
	Reference  *string        `json:"reference"`
	Debtor     *domain.Debtor `json:"debtor"`
	Remittance *string        `json:"remittance"`
	Outcome    string         `json:"outcome"`
	Reason     string         `json:"reason"`
	LinkID     *string        `json:"link_id,omitempty"`
	ReviewID   *string        `json:"review_id,omitempty"`
}

// entryAmount is an entry's amount as the bank wrote it (not always an
// amount a link can have).
type entryAmount struct {
	Currency string `json:"currency"`
	Value    string `json:"value"`
}

func entryView(e *store.StatementEntry) EntryView {
	v := EntryView{Object: "bank_statement_entry", Index: e.Index, BookedOn: strp(e.BookedOn), Amount: entryAmount{e.Currency, e.Amount}, Credit: e.Credit,
		Reference: strp(e.Reference), Remittance: strp(e.Remittance), Outcome: string(e.Outcome), Reason: e.Reason,
		LinkID: strp(e.LinkID), ReviewID: strp(e.ReviewID)}
	if a, err := money.Parse(e.Currency, e.Amount); err == nil {
		v.Amount.Value = a.String() // the currency's digits when it is an amount of it
	}
	if e.DebtorName != "" || e.DebtorIBAN != "" {
		v.Debtor = &domain.Debtor{Name: e.DebtorName, IBAN: e.DebtorIBAN}
	}
	return v
}

func (a *API) bank() (BankStatements, error) {
	if a.Bank == nil {
		return nil, problem.New(http.StatusNotFound, "no such route")
	}
	return a.Bank, nil
}

// uploadStatement: POST /v1/bank-statements, the file as the body:
// application/xml (camt.053, camt.054) or text/plain (CODA), 10 MiB at
// most -> 202 {"id": "bs_..."}; the reconcile worker processes it.
func (a *API) uploadStatement(w http.ResponseWriter, r *http.Request) error {
	bank, err := a.bank()
	if err != nil {
		return err
	}
	ct := r.Header.Get("Content-Type")
	if mt, _, err := mime.ParseMediaType(ct); err != nil || (mt != "application/xml" && mt != "text/xml" && mt != "text/plain") {
		return problem.New(http.StatusUnsupportedMediaType, "send the statement as application/xml (camt.053, camt.054) or text/plain (CODA)")
	}
	if ce := r.Header.Get("Content-Encoding"); ce != "" && !strings.EqualFold(ce, "identity") {
		// The body is read as it comes: a compressed one is never
		// uncompressed here, nor read as a statement.
		return problem.New(http.StatusUnsupportedMediaType, "send the statement file uncompressed: no Content-Encoding ("+clipHeader(ce)+" is not taken)")
	}
	body, err := readBodyMax(r, MaxStatementBody)
	if err != nil {
		return err
	}
	if len(body) == 0 {
		return problem.Invalid(domain.FieldError{Field: "file", Message: "is empty: send the statement file as the body"})
	}
	m := merchantOf(r.Context())
	st, err := bank.Upload(r.Context(), m.ID, ct, body)
	if err != nil {
		return err
	}
	reqlog.Set(r.Context(), "statement_id", st.ID)
	a.Audit(r.Context(), "bank_statement.uploaded", st.ID, nil, map[string]any{"format": st.Format, "bytes": len(body)})
	reqlog.Set(r.Context(), "outcome", "statement_queued")
	writeJSON(w, http.StatusAccepted, map[string]string{"id": st.ID, "object": "bank_statement", "status": st.Status})
	return nil
}

var statementParams = map[string]bool{"limit": true, "cursor": true}

// listStatements: GET /v1/bank-statements?limit=&cursor=, newest first.
func (a *API) listStatements(w http.ResponseWriter, r *http.Request) error {
	bank, err := a.bank()
	if err != nil {
		return err
	}
	return listing(w, r, statementParams, nil, func(v url.Values, limit int) ([]StatementView, string, error) {
		page, err := bank.Statements(r.Context(), merchantOf(r.Context()).ID, limit, v.Get("cursor"))
		return views(page.Items, statementView), page.Next, err
	})
}

// getStatement: GET /v1/bank-statements/{id}.
func (a *API) getStatement(w http.ResponseWriter, r *http.Request) error {
	bank, err := a.bank()
	if err != nil {
		return err
	}
	st, err := bank.Statement(r.Context(), merchantOf(r.Context()).ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, statementView(st))
	return nil
}

// listEntries: GET /v1/bank-statements/{id}/entries?limit=&cursor=, in
// the file's order.
func (a *API) listEntries(w http.ResponseWriter, r *http.Request) error {
	bank, err := a.bank()
	if err != nil {
		return err
	}
	return listing(w, r, statementParams, nil, func(v url.Values, limit int) ([]EntryView, string, error) {
		page, err := bank.Entries(r.Context(), merchantOf(r.Context()).ID, r.PathValue("id"), limit, v.Get("cursor"))
		return views(page.Items, entryView), page.Next, err
	})
}

// matchReview: POST /v1/payments/review/{id}/match {"link_id"} -> 200 the
// payment, matched: an unmatched bank payment of exactly the link's amount
// pays that link. 409 when the payment is not an open, unmatched bank
// payment or the link cannot take it; 422 naming link_id when the link is
// unknown or its amount is another.
func (a *API) matchReview(w http.ResponseWriter, r *http.Request) error {
	bank, err := a.bank()
	if err != nil {
		return err
	}
	var in struct {
		LinkID *string `json:"link_id"`
	}
	if err := readJSON(r, &in, false); err != nil {
		return err
	}
	if in.LinkID == nil || *in.LinkID == "" {
		return problem.Invalid(domain.FieldError{Field: "link_id", Message: "is required: the payment link this payment pays"})
	}
	id := r.PathValue("id")
	reqlog.Set(r.Context(), "review_id", id)
	p, l, err := bank.Match(r.Context(), merchantOf(r.Context()).ID, id, *in.LinkID)
	switch {
	case errors.Is(err, store.ErrReviewNotMatchable):
		return problem.New(http.StatusConflict, err.Error())
	case errors.Is(err, domain.ErrTransition):
		return problem.New(http.StatusConflict, err.Error())
	case err != nil:
		return err
	}
	v := reviewView(p)
	a.Audit(r.Context(), "review.matched", id, nil, map[string]string{"link_id": l.ID})
	reqlog.Set(r.Context(), "outcome", "review_matched")
	writeJSON(w, http.StatusOK, v)
	return nil
}

// rfc3339 is a stored time as the API writes times (whole seconds).
func rfc3339(stored string) string {
	t, err := time.Parse(time.RFC3339, stored)
	if err != nil {
		return stored
	}
	return t.UTC().Format(time.RFC3339)
}

// clipHeader bounds a header's value quoted back in a problem.
func clipHeader(v string) string {
	const most = 40
	if len(v) > most {
		return v[:most] + "..."
	}
	return v
}
