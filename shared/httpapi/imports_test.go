package httpapi_test

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/paylinks/paylinks/shared/imports"
	"github.com/paylinks/paylinks/shared/testkit/testenv"
)

func csvCall(t *testing.T, url, key, body, idem string) (int, []byte) {
	t.Helper()
	h := map[string]string{"Content-Type": "text/csv"}
	if idem != "" {
		h["Idempotency-Key"] = idem
	}
	st, _, raw := call(t, "POST", url, key, body, h, false)
	return st, raw
}

func waitImport(t *testing.T, srvURL, key, id string) jsonMap {
	t.Helper()
	var imp jsonMap
	testenv.Eventually(t, 60*time.Second, "import "+id+" completes", func() bool {
		_, _, raw := call(t, "GET", srvURL+"/v1/imports/"+id, key, "", nil, true)
		imp = decode(t, raw)
		return imp["status"] == "completed"
	})
	return imp
}

func TestImportThousandRowsWithSeventeenBad(t *testing.T) {
	env := testenv.New(t)
	key := env.Merchant(t, "shop")
	srv := env.Serve(t)
	srv.Consume(t)
	file, err := os.ReadFile("../../testdata/csv/links-1000-17-bad.csv")
	if err != nil {
		t.Fatal(err)
	}
	st, raw := csvCall(t, srv.URL+"/v1/payment-links/import", key, string(file), "import-2026-11")
	if st != 202 {
		t.Fatalf("%d %s", st, raw)
	}
	id := decode(t, raw)["id"].(string)
	imp := waitImport(t, srv.URL, key, id)
	if imp["rows_total"].(float64) != 1000 || imp["rows_done"].(float64) != 983 || imp["rows_failed"].(float64) != 17 {
		t.Fatalf("import %v", imp)
	}
	want := map[int]string{18: "amount.value", 59: "amount.currency", 102: "description", 151: "customer.email", 204: "customer.phone",
		261: "customer.language", 312: "customer.country", 378: "expires_in_days", 421: "customer", 489: "amount.value", 531: "origin",
		613: "reference", 678: "amount.value", 734: "send.channel", 802: "expires_in_days", 867: "customer.email", 951: "amount.value"}
	got := map[int]string{}
	for _, e := range imp["errors"].([]any) {
		em := e.(jsonMap)
		got[int(em["row"].(float64))] = em["field"].(string)
		if em["message"] == "" {
			t.Errorf("row %v without a message", em["row"])
		}
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("row errors\n got %v\nwant %v", got, want)
	}
	if n, _ := env.Store.CountLinks(t.Context(), "shop"); n != 983 {
		t.Fatalf("%d links", n)
	}
	// The same file with the same key: the same answer, nothing new.
	st, raw2 := csvCall(t, srv.URL+"/v1/payment-links/import", key, string(file), "import-2026-11")
	if st != 202 || string(raw2) != string(raw) {
		t.Fatalf("replay: %d %s", st, raw2)
	}
	// A redelivered batch creates nothing twice.
	r, _ := csv.NewReader(strings.NewReader(string(file))).ReadAll()
	var rows []imports.Row
	for i, rec := range r[1:101] {
		rows = append(rows, imports.Row{N: i + 2, Cells: rec})
	}
	body, _ := json.Marshal(imports.Message{Merchant: "shop", ImportID: id, Header: r[0], Rows: rows})
	if err := srv.Service.Imports.Handle(context.Background(), events.SQSMessage{Body: string(body)}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	if n, _ := env.Store.CountLinks(t.Context(), "shop"); n != 983 {
		t.Fatalf("%d links after redelivery", n)
	}
	imp = waitImport(t, srv.URL, key, id)
	if imp["rows_done"].(float64) != 983 || imp["rows_failed"].(float64) != 17 {
		t.Fatalf("counters moved on redelivery: %v", imp)
	}
	// Rows asking to be sent were sent: 20 ask, 2 of them are bad rows.
	testenv.Eventually(t, 20*time.Second, "imported links sent", func() bool { return len(srv.Service.Outbox.All()) == 18 })
	if st, _, _ := call(t, "GET", srv.URL+"/v1/imports/im_01M844JMR1Q6KRCVXQN02ZJWPF", key, "", nil, true); st != 404 {
		t.Fatalf("unknown import: %d", st)
	}
}

func TestImportRefusesBadFiles(t *testing.T) {
	env := testenv.New(t)
	key := env.Merchant(t, "shop")
	srv := env.Serve(t)
	many := "amount,currency,description,company_name\n" + strings.Repeat("1.00,EUR,d,ACME\n", 10001)
	cases := []struct {
		body, field string
		status      int
	}{
		{"amount,currency,description,company_name\n\xff\xfe,EUR,d,X\n", "file", 422},
		{"", "file", 422},
		{"amount,currency,description,company_name\n", "file", 422},
		{"amount,currency,company_name\n1.00,EUR,X\n", "header", 422},
		{"amount,currency,description\n1.00,EUR,d\n", "header", 422},
		{"amount,currency,description,company_name,colour\n1.00,EUR,d,X,red\n", "header", 422},
		{"amount,amount,currency,description,company_name\n1,1,EUR,d,X\n", "header", 422},
		{"amount,currency,description,company_name\n1.00,EUR,d\n", "file", 422},
		{many, "file", 422},
	}
	for i, c := range cases {
		st, raw := csvCall(t, srv.URL+"/v1/payment-links/import", key, c.body, "")
		if st != c.status || !strings.Contains(string(raw), `"field":"`+c.field+`"`) {
			t.Errorf("case %d: %d %s", i, st, raw[:min(len(raw), 300)])
		}
	}
	if st, _, _ := call(t, "POST", srv.URL+"/v1/payment-links/import", key, `{"amount":1}`, nil, false); st != 415 {
		t.Errorf("json body: %d", st)
	}
	if n, _ := env.Store.CountLinks(t.Context(), "shop"); n != 0 {
		t.Fatalf("%d links from refused files", n)
	}
}

func TestExportRoundTrip(t *testing.T) {
	env := testenv.New(t)
	keyA := env.Merchant(t, "shop")
	keyB := env.Merchant(t, "other")
	srv := env.Serve(t)
	srv.Consume(t)
	bodies := []string{
		`{"amount":{"currency":"EUR","value":"12.5"},"description":"=HYPERLINK(\"http://evil\")","reference":"R-1","customer":{"customer_number":"C-7","first_name":"Ana","last_name":"Peeters","email":"ana@example.be","phone":"+32470123456","language":"fr","country":"BE"},"origin":"invoice"}`,
		`{"amount":{"currency":"JPY","value":"1200"},"description":"@SUM(A1)","customer":{"company_name":"-ACME, \"quoted\" NV"},"expires_in_days":3}`,
		`{"amount":{"currency":"KWD","value":"1.25"},"description":"+plus","reference":"R-3","customer":{"company_name":"X"},"redirect_url":"https://shop.example/thanks"}`,
	}
	for _, b := range bodies {
		if st, _, raw := call(t, "POST", srv.URL+"/v1/payment-links", keyA, b, nil, true); st != 201 {
			t.Fatalf("%d %s", st, raw)
		}
	}
	st, h, raw := call(t, "GET", srv.URL+"/v1/payment-links/export", keyA, "", nil, true)
	if st != 200 || !strings.HasPrefix(h.Get("Content-Type"), "text/csv") {
		t.Fatalf("export: %d", st)
	}
	recs, err := csv.NewReader(strings.NewReader(string(raw))).ReadAll()
	if err != nil || len(recs) != 4 {
		t.Fatalf("%v %d rows", err, len(recs))
	}
	for _, rec := range recs[1:] {
		for _, cell := range rec {
			if cell != "" && strings.ContainsRune("=+-@", rune(cell[0])) {
				t.Fatalf("unneutralised cell %q", cell)
			}
		}
	}
	if !strings.Contains(string(raw), "1200,JPY") || !strings.Contains(string(raw), "1.250,KWD") || !strings.Contains(string(raw), "12.50,EUR") {
		t.Fatalf("amounts not in exact minor digits:\n%s", raw)
	}
	st, out := csvCall(t, srv.URL+"/v1/payment-links/import", keyB, string(raw), "")
	if st != 202 {
		t.Fatalf("re-import: %d %s", st, out)
	}
	imp := waitImport(t, srv.URL, keyB, decode(t, out)["id"].(string))
	if imp["rows_done"].(float64) != 3 {
		t.Fatalf("re-import %v", imp)
	}
	norm := func(key string) []string {
		_, _, raw := call(t, "GET", srv.URL+"/v1/payment-links", key, "", nil, true)
		var got []string
		for _, l := range decode(t, raw)["data"].([]any) {
			m := l.(jsonMap)
			cus, _ := m["customer"].(map[string]any)
			delete(cus, "id") // each import makes (or matches) customers of its own
			c, _ := json.Marshal(cus)
			a, _ := json.Marshal(m["amount"])
			got = append(got, fmt.Sprint(string(a), m["description"], m["reference"], m["expires_at"], string(c), m["origin"], m["redirect_url"], m["language"]))
		}
		sort.Strings(got)
		return got
	}
	a, b := norm(keyA), norm(keyB)
	if strings.Join(a, "\n") != strings.Join(b, "\n") {
		t.Fatalf("round trip differs:\n%s\n---\n%s", strings.Join(a, "\n"), strings.Join(b, "\n"))
	}
	if st, _, _ := call(t, "GET", srv.URL+"/v1/payment-links/export?limit=5", keyA, "", nil, false); st != 422 {
		t.Fatalf("export with limit: %d", st)
	}
	exportSelection(t, srv.URL, keyA, keyB)
}

// exportSelection: id= exports exactly the links named, in their order,
// leaving out another merchant's; a malformed id is 422.
func exportSelection(t *testing.T, base, keyA, keyB string) {
	t.Helper()
	_, _, raw := call(t, "GET", base+"/v1/payment-links", keyA, "", nil, true)
	all := decode(t, raw)["data"].([]any)
	_, _, rawB := call(t, "GET", base+"/v1/payment-links", keyB, "", nil, true)
	foreign := decode(t, rawB)["data"].([]any)[0].(jsonMap)["id"].(string)
	first, last := all[0].(jsonMap)["id"].(string), all[len(all)-1].(jsonMap)["id"].(string)
	st, _, out := call(t, "GET", base+"/v1/payment-links/export?id="+last+"&id="+foreign+"&id="+first+"&id="+last, keyA, "", nil, true)
	recs, err := csv.NewReader(strings.NewReader(string(out))).ReadAll()
	if st != 200 || err != nil || len(recs) != 3 || !slices.Contains(recs[1], last) || !slices.Contains(recs[2], first) {
		t.Fatalf("export of a selection: %d %v\n%s", st, err, out)
	}
	if st, _, out := call(t, "GET", base+"/v1/payment-links/export?id=nope", keyA, "", nil, false); st != 422 || !strings.Contains(string(out), `"field":"id"`) {
		t.Fatalf("export of a malformed id: %d %s", st, out)
	}
}
