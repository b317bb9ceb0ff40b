package httpapi

import (
	"net/http"

	"github.com/paylinks/paylinks/shared/customers"
	"github.com/paylinks/paylinks/shared/domain"
)

// inlineCustomer is a link's customer given in the create request: matched
// by customer_number, then e-mail, else made (docs/api.md, Customers).
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

// customerByID fills the request's customer from customer_id (package
// customers, one read): the link's snapshot is the customer's details and
// id.
func (a *API) customerByID(r *http.Request, m string, req *createRequest) error {
	switch {
	case req.CustomerID != nil && req.Customer != nil:
		return domain.FieldErrors{{Field: "customer_id", Message: "give customer_id or customer, not both"}}
	case req.CustomerID == nil:
		return nil
	}
	snap, err := customers.ByID(r.Context(), a.Store, m, *req.CustomerID, "customer_id")
	if err != nil {
		return err
	}
	req.Customer = &inlineCustomer{CustomerNumber: snap.CustomerNumber, FirstName: snap.FirstName, LastName: snap.LastName,
		CompanyName: snap.CompanyName, Email: snap.Email, Phone: snap.Phone, Language: snap.Language, Country: snap.Country}
	req.customerID = snap.ID
	return nil
}

// matchCustomer settles the inline customer of a link already checked (a
// refused request costs no read): matched by number, then e-mail, else a
// new customer returned to write with the link; l's snapshot gets its id.
func (a *API) matchCustomer(r *http.Request, m string, req *createRequest, l *domain.Link) (*domain.CustomerRecord, error) {
	if req.customerID != "" || req.Customer == nil {
		return nil, nil
	}
	return customers.Match(r.Context(), a.Store, m, &l.Customer, a.Now().UTC())
}
