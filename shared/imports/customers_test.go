package imports

import (
	"testing"
)

func TestCustomerRowInputLeavesEmptyCellsUnset(t *testing.T) {
	header := []string{"customer_number", "first_name", "last_name", "email", "address_city", "id"}
	in := CustomerRowInput(header, []string{" C-1 ", "'=Ana", "", "ana@example.be", "Gent", "cus_x"})
	if in.CustomerNumber == nil || *in.CustomerNumber != "C-1" || in.FirstName == nil || *in.FirstName != "=Ana" {
		t.Fatalf("number and name: %+v", in)
	}
	if in.LastName != nil || in.Phone != nil || in.Type != nil {
		t.Fatalf("empty cells given: %+v", in)
	}
	if in.Address == nil || in.Address.City != "Gent" || in.Address.Line1 != "" {
		t.Fatalf("address %+v", in.Address)
	}
	if in := CustomerRowInput(header, []string{"C-1", "Ana"}); in.Address != nil || in.Email != nil {
		t.Fatalf("short row: %+v", in)
	}
}

func TestMessageKind(t *testing.T) {
	for kind, ok := range map[string]bool{"": true, KindLinks: true, KindCustomers: true, "refunds": false} {
		m := Message{Kind: kind, Merchant: "shop", ImportID: "im_1"}
		if err := m.Validate(); (err == nil) != ok {
			t.Errorf("kind %q: %v", kind, err)
		}
	}
}

func TestCustomerHeader(t *testing.T) {
	for h, ok := range map[string]bool{
		"customer_number,email\nC-1,a@b.be\n": true,
		"company_name\nACME\n":                true,
		"first_name,last_name\nA,B\n":         true,
		"email\na@b.be\n":                     false,
		"first_name,amount\nA,1\n":            false,
	} {
		_, _, err := ParseCustomersCSV([]byte(h))
		if (err == nil) != ok {
			t.Errorf("%q: %v", h, err)
		}
	}
}
