package imports

import (
	"errors"
	"testing"
	"time"

	"github.com/paylinks/paylinks/shared/domain"
)

var fuzzSettings = &domain.LinkSettings{Merchant: "shop", PSP: "sandbox", PaymentMethods: []string{"card", "ideal"},
	AllowsRedirectHost: func(h string) bool { return h == "shop.example" }}

// FuzzCSV: any file is a header and rows or a 422, and any row a request
// or a field error.
func FuzzCSV(f *testing.F) {
	f.Add([]byte("amount,currency,description,company_name\n1.00,EUR,d,X\n"))
	f.Add([]byte("amount,currency,description,first_name,last_name\n\"1,00\",EUR,\"a\"\"b\",A,B\n"))
	f.Add([]byte("\xef\xbb\xbfamount,currency,description,company_name\n'=1,EUR,d,X\n"))
	f.Fuzz(func(t *testing.T, body []byte) {
		header, rows, err := ParseCSV(body)
		if err != nil {
			var fe domain.FieldErrors
			if !errors.As(err, &fe) || len(fe) == 0 {
				t.Fatalf("%v", err)
			}
			return
		}
		for _, r := range rows {
			in, _, fe := RowInput(header, r.Cells)
			if fe == nil && in == nil {
				t.Fatal("no request and no error")
			}
			if in != nil {
				if _, _, err := domain.NewLink(in, fuzzSettings, time.Now()); err != nil {
					var fe domain.FieldErrors
					if !errors.As(err, &fe) || len(fe) == 0 {
						t.Fatalf("%v", err)
					}
				}
			}
		}
	})
}
