package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/store"
	"github.com/paylinks/paylinks/shared/testkit/testenv"
)

// TestCustomers, through the emulators: create, upsert by customer number
// (200, updated), get, patch, archive; bad fields 422 naming them; a
// number another customer has 422; another merchant's customer 404; the
// audit log names the changed fields, never their values.
func TestCustomers(t *testing.T) {
	env := testenv.New(t)
	key := env.Merchant(t, "shop-a")
	keyB := env.Merchant(t, "shop-b")
	srv := env.Serve(t)
	base := srv.URL
	st, _, raw := call(t, "POST", base+"/v1/customers", key, `{"customer_number":"C-1","first_name":"Émile","last_name":"Dupré","email":"emile@example.be","address":{"line1":"Rue 1","city":"Liège","country":"BE"}}`, nil, true)
	if st != 201 {
		t.Fatalf("create: %d %s", st, raw)
	}
	c := decode(t, raw)
	id := c["id"].(string)
	if c["type"] != "person" || c["customer_number"] != "C-1" || c["archived"] != false || c["erased"] != false {
		t.Fatalf("created: %s", raw)
	}
	st, _, raw = call(t, "POST", base+"/v1/customers", key, `{"customer_number":"C-1","first_name":"Émile","last_name":"Dupré","email":"emile@dupre.example"}`, nil, true)
	if st != 200 || decode(t, raw)["id"] != id || decode(t, raw)["email"] != "emile@dupre.example" {
		t.Fatalf("upsert: %d %s", st, raw)
	}
	if st, _, raw := call(t, "GET", base+"/v1/customers/"+id, key, "", nil, true); st != 200 || decode(t, raw)["email"] != "emile@dupre.example" {
		t.Fatalf("get: %d %s", st, raw)
	}
	if st, _, _ := call(t, "GET", base+"/v1/customers/"+id, keyB, "", nil, true); st != 404 {
		t.Fatalf("another merchant's customer: %d", st)
	}
	for body, field := range map[string]string{
		`{"type":"person","first_name":"A"}`:                          "last_name",
		`{"type":"company"}`:                                          "company_name",
		`{"company_name":"X","email":"nope"}`:                         "email",
		`{"company_name":"X","phone":"0470"}`:                         "phone",
		`{"company_name":"X","address":{"country":"XX"}}`:             "address.country",
		`{"company_name":"X","customer_number":"a#b"}`:                "customer_number",
		`{"company_name":"X","unknown":1}`:                            "unknown",
		`{"company_name":"X","customer_number":"C-2","type":"robot"}`: "type",
	} {
		st, _, raw := call(t, "POST", base+"/v1/customers", key, body, nil, false)
		if st != 422 || !strings.Contains(string(raw), `"field":"`+field+`"`) {
			t.Errorf("%s: %d %s, want 422 naming %s", body, st, raw, field)
		}
	}
	customerChanges(t, base, key, id)
}

// customerChanges: a number another customer has is 422, a patch frees the
// old number, archive; the audit log names fields, never values.
func customerChanges(t *testing.T, base, key, id string) {
	t.Helper()
	st, _, raw := call(t, "POST", base+"/v1/customers", key, `{"company_name":"Acme","customer_number":"C-2"}`, nil, true)
	other := decode(t, raw)["id"].(string)
	if st != 201 {
		t.Fatalf("second: %d %s", st, raw)
	}
	if st, _, raw := call(t, "PATCH", base+"/v1/customers/"+other, key, `{"customer_number":"C-1"}`, nil, true); st != 422 || !strings.Contains(string(raw), "customer_number") {
		t.Fatalf("taking another's number: %d %s", st, raw)
	}
	if st, _, raw := call(t, "PATCH", base+"/v1/customers/"+other, key, `{"customer_number":"C-3","phone":"+32470123456"}`, nil, true); st != 200 || decode(t, raw)["phone"] != "+32470123456" {
		t.Fatalf("patch: %d %s", st, raw)
	}
	// C-2 is free again: the old marker went with the change.
	if st, _, raw := call(t, "POST", base+"/v1/customers", key, `{"company_name":"Beta","customer_number":"C-2"}`, nil, true); st != 201 {
		t.Fatalf("the freed number: %d %s", st, raw)
	}
	if st, _, raw := call(t, "POST", base+"/v1/customers/"+other+"/archive", key, "", nil, true); st != 200 || decode(t, raw)["archived"] != true {
		t.Fatalf("archive: %d %s", st, raw)
	}
	_, _, raw = call(t, "GET", base+"/v1/audit-log?resource="+id, key, "", nil, true)
	if s := string(raw); !strings.Contains(s, "customer.created") || !strings.Contains(s, "customer.updated") || strings.Contains(s, "emile") || strings.Contains(s, "Dupr") {
		t.Fatalf("audit of a customer: %s", raw)
	}
}

