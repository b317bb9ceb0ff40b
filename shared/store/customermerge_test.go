package store_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/store"
	"github.com/paylinks/paylinks/shared/testkit/faults"
	"github.com/paylinks/paylinks/shared/testkit/testenv"
)

// mergeAudit is a merge's audit entries, one under each id.
func mergeAudit(now time.Time) func(from, into *domain.CustomerRecord) []store.AuditEntry {
	return func(from, into *domain.CustomerRecord) []store.AuditEntry {
		return []store.AuditEntry{
			store.NewAuditEntry(ctx, now, "customer.merged", from.ID, nil, map[string]string{"into": into.ID}),
			store.NewAuditEntry(ctx, now, "customer.merged", into.ID, nil, map[string]string{"from": from.ID}),
		}
	}
}

// seedCustomerLinks writes customer c and n links for it (every fifth
// link's item deleted afterwards, as a link archived before it was ever
// opened: its listing entry stays); it returns the links' ids.
func seedCustomerLinks(t *testing.T, env *testenv.Env, m string, c *domain.CustomerRecord, n int, now time.Time) []string {
	t.Helper()
	if err := env.Store.CreateCustomer(ctx, m, c, store.NewAuditEntry(ctx, now, "customer.created", c.ID, nil, nil)); err != nil {
		t.Fatal(err)
	}
	ids := make([]string, n)
	for i := range n {
		l, ev := newLink(t, m, "", now.Add(time.Duration(i)*time.Millisecond))
		l.Customer = c.Contact()
		l.Customer.ID = c.ID
		if err := env.Store.CreateLink(ctx, store.NewLink{Link: l, Event: ev}); err != nil {
			t.Fatal(err)
		}
		ids[i] = l.ID
		if i%5 == 4 {
			if _, err := env.DB.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(env.Table), Key: store.LinkKey(m, l.ID)}); err != nil {
				t.Fatal(err)
			}
		}
	}
	return ids
}

// listed is the link ids listed under a customer (every entry, deleted
// links' too), read strongly consistent.
func listed(t *testing.T, env *testenv.Env, m, id string) []string {
	t.Helper()
	var out []string
	p := dynamodb.NewQueryPaginator(env.DB, &dynamodb.QueryInput{TableName: aws.String(env.Table), KeyConditionExpression: aws.String("PK = :pk"),
		ConsistentRead: aws.Bool(true), ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: "M#" + m + "#CUSL#" + id}}})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range page.Items {
			out = append(out, it["link_id"].(*types.AttributeValueMemberS).Value)
		}
	}
	return out
}

// TestMergeCustomerResumes, over generated customers and links (DynamoDB
// Local): a merge whose calls fail at random (half of the table's calls
// refused, past the SDK's retries: the merge stops wherever that is) and
// is run again until it answers lists every link of either customer under
// the kept one exactly once; nothing is listed under the merged one, no
// link names it, its tombstone points at the kept one and leaves the
// listing and the search, the kept one took the details it lacked, and
// the audit log holds the merge under both ids. Merging again moves
// nothing.
func TestMergeCustomerResumes(t *testing.T) {
	env := testenv.New(t)
	env.Merchant(t, "m1")
	r := rand.New(rand.NewPCG(32, 7))
	now := time.Now().UTC().Truncate(time.Millisecond)
	crashes := 0
	for round := range 4 {
		from := &domain.CustomerRecord{ID: domain.NewID("cus_", now), Type: "company", CompanyName: fmt.Sprintf("Zebra%d BV", round),
			Email: fmt.Sprintf("z%d@example.be", round), Phone: "+32470123456", Metadata: map[string]string{}, Created: now, Updated: now}
		no := fmt.Sprint("Z-", round)
		from.CustomerNumber = &no
		into := &domain.CustomerRecord{ID: domain.NewID("cus_", now), Type: "company", CompanyName: fmt.Sprintf("Buyer%d BV", round),
			Email: fmt.Sprintf("b%d@example.be", round), Metadata: map[string]string{}, Created: now, Updated: now}
		want := append(seedCustomerLinks(t, env, "m1", from, r.IntN(70), now), seedCustomerLinks(t, env, "m1", into, r.IntN(10), now)...)
		env.Faults.Set(faults.Rule{Name: "crash", Rate: 0.5, Err: faults.ConnectionReset,
			Ops: []string{"GetItem", "Query", "BatchGetItem", "TransactWriteItems", "UpdateItem"}})
		var err error
		for try := 0; try < 500; try++ {
			if _, _, err = env.Store.MergeCustomer(ctx, "m1", from.ID, into.ID, now, mergeAudit(now)); err == nil {
				break
			}
			crashes++
		}
		env.Faults.Set()
		if err != nil {
			t.Fatalf("round %d: the merge never finished: %v", round, err)
		}
		checkMerged(t, env, from, into, want)
	}
	t.Logf("%d merges stopped midway and resumed", crashes)
	if crashes == 0 {
		t.Fatal("no merge was stopped: the faults reached nothing")
	}
}

func checkMerged(t *testing.T, env *testenv.Env, from, into *domain.CustomerRecord, want []string) {
	t.Helper()
	got := listed(t, env, "m1", into.ID)
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("listed under the kept customer: %d links, want %d (%v, want %v)", len(got), len(want), got, want)
	}
	if l := listed(t, env, "m1", from.ID); len(l) != 0 {
		t.Fatalf("still listed under the merged customer: %v", l)
	}
	links, _, err := env.Store.CustomerLinks(ctx, "m1", into.ID, 100, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range links {
		if l.Customer.ID != into.ID {
			t.Fatalf("link %s names customer %s", l.ID, l.Customer.ID)
		}
	}
	checkMergedCustomers(t, env, from, into)
}

