package httpapi

import (
	"net/http"

	"github.com/paylinks/paylinks/shared/customers"
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

// resolveCustomer settles who the new link is for (package customers):
// customer_id (one read; the snapshot is the customer's details) or the
// inline customer matched, else made (returned: written with the link).
// The snapshot carries the customer's id.
func (a *API) resolveCustomer(r *http.Request, m string, req *createRequest) (*domain.CustomerRecord, error) {
	switch {
	case req.CustomerID != nil && req.Customer != nil:
		return nil, domain.FieldErrors{{Field: "customer_id", Message: "give customer_id or customer, not both"}}
	case req.CustomerID != nil:
		snap, err := customers.ByID(r.Context(), a.Store, m, *req.CustomerID, "customer_id")
		if err != nil {
			return nil, err
		}
		req.Customer = &inlineCustomer{CustomerNumber: snap.CustomerNumber, FirstName: snap.FirstName, LastName: snap.LastName,
			CompanyName: snap.CompanyName, Email: snap.Email, Phone: snap.Phone, Language: snap.Language, Country: snap.Country}
		req.customerID = snap.ID
		return nil, nil
	case req.Customer == nil:
		return nil, nil // NewLink says customer is required
	}
	c := req.Customer.contact()
	fresh, err := customers.Match(r.Context(), a.Store, m, c, a.Now().UTC())
	if err != nil {
		return nil, err
	}
	req.Customer.CustomerNumber, req.customerID = c.CustomerNumber, c.ID
	return fresh, nil
}
