package httpapi_test

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/paylinks/paylinks/shared/imports"
	"github.com/paylinks/paylinks/shared/testkit/testenv"
)

// customerList is every customer of the key's merchant (one page).
func customerList(t *testing.T, url, key string) []jsonMap {
	t.Helper()
	st, _, raw := call(t, "GET", url+"/v1/customers?limit=100", key, "", nil, true)
	if st != 200 {
		t.Fatalf("customers: %d %s", st, raw)
	}
	var out []jsonMap
	for _, c := range decode(t, raw)["data"].([]any) {
		out = append(out, c.(jsonMap))
	}
	return out
}

// redeliver hands the import worker the file's rows again, as a redelivered
// batch of the import id.
func redeliver(t *testing.T, srv *testenv.Server, kind, merchant, id, file string) {
	t.Helper()
	recs, err := csv.NewReader(strings.NewReader(file)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var rows []imports.Row
	for i, rec := range recs[1:] {
		rows = append(rows, imports.Row{N: i + 2, Cells: rec})
	}
	body, _ := json.Marshal(imports.Message{Kind: kind, Merchant: merchant, ImportID: id, Header: recs[0], Rows: rows})
	if err := srv.Service.Imports.Handle(context.Background(), events.SQSMessage{Body: string(body)}); err != nil {
		t.Fatal(err)
	}
}

func TestLinkImportMatchesCustomers(t *testing.T) {
	env := testenv.New(t)
	key := env.Merchant(t, "shop")
	srv := env.Serve(t)
	srv.Consume(t)
	mk := func(body string) string {
		st, _, raw := call(t, "POST", srv.URL+"/v1/customers", key, body, nil, true)
		if st != 201 {
			t.Fatalf("customer: %d %s", st, raw)
		}
		return decode(t, raw)["id"].(string)
	}
	ana := mk(`{"customer_number":"C-1","first_name":"Ana","last_name":"Peeters","email":"ana@example.be"}`)
	bob := mk(`{"first_name":"Bob","last_name":"Maes","email":"bob@example.be"}`)
	file := "amount,currency,description,customer_id,customer_number,first_name,last_name,company_name,email\n" +
		"10.00,EUR,by number,,C-1,Ana,Peeters,,\n" + // row 2: Ana by her number
		"11.00,EUR,by e-mail,,,Robert,Maes,,BOB@example.be\n" + // row 3: Bob by his e-mail
		"12.00,EUR,new one,,C-9,,,New Co,new@example.be\n" + // row 4: a new customer
		"13.00,EUR,unknown id,cus_01M844JMR1Q6KRCVXQN02ZJWPF,,,,,\n" + // row 5: no such customer
		"14.00,EUR,by id," + bob + ",,,,,\n" + // row 6: Bob by id
		"15.00,EUR,both,cus_x,,Eve,Dupont,,\n" // row 7: id and details
	st, raw := csvCall(t, srv.URL+"/v1/payment-links/import", key, file, "")
	if st != 202 {
		t.Fatalf("import: %d %s", st, raw)
	}
	id := decode(t, raw)["id"].(string)
	imp := waitImport(t, srv.URL, key, id)
	if imp["rows_done"].(float64) != 4 || imp["rows_failed"].(float64) != 2 {
		t.Fatalf("import %v", imp)
	}
	for _, e := range imp["errors"].([]any) {
		em := e.(jsonMap)
		if r := em["row"].(float64); (r != 5 && r != 7) || em["field"] != "customer_id" {
			t.Fatalf("row error %v", em)
		}
	}
	_, _, lraw := call(t, "GET", srv.URL+"/v1/payment-links?limit=100", key, "", nil, true)
	byDesc := map[string]jsonMap{}
	for _, l := range decode(t, lraw)["data"].([]any) {
		byDesc[l.(jsonMap)["description"].(string)] = l.(jsonMap)["customer"].(jsonMap)
	}
	cs := customerList(t, srv.URL, key)
	if len(cs) != 3 {
		t.Fatalf("%d customers, want 3", len(cs))
	}
	newID := ""
	for _, c := range cs {
		if c["customer_number"] == "C-9" {
			newID = c["id"].(string)
			if c["company_name"] != "New Co" || c["email"] != "new@example.be" {
				t.Fatalf("new customer %v", c)
			}
		}
	}
	for desc, want := range map[string]string{"by number": ana, "by e-mail": bob, "new one": newID, "by id": bob} {
		if c := byDesc[desc]; c == nil || c["id"] != want || want == "" {
			t.Errorf("%s: customer %v, want %s", desc, c, want)
		}
	}
	// A redelivered batch makes neither a link nor a customer again.
	redeliver(t, srv, "", "shop", id, file)
	if n, _ := env.Store.CountLinks(t.Context(), "shop"); n != 4 {
		t.Fatalf("%d links after redelivery", n)
	}
	if cs := customerList(t, srv.URL, key); len(cs) != 3 {
		t.Fatalf("%d customers after redelivery", len(cs))
	}
}