// TestCustomerSearch: 2,000 customers of one merchant (and others of
// another); a name prefix finds them case- and accent-insensitively by
// first, last or company name, with one Query of the index and one
// BatchGetItem per page, no Scan; e-mail and number find theirs; the
// listing walks every customer newest first without gap or duplicate.
func TestCustomerSearch(t *testing.T) {
	env := testenv.New(t)
	key := env.Merchant(t, "shop-a")
	env.Merchant(t, "shop-b")
	srv := env.Serve(t)
	names := []string{"Émile", "Zoë", "Łukasz", "Anaïs", "Søren", "Ana", "Bram", "Chloé"}
	seedCustomers(t, env, names)
	s := searcher{t: t, env: env, url: srv.URL, key: key}
	// 2000 customers, 200 companies; the 1800 people cycle over 8 first names.
	people := func(name string) int {
		n := 0
		for i := 0; i < 2000; i++ {
			if i%10 != 0 && names[i%len(names)] == name {
				n++
			}
		}
		return n
	}
	for q, want := range map[string]int{"emile": people("Émile"), "EMI": people("Émile"), "zoe": people("Zoë"), "lukasz": people("Łukasz"),
		"soren": people("Søren"), "ana": people("Ana") + people("Anaïs"), "anai": people("Anaïs"), "societe%20gen": 200, "family000": 10 - 1, "xyz": 0} {
		got, calls := s.count(q)
		if got != want {
			t.Errorf("q=%s: %d customers, want %d", q, got, want)
		}
		if calls["Scan"] > 0 {
			t.Errorf("q=%s scanned: %v", q, calls)
		}
	}
	s.onePage()
	s.lookups()
	s.walk()
}

// seedCustomers makes 2,000 customers of shop-a (every tenth a company)
// and one of shop-b.
func seedCustomers(t *testing.T, env *testenv.Env, names []string) {
	t.Helper()
	now := time.Now().UTC()
	for i := 0; i < 2000; i++ {
		c := domain.CustomerRecord{ID: domain.NewSeqID("cus_", now), Type: "person", FirstName: names[i%len(names)], LastName: fmt.Sprintf("Family%04d", i),
			Email: fmt.Sprintf("c%d@example.com", i), Created: now, Updated: now}
		no := fmt.Sprintf("N-%d", i)
		c.CustomerNumber = &no
		if i%10 == 0 {
			c.Type, c.FirstName, c.LastName, c.CompanyName = "company", "", "", fmt.Sprintf("Société Générale %d", i)
		}
		if err := env.Store.CreateCustomer(context.Background(), "shop-a", &c, auditEntry(c.ID)); err != nil {
			t.Fatal(err)
		}
	}
	other := domain.CustomerRecord{ID: domain.NewSeqID("cus_", now), Type: "person", FirstName: "Emile", LastName: "Elsewhere", Created: now, Updated: now}
	if err := env.Store.CreateCustomer(context.Background(), "shop-b", &other, auditEntry(other.ID)); err != nil {
		t.Fatal(err)
	}
}

type searcher struct {
	t        *testing.T
	env      *testenv.Env
	url, key string
}

