package store_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	smithymw "github.com/aws/smithy-go/middleware"
	"github.com/shopspring/decimal"

	"github.com/paylinks/paylinks/shared/config"
	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/money"
	"github.com/paylinks/paylinks/shared/store"
	"github.com/paylinks/paylinks/shared/testkit/testenv"
)

// readCounter counts what the listing's queries read: the index entries
// they evaluated (ScannedCount, what DynamoDB charges for), the queries,
// and the largest Limit asked.
type readCounter struct {
	mu       sync.Mutex
	scanned  int
	queries  int
	maxLimit int32
}

func (c *readCounter) attach(stack *smithymw.Stack) error {
	return stack.Initialize.Add(smithymw.InitializeMiddlewareFunc("paylinks.scanned", func(ctx context.Context, in smithymw.InitializeInput, next smithymw.InitializeHandler) (smithymw.InitializeOutput, smithymw.Metadata, error) {
		out, md, err := next.HandleInitialize(ctx, in)
		q, ok := out.Result.(*dynamodb.QueryOutput)
		if !ok {
			return out, md, err
		}
		c.mu.Lock()
		defer c.mu.Unlock()
		c.scanned += int(q.ScannedCount)
		c.queries++
		if qi, ok := in.Parameters.(*dynamodb.QueryInput); ok && qi.Limit != nil {
			c.maxLimit = max(c.maxLimit, *qi.Limit)
		}
		return out, md, err
	}), smithymw.After)
}

// take returns the counts since the last take and zeroes them.
func (c *readCounter) take() (scanned, queries int, maxLimit int32) {
	c.mu.Lock()
	defer c.mu.Unlock()
	scanned, queries, maxLimit = c.scanned, c.queries, c.maxLimit
	c.scanned, c.queries, c.maxLimit = 0, 0, 0
	return scanned, queries, maxLimit
}

// countedStore is a store over env's table whose queries c counts.
func countedStore(t *testing.T, env *testenv.Env, c *readCounter) *store.Store {
	t.Helper()
	db := config.DynamoDB(testenv.AWSConfig(t), func(o *dynamodb.Options) { o.APIOptions = append(o.APIOptions, c.attach) })
	return store.New(db, env.Table)
}

// putLinks writes links; the first write to a fresh table may take
// DynamoDB Local longer than a client's attempts (seen at 15 to 20 s on a
// busy machine), so a link of another merchant goes first, tried for up to
// a minute.
func putLinks(t *testing.T, env *testenv.Env, links []*domain.Link) {
	t.Helper()
	r := rand.New(rand.NewPCG(1, 1))
	for start := time.Now(); ; {
		err := env.Store.PutLinks(ctx, []*domain.Link{shardLink(t, r, "warm-up", time.Now().UTC().Truncate(time.Millisecond), -1)})
		if err == nil {
			break
		}
		if time.Since(start) > time.Minute {
			t.Fatalf("the table takes no write: %v", err)
		}
	}
	if err := env.Store.PutLinks(ctx, links); err != nil {
		t.Fatal(err)
	}
}

// linkPos is a link's position in the listing index: created, then id.
func linkPos(l *domain.Link) string { return ft(l.CreatedAt) + "#" + l.ID }

// cursorPos is the position a listing cursor continues below.
func cursorPos(t *testing.T, cursor string) string {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(cursor)
	var c struct {
		P string `json:"p"`
	}
	if err != nil || json.Unmarshal(b, &c) != nil || c.P == "" {
		t.Fatalf("cursor %q: not a position (%v)", cursor, err)
	}
	return c.P
}

