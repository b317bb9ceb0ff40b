package httpapi_test

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"sort"
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

// createCustomer makes a customer from the JSON body and returns its id.
func createCustomer(t *testing.T, url, key, body string) string {
	t.Helper()
	st, _, raw := call(t, "POST", url+"/v1/customers", key, body, nil, true)
	if st != 201 {
		t.Fatalf("customer: %d %s", st, raw)
	}
	return decode(t, raw)["id"].(string)
}

// checkLinkImportCounts checks the link import made four links and failed
// rows 5 and 7 on customer_id.
func checkLinkImportCounts(t *testing.T, imp jsonMap) {
	t.Helper()
	if imp["rows_done"].(float64) != 4 || imp["rows_failed"].(float64) != 2 {
		t.Fatalf("import %v", imp)
	}
	for _, e := range imp["errors"].([]any) {
		em := e.(jsonMap)
		if r := em["row"].(float64); (r != 5 && r != 7) || em["field"] != "customer_id" {
			t.Fatalf("row error %v", em)
		}
	}
}

// linkCustomersByDescription maps each payment link's description to its
// customer.
func linkCustomersByDescription(t *testing.T, url, key string) map[string]jsonMap {
	t.Helper()
	_, _, lraw := call(t, "GET", url+"/v1/payment-links?limit=100", key, "", nil, true)
	byDesc := map[string]jsonMap{}
	for _, l := range decode(t, lraw)["data"].([]any) {
		byDesc[l.(jsonMap)["description"].(string)] = l.(jsonMap)["customer"].(jsonMap)
	}
	return byDesc
}

// checkNewLinkCustomer checks the merchant has three customers, among them
// the new C-9 with the file's details, and returns C-9's id ("" if absent).
func checkNewLinkCustomer(t *testing.T, url, key string) string {
	t.Helper()
	cs := customerList(t, url, key)
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
	return newID
}

// checkLinkCustomers checks each described link has the wanted customer id.
func checkLinkCustomers(t *testing.T, byDesc map[string]jsonMap, want map[string]string) {
	t.Helper()
	for desc, w := range want {
		if c := byDesc[desc]; c == nil || c["id"] != w || w == "" {
			t.Errorf("%s: customer %v, want %s", desc, c, w)
		}
	}
}

// checkLinkRedelivery checks a redelivered batch makes neither a link nor a
// customer again.
func checkLinkRedelivery(t *testing.T, env *testenv.Env, srv *testenv.Server, key, id, file string) {
	t.Helper()
	redeliver(t, srv, "", "shop", id, file)
	if n, _ := env.Store.CountLinks(t.Context(), "shop"); n != 4 {
		t.Fatalf("%d links after redelivery", n)
	}
	if cs := customerList(t, srv.URL, key); len(cs) != 3 {
		t.Fatalf("%d customers after redelivery", len(cs))
	}
}

func TestLinkImportMatchesCustomers(t *testing.T) {
	env := testenv.New(t)
	key := env.Merchant(t, "shop")
	srv := env.Serve(t)
	srv.Consume(t)
	ana := createCustomer(t, srv.URL, key, `{"customer_number":"C-1","first_name":"Ana","last_name":"Peeters","email":"ana@example.be"}`)
	bob := createCustomer(t, srv.URL, key, `{"first_name":"Bob","last_name":"Maes","email":"bob@example.be"}`)
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
	checkLinkImportCounts(t, waitImport(t, srv.URL, key, id))
	byDesc := linkCustomersByDescription(t, srv.URL, key)
	newID := checkNewLinkCustomer(t, srv.URL, key)
	checkLinkCustomers(t, byDesc, map[string]string{"by number": ana, "by e-mail": bob, "new one": newID, "by id": bob})
	// A redelivered batch makes neither a link nor a customer again.
	checkLinkRedelivery(t, env, srv, key, id, file)
}

