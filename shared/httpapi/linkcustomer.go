package httpapi

import (
	"errors"
	"net/http"
	"strings"

	"github.com/paylinks/paylinks/shared/domain"
)

// inlineCustomer is a link's customer given in the create request: matched
// by customer_number, then e-mail, else made (API.md, Customers).
type inlineCustomer struct {
	CustomerNumber string `json:"customer_number"`
	FirstName      string `json:"first_name"`
	LastName       string `json:"last_name"`
	CompanyName    string `json:"company_name"`
	Email          string `json:"email"`
	Phone          string `json:"phone"`
	Language       string `json:"language"`
	Country        string `json:"country"`
}

// contact is the snapshot the link keeps (nil when none was given).
func (c *inlineCustomer) contact() *domain.Customer {
	if c == nil {
		return nil
	}
	return &domain.Customer{CustomerNumber: c.CustomerNumber, FirstName: c.FirstName, LastName: c.LastName, CompanyName: c.CompanyName,
		Email: c.Email, Phone: c.Phone, Language: c.Language, Country: c.Country}
}

// resolveCustomer settles who the new link is for: customer_id (one read;
// the link's snapshot is the customer's details), or the inline customer
// matched by its number (one read), then its e-mail (one Query), else a new
// customer made from it (returned: written with the link). The snapshot
// carries the customer's id.
func (a *API) resolveCustomer(r *http.Request, m string, req *createRequest) (*domain.CustomerRecord, error) {
	ctx := r.Context()
	switch {
	case req.CustomerID != nil && req.Customer != nil:
		return nil, domain.FieldErrors{{Field: "customer_id", Message: "give customer_id or customer, not both"}}
	case req.CustomerID != nil:
		c, err := a.Store.GetCustomer(ctx, m, *req.CustomerID)
		if errors.Is(err, domain.ErrNotFound) {
			return nil, domain.FieldErrors{{Field: "customer_id", Message: "no such customer"}}
		}
		if err != nil {
			return nil, err
		}
		if c.Archived || c.Erased {
			return nil, domain.ErrCustomerArchived
		}
		req.Customer, req.customerID = snapshotOf(c), c.ID
		return nil, nil
	case req.Customer == nil:
		return nil, nil // NewLink says customer is required
	}
	in := req.Customer
	in.CustomerNumber = strings.TrimSpace(in.CustomerNumber)
	var found *domain.CustomerRecord
	if in.CustomerNumber != "" {
		c, err := a.Store.CustomerByNumber(ctx, m, in.CustomerNumber)
		if err != nil && !errors.Is(err, domain.ErrNotFound) {
			return nil, err
		}
		found = c
	}
	if found == nil && in.Email != "" {
		cs, err := a.Store.CustomersByEmail(ctx, m, in.Email, 10)
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
		req.customerID = found.ID
		return nil, nil
	}
	// A new customer from the inline details, checked as a customer (the
	// link's own checks name the fields under customer.).
	no := &in.CustomerNumber
	if *no == "" {
		no = nil
	}
	ci := domain.CustomerInput{CustomerNumber: no, FirstName: &in.FirstName, LastName: &in.LastName, CompanyName: &in.CompanyName,
		Email: &in.Email, Phone: &in.Phone, Language: &in.Language, Country: &in.Country}
	c, err := ci.Apply("customer", domain.CustomerRecord{})
	if err != nil {
		var fe domain.FieldErrors
		if errors.As(err, &fe) {
			return nil, nil // the link's checks report the same fields
		}
		return nil, err
	}
	c.ID = domain.NewID("cus_", a.Now())
	c.Metadata = map[string]string{}
	req.customerID = c.ID
	return &c, nil
}

func snapshotOf(c *domain.CustomerRecord) *inlineCustomer {
	n := ""
	if c.CustomerNumber != nil {
		n = *c.CustomerNumber
	}
	return &inlineCustomer{CustomerNumber: n, FirstName: c.FirstName, LastName: c.LastName, CompanyName: c.CompanyName, Email: c.Email,
		Phone: c.Phone, Language: c.Language, Country: c.Country}
}
