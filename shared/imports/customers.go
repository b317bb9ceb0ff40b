package imports

import (
	"context"
	"errors"
	"fmt"

	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/imports/columns"
	"github.com/paylinks/paylinks/shared/store"
)

// ParseCustomersCSV reads a customers file: its header (lower-cased,
// trimmed) and its rows, or the field errors that refuse it as a whole.
func ParseCustomersCSV(body []byte) ([]string, []Row, error) {
	return parse(body, checkCustomerHeader)
}

func checkCustomerHeader(header []string) error {
	var errs domain.FieldErrors
	seen := readHeader(header, columns.Customers, columns.CustomersExportOnly, &errs)
	if !seen["company_name"] && !(seen["first_name"] && seen["last_name"]) && !seen["customer_number"] {
		errs.Add("header", "needs first_name and last_name, or company_name, or customer_number")
	}
	return errs.Err()
}

// CustomerRowInput is a customers row as POST /v1/customers's body: an
// empty cell is a field not given (an upsert keeps it); the address
// columns, when any is given, are the whole address.
func CustomerRowInput(header []string, row []string) domain.CustomerInput {
	v := cells(header, row)
	opt := func(k string) *string {
		if s := v[k]; s != "" {
			return &s
		}
		return nil
	}
	in := domain.CustomerInput{CustomerNumber: opt("customer_number"), Type: opt("type"), FirstName: opt("first_name"), LastName: opt("last_name"),
		CompanyName: opt("company_name"), Email: opt("email"), Phone: opt("phone"), Language: opt("language"), Country: opt("country")}
	a := domain.Address{Line1: v["address_line1"], Line2: v["address_line2"], PostalCode: v["address_postal_code"], City: v["address_city"],
		Region: v["address_region"], Country: v["address_country"]}
	if a != (domain.Address{}) {
		in.Address = &a
	}
	return in
}

// importCustomerRow upserts one row's customer: "created", "updated",
// "failed" (its first field error recorded on the import) or
// "already_done".
func (w *Worker) importCustomerRow(ctx context.Context, msg *Message, row Row) (string, error) {
	ir := store.ImportRow{Merchant: msg.Merchant, ImportID: msg.ImportID, Row: row.N}
	outcome, err := w.Store.ImportCustomer(ctx, CustomerRowInput(msg.Header, row.Cells), ir, w.Now().UTC())
	var errs domain.FieldErrors
	switch {
	case err == nil:
		return outcome, nil
	case errors.Is(err, store.ErrRowDone):
		return "already_done", nil
	case errors.As(err, &errs) && len(errs) > 0:
		return "failed", w.Store.FailImportRow(ctx, ir, errs[0].Field, errs[0].Message)
	case errors.Is(err, store.ErrCustomerNumberTaken):
		return "failed", w.Store.FailImportRow(ctx, ir, "customer_number", "belongs to another customer")
	case errors.Is(err, domain.ErrCustomerArchived):
		return "failed", w.Store.FailImportRow(ctx, ir, "customer_number", "the customer is erased")
	}
	return "", fmt.Errorf("import customer: %w", err)
}