// checkCustomerImportResult checks the customer import's counters and that
// rows 5, 6 and 7 failed on e-mail, last name and type.
func checkCustomerImportResult(t *testing.T, imp jsonMap) {
	t.Helper()
	if imp["rows_total"].(float64) != 6 || imp["rows_done"].(float64) != 3 || imp["rows_failed"].(float64) != 3 {
		t.Fatalf("import %v", imp)
	}
	got := map[float64]string{}
	for _, e := range imp["errors"].([]any) {
		got[e.(jsonMap)["row"].(float64)] = e.(jsonMap)["field"].(string)
	}
	if want := map[float64]string{5: "email", 6: "last_name", 7: "type"}; len(got) != 3 || got[5] != want[5] || got[6] != want[6] || got[7] != want[7] {
		t.Fatalf("row errors %v", got)
	}
}

// checkUpsertedCustomer checks the merchant has three customers and that Jan
// got the file's e-mail while keeping his name and phone; it returns his
// updated_at.
func checkUpsertedCustomer(t *testing.T, url, key, jan string) string {
	t.Helper()
	cs := customerList(t, url, key)
	if len(cs) != 3 {
		t.Fatalf("%d customers, want 3", len(cs))
	}
	var updated string
	for _, c := range cs {
		if c["id"] == jan {
			if c["email"] != "jan@example.be" || c["first_name"] != "Jan" || c["phone"] != "+32470000005" {
				t.Fatalf("upserted customer %v", c)
			}
			updated = c["updated_at"].(string)
		}
	}
	if updated == "" {
		t.Fatal("C-5 not among the customers")
	}
	return updated
}

// checkCustomerRedelivery checks a redelivered batch changes nothing twice:
// no new customer, Jan not updated again, the counters unmoved.
func checkCustomerRedelivery(t *testing.T, srv *testenv.Server, key, id, file, jan, updated string) {
	t.Helper()
	redeliver(t, srv, imports.KindCustomers, "shop", id, file)
	cs := customerList(t, srv.URL, key)
	if len(cs) != 3 {
		t.Fatalf("%d customers after redelivery", len(cs))
	}
	for _, c := range cs {
		if c["id"] == jan && c["updated_at"] != updated {
			t.Fatalf("C-5 updated again on redelivery: %v", c)
		}
	}
	if imp := waitImport(t, srv.URL, key, id); imp["rows_done"].(float64) != 3 || imp["rows_failed"].(float64) != 3 {
		t.Fatalf("counters moved on redelivery: %v", imp)
	}
}

// checkCustomerExport checks the export is CSV with a header and every
// customer, formulas neutralised, and returns it.
func checkCustomerExport(t *testing.T, url, key string) []byte {
	t.Helper()
	st, h, out := call(t, "GET", url+"/v1/customers/export", key, "", nil, true)
	if st != 200 || !strings.HasPrefix(h.Get("Content-Type"), "text/csv") {
		t.Fatalf("export: %d %s", st, out)
	}
	recs, err := csv.NewReader(strings.NewReader(string(out))).ReadAll()
	if err != nil || len(recs) != 4 || recs[0][0] != "customer_number" {
		t.Fatalf("export: %v %q", err, recs)
	}
	if !strings.Contains(string(out), `"'=ACME, NV"`) {
		t.Fatalf("formula not neutralised:\n%s", out)
	}
	return out
}