// count walks every page of a search and returns how many customers it
// found and the DynamoDB calls it made.
func (s searcher) count(q string) (int, map[string]int) {
	t := s.t
	t.Helper()
	n, cursor := 0, ""
	s.env.Count.Reset()
	for {
		url := s.url + "/v1/customers?limit=500&q=" + q
		if cursor != "" {
			url += "&cursor=" + cursor
		}
		st, _, raw := call(t, "GET", url, s.key, "", nil, true)
		if st != 200 {
			t.Fatalf("search %s: %d %s", q, st, raw)
		}
		page := decode(t, raw)
		for _, c := range page["data"].([]any) {
			if strings.Contains(fmt.Sprint(c), "Elsewhere") {
				t.Fatalf("another merchant's customer in %s", q)
			}
			n++
		}
		next, _ := page["next_cursor"].(string)
		if next == "" {
			return n, s.env.Count.Snapshot()
		}
		cursor = next
	}
}

// onePage: a page of a search is one Query of the index (two when entries
// of customers already counted fill it) and one BatchGetItem.
func (s searcher) onePage() {
	t := s.t
	t.Helper()
	s.env.Count.Reset()
	if st, _, raw := call(t, "GET", s.url+"/v1/customers?limit=50&q=zo", s.key, "", nil, true); st != 200 || len(decode(t, raw)["data"].([]any)) != 50 {
		t.Fatalf("a page of q=zo: %d %.300s", st, raw)
	}
	if calls := s.env.Count.Snapshot(); calls["Query"] > 2 || calls["BatchGetItem"] != 1 || calls["Scan"] > 0 || len(calls) > 3 {
		t.Errorf("a page of 50 found by name: %v, want at most 2 Query and 1 BatchGetItem", calls)
	}
}

// lookups: by e-mail (any case) and by number.
func (s searcher) lookups() {
	t := s.t
	t.Helper()
	if st, _, raw := call(t, "GET", s.url+"/v1/customers?email=C17@example.com", s.key, "", nil, true); st != 200 || !strings.Contains(string(raw), "Family0017") {
		t.Fatalf("by e-mail: %d %s", st, raw)
	}
	if st, _, raw := call(t, "GET", s.url+"/v1/customers?customer_number=N-1234", s.key, "", nil, true); st != 200 || !strings.Contains(string(raw), "Family1234") {
		t.Fatalf("by number: %d %s", st, raw)
	}
	if st, _, _ := call(t, "GET", s.url+"/v1/customers?cursor=bogus", s.key, "", nil, false); st != 400 {
		t.Fatalf("bad cursor: %d", st)
	}
}

// walk: the listing shows every customer newest first, once.
func (s searcher) walk() {
	t := s.t
	t.Helper()
	seen, cursor, last := map[string]bool{}, "", "~"
	for {
		url := s.url + "/v1/customers?limit=137"
		if cursor != "" {
			url += "&cursor=" + cursor
		}
		_, _, raw := call(t, "GET", url, s.key, "", nil, true)
		page := decode(t, raw)
		for _, c := range page["data"].([]any) {
			id := c.(map[string]any)["id"].(string)
			if seen[id] || id >= last {
				t.Fatalf("listing out of order or twice: %s after %s", id, last)
			}
			seen[id], last = true, id
		}
		next, _ := page["next_cursor"].(string)
		if next == "" {
			break
		}
		cursor = next
	}
	if len(seen) != 2000 {
		t.Fatalf("listing walked %d customers, want 2000", len(seen))
	}
}

func auditEntry(id string) store.AuditEntry {
	now := time.Now().UTC()
	return store.AuditEntry{ID: domain.NewSeqID("au_", now), At: now, Actor: domain.System, Action: "customer.created", Resource: id}
}

