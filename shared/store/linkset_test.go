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

// TestEachLinkGenerated: over generated merchants (links spread evenly,
// on a few shards or at random; ties; archived ones) and filters, EachLink
// hands over exactly the links the listing's filters select (the oracle,
// expectList), newest first, each once; with a bound under the set's size
// it hands over the newest `bound` and says the set is partial, complete
// from the last one's creation. AnyArchived adds the archived links. It
// never scans.
func TestEachLinkGenerated(t *testing.T) {
	env := testenv.New(t)
	r := rand.New(rand.NewPCG(32, 7))
	now := time.Now().UTC().Truncate(time.Millisecond)
	var cases []*listCase
	var all []*domain.Link
	for i := range 6 {
		c := genListCase(t, r, i, now)
		c.m = fmt.Sprintf("set-%d", i)
		for _, l := range c.links {
			l.Merchant = c.m
			l.Code, _ = testenv.CodeKey.NewCode(c.m, l.ID)
		}
		cases = append(cases, c)
		all = append(all, c.links...)
	}
	putLinks(t, env, all)
	env.Count.Reset()
	for _, c := range cases {
		c.q.Merchant = c.m
		want := expectList(c.links, c.q)
		before := env.Count.Snapshot()
		checkSet(t, env.Store, c.name, c.q, 0, want)
		after := env.Count.Snapshot()
		testenv.Figure(t, "link set of %d of %d links (%s): %d Query, %d BatchGetItem", len(want), len(c.links), c.name,
			after["Query"]-before["Query"], after["BatchGetItem"]-before["BatchGetItem"])
		bound := 1 + r.IntN(max(len(want), 1))
		checkSet(t, env.Store, c.name, c.q, bound, want)
		q := c.q
		q.AnyArchived = true
		q.Archived = false
		wantAny := mergeIDs(expectList(c.links, q), expectList(c.links, withArchived(q)), c.links)
		checkSet(t, env.Store, c.name+" any archived", q, 0, wantAny)
	}
	if s := env.Count.Snapshot(); s["Scan"] != 0 {
		t.Fatalf("EachLink scanned: %v", s)
	}
}

func withArchived(q store.ListQuery) store.ListQuery {
	q.Archived, q.AnyArchived = true, false
	return q
}

// mergeIDs is a and b's ids, newest first.
func mergeIDs(a, b []string, links []*domain.Link) []string {
	pos := map[string]string{}
	for _, l := range links {
		pos[l.ID] = linkPos(l)
	}
	out := append(slices.Clone(a), b...)
	slices.SortFunc(out, func(x, y string) int { return strings.Compare(pos[y], pos[x]) })
	return out
}

// checkSet reads q's set with the bound and compares it with want (the
// whole set, newest first).
func checkSet(t *testing.T, st *store.Store, name string, q store.ListQuery, bound int, want []string) {
	t.Helper()
	var got []string
	var created []time.Time
	set, err := st.EachLink(ctx, q, bound, func(l *domain.Link) {
		got = append(got, l.ID)
		created = append(created, l.CreatedAt)
	})
	if err != nil {
		t.Fatal(err)
	}
	if bound > 0 && bound < len(want) {
		// The newest `bound`, or (a sparse filter's reads ran out) fewer,
		// complete from the last one's creation.
		if !set.Partial || set.Read > bound || set.Read == 0 || set.CompleteFrom.After(created[len(created)-1]) {
			t.Fatalf("%s, bound %d of %d: %+v", name, bound, len(want), set)
		}
		want = want[:set.Read]
	} else if set.Partial || set.Read != len(want) {
		t.Fatalf("%s: %+v, want %d complete", name, set, len(want))
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("%s (bound %d): %d links\n got %v\nwant %v", name, bound, len(got), got, want)
	}
}

// TestEachLinkLargeSetCalls: a set of 20,000 links spread over the shards
// is read whole in 200 BatchGetItem calls (100 links each) and a bounded
// number of queries (the merge's rounds: each shard's share of the bound
// in its first read); a bound of 5,000 reads the newest 5,000 in 50.
func TestEachLinkLargeSetCalls(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 20,000 links")
	}
	env := testenv.New(t)
	r := rand.New(rand.NewPCG(32, 9))
	now := time.Now().UTC().Truncate(time.Millisecond)
	links := make([]*domain.Link, 20_000)
	for i := range links {
		links[i] = shardLink(t, r, "big", now.Add(-time.Duration(r.Int64N(int64(80*24*time.Hour)))).Truncate(time.Millisecond), -1)
	}
	putLinks(t, env, links)
	q := store.ListQuery{Merchant: "big", CreatedFrom: now.Add(-90 * 24 * time.Hour), CreatedTo: now, AnyArchived: true}
	for _, bound := range []int{0, 5000} {
		env.Count.Reset()
		start := time.Now()
		n := 0
		set, err := env.Store.EachLink(ctx, q, bound, func(*domain.Link) { n++ })
		if err != nil {
			t.Fatal(err)
		}
		s := env.Count.Snapshot()
		want := len(links)
		if bound > 0 {
			want = bound
		}
		testenv.Figure(t, "link set of %d links (bound %d): %d Query, %d BatchGetItem, %d Scan in %v", n, bound, s["Query"], s["BatchGetItem"], s["Scan"], time.Since(start).Round(time.Millisecond))
		if n != want || set.Read != want || set.Partial != (bound > 0) || s["Scan"] != 0 || s["BatchGetItem"] != want/100 || s["Query"] > 10*store.LinkListShards {
			t.Errorf("bound %d: %d links, %+v, calls %v", bound, n, set, s)
		}
	}
}