// normalisedCustomers is the key's customers as sorted JSON lines, without
// their ids and timestamps.
func normalisedCustomers(t *testing.T, url, key string) string {
	t.Helper()
	var lines []string
	for _, c := range customerList(t, url, key) {
		delete(c, "id")
		delete(c, "created_at")
		delete(c, "updated_at")
		b, _ := json.Marshal(c)
		lines = append(lines, string(b))
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

// checkExportRoundTrip imports the export into keyB's merchant and checks it
// gets the same customers as key's.
func checkExportRoundTrip(t *testing.T, url, key, keyB string, out []byte) {
	t.Helper()
	st, raw3 := csvCall(t, url+"/v1/customers/import", keyB, string(out), "")
	if st != 202 {
		t.Fatalf("re-import: %d %s", st, raw3)
	}
	if imp := waitImport(t, url, keyB, decode(t, raw3)["id"].(string)); imp["rows_done"].(float64) != 3 {
		t.Fatalf("re-import %v", imp)
	}
	if a, b := normalisedCustomers(t, url, key), normalisedCustomers(t, url, keyB); a != b {
		t.Fatalf("round trip differs:\n%s\n---\n%s", a, b)
	}
}

// checkArchivedExport archives Jan and checks archived= filters the export
// and refuses a bad value.
func checkArchivedExport(t *testing.T, url, key, jan string) {
	t.Helper()
	if st, _, raw := call(t, "POST", url+"/v1/customers/"+jan+"/archive", key, "", nil, true); st != 200 {
		t.Fatalf("archive: %d %s", st, raw)
	}
	_, _, out := call(t, "GET", url+"/v1/customers/export?archived=true", key, "", nil, true)
	if recs, _ := csv.NewReader(strings.NewReader(string(out))).ReadAll(); len(recs) != 2 || recs[1][0] != "C-5" {
		t.Fatalf("archived export: %q", recs)
	}
	if st, _, _ := call(t, "GET", url+"/v1/customers/export?archived=maybe", key, "", nil, false); st != 422 {
		t.Fatalf("bad archived: %d", st)
	}
}

func TestCustomerImportWithErrorsRedeliveryAndExportRoundTrip(t *testing.T) {
	env := testenv.New(t)
	key := env.Merchant(t, "shop")
	keyB := env.Merchant(t, "other")
	srv := env.Serve(t)
	srv.Consume(t)
	jan := createCustomer(t, srv.URL, key, `{"customer_number":"C-5","first_name":"Jan","last_name":"Claes","phone":"+32470000005"}`)
	file := "customer_number,type,first_name,last_name,company_name,email,phone,country,address_city\n" +
		"C-1,person,Ana,Peeters,,ana@example.be,,BE,Gent\n" + // row 2: new
		",company,,,\"=ACME, NV\",,,,\n" + // row 3: new company (a formula-like name)
		"C-5,,,,,jan@example.be,,,\n" + // row 4: Jan's number: updated, his name kept
		"C-6,person,Eve,Dupont,,not-an-email,,,\n" + // row 5: bad e-mail
		"C-7,person,Eve,,,,,,\n" + // row 6: no last name
		"C-8,robot,R,D,,,,,\n" // row 7: bad type
	st, raw2 := csvCall(t, srv.URL+"/v1/customers/import", key, file, "")
	if st != 202 {
		t.Fatalf("import: %d %s", st, raw2)
	}
	id := decode(t, raw2)["id"].(string)
	checkCustomerImportResult(t, waitImport(t, srv.URL, key, id))
	updated := checkUpsertedCustomer(t, srv.URL, key, jan)
	// A redelivered batch changes nothing twice.
	checkCustomerRedelivery(t, srv, key, id, file, jan, updated)
	// The export: a header and every customer, formulas neutralised; it
	// imports again into another merchant as the same customers.
	out := checkCustomerExport(t, srv.URL, key)
	checkExportRoundTrip(t, srv.URL, key, keyB, out)
	// archived= filters the export.
	checkArchivedExport(t, srv.URL, key, jan)
}

func TestCustomerImportRefusesBadFiles(t *testing.T) {
	env := testenv.New(t)
	key := env.Merchant(t, "shop")
	srv := env.Serve(t)
	for i, body := range []string{
		"",
		"first_name,last_name\n",
		"first_name,colour\nAna,red\n",
		"first_name,first_name\nAna,Ana\n",
		"first_name,last_name\n\xff,X\n",
		"first_name,last_name\n" + strings.Repeat("A,B\n", 10001),
	} {
		if st, raw := csvCall(t, srv.URL+"/v1/customers/import", key, body, ""); st != 422 {
			t.Errorf("case %d: %d %s", i, st, raw[:min(len(raw), 300)])
		}
	}
	if st, _, _ := call(t, "POST", srv.URL+"/v1/customers/import", key, `{"first_name":"A"}`, nil, false); st != 415 {
		t.Errorf("json body: %d", st)
	}
	if cs := customerList(t, srv.URL, key); len(cs) != 0 {
		t.Fatalf("%d customers from refused files", len(cs))
	}
}