// TestLinksForCustomers: a link for customer_id carries the customer's
// details and id and is listed under the customer; an inline customer is
// matched by number, then e-mail, else made; an archived customer gets no
// new link; customer_id and customer together are 422.
func TestLinksForCustomers(t *testing.T) {
	env := testenv.New(t)
	key := env.Merchant(t, "shop-a")
	srv := env.Serve(t)
	base := srv.URL
	_, _, raw := call(t, "POST", base+"/v1/customers", key, `{"customer_number":"C-9","company_name":"Acme BV","email":"billing@acme.example","language":"nl"}`, nil, true)
	cus := decode(t, raw)["id"].(string)
	link := func(body string) (int, jsonMap) {
		t.Helper()
		st, _, raw := call(t, "POST", base+"/v1/payment-links", key, `{"amount":{"currency":"EUR","value":"10.00"},"description":"d",`+body+`}`, nil, false)
		return st, decode(t, raw)
	}
	refusedCostsNoRead(t, env, base, key)
	st, l := link(`"customer_id":"` + cus + `"`)
	if st != 201 || l["customer"].(map[string]any)["id"] != cus || l["customer"].(map[string]any)["company_name"] != "Acme BV" || l["language"] != "nl" {
		t.Fatalf("link for customer_id: %d %v", st, l)
	}
	st, byNumber := link(`"customer":{"customer_number":"C-9","company_name":"Acme (sent as)"}`)
	if st != 201 || byNumber["customer"].(map[string]any)["id"] != cus || byNumber["customer"].(map[string]any)["company_name"] != "Acme (sent as)" {
		t.Fatalf("matched by number: %d %v", st, byNumber)
	}
	st, byEmail := link(`"customer":{"company_name":"Acme","email":"billing@acme.example"}`)
	if st != 201 || byEmail["customer"].(map[string]any)["id"] != cus {
		t.Fatalf("matched by e-mail: %d %v", st, byEmail)
	}
	st, fresh := link(`"customer":{"first_name":"Ana","last_name":"Lopez","email":"ana@example.com","customer_number":"C-10"}`)
	newID, _ := fresh["customer"].(map[string]any)["id"].(string)
	if st != 201 || newID == "" || newID == cus {
		t.Fatalf("a new customer: %d %v", st, fresh)
	}
	if st, _, raw := call(t, "GET", base+"/v1/customers?customer_number=C-10", key, "", nil, true); st != 200 || !strings.Contains(string(raw), newID) {
		t.Fatalf("the new customer: %d %s", st, raw)
	}
	st, _, raw = call(t, "GET", base+"/v1/customers/"+cus+"/payment-links", key, "", nil, true)
	page := decode(t, raw)["data"].([]any)
	if st != 200 || len(page) != 3 || page[0].(map[string]any)["id"] != byEmail["id"] || page[2].(map[string]any)["id"] != l["id"] {
		t.Fatalf("the customer's links: %d %s", st, raw)
	}
	linkRefusals(t, base, key, cus, link)
}

// linkRefusals: customer_id with customer, an unknown customer_id, an
// archived customer.
func linkRefusals(t *testing.T, base, key, cus string, link func(string) (int, jsonMap)) {
	t.Helper()
	if st, l := link(`"customer_id":"` + cus + `","customer":{"company_name":"x"}`); st != 422 {
		t.Fatalf("both: %d %v", st, l)
	}
	if st, l := link(`"customer_id":"cus_01JUNKJUNKJUNKJUNKJUNKJUNK"`); st != 422 {
		t.Fatalf("unknown customer_id: %d %v", st, l)
	}
	call(t, "POST", base+"/v1/customers/"+cus+"/archive", key, "", nil, true)
	if st, l := link(`"customer_id":"` + cus + `"`); st != 409 {
		t.Fatalf("archived customer: %d %v", st, l)
	}
}