// checkMergedCustomers: the tombstone, the kept customer, the indexes and
// the audit log after a merge; merging again moves nothing.
func checkMergedCustomers(t *testing.T, env *testenv.Env, from, into *domain.CustomerRecord) {
	t.Helper()
	tomb, err := env.Store.GetCustomer(ctx, "m1", from.ID)
	if err != nil || tomb.MergedInto != into.ID || tomb.Merging || tomb.CompanyName != "" || tomb.Email != "" || !tomb.Archived {
		t.Fatalf("the merged customer: %+v %v", tomb, err)
	}
	kept, err := env.Store.GetCustomer(ctx, "m1", into.ID)
	if err != nil || kept.Phone != from.Phone || kept.Email != into.Email || kept.CustomerNumber == nil || *kept.CustomerNumber != *from.CustomerNumber ||
		!slices.Equal(kept.MergedFrom, []string{from.ID}) {
		t.Fatalf("the kept customer: %+v %v", kept, err)
	}
	checkMergedIndex(t, env, from, into)
}

// checkMergedIndex: the merged number finds the kept customer, no search
// finds the merged one, the audit log holds the merge under both ids, and
// merging again moves nothing.
func checkMergedIndex(t *testing.T, env *testenv.Env, from, into *domain.CustomerRecord) {
	t.Helper()
	if c, err := env.Store.CustomerByNumber(ctx, "m1", *from.CustomerNumber); err != nil || c.ID != into.ID {
		t.Fatalf("the merged number finds %+v %v", c, err)
	}
	for _, q := range []store.CustomerQuery{{Merchant: "m1", Q: from.CompanyName, Limit: 10}, {Merchant: "m1", Email: from.Email, Limit: 10}, {Merchant: "m1", Limit: 100}} {
		cs, _, err := env.Store.ListCustomers(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cs {
			if c.ID == from.ID {
				t.Fatalf("%+v still finds the merged customer", q)
			}
		}
	}
	for _, id := range []string{from.ID, into.ID} {
		es, _, err := env.Store.ListAudit(ctx, store.AuditQuery{Merchant: "m1", Resource: id, Limit: 10})
		if err != nil || !slices.ContainsFunc(es, func(e store.AuditEntry) bool { return e.Action == "customer.merged" }) {
			t.Fatalf("the audit log of %s: %+v %v", id, es, err)
		}
	}
	if _, moved, err := env.Store.MergeCustomer(ctx, "m1", from.ID, into.ID, time.Now(), mergeAudit(time.Now())); err != nil || moved != 0 {
		t.Fatalf("merging again: %d moved, %v", moved, err)
	}
	other := &domain.CustomerRecord{ID: domain.NewID("cus_", time.Now())}
	if _, _, err := env.Store.MergeCustomer(ctx, "m1", from.ID, other.ID, time.Now(), mergeAudit(time.Now())); !errors.Is(err, domain.ErrMergedElsewhere) {
		t.Fatalf("merging the merged customer elsewhere: %v", err)
	}
	if _, _, err := env.Store.MergeCustomer(ctx, "m1", into.ID, other.ID, time.Now(), mergeAudit(time.Now())); !errors.Is(err, store.ErrMergeTarget) {
		t.Fatalf("merging into an unknown customer: %v", err)
	}
}

// TestEraseAfterMerge: a webhook delivery sent before a merge names the
// merged customer's id with its data; erasing the kept customer scrubs it
// (through merged_from), and the preview counted it first.
func TestEraseAfterMerge(t *testing.T) {
	env := testenv.New(t)
	env.Merchant(t, "m1")
	now := time.Now().UTC().Truncate(time.Millisecond)
	from := &domain.CustomerRecord{ID: domain.NewID("cus_", now), Type: "person", FirstName: "Quintessa", LastName: "Vandermarkt",
		Email: "q@private.example", Metadata: map[string]string{}, Created: now, Updated: now}
	into := &domain.CustomerRecord{ID: domain.NewID("cus_", now), Type: "company", CompanyName: "Keep BV", Metadata: map[string]string{}, Created: now, Updated: now}
	links := seedCustomerLinks(t, env, "m1", from, 1, now)
	seedCustomerLinks(t, env, "m1", into, 1, now)
	body := `{"type":"payment_link.created","data":{"link":{"id":"` + links[0] + `","customer":{"id":"` + from.ID + `","first_name":"Quintessa","email":"q@private.example"}}}}`
	d := &store.Delivery{ID: domain.NewID("msg_", now), Merchant: "m1", EventID: domain.NewID("ev_", now), EventType: domain.EventCreated, LinkID: links[0], Body: body}
	if created, err := env.Store.PutDeliveryOf(ctx, d, from.ID, now); !created || err != nil {
		t.Fatalf("delivery: %v %v", created, err)
	}
	if _, _, err := env.Store.MergeCustomer(ctx, "m1", from.ID, into.ID, now, mergeAudit(now)); err != nil {
		t.Fatal(err)
	}
	preview, err := env.Store.ErasurePreview(ctx, "m1", into.ID)
	if err != nil || preview.Deliveries == 0 || preview.Links != 2 {
		t.Fatalf("preview: %+v %v", preview, err)
	}
	done, err := env.Store.EraseCustomerData(ctx, "m1", into.ID)
	if err != nil || done != preview {
		t.Fatalf("erasure %+v, preview %+v: %v", done, preview, err)
	}
	got, err := env.Store.GetDelivery(ctx, "m1", d.ID)
	if err != nil || strings.Contains(got.Body, "Quintessa") || strings.Contains(got.Body, "private.example") {
		t.Fatalf("the delivery after erasing the kept customer: %v %s", err, got.Body)
	}
}
