package httpapi_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/paylinks/paylinks/shared/store"
	"github.com/paylinks/paylinks/shared/testkit/testenv"
)

// TestCustomerMerge, through the handler and DynamoDB Local: two
// customers for one buyer (two links and one); the totals per currency;
// the merge moves every link and the number to the kept customer, answers
// 200 again with nothing moved, refuses itself, an unknown or a merged
// target (422 into) and a caller without customers:write (403); the merged
// id answers 301 to GET and 410 to a change, a link made for it is made
// for the kept one, search finds it no more; the audit log holds the
// merge under both ids; the erasure preview counts what the erasure then
// removes.
func TestCustomerMerge(t *testing.T) {
	env := testenv.New(t)
	key := env.Merchant(t, "shop-a")
	srv := env.Serve(t)
	base := srv.URL
	post := poster(t, base, key)
	a := post("/v1/customers", `{"company_name":"Buyer BV","email":"ap@buyer.example","customer_number":"B-1"}`, 201)["id"].(string)
	b := post("/v1/customers", `{"company_name":"Buyer B.V.","email":"office@buyer.example","phone":"+32470123456"}`, 201)["id"].(string)
	link := func(cus, cur, value string) string {
		return post("/v1/payment-links", `{"amount":{"currency":"`+cur+`","value":"`+value+`"},"description":"Invoice","customer_id":"`+cus+`"}`, 201)["id"].(string)
	}
	paid := link(a, "EUR", "10.00")
	link(a, "EUR", "20.50")
	link(b, "USD", "5.00")
	markPaid(t, env, "shop-a", paid, 250)
	wantTotals(t, base, key, a, "EUR open 1 20.50 paid 1 10.00 refunded 1 2.50")

	read := post("/v1/api-keys", `{"name":"reader","permissions":["customers:read"]}`, 201)["secret"].(string)
	if st, _, raw := call(t, "POST", base+"/v1/customers/"+a+"/merge", read, `{"into":"`+b+`"}`, nil, true); st != 403 {
		t.Fatalf("merge without customers:write: %d %s", st, raw)
	}
	m := post("/v1/customers/"+a+"/merge", `{"into":"`+b+`"}`, 200)
	kept := m["customer"].(jsonMap)
	if m["links_moved"] != 2.0 || kept["id"] != b || kept["customer_number"] != "B-1" || kept["email"] != "office@buyer.example" || fmt.Sprint(kept["merged_from"]) != "["+a+"]" {
		t.Fatalf("merge: %v", m)
	}
	if again := post("/v1/customers/"+a+"/merge", `{"into":"`+b+`"}`, 200); again["links_moved"] != 0.0 {
		t.Fatalf("merging again: %v", again)
	}
	for into, what := range map[string]string{b: "itself", a: "a merged customer", "cus_01JD3Q4ZK1W8Y6N0M5C2B7V9XA": "an unknown one", "": "none"} {
		st, _, raw := call(t, "POST", base+"/v1/customers/"+b+"/merge", key, `{"into":"`+into+`"}`, nil, false)
		if st != 422 || !strings.Contains(string(raw), `"field":"into"`) {
			t.Errorf("merge into %s: %d %s", what, st, raw)
		}
	}
	mergedAnswers(t, base, key, a, b)
	wantTotals(t, base, key, b, "EUR open 1 20.50 paid 1 10.00 refunded 1 2.50; USD open 1 5.00 paid 0 0.00 refunded 0 0.00")
	if l := post("/v1/payment-links", `{"amount":{"currency":"EUR","value":"1.00"},"description":"Later","customer_id":"`+a+`"}`, 201); l["customer"].(jsonMap)["id"] != b {
		t.Fatalf("a link for the merged id: %v", l["customer"])
	}
	_, _, raw := call(t, "GET", base+"/v1/customers/"+b+"/payment-links", key, "", nil, true)
	if s := string(raw); strings.Count(s, `"id":"`+b+`"`) != 4 || strings.Contains(s, a) {
		t.Fatalf("the kept customer's links: %s", raw)
	}
	for _, id := range []string{a, b} {
		if _, _, raw := call(t, "GET", base+"/v1/audit-log?resource="+id, key, "", nil, true); !strings.Contains(string(raw), "customer.merged") {
			t.Fatalf("the audit log of %s: %s", id, raw)
		}
	}
	_, _, raw = call(t, "GET", base+"/v1/customers?q=buyer", key, "", nil, true)
	if found := decode(t, raw)["data"].([]any); len(found) != 1 || found[0].(jsonMap)["id"] != b {
		t.Fatalf("search after the merge: %s", raw)
	}
	previewThenErase(t, base, key, b)
}

// poster POSTs body to base+path with key, wanting the status want, and
// decodes the answer.
func poster(t *testing.T, base, key string) func(path, body string, want int) jsonMap {
	return func(path, body string, want int) jsonMap {
		t.Helper()
		st, _, raw := call(t, "POST", base+path, key, body, nil, true)
		if st != want {
			t.Fatalf("POST %s %s: %d %s, want %d", path, body, st, raw, want)
		}
		return decode(t, raw)
	}
}