// TestEraseCustomer: erasure removes the person's data from the customer,
// its links (paid ones included) and their webhook deliveries; amounts,
// statuses, PSP references and timelines stay; nothing in the table holds
// the person's name, e-mail, phone or number afterwards; the number is free
// again; the audit log records the erasure; it cannot be undone and
// erasing again changes nothing; it needs customers:erase.
func TestEraseCustomer(t *testing.T) {
	env := testenv.New(t)
	key := env.Merchant(t, "shop-a")
	srv := env.Serve(t)
	base := srv.URL
	_, _, raw := call(t, "POST", base+"/v1/customers", key, `{"customer_number":"GDPR-1","first_name":"Wilhelmina","last_name":"Vandersteen","email":"wilhelmina@vandersteen.example","phone":"+32470999888","address":{"line1":"Kerkstraat 7","city":"Gent","country":"BE"},"metadata":{"crm":"W-77"}}`, nil, true)
	id := decode(t, raw)["id"].(string)
	_, _, raw = call(t, "POST", base+"/v1/payment-links", key, `{"amount":{"currency":"EUR","value":"42.00"},"description":"Invoice 7","customer_id":"`+id+`"}`, nil, true)
	linkID := decode(t, raw)["id"].(string)
	_, _, raw = call(t, "POST", base+"/v1/payment-links", key, `{"amount":{"currency":"EUR","value":"5.00"},"description":"Invoice 8","customer":{"customer_number":"GDPR-1","first_name":"Wilhelmina","last_name":"Vandersteen","email":"wilhelmina@vandersteen.example"}}`, nil, true)
	second := decode(t, raw)["id"].(string)
	l, err := env.Store.Get(t.Context(), "shop-a", linkID)
	if err != nil {
		t.Fatal(err)
	}
	paid := *l
	now := time.Now().UTC()
	paid.Status, paid.PaidAt, paid.PSP, paid.PSPReference = domain.StatusPaid, &now, "sandbox", "pay_sb_gdpr"
	if err := env.Store.Transition(t.Context(), l, &paid, domain.NewEvent(l.ID, domain.EventPaid, l.Status, paid.Status, now, nil)); err != nil {
		t.Fatal(err)
	}
	_, _, view := call(t, "GET", base+"/v1/payment-links/"+linkID, key, "", nil, true)
	ev := domain.NewSeqID(domain.PrefixEvent, now)
	if _, err := env.Store.PutDelivery(t.Context(), &store.Delivery{ID: store.DeliveryIDFor(ev), Merchant: "shop-a", EventID: ev, EventType: domain.EventPaid,
		LinkID: linkID, Body: `{"type":"payment_link.paid","data":{"link":` + string(view) + `}}`}, now); err != nil {
		t.Fatal(err)
	}
	deletedLinkDelivery(t, env, base, key, id)
	_, _, evBefore := call(t, "GET", base+"/v1/payment-links/"+linkID+"/events", key, "", nil, true)
	eraseAndCheck(t, env, base, key, id, linkID, second, evBefore)
}

// deletedLinkDelivery makes a link for customer id whose created event was
// delivered (the body holds the customer), then archives it before anyone
// opened it: the link is deleted, its delivery stays for the erasure.
func deletedLinkDelivery(t *testing.T, env *testenv.Env, base, key, id string) {
	t.Helper()
	_, _, view := call(t, "POST", base+"/v1/payment-links", key, `{"amount":{"currency":"EUR","value":"7.00"},"description":"Invoice 9","customer_id":"`+id+`"}`, nil, true)
	lid := decode(t, view)["id"].(string)
	now := time.Now().UTC()
	ev := domain.NewSeqID(domain.PrefixEvent, now)
	if _, err := env.Store.PutDelivery(t.Context(), &store.Delivery{ID: store.DeliveryIDFor(ev), Merchant: "shop-a", EventID: ev, EventType: domain.EventCreated,
		LinkID: lid, Body: `{"type":"payment_link.created","data":{"link":` + string(view) + `}}`}, now); err != nil {
		t.Fatal(err)
	}
	if st, _, raw := call(t, "POST", base+"/v1/payment-links/"+lid+"/archive", key, "", nil, true); st != 200 && st != 204 {
		t.Fatalf("archive: %d %s", st, raw)
	}
	if _, err := env.Store.Get(t.Context(), "shop-a", lid); err == nil {
		t.Fatal("a never-opened link archived is still there: the case needs a deleted link")
	}
}

// eraseAndCheck erases customer id and checks what remains.
func eraseAndCheck(t *testing.T, env *testenv.Env, base, key, id, linkID, second string, evBefore []byte) {
	t.Helper()

	restricted, _ := restrictedKey(t, base, key, "customers:read", "customers:write")
	if st, _, _ := call(t, "POST", base+"/v1/customers/"+id+"/erase", restricted, "", nil, false); st != 403 {
		t.Fatalf("erase without customers:erase: %d", st)
	}
	st, _, raw := call(t, "POST", base+"/v1/customers/"+id+"/erase", key, "", nil, true)
	c := decode(t, raw)
	if st != 200 || c["erased"] != true || c["archived"] != true || c["first_name"] != nil || c["email"] != nil || c["customer_number"] != nil || c["address"] != nil {
		t.Fatalf("erase: %d %s", st, raw)
	}
	for _, lid := range []string{linkID, second} {
		_, _, raw := call(t, "GET", base+"/v1/payment-links/"+lid, key, "", nil, true)
		got := decode(t, raw)
		if cus := got["customer"].(map[string]any); len(cus) != 1 || cus["id"] != id {
			t.Fatalf("link %s after erasure: %s", lid, raw)
		}
		if lid == linkID && (got["status"] != "paid" || got["psp_reference"] != "pay_sb_gdpr" || got["amount"].(map[string]any)["value"] != "42.00") {
			t.Fatalf("the paid link lost its money facts: %s", raw)
		}
	}
	if _, _, evAfter := call(t, "GET", base+"/v1/payment-links/"+linkID+"/events", key, "", nil, true); len(decode(t, evAfter)["data"].([]any)) != len(decode(t, evBefore)["data"].([]any)) {
		t.Fatalf("the timeline changed shape: %s -> %s", evBefore, evAfter)
	}
	nothingLeft(t, env, base, key, id)
}

