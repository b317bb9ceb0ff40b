package httpapi

import (
	"net/http"
	"strconv"

	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/imports"
	"github.com/paylinks/paylinks/shared/imports/columns"
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
	q.Archived = optionalArchived(v, &errs)
	if len(errs) > 0 {
		return errs
	}
	header := append(append([]string{}, columns.Customers...), columns.CustomersExportOnly...)
	return streamCSV(w, r, "customers.csv", header, func(cursor string) ([][]string, string, error) {
		q.Cursor = cursor
		cs, next, err := a.Store.ListCustomers(r.Context(), q)
		var rows [][]string
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
			rows = append(rows, []string{no, c.Type, c.FirstName, c.LastName, c.CompanyName, c.Email, c.Phone, c.Language, c.Country,
				ad.Line1, ad.Line2, ad.PostalCode, ad.City, ad.Region, ad.Country,
				c.ID, strconv.FormatBool(c.Archived), rfc(c.Created), rfc(c.Updated)})
		}
		return rows, next, err
	})
}