// markPaid makes a link paid with refunded minor units refunded (as the
// payment and refund flows leave it).
func markPaid(t *testing.T, env *testenv.Env, m, id string, refunded int) {
	t.Helper()
	_, err := env.DB.UpdateItem(t.Context(), &dynamodb.UpdateItemInput{TableName: aws.String(env.Table), Key: store.LinkKey(m, id),
		UpdateExpression:         aws.String("SET #s = :paid, refunded_minor = :r"),
		ExpressionAttributeNames: map[string]string{"#s": "status"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":paid": &types.AttributeValueMemberS{Value: "paid"}, ":r": &types.AttributeValueMemberN{Value: fmt.Sprint(refunded)},
		}})
	if err != nil {
		t.Fatal(err)
	}
}

// wantTotals checks a customer's totals, written "CUR open n v paid n v
// refunded n v; ...".
func wantTotals(t *testing.T, base, key, id, want string) {
	t.Helper()
	st, _, raw := call(t, "GET", base+"/v1/customers/"+id+"/totals", key, "", nil, true)
	body := decode(t, raw)
	var got []string
	for _, x := range body["totals"].([]any) {
		c := x.(jsonMap)
		s := c["currency"].(string)
		for _, k := range []string{"open", "paid", "refunded"} {
			tl := c[k].(jsonMap)
			s += fmt.Sprintf(" %s %v %s", k, tl["count"], tl["amount"].(jsonMap)["value"])
		}
		got = append(got, s)
	}
	if st != 200 || strings.Join(got, "; ") != want || body["complete"] != true {
		t.Fatalf("totals of %s: %d %q, want %q (%s)", id, st, strings.Join(got, "; "), want, raw)
	}
}

// mergedAnswers: the merged id answers 301 to GET (Location: the kept
// customer) and 410 to changes and its sub-resources.
func mergedAnswers(t *testing.T, base, key, merged, kept string) {
	t.Helper()
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, sub := range []string{"", "/totals", "/payment-links"} {
		req, _ := http.NewRequest("GET", base+"/v1/customers/"+merged+sub, nil)
		req.Header.Set("Authorization", "Bearer "+key)
		resp, err := noFollow.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 301 || resp.Header.Get("Location") != "/v1/customers/"+kept+sub {
			t.Fatalf("GET the merged customer%s: %d %s", sub, resp.StatusCode, resp.Header.Get("Location"))
		}
	}
	if st, _, raw := call(t, "GET", base+"/v1/customers/"+merged, key, "", nil, true); st != 200 || decode(t, raw)["id"] != kept {
		t.Fatalf("GET the merged customer, following: %d %s", st, raw)
	}
	for _, c := range []struct{ method, path, body string }{
		{"PATCH", "", `{"phone":"+32470000000"}`}, {"POST", "/archive", ""}, {"POST", "/erase", ""}, {"POST", "/merge", `{"into":"` + kept + `x"}`},
	} {
		st, h, raw := call(t, c.method, base+"/v1/customers/"+merged+c.path, key, c.body, nil, true)
		if st != 410 || h.Get("Location") != "/v1/customers/"+kept || !strings.Contains(string(raw), kept) {
			t.Errorf("%s %s of the merged customer: %d %s", c.method, c.path, st, raw)
		}
	}
}

// previewThenErase: the preview names what the erasure then removes and
// writes nothing; after the erasure it counts nothing.
func previewThenErase(t *testing.T, base, key, id string) {
	t.Helper()
	preview := func() jsonMap {
		st, _, raw := call(t, "GET", base+"/v1/customers/"+id+"/erasure-preview", key, "", nil, true)
		if st != 200 {
			t.Fatalf("preview: %d %s", st, raw)
		}
		return decode(t, raw)
	}
	p := preview()
	if p["links"] != 4.0 || fmt.Sprint(p["customer_fields"]) != "[customer_number company_name email phone]" || p["erased"] != false {
		t.Fatalf("preview: %v", p)
	}
	if again := preview(); fmt.Sprint(again) != fmt.Sprint(p) {
		t.Fatalf("the preview changed something: %v then %v", p, again)
	}
	if st, _, raw := call(t, "POST", base+"/v1/customers/"+id+"/erase", key, "", nil, true); st != 200 {
		t.Fatalf("erase: %d %s", st, raw)
	}
	if p := preview(); p["links"] != 0.0 || p["erased"] != true || fmt.Sprint(p["customer_fields"]) != "[]" {
		t.Fatalf("preview after the erasure: %v", p)
	}
}

// TestLinkForACustomerMergedTwice: A merged into B, then B into C; A's id
// still stands for the customer kept at the end of the chain: a link made
// for it is C's, as a link for B's id is.
// Before, the create followed one step only and refused the link as made
// for an archived customer (409).
func TestLinkForACustomerMergedTwice(t *testing.T) {
	env := testenv.New(t)
	key := env.Merchant(t, "shop-chain")
	post := poster(t, env.Serve(t).URL, key)
	ids := make([]string, 4)
	for i := range ids {
		ids[i] = post("/v1/customers", `{"first_name":"Chain","last_name":"`+fmt.Sprint(i)+`"}`, 201)["id"].(string)
	}
	for i := 0; i+1 < len(ids); i++ {
		post("/v1/customers/"+ids[i]+"/merge", `{"into":"`+ids[i+1]+`"}`, 200)
	}
	kept := ids[len(ids)-1]
	for _, merged := range ids[:len(ids)-1] {
		l := post("/v1/payment-links", `{"amount":{"currency":"EUR","value":"1.00"},"description":"Later","customer_id":"`+merged+`"}`, 201)
		if c := l["customer"].(jsonMap); c["id"] != kept || c["last_name"] != "3" {
			t.Errorf("a link for %s (merged into the chain ending at %s): %v", merged, kept, c)
		}
	}
}