// shardLink is a link of merchant m created at created whose id falls in
// listing shard sh (-1: wherever its random id falls).
func shardLink(t *testing.T, r *rand.Rand, m string, created time.Time, sh int) *domain.Link {
	t.Helper()
	id := domain.NewID(domain.PrefixLink, created)
	for sh >= 0 && store.LinkListShard(id) != sh {
		id = domain.NewID(domain.PrefixLink, created)
	}
	code, err := testenv.CodeKey.NewCode(m, id)
	if err != nil {
		t.Fatal(err)
	}
	return &domain.Link{
		ID: id, Merchant: m, Code: code, Status: listStatuses[r.IntN(len(listStatuses))],
		Amount:         money.MustParse("EUR", fmt.Sprintf("%d.%02d", 1+r.IntN(500), r.IntN(100))),
		AmountRefunded: money.Zero("EUR"), Description: "gen " + id, Language: "en", Origin: domain.OriginAPI,
		Customer:  listCustomers[r.IntN(len(listCustomers))],
		ExpiresAt: created.Add(30 * 24 * time.Hour), CreatedAt: created, UpdatedAt: created,
	}
}

// TestListPageReadsAboutItsRows is the finding of issue 30: a page of 50
// of a merchant with thousands of links read up to 51 index entries in
// each of the 32 shards (1,632 per page) to return 50. Past the first page
// (steady state) a page of 50 reads at most 100 entries and one of 500 at
// most 1,000, counted by DynamoDB's ScannedCount; the first page at most
// twice its rows and one per shard. 3,200 links (100 per shard): each
// shard read takes entries from the top of what is left below the cursor,
// so a page deep in 100,000 links reads what a page here does.
func TestListPageReadsAboutItsRows(t *testing.T) {
	env := testenv.New(t)
	c := &readCounter{}
	st := countedStore(t, env, c)
	r := rand.New(rand.NewPCG(30, 3200))
	now := time.Now().UTC().Truncate(time.Millisecond)
	links := make([]*domain.Link, 3200)
	for i := range links {
		links[i] = shardLink(t, r, "wide", now.Add(-time.Duration(r.Int64N(int64(30*24*time.Hour)))).Truncate(time.Millisecond), -1)
		links[i].Archived = false
	}
	putLinks(t, env, links)
	base := store.ListQuery{Merchant: "wide", CreatedFrom: now.Add(-90 * 24 * time.Hour), CreatedTo: now}
	for _, limit := range []int{50, 500} {
		q := base
		q.Limit = limit
		var got []string
		var reads []int
		c.take()
		for page := 0; ; page++ {
			ls, next, err := st.List(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			scanned, _, _ := c.take()
			reads = append(reads, scanned)
			bound := 2 * limit
			if page == 0 {
				bound += store.LinkListShards
			}
			if next != "" && scanned > bound {
				t.Errorf("page %d of %d rows read %d index entries, want at most %d", page, limit, scanned, bound)
			}
			for _, l := range ls {
				got = append(got, l.ID)
			}
			if next == "" || page == 12 && limit == 50 {
				break
			}
			q.Cursor = next
		}
		t.Logf("pages of %d: index entries read per page %v", limit, reads)
		want := expectList(links, q)
		sameIDs(t, fmt.Sprintf("pages of %d", limit), got, want[:len(got)])
	}
}

// listCase is one generated listing: a merchant's links spread over the
// shards as drawn, a query, and links written between its pages.
type listCase struct {
	name    string
	m       string
	links   []*domain.Link
	q       store.ListQuery
	inserts float64 // chance of a write between two pages
	spread  func() int
	created func() time.Time
	steady  bool // no filter, nothing archived, pages of 50 or more: held to twice the rows
	// factor bounds a page's reads: that many times the entries it has to
	// look at and one per shard (2 for pages of 50 or more over evenly used
	// shards, 4 for smaller pages, 8 when a few shards hold most links).
	factor int
}

// genListCase draws case i: how the links fall in shards (evenly, a few
// hot shards, a few shards only, random ids), when they were made (ties
// included), which filter, which page size.
func genListCase(t *testing.T, r *rand.Rand, i int, now time.Time) *listCase {
	t.Helper()
	c := &listCase{name: fmt.Sprintf("case %d", i), m: fmt.Sprintf("gen-%d", i), inserts: r.Float64()}
	hot := []int{r.IntN(store.LinkListShards), r.IntN(store.LinkListShards), r.IntN(store.LinkListShards)}
	used := 1 + r.IntN(4)
	spreads := map[string]func() int{
		"even":   func() int { return r.IntN(store.LinkListShards) },
		"random": func() int { return -1 },
		"hot": func() int {
			if r.IntN(10) < 7 {
				return hot[r.IntN(len(hot))]
			}
			return r.IntN(store.LinkListShards)
		},
		"few": func() int { return hot[0] + r.IntN(used)%store.LinkListShards },
	}
	names := []string{"even", "random", "hot", "few"}
	spread := names[r.IntN(len(names))]
	c.spread = spreads[spread]
	span := time.Duration(1+r.IntN(60)) * 24 * time.Hour
	var last time.Time
	c.created = func() time.Time {
		if !last.IsZero() && r.IntN(8) == 0 { // the same millisecond as the one before
			return last
		}
		last = now.Add(-time.Duration(r.Int64N(int64(span)))).Truncate(time.Millisecond)
		return last
	}
	archived := r.IntN(3) == 0
	n := 200 + r.IntN(900)
	for range n {
		l := shardLink(t, r, c.m, c.created(), c.spread())
		l.Archived = archived && r.IntN(10) == 0
		c.links = append(c.links, l)
	}
	limits := []int{7, 50, 50, 137} // pages of 1 and 2 walk too long on the emulator: TestMergePagesGenerated has them
	c.q = store.ListQuery{Merchant: c.m, CreatedFrom: now.Add(-90 * 24 * time.Hour), CreatedTo: now, Limit: limits[r.IntN(len(limits))]}
	filter := genFilter(r, &c.q, now)
	even := spread == "even" || spread == "random"
	c.steady = filter == "none" && !archived && c.q.Limit >= 50 && even
	c.factor = 8
	switch {
	case even && c.q.Limit >= 50:
		c.factor = 2
	case even:
		c.factor = 4
	}
	c.name += fmt.Sprintf(" (%d links %s, filter %s, pages of %d)", n, spread, filter, c.q.Limit)
	return c
}

// genFilter sets a drawn filter on q and names it.
func genFilter(r *rand.Rand, q *store.ListQuery, now time.Time) string {
	d := func(s string) *decimal.Decimal { v := decimal.RequireFromString(s); return &v }
	switch r.IntN(8) {
	case 0:
		q.Status = listStatuses[r.IntN(len(listStatuses))]
		return "status " + string(q.Status)
	case 1:
		q.Archived = true
		return "archived"
	case 2:
		q.AmountMin, q.AmountMax = d("100"), d("180")
		return "amount 100-180"
	case 3:
		q.Customer = "zeta"
		return "customer"
	case 4:
		q.CreatedFrom, q.CreatedTo = now.Add(-20*24*time.Hour), now.Add(-5*24*time.Hour)
		return "window"
	case 5:
		q.Status, q.AmountMin = domain.StatusPaid, d("400")
		return "paid over 400"
	}
	return "none"
}

// matches is whether l is in q's answer (the filters the merge reads).
func matches(l *domain.Link, q store.ListQuery) bool {
	return len(expectList([]*domain.Link{l}, q)) == 1
}

// spanOf is how many index entries of the merchant a page below `below`
// has to look at (in the window, whatever their filters): down to its
// (limit+1)-th match, or to the window's end.
func spanOf(links []*domain.Link, q store.ListQuery, below string) int {
	var in []*domain.Link
	for _, l := range links {
		if !l.CreatedAt.Before(q.CreatedFrom) && !l.CreatedAt.After(q.CreatedTo) && (below == "" || linkPos(l) < below) {
			in = append(in, l)
		}
	}
	slices.SortFunc(in, func(a, b *domain.Link) int { return strings.Compare(linkPos(b), linkPos(a)) })
	found := 0
	for i, l := range in {
		if matches(l, q) {
			found++
		}
		if found == q.Limit+1 {
			return i + 1
		}
	}
	return len(in)
}

// TestListPagesGenerated walks generated listings page by page while links
// are written between the pages: the pages hold exactly the links there
// were when the walk began, in order, without gap or duplicate, and every
// link written below a page's cursor (never one written above it). No
// query asks for more than the page and one. A page reads at most twice
// the index entries it has to look at and one per shard (its rows, the
// entries between them; four times for pages under 50, eight when a few
// shards hold most links, as TestMergePagesGenerated measures), and in
// steady state (no filter, pages of 50 or more) at most twice its rows.
func TestListPagesGenerated(t *testing.T) {
	env := testenv.New(t)
	c := &readCounter{}
	st := countedStore(t, env, c)
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	r := rand.New(rand.NewPCG(seed, 30))
	now := time.Now().UTC().Truncate(time.Millisecond)
	cases := make([]*listCase, 6)
	var all []*domain.Link
	for i := range cases {
		cases[i] = genListCase(t, r, i, now)
		all = append(all, cases[i].links...)
	}
	putLinks(t, env, all)
	for _, lc := range cases {
		walkGenerated(t, env, st, c, r, lc, now)
	}
}

func walkGenerated(t *testing.T, env *testenv.Env, st *store.Store, c *readCounter, r *rand.Rand, lc *listCase, now time.Time) {
	t.Helper()
	q, links := lc.q, slices.Clone(lc.links)
	want := map[string]bool{}
	for _, id := range expectList(links, q) {
		want[id] = true
	}
	var got []string
	below := ""
	c.take()
	for page := 0; ; page++ {
		if page > 3000 {
			t.Fatalf("%s: the listing does not end", lc.name)
		}
		span := spanOf(links, q, below)
		ls, next, err := st.List(ctx, q)
		if err != nil {
			t.Fatalf("%s: %v", lc.name, err)
		}
		scanned, queries, maxLimit := c.take()
		if int(maxLimit) > q.Limit+1 {
			t.Errorf("%s: page %d asked a shard for %d entries, page of %d", lc.name, page, maxLimit, q.Limit)
		}
		if bound := lc.factor * (span + store.LinkListShards); scanned > bound {
			t.Errorf("%s: page %d read %d index entries in %d queries, it had %d to look at (bound %d)", lc.name, page, scanned, queries, span, bound)
		}
		if lc.steady && page > 0 && next != "" && scanned > 2*q.Limit {
			t.Errorf("%s: page %d read %d index entries for %d rows", lc.name, page, scanned, q.Limit)
		}
		for _, l := range ls {
			got = append(got, l.ID)
		}
		if next == "" {
			break
		}
		q.Cursor, below = next, cursorPos(t, next)
		links = append(links, insertBetween(t, env, r, lc, below, now, want)...)
	}
	t.Logf("%s: %d links listed", lc.name, len(got))
	var wantIDs []string
	for _, id := range expectList(links, lc.q) {
		if want[id] {
			wantIDs = append(wantIDs, id)
		}
	}
	sameIDs(t, lc.name, got, wantIDs)
}

// insertBetween writes up to three links of the case between two pages,
// made now or at a drawn time (so below the cursor, or above it), and
// marks in want those the rest of the walk must list: the matching ones
// below the cursor.
func insertBetween(t *testing.T, env *testenv.Env, r *rand.Rand, lc *listCase, below string, now time.Time, want map[string]bool) []*domain.Link {
	t.Helper()
	if r.Float64() >= lc.inserts {
		return nil
	}
	var made []*domain.Link
	for range 1 + r.IntN(3) {
		created := now
		if r.IntN(3) > 0 {
			created = lc.created()
		}
		l := shardLink(t, r, lc.m, created, lc.spread())
		made = append(made, l)
		if linkPos(l) < below && matches(l, lc.q) {
			want[l.ID] = true
		}
	}
	if err := env.Store.PutLinks(ctx, made); err != nil {
		t.Fatal(err)
	}
	return made
}
