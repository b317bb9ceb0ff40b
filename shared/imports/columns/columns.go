// Package columns names the columns of paylinks' CSV files: what the
// imports read, the exports write and the dashboard's templates show. It
// imports nothing, so a function that only needs the names (the
// dashboard) links nothing more.
package columns

// Links are the columns of a payment links file (docs/api.md); LinksExportOnly
// are what an export adds and an import accepts and ignores, so an export
// imports again.
var (
	Links = []string{"amount", "currency", "description", "reference", "expires_at", "expires_in_days", "first_name", "last_name",
		"company_name", "email", "phone", "language", "country", "redirect_url", "origin", "send_channel", "customer_id", "customer_number"}
	LinksExportOnly = []string{"id", "status", "amount_refunded", "created_at", "paid_at", "url"}
)

// Customers are the columns of a customers file (docs/api.md, Customers);
// CustomersExportOnly what a customers export adds and an import accepts
// and ignores.
var (
	Customers = []string{"customer_number", "type", "first_name", "last_name", "company_name", "email", "phone", "language", "country",
		"address_line1", "address_line2", "address_postal_code", "address_city", "address_region", "address_country"}
	CustomersExportOnly = []string{"id", "archived", "created_at", "updated_at"}
)
