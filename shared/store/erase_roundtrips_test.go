package store_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/store"
	"github.com/paylinks/paylinks/shared/testkit/testenv"
)

// TestEraseOfACustomerWith150Links (DynamoDB Local): a customer with 150
// links (one in five deleted, a webhook delivery with the person's data
// for each) is previewed and erased each in few DynamoDB calls per link
// (1.1 s each here, well within the API's 8 s request deadline). Before,
// both walked the links one by one, and for each link read the whole
// deliveries' listing (its 64 shards) to find the link's deliveries: the
// preview made 16,744 calls (111.6 a link) in 26 s, the erasure 16,895 in
// 22 s (on make dev both answered 503 after 8 s for such a customer).
func TestEraseOfACustomerWith150Links(t *testing.T) {
	env := testenv.New(t)
	env.Merchant(t, "m1")
	now := time.Now().UTC().Truncate(time.Millisecond)
	c, _ := mergedAndKept(now) // a person with a name, an e-mail and a phone
	links := seedCustomerLinks(t, env, "m1", c, 150, now)
	for i, id := range links {
		body := `{"type":"payment_link.created","data":{"link":{"id":"` + id + `","customer":{"id":"` + c.ID + `","first_name":"Zora","email":"zora@example.be"}}}}`
		d := &store.Delivery{ID: fmt.Sprintf("msg_%s%03d", id[3:len(id)-3], i), Merchant: "m1", EventID: fmt.Sprintf("ev_%s%03d", id[3:len(id)-3], i),
			EventType: domain.EventCreated, LinkID: id, Body: body}
		if created, err := env.Store.PutDeliveryOf(ctx, d, c.ID, now); !created || err != nil {
			t.Fatalf("delivery %d: %v %v", i, created, err)
		}
	}
	want := store.ErasureCounts{Links: 120, Deliveries: 150}
	// The calls per link are the measure, not the time (logged): the walk
	// of old made 111.6 a link. Its 8 s on a loaded DynamoDB Local (1.1 s
	// alone) was the emulator's unindexed stream records (emulators.sh's
	// index_streams), not the erasure.
	// DynamoDB calls per link, at most: a preview reads the links in
	// batches and queries each link's events and refunds; the erasure
	// writes each link and each delivery too.
	for _, step := range []struct {
		name    string
		perLink float64
		run     func() (store.ErasureCounts, error)
	}{
		{"preview", 3, func() (store.ErasureCounts, error) { return env.Store.ErasurePreview(ctx, "m1", c.ID) }},
		{"erase", 5, func() (store.ErasureCounts, error) { return env.Store.EraseCustomerData(ctx, "m1", c.ID) }},
	} {
		env.Count.Reset()
		start := time.Now()
		got, err := step.run()
		took := time.Since(start)
		calls := env.Count.Total()
		t.Logf("%s: %+v in %v, %d DynamoDB calls (%.1f a link) %v", step.name, got, took, calls, float64(calls)/float64(len(links)), env.Count.Snapshot())
		if err != nil || got != want {
			t.Fatalf("%s: %+v %v, want %+v", step.name, got, err, want)
		}
		if float64(calls) > step.perLink*float64(len(links)) {
			t.Errorf("%s of 150 links made %d DynamoDB calls, more than %.0f a link", step.name, calls, step.perLink)
		}
	}
	if n, err := env.Store.ErasurePreview(ctx, "m1", c.ID); err != nil || n != (store.ErasureCounts{}) {
		t.Fatalf("left to erase: %+v %v", n, err)
	}
}
