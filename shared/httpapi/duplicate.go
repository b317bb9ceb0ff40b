package httpapi

import (
	"net/http"

	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/reqlog"
)

type duplicateRequest struct {
	Reference     *string `json:"reference"`
	ExpiresInDays *int    `json:"expires_in_days"`
}

// duplicateLink makes a new link from one of the merchant's links in any
// status (domain.Duplicate: the create's checks), written as a create (one
// transaction with its created event, audit entry and idempotent answer):
// 201; 404 for an unknown or another merchant's link; 409 reference on a
// reused reference.
func (a *API) duplicateLink(w http.ResponseWriter, r *http.Request) error {
	m := merchantOf(r.Context())
	var req duplicateRequest
	if err := readJSON(r, &req, true); err != nil {
		return err
	}
	orig, err := a.pathLink(r)
	if err != nil {
		return err
	}
	reqlog.Set(r.Context(), "duplicated_from", orig.ID)
	var out []byte
	created, err := a.linkService().DuplicateOf(r.Context(), m, orig, domain.DuplicateInput{Reference: req.Reference, ExpiresInDays: req.ExpiresInDays},
		a.creation(r, m, &out))
	if err != nil {
		return customerError(err)
	}
	a.created(w, r, created, out, "duplicated")
	return nil
}
