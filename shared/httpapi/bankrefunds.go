package httpapi

import (
	"errors"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/money"
	"github.com/paylinks/paylinks/shared/problem"
	"github.com/paylinks/paylinks/shared/reqlog"
	"github.com/paylinks/paylinks/shared/store"
)

// BankFileView is a bank refund file as the API shows it.
type BankFileView struct {
	ID        string       `json:"id"`
	Object    string       `json:"object"`
	CreatedAt string       `json:"created_at"`
	Refunds   int          `json:"refunds"`
	Total     money.Amount `json:"total"`
	Status    string       `json:"status"`
	// More is in the answer of a file's creation only: refunds are left
	// waiting for the next file.
	More *bool `json:"more,omitempty"`
}

func bankFileView(f *store.BankFile) BankFileView {
	return BankFileView{ID: f.ID, Object: "bank_refund_file", CreatedAt: rfc3339(f.CreatedAt), Refunds: f.Refunds, Total: f.Total, Status: f.Status}
}

// createBankFile: POST /v1/bank-refund-files -> 201 the file gathering the
// refunds of bank payments waiting (at most 99; "more": true when some are
// left); 409 when none waits, or without the default beneficiary.
func (a *API) createBankFile(w http.ResponseWriter, r *http.Request) error {
	if err := readJSON(r, &struct{}{}, true); err != nil {
		return err
	}
	m := merchantOf(r.Context())
	f, more, err := a.Refunds.CreateBankFile(r.Context(), m)
	switch {
	case errors.Is(err, domain.ErrNothingToPayOut), errors.Is(err, domain.ErrNoPayoutAccount):
		return problem.New(http.StatusConflict, err.Error())
	case err != nil:
		return err
	}
	v := bankFileView(f)
	v.More = &more
	reqlog.Set(r.Context(), "bank_file_id", f.ID)
	a.Audit(r.Context(), "bank_refund_file.created", f.ID, nil, map[string]any{"refunds": f.Refunds, "total": f.Total})
	reqlog.Set(r.Context(), "outcome", "bank_file_created")
	writeJSON(w, http.StatusCreated, v)
	return nil
}

// NextFileView is the preview of the next bank refund file.
type NextFileView struct {
	Refunds int          `json:"refunds"`
	Total   money.Amount `json:"total"`
	More    bool         `json:"more"`
}

// nextBankFile: GET /v1/bank-refund-files/next -> 200 what POST would
// gather now (refunds, total, more; 0 and EUR 0.00 when none waits),
// making nothing.
func (a *API) nextBankFile(w http.ResponseWriter, r *http.Request) error {
	v, err := query(r)
	if err != nil {
		return err
	}
	var errs domain.FieldErrors
	for k := range v {
		errs.Add(k, "is not a known filter")
	}
	if len(errs) > 0 {
		return problem.Invalid(errs...)
	}
	n, err := a.Refunds.NextBankFile(r.Context(), merchantOf(r.Context()).ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, NextFileView{Refunds: n.Refunds, Total: n.Total, More: n.More})
	return nil
}

var bankFileParams = map[string]bool{"limit": true, "cursor": true}

// listBankFiles: GET /v1/bank-refund-files?limit=&cursor=, newest first.
func (a *API) listBankFiles(w http.ResponseWriter, r *http.Request) error {
	return listing(w, r, bankFileParams, nil, func(v url.Values, limit int) ([]BankFileView, string, error) {
		page, err := a.Refunds.BankFiles(r.Context(), merchantOf(r.Context()).ID, limit, v.Get("cursor"))
		return views(page.Items, bankFileView), page.Next, err
	})
}

// getBankFile: GET /v1/bank-refund-files/{id} -> the file as JSON or, with
// Accept: application/xml, its pain.001 document as an attachment (the
// payees' names and IBANs: only for a caller who may read people's data).
func (a *API) getBankFile(w http.ResponseWriter, r *http.Request) error {
	f, err := a.Refunds.BankFile(r.Context(), merchantOf(r.Context()).ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	if !wantsXML(r.Header.Get("Accept")) {
		writeJSON(w, http.StatusOK, bankFileView(f))
		return nil
	}
	if !rightsOf(principalOf(r.Context()).grants).Customers {
		return problem.New(http.StatusForbidden, "the file names the payers refunded (their names and IBANs): it needs links:read or customers:read")
	}
	w.Header().Set("Content-Type", "application/xml; charset=utf-8")
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": f.ID + ".xml"}))
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte(f.XML))
	reqlog.Set(r.Context(), "outcome", "bank_file_downloaded")
	return nil
}

// wantsXML reports an Accept header that asks for XML (application/xml or
// text/xml) before JSON.
func wantsXML(accept string) bool {
	for _, part := range strings.Split(accept, ",") {
		mt, _, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		switch mt {
		case "application/xml", "text/xml":
			return true
		case "application/json", "*/*":
			return false
		}
	}
	return false
}
