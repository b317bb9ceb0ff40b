package httpapi

import (
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
