package store_test

import (
	"testing"
	"time"

	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/testkit/faults"
	"github.com/paylinks/paylinks/shared/testkit/testenv"
)

// TestEraseDuringAMerge (DynamoDB Local): A is being merged into B (step 1
// done: B lists A in merged_from; A's links still listed under A, its
// snapshot on each) when B is erased; the merge then finishes. No link of
// either is left with A's data, and the preview counts nothing left to
// erase. Before, the erasure walked B's own listing only, and the merge
// went on to move A's links, the person's data in them, under the erased
// customer (found on make dev: a merge and an erase posted together left
// 125 links with the merged customer's name and e-mail).
func TestEraseDuringAMerge(t *testing.T) {
	env := testenv.New(t)
	env.Merchant(t, "m1")
	now := time.Now().UTC().Truncate(time.Millisecond)
	from := &domain.CustomerRecord{ID: domain.NewID("cus_", now), Type: "person", FirstName: "Zora", LastName: "Mergeling",
		Email: "zora@example.be", Phone: "+32470999111", Metadata: map[string]string{}, Created: now, Updated: now}
	into := &domain.CustomerRecord{ID: domain.NewID("cus_", now), Type: "person", FirstName: "Kept", LastName: "Erasable",
		Metadata: map[string]string{}, Created: now, Updated: now}
	links := append(seedCustomerLinks(t, env, "m1", from, 30, now), seedCustomerLinks(t, env, "m1", into, 2, now)...)
	// The merge stops after its first step: its listing's reads fail.
	env.Faults.Set(faults.Rule{Name: "stop", Rate: 1, Err: faults.ConnectionReset, Ops: []string{"Query"}})
	if _, _, err := env.Store.MergeCustomer(ctx, "m1", from.ID, into.ID, now, mergeAudit(now)); err == nil {
		t.Fatal("the merge did not stop")
	}
	env.Faults.Set()
	if _, err := env.Store.EraseCustomerData(ctx, "m1", into.ID); err != nil {
		t.Fatal(err)
	}
	if _, _, err := env.Store.MergeCustomer(ctx, "m1", from.ID, into.ID, now, mergeAudit(now)); err != nil {
		t.Fatal(err)
	}
	for _, id := range links {
		l, err := env.Store.Get(ctx, "m1", id)
		if err != nil {
			continue // deleted before it was opened (seedCustomerLinks)
		}
		if l.Customer.ID != into.ID || l.Customer.FirstName != "" || l.Customer.Email != "" || l.Customer.Phone != "" {
			t.Errorf("link %s after the erasure and the merge: %+v", id, l.Customer)
		}
	}
	if n, err := env.Store.ErasurePreview(ctx, "m1", into.ID); err != nil || n.Links != 0 {
		t.Fatalf("left to erase: %+v %v", n, err)
	}
}