// nothingLeft: the person's data is nowhere in the table nor found by a
// search; the number is free; an erased customer does not change back;
// erasing again is 200; the audit log has the erasure.
func nothingLeft(t *testing.T, env *testenv.Env, base, key, id string) {
	t.Helper()
	for _, needle := range []string{"Wilhelmina", "wilhelmina", "Vandersteen", "vandersteen", "+32470999888", "Kerkstraat", "GDPR-1", "W-77"} {
		for _, it := range scanTable(t, env) {
			if strings.Contains(it, needle) {
				t.Errorf("%q is still in the table: %.300s", needle, it)
			}
		}
	}
	for _, q := range []string{"q=wilh", "email=wilhelmina@vandersteen.example", "customer_number=GDPR-1"} {
		if _, _, raw := call(t, "GET", base+"/v1/customers?"+q, key, "", nil, true); strings.Contains(string(raw), id) {
			t.Errorf("found after erasure by %s: %s", q, raw)
		}
	}
	if st, _, raw := call(t, "POST", base+"/v1/customers", key, `{"customer_number":"GDPR-1","company_name":"New owner of the number"}`, nil, true); st != 201 {
		t.Fatalf("the erased number is not free: %d %s", st, raw)
	}
	if st, _, raw := call(t, "PATCH", base+"/v1/customers/"+id, key, `{"first_name":"Back"}`, nil, true); st != 409 {
		t.Fatalf("changing an erased customer: %d %s", st, raw)
	}
	if st, _, raw := call(t, "POST", base+"/v1/customers/"+id+"/erase", key, "", nil, true); st != 200 || decode(t, raw)["erased"] != true {
		t.Fatalf("erasing again: %d %s", st, raw)
	}
	if _, _, raw := call(t, "GET", base+"/v1/audit-log?resource="+id, key, "", nil, true); !strings.Contains(string(raw), "customer.erased") {
		t.Fatalf("the erasure is not in the audit log: %s", raw)
	}
}

// scanTable is every item of the test's table as text (tests only).
func scanTable(t *testing.T, env *testenv.Env) []string {
	t.Helper()
	var out []string
	p := dynamodb.NewScanPaginator(env.DB, &dynamodb.ScanInput{TableName: aws.String(env.Table)})
	for p.HasMorePages() {
		page, err := p.NextPage(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		for _, av := range page.Items {
			var m map[string]any
			if err := attributevalue.UnmarshalMap(av, &m); err != nil {
				t.Fatal(err)
			}
			b, _ := json.Marshal(m)
			out = append(out, string(b))
		}
	}
	return out
}

// refusedCostsNoRead: a refused create reads no customer (the body is
// checked before its customer is matched).
func refusedCostsNoRead(t *testing.T, env *testenv.Env, base, key string) {
	t.Helper()
	env.Count.Reset()
	if st, _, raw := call(t, "POST", base+"/v1/payment-links", key, `{"amount":{"currency":"EUR","value":"-1"},"description":"d","customer":{"company_name":"Acme","email":"billing@acme.example"}}`, nil, false); st != 422 {
		t.Fatalf("a bad amount: %d %s", st, raw)
	}
	if calls := env.Count.Snapshot(); calls["Query"]+calls["GetItem"] != 0 {
		t.Fatalf("a refused create read customers: %v", calls)
	}
}
