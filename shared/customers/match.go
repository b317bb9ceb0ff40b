// Package customers settles who a new link is for (docs/api.md, Customers): an
// existing customer by id, or an inline customer matched by the merchant's
// customer number, then e-mail, else a new customer made with the link.
// The API's create and the CSV import both match through it.
package customers

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/paylinks/paylinks/shared/domain"
)

// Store is what matching needs of the table.
type Store interface {
	GetCustomer(ctx context.Context, merchant, id string) (*domain.CustomerRecord, error)
	CustomerByNumber(ctx context.Context, merchant, number string) (*domain.CustomerRecord, error)
	CustomersByEmail(ctx context.Context, merchant, email string, limit int) ([]*domain.CustomerRecord, error)
}

// maxMergeSteps bounds the merges ByID follows from one id: a chain longer
// than this is refused on the field, naming where it got to.
const maxMergeSteps = 16

// ByID is the customer id's customer as a link's snapshot (its details and
// id): one read, and one more for each merge the id went through (A merged
// into B, then B into C: A stands for C). An unknown id is a field error
// on field; an archived or erased customer domain.ErrCustomerArchived.
func ByID(ctx context.Context, st Store, m, id, field string) (*domain.Customer, error) {
	c, err := st.GetCustomer(ctx, m, id)
	if errors.Is(err, domain.ErrNotFound) {
		return nil, domain.FieldErrors{{Field: field, Message: "no such customer"}}
	}
	if err != nil {
		return nil, err
	}
	for step := 0; c.MergedInto != ""; step++ {
		// A merged customer's id stands for the customer it was merged
		// into, and so on to the one kept last.
		if step == maxMergeSteps {
			return nil, domain.FieldErrors{{Field: field, Message: "was merged into " + c.MergedInto + " through too many merges: use that id"}}
		}
		if c, err = st.GetCustomer(ctx, m, c.MergedInto); err != nil {
			return nil, err
		}
	}
	if c.Archived || c.Erased {
		return nil, domain.ErrCustomerArchived
	}
	snap := c.Contact()
	snap.ID = c.ID
	if c.CustomerNumber != nil {
		snap.CustomerNumber = *c.CustomerNumber
	}
	return &snap, nil
}

// Match finds the customer a link's checked inline customer is (by its
// number: one read; then its e-mail: one Query) and sets in.ID; when none
// is, it returns a new customer to write with the link (in.ID set to it).
func Match(ctx context.Context, st Store, m string, in *domain.Customer, now time.Time) (*domain.CustomerRecord, error) {
	in.CustomerNumber = strings.TrimSpace(in.CustomerNumber)
	var found *domain.CustomerRecord
	if in.CustomerNumber != "" {
		c, err := st.CustomerByNumber(ctx, m, in.CustomerNumber)
		if err != nil && !errors.Is(err, domain.ErrNotFound) {
			return nil, err
		}
		found = c
	}
	if found == nil && in.Email != "" {
		cs, err := st.CustomersByEmail(ctx, m, in.Email, 10)
		if err != nil {
			return nil, err
		}
		for _, c := range cs {
			if !c.Archived && !c.Erased {
				found = c
				break
			}
		}
	}
	if found != nil {
		if found.Archived || found.Erased {
			return nil, domain.ErrCustomerArchived
		}
		in.ID = found.ID
		return nil, nil
	}
	var no *string
	if in.CustomerNumber != "" {
		no = &in.CustomerNumber
	}
	ci := domain.CustomerInput{CustomerNumber: no, FirstName: &in.FirstName, LastName: &in.LastName, CompanyName: &in.CompanyName,
		Email: &in.Email, Phone: &in.Phone, Language: &in.Language, Country: &in.Country}
	c, err := ci.Apply("customer", domain.CustomerRecord{})
	if err != nil {
		return nil, err // the link's checks passed: the customer's name the same fields
	}
	c.ID = domain.NewID("cus_", now)
	c.Metadata = map[string]string{}
	c.Created, c.Updated = now, now
	in.ID = c.ID
	return &c, nil
}
