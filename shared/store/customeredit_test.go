package store_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/store"
	"github.com/paylinks/paylinks/shared/testkit/testenv"
)

// TestEditedCustomerSearch, over generated renames (DynamoDB Local): after
// a customer's names change, a search by a prefix of each new name finds
// it, and a search by a prefix of an old name that none of its new names
// starts with does not; its number and e-mail index follow too.
func TestEditedCustomerSearch(t *testing.T) {
	env := testenv.New(t)
	env.Merchant(t, "m1")
	r := rand.New(rand.NewPCG(32, 1))
	syll := []string{"ka", "lo", "mé", "Zo", "ri", "ël", "an", "bu"}
	name := func() string {
		var b strings.Builder
		for range 2 + r.IntN(3) {
			b.WriteString(syll[r.IntN(len(syll))])
		}
		return b.String()
	}
	now := time.Now().UTC()
	for i := range 40 {
		no := fmt.Sprint("N-", i)
		c := &domain.CustomerRecord{ID: domain.NewID("cus_", now), Type: "person", FirstName: name(), LastName: name(), CustomerNumber: &no,
			Email: fmt.Sprintf("old%d@example.be", i), Metadata: map[string]string{}, Created: now, Updated: now}
		if err := env.Store.CreateCustomer(ctx, "m1", c, store.NewAuditEntry(ctx, now, "customer.created", c.ID, nil, nil)); err != nil {
			t.Fatal(err)
		}
		first, last, email, newNo := name(), name(), fmt.Sprintf("new%d@example.be", i), fmt.Sprint("M-", i)
		in := domain.CustomerInput{FirstName: &first, LastName: &last, Email: &email, CustomerNumber: &newNo}
		got, err := env.Store.UpdateCustomer(ctx, "m1", c.ID, func(cur domain.CustomerRecord) (domain.CustomerRecord, error) { return in.Apply("", cur) },
			func(_, _ *domain.CustomerRecord) store.AuditEntry {
				return store.NewAuditEntry(ctx, now, "customer.updated", c.ID, nil, nil)
			})
		if err != nil {
			t.Fatal(err)
		}
		news := got.SearchTokens()
		for _, n := range news {
			if !found(t, env, store.CustomerQuery{Q: n[:1+r.IntN(len(n))]}, c.ID) {
				t.Fatalf("case %d: %q does not find the customer renamed %s %s", i, n, first, last)
			}
		}
		for _, o := range c.SearchTokens() {
			p := o[:1+r.IntN(len(o))]
			if !slices.ContainsFunc(news, func(n string) bool { return strings.HasPrefix(n, p) }) && found(t, env, store.CustomerQuery{Q: p}, c.ID) {
				t.Fatalf("case %d: the old name's prefix %q still finds the customer renamed %s %s", i, p, first, last)
			}
		}
		if !found(t, env, store.CustomerQuery{Email: email}, c.ID) || found(t, env, store.CustomerQuery{Email: c.Email}, c.ID) ||
			!found(t, env, store.CustomerQuery{CustomerNumber: newNo}, c.ID) || found(t, env, store.CustomerQuery{CustomerNumber: no}, c.ID) {
			t.Fatalf("case %d: the e-mail or number index did not follow the edit", i)
		}
	}
}

// found reports a listing (all its pages) holds customer id.
func found(t *testing.T, env *testenv.Env, q store.CustomerQuery, id string) bool {
	t.Helper()
	q.Merchant, q.Limit = "m1", 50
	for {
		cs, next, err := env.Store.ListCustomers(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		if slices.ContainsFunc(cs, func(c *domain.CustomerRecord) bool { return c.ID == id }) {
			return true
		}
		if next == "" {
			return false
		}
		q.Cursor = next
	}
}
