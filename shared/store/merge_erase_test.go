package store_test

import (
	"errors"
	"testing"
	"time"

	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/store"
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
	from, into := mergedAndKept(now)
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

// TestMergeWithACustomerBeingErased: once either customer's erasure has
// begun (its marker written, the erasure stopped right after), the merge
// is refused and writes nothing: into B (into: is erased), so no merge
// begins after the erasure read whom B absorbed; or of A (id: is erased),
// whose details would move to the kept customer and whose links would
// leave the erasure's walk, which then answered done with the person's
// data kept elsewhere. Before, both merges went through.
func TestMergeWithACustomerBeingErased(t *testing.T) {
	for _, erasing := range []string{"into", "id"} {
		t.Run(erasing, func(t *testing.T) {
			env := testenv.New(t)
			env.Merchant(t, "m1")
			now := time.Now().UTC().Truncate(time.Millisecond)
			from, into := mergedAndKept(now)
			links := seedCustomerLinks(t, env, "m1", from, 3, now)
			seedCustomerLinks(t, env, "m1", into, 1, now)
			erased := into
			if erasing == "id" {
				erased = from
			}
			// The erasure stops after its marker: its read of the customer fails.
			env.Faults.Set(faults.Rule{Name: "stop", Rate: 1, Err: faults.ConnectionReset, Ops: []string{"GetItem"}})
			if _, err := env.Store.EraseCustomerData(ctx, "m1", erased.ID); err == nil {
				t.Fatal("the erasure did not stop")
			}
			env.Faults.Set()
			_, _, err := env.Store.MergeCustomer(ctx, "m1", from.ID, into.ID, now, mergeAudit(now))
			var fe domain.FieldErrors
			if !errors.As(err, &fe) || fe[0].Field != erasing {
				t.Fatalf("a merge with a customer being erased: %v", err)
			}
			if got := listed(t, env, "m1", from.ID); len(got) != len(links) {
				t.Fatalf("the refused merge moved links: %d left of %d", len(got), len(links))
			}
			if c, err := env.Store.GetCustomer(ctx, "m1", from.ID); err != nil || c.MergedInto != "" {
				t.Fatalf("the refused merge wrote the tombstone: %+v %v", c, err)
			}
			if c, err := env.Store.GetCustomer(ctx, "m1", into.ID); err != nil || c.Email != "" || c.Phone != "" {
				t.Fatalf("the refused merge gave the kept customer the merged one's details: %+v %v", c, err)
			}
		})
	}
}

// mergedAndKept are the customer a test merges (a person with a name, an
// e-mail and a phone) and the one it keeps.
func mergedAndKept(now time.Time) (from, into *domain.CustomerRecord) {
	from = &domain.CustomerRecord{ID: domain.NewID("cus_", now), Type: "person", FirstName: "Zora", LastName: "Mergeling",
		Email: "zora@example.be", Phone: "+32470999111", Metadata: map[string]string{}, Created: now, Updated: now}
	into = &domain.CustomerRecord{ID: domain.NewID("cus_", now), Type: "person", FirstName: "Kept", LastName: "Erasable",
		Metadata: map[string]string{}, Created: now, Updated: now}
	return from, into
}

// TestNoLinkForACustomerBeingErased: once a customer's erasure has begun,
// no link is made for it (the erasure walks its listing once: a link
// listed after the walk would keep the person's data after the erasure
// answered). The create is refused as for an erased customer and writes
// nothing.
func TestNoLinkForACustomerBeingErased(t *testing.T) {
	env := testenv.New(t)
	env.Merchant(t, "m1")
	now := time.Now().UTC().Truncate(time.Millisecond)
	c, _ := mergedAndKept(now)
	seedCustomerLinks(t, env, "m1", c, 1, now)
	env.Faults.Set(faults.Rule{Name: "stop", Rate: 1, Err: faults.ConnectionReset, Ops: []string{"GetItem"}})
	if _, err := env.Store.EraseCustomerData(ctx, "m1", c.ID); err == nil {
		t.Fatal("the erasure did not stop")
	}
	env.Faults.Set()
	l, ev := newLink(t, "m1", "", now.Add(time.Second))
	l.Customer = c.Contact()
	l.Customer.ID = c.ID
	if err := env.Store.CreateLink(ctx, store.NewLink{Link: l, Event: ev}); !errors.Is(err, domain.ErrCustomerArchived) {
		t.Fatalf("a link for a customer being erased: %v", err)
	}
	if _, err := env.Store.Links.Get(ctx, "m1", l.ID); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("the refused create wrote its link: %v", err)
	}
	if got := listed(t, env, "m1", c.ID); len(got) != 1 {
		t.Fatalf("the customer lists %d links", len(got))
	}
}
