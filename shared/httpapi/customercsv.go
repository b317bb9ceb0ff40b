package httpapi

import (
	"encoding/csv"
	"fmt"
	"net/http"
	"strconv"

	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/imports"
	"github.com/paylinks/paylinks/shared/reqlog"
	"github.com/paylinks/paylinks/shared/store"
)

// importCustomers: 202 with the import id; the worker upserts each row's
// customer (by customer_number, as POST /v1/customers).
func (a *API) importCustomers(w http.ResponseWriter, r *http.Request) error {
	return a.queueImport(w, r, imports.KindCustomers, imports.ParseCustomersCSV)
}

// exportCustomers streams every customer (archived= filters; erased ones,
// which hold no data, are left out) as CSV, page by page, cells guarded
// against spreadsheet formulas; it imports again.
func (a *API) exportCustomers(w http.ResponseWriter, r *http.Request) error {
	v, err := query(r)
	if err != nil {
		return err
	}
	q := store.CustomerQuery{Merchant: merchantOf(r.Context()).ID, Limit: maxLimit}
	var errs domain.FieldErrors
	for name := range v {
		if name != "archived" {
			errs.Add(name, "the export takes only archived")
		}
	}
	if s := v.Get("archived"); v.Has("archived") {
		b, err := strconv.ParseBool(s)
		if err != nil || (s != "true" && s != "false") {
			errs.Add("archived", "must be true or false")
		}
		q.Archived = &b
	}
	if len(errs) > 0 {
		return errs
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="customers.csv"`)
	w.Header().Set("Cache-Control", "no-store")
	cw := csv.NewWriter(w)
	_ = cw.Write(append(append([]string{}, imports.CustomerColumns...), imports.CustomerExportOnly...))
	n := 0
	for {
		cs, next, err := a.Store.ListCustomers(r.Context(), q)
		if err != nil {
			reqlog.Set(r.Context(), "error", err.Error())
			return nil // the status is sent; a cut stream is the signal
		}
		for _, c := range cs {
			if c.Erased {
				continue
			}
			no, ad := "", domain.Address{}
			if c.CustomerNumber != nil {
				no = *c.CustomerNumber
			}
			if c.Address != nil {
				ad = *c.Address
			}
			rec := []string{no, c.Type, c.FirstName, c.LastName, c.CompanyName, c.Email, c.Phone, c.Language, c.Country,
				ad.Line1, ad.Line2, ad.PostalCode, ad.City, ad.Region, ad.Country,
				c.ID, strconv.FormatBool(c.Archived), rfc(c.Created), rfc(c.Updated)}
			for i := range rec {
				rec[i] = neutralize(rec[i])
			}
			_ = cw.Write(rec)
			n++
		}
		cw.Flush()
		if next == "" {
			break
		}
		q.Cursor = next
	}
	reqlog.Set(r.Context(), "outcome", fmt.Sprintf("exported_%d", n))
	return nil
}
