package httpapi

import (
	"errors"
	"net/http"
	"strings"

	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/problem"
	"github.com/paylinks/paylinks/shared/reqlog"
	"github.com/paylinks/paylinks/shared/store"
)

// Merging customers, the erasure's preview and a customer's totals
// (docs/api.md, Customers).

// mergedProblem is the answer about a merged customer: GET answers 301 to
// the same path of the kept customer, anything else 410 with the kept
// customer in Location.
func mergedProblem(w http.ResponseWriter, r *http.Request, c *domain.CustomerRecord) {
	status, loc := http.StatusGone, CustomersPath+"/"+c.MergedInto
	if r.Method == http.MethodGet {
		status, loc = http.StatusMovedPermanently, strings.Replace(r.URL.Path, CustomersPath+"/"+c.ID, loc, 1)
	}
	w.Header().Set("Location", loc)
	p := problem.New(status, "the customer was merged into "+c.MergedInto+": use that one")
	p.Title = http.StatusText(status)
	problem.Write(w, p)
}

// errMerged stops a handler on a merged customer (mergedProblem).
type errMerged struct{ c *domain.CustomerRecord }

func (e errMerged) Error() string { return "customer merged into " + e.c.MergedInto }

// customerHandle is handle for the routes of one customer: a merged
// customer's tombstone answers mergedProblem.
func customerHandle(h handlerFunc) http.HandlerFunc {
	return handle(func(w http.ResponseWriter, r *http.Request) error {
		err := h(w, r)
		var m errMerged
		if errors.As(err, &m) {
			mergedProblem(w, r, m.c)
			return nil
		}
		return err
	})
}

// liveCustomer is the customer of the path, errMerged for a tombstone.
func (a *API) liveCustomer(r *http.Request) (*domain.CustomerRecord, error) {
	c, err := a.Store.GetCustomer(r.Context(), merchantOf(r.Context()).ID, r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	if c.MergedInto != "" {
		return nil, errMerged{c}
	}
	return c, nil
}

// mergeRequest is POST /v1/customers/{id}/merge's body.
type mergeRequest struct {
	Into string `json:"into"`
}

// mergeCustomer merges the path's customer into the body's "into" one
// (store.MergeCustomer): its links, details and references move to the
// kept customer, it becomes a tombstone; audited under both ids. Merging
// again into the same one resumes an unfinished merge (200).
func (a *API) mergeCustomer(w http.ResponseWriter, r *http.Request) error {
	var in mergeRequest
	if err := readJSON(r, &in, false); err != nil {
		return err
	}
	if in.Into == "" {
		return domain.FieldErrors{{Field: "into", Message: "is required: the id of the customer to keep"}}
	}
	m, from := merchantOf(r.Context()).ID, r.PathValue("id")
	now := a.Now().UTC()
	kept, moved, err := a.Store.MergeCustomer(r.Context(), m, from, in.Into, now, func(f, into *domain.CustomerRecord) []store.AuditEntry {
		return []store.AuditEntry{
			store.NewAuditEntry(r.Context(), now, "customer.merged", f.ID, nil, map[string]any{"from": f.ID, "into": into.ID}),
			store.NewAuditEntry(r.Context(), now, "customer.merged", into.ID, nil, map[string]any{"from": f.ID, "into": into.ID}),
		}
	})
	switch {
	case errors.Is(err, store.ErrMergeTarget):
		return domain.FieldErrors{{Field: "into", Message: "no such customer"}}
	case errors.Is(err, domain.ErrMergedElsewhere):
		c, gerr := a.Store.GetCustomer(r.Context(), m, from)
		if gerr != nil {
			return gerr
		}
		return errMerged{c}
	case errors.Is(err, store.ErrCustomerNumberTaken):
		return problem.New(http.StatusConflict, "the merged customer's number was taken meanwhile; retry")
	case err != nil:
		return err
	}
	reqlog.Set(r.Context(), "outcome", "customer_merged")
	writeJSON(w, http.StatusOK, map[string]any{"customer": kept, "merged": from, "links_moved": moved})
	return nil
}

// erasurePreview says what erasing the customer would remove, counted by
// the erasure's own walk (store.ErasurePreview), and which of the
// customer's own fields hold data.
func (a *API) erasurePreview(w http.ResponseWriter, r *http.Request) error {
	c, err := a.liveCustomer(r)
	if err != nil {
		return err
	}
	n, err := a.Store.ErasurePreview(r.Context(), merchantOf(r.Context()).ID, c.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"customer_id": c.ID, "erased": c.Erased, "customer_fields": personalFields(c),
		"links": n.Links, "bank_records": n.BankRecords, "webhook_deliveries": n.Deliveries})
	return nil
}

// personalFields are the customer's fields holding personal data that an
// erasure removes.
func personalFields(c *domain.CustomerRecord) []string {
	out := []string{}
	for _, f := range []struct {
		name string
		set  bool
	}{
		{"customer_number", c.CustomerNumber != nil}, {"first_name", c.FirstName != ""}, {"last_name", c.LastName != ""},
		{"company_name", c.CompanyName != ""}, {"email", c.Email != ""}, {"phone", c.Phone != ""}, {"country", c.Country != ""},
		{"address", c.Address != nil}, {"metadata", len(c.Metadata) > 0},
	} {
		if f.set {
			out = append(out, f.name)
		}
	}
	return out
}

// customerTotals are the customer's per-currency totals (open, paid,
// refunded), from its link listing (store.CustomerTotals).
func (a *API) customerTotals(w http.ResponseWriter, r *http.Request) error {
	c, err := a.liveCustomer(r)
	if err != nil {
		return err
	}
	totals, counted, complete, err := a.Store.CustomerTotals(r.Context(), merchantOf(r.Context()).ID, c.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"customer_id": c.ID, "totals": totals, "links_counted": counted, "complete": complete})
	return nil
}
