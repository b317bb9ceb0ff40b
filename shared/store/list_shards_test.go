package store_test

import (
	"encoding/base64"
	"errors"
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/shopspring/decimal"

	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/money"
	"github.com/paylinks/paylinks/shared/store"
	"github.com/paylinks/paylinks/shared/testkit/testenv"
)

// listFixture is a merchant's links as written and the window listed.
type listFixture struct {
	links    []*domain.Link
	from, to time.Time
}

var listCustomers = []domain.Customer{
	{FirstName: "Ana", LastName: "Peeters", Email: "ana@example.be"},
	{FirstName: "Bram", LastName: "Claes", Email: "bram@example.nl"},
	{CompanyName: "Zeta BV", Email: "billing@zeta.example"},
	{FirstName: "Chloé", LastName: "Dubois", Phone: "+32470000001"},
}

var listStatuses = []domain.Status{domain.StatusCreated, domain.StatusClicked, domain.StatusPaid, domain.StatusDeclined, domain.StatusExpired}

// seedListLinks writes n links of merchant m created over 100 days before
// now (so some fall outside a 90-day window), with mixed statuses,
// archived flags, amounts and customers.
func seedListLinks(t *testing.T, env *testenv.Env, m string, n int, now time.Time) []*domain.Link {
	t.Helper()
	r := rand.New(rand.NewPCG(19, 5200))
	span := 100 * 24 * time.Hour
	links := make([]*domain.Link, 0, n)
	for i := 0; i < n; i++ {
		created := now.Add(-time.Duration(r.Int64N(int64(span)))).Truncate(time.Millisecond)
		if i%97 == 0 && i > 0 { // a few share their millisecond with the previous link
			created = links[i-1].CreatedAt
		}
		id := domain.NewID(domain.PrefixLink, created)
		code, err := testenv.CodeKey.NewCode(m, id)
		if err != nil {
			t.Fatal(err)
		}
		amt := money.MustParse("EUR", fmt.Sprintf("%d.%02d", 1+r.IntN(500), r.IntN(100)))
		l := &domain.Link{
			ID: id, Merchant: m, Code: code, Status: listStatuses[r.IntN(len(listStatuses))],
			Amount: amt, AmountRefunded: money.Zero("EUR"), Description: "list " + id, Language: "en", Origin: domain.OriginAPI,
			Customer: listCustomers[r.IntN(len(listCustomers))], Archived: r.IntN(10) == 0,
			ExpiresAt: created.Add(30 * 24 * time.Hour), CreatedAt: created, UpdatedAt: created,
		}
		links = append(links, l)
	}
	if err := env.Store.PutLinks(ctx, links); err != nil {
		t.Fatal(err)
	}
	return links
}

// expectList is the in-memory answer of q over links: newest first
// (created, then id).
func expectList(links []*domain.Link, q store.ListQuery) []string {
	var out []*domain.Link
	for _, l := range links {
		if l.CreatedAt.Before(q.CreatedFrom) || l.CreatedAt.After(q.CreatedTo) || l.Archived != q.Archived ||
			(q.Status != "" && l.Status != q.Status) || (q.Reference != "" && l.Reference != q.Reference) ||
			(q.Customer != "" && !strings.Contains(store.CustomerSearch(l.Customer), strings.ToLower(q.Customer))) ||
			(q.AmountMin != nil && l.Amount.Value.LessThan(*q.AmountMin)) ||
			(q.AmountMax != nil && l.Amount.Value.GreaterThan(*q.AmountMax)) {
			continue
		}
		out = append(out, l)
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].CreatedAt.Equal(out[j].CreatedAt) {
			return out[i].CreatedAt.After(out[j].CreatedAt)
		}
		return out[i].ID > out[j].ID
	})
	ids := make([]string, len(out))
	for i, l := range out {
		ids[i] = l.ID
	}
	return ids
}

// walkList reads every page of q and returns the ids in the order listed,
// failing on a page over the limit, a duplicate or an order break.
func walkList(t *testing.T, env *testenv.Env, q store.ListQuery) []string {
	t.Helper()
	var ids []string
	seen := map[string]bool{}
	var last *domain.Link
	for pages := 0; ; pages++ {
		if pages > 200 {
			t.Fatalf("listing %+v does not end", q)
		}
		page, next, err := env.Store.List(ctx, q)
		if err != nil {
			t.Fatalf("list %+v: %v", q, err)
		}
		if len(page) > q.Limit {
			t.Fatalf("page of %d links, limit %d", len(page), q.Limit)
		}
		for _, l := range page {
			if seen[l.ID] {
				t.Fatalf("%s listed twice", l.ID)
			}
			if last != nil && (l.CreatedAt.After(last.CreatedAt) || l.CreatedAt.Equal(last.CreatedAt) && l.ID > last.ID) {
				t.Fatalf("%s (%s) listed after %s (%s): not newest first", l.ID, l.CreatedAt, last.ID, last.CreatedAt)
			}
			seen[l.ID], last = true, l
			ids = append(ids, l.ID)
		}
		if next == "" {
			return ids
		}
		q.Cursor = next
	}
}

func sameIDs(t *testing.T, what string, got, want []string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d links listed, want %d", what, len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("%s: link %d is %s, want %s", what, i, got[i], want[i])
		}
	}
}

// TestListAcrossShards lists 5,200 links spread over the listing index's
// shards page by page and with every filter: the pages must be exactly the
// in-memory answer, newest first, without gap or duplicate.
func TestListAcrossShards(t *testing.T) {
	env := testenv.New(t)
	now := time.Now().UTC().Truncate(time.Millisecond)
	links := seedListLinks(t, env, "big", 5200, now)
	// Three links with a reference go through Create (their markers).
	for i, ref := range []string{"ORDER-1", "ORDER-2", "ORDER-3"} {
		l, ev := newLink(t, "big", ref, now.Add(-time.Duration(i+1)*time.Hour))
		if err := env.Store.CreateLink(ctx, store.NewLink{Link: l, Event: ev}); err != nil {
			t.Fatal(err)
		}
		links = append(links, l)
	}
	everyShardHoldsLinks(t, env, "big")
	f := listFixture{links: links, from: now.Add(-90 * 24 * time.Hour), to: now}
	base := store.ListQuery{Merchant: "big", CreatedFrom: f.from, CreatedTo: f.to}
	outside := 0
	for _, l := range links {
		if l.CreatedAt.Before(f.from) {
			outside++
		}
	}
	if outside == 0 {
		t.Fatal("no link outside the window")
	}

	for _, limit := range []int{137, 500} {
		q := base
		q.Limit = limit
		sameIDs(t, fmt.Sprintf("all, pages of %d", limit), walkList(t, env, q), expectList(links, q))
	}
	listFilters(t, env, f, base)
	listBadCursors(t, env, base)
	listPageCalls(t, env, base)
}

func listFilters(t *testing.T, env *testenv.Env, f listFixture, base store.ListQuery) {
	t.Helper()
	d := func(s string) *decimal.Decimal { v := decimal.RequireFromString(s); return &v }
	cases := map[string]func(q *store.ListQuery){
		"status paid":    func(q *store.ListQuery) { q.Status = domain.StatusPaid },
		"status created": func(q *store.ListQuery) { q.Status = domain.StatusCreated },
		"customer":       func(q *store.ListQuery) { q.Customer = "ZETA" },
		"amount_min":     func(q *store.ListQuery) { q.AmountMin = d("250.50") },
		"amount_max":     func(q *store.ListQuery) { q.AmountMax = d("20") },
		"archived":       func(q *store.ListQuery) { q.Archived = true },
		"created window": func(q *store.ListQuery) {
			q.CreatedFrom, q.CreatedTo = f.to.Add(-40*24*time.Hour), f.to.Add(-10*24*time.Hour)
		},
		"reference":       func(q *store.ListQuery) { q.Reference = "ORDER-2" },
		"reference other": func(q *store.ListQuery) { q.Reference = "ORDER-2"; q.Status = domain.StatusPaid },
		"combination": func(q *store.ListQuery) {
			q.Status, q.Customer, q.AmountMin, q.AmountMax = domain.StatusClicked, "example", d("100"), d("400")
		},
	}
	for name, set := range cases {
		limit := 500
		if name == "status paid" || name == "customer" {
			limit = 137
		}
		q := base
		q.Limit = limit
		set(&q)
		want := expectList(f.links, q)
		if len(want) == 0 && name != "reference other" {
			t.Fatalf("%s: the fixture has no match", name)
		}
		sameIDs(t, name, walkList(t, env, q), want)
	}
}

func listBadCursors(t *testing.T, env *testenv.Env, base store.ListQuery) {
	t.Helper()
	q := base
	q.Limit, q.Status = 10, domain.StatusPaid
	_, next, err := env.Store.List(ctx, q)
	if err != nil || next == "" {
		t.Fatalf("first page: %q %v", next, err)
	}
	other := q
	other.Cursor, other.Status = next, domain.StatusCreated
	none := q
	none.Cursor, none.Status = next, ""
	elsewhere := q
	elsewhere.Cursor, elsewhere.Merchant = next, "small"
	v1 := q
	v1.Cursor = base64.RawURLEncoding.EncodeToString([]byte(`{"PK":"M#big","SK":"L#pl_01JD3Q4ZK1W8Y6N0M5C2B7V9XA","G1PK":"M#big#S#paid","G1SK":"2026-01-01T00:00:00.000Z#pl_01JD3Q4ZK1W8Y6N0M5C2B7V9XA"}`))
	tampered := q
	b := []byte(next)
	b[0] ^= 1
	tampered.Cursor = string(b)
	truncated := q
	truncated.Cursor = next[:len(next)/2]
	garbage := q
	garbage.Cursor = "!!not base64!!"
	for name, bad := range map[string]store.ListQuery{"other status": other, "no status": none, "other merchant": elsewhere, "v1": v1, "tampered": tampered, "truncated": truncated, "garbage": garbage} {
		if _, _, err := env.Store.List(ctx, bad); !errors.Is(err, domain.ErrBadCursor) {
			t.Errorf("%s cursor: %v, want ErrBadCursor", name, err)
		}
	}
}

// listPageCalls: an unfiltered page reads every shard at least once, the
// shards it needs more of again (about twice as many queries as shards,
// at most three times), and its links with one BatchGetItem.
func listPageCalls(t *testing.T, env *testenv.Env, base store.ListQuery) {
	t.Helper()
	q := base
	q.Limit = 50
	env.Count.Reset()
	page, next, err := env.Store.List(ctx, q)
	if err != nil || len(page) != 50 || next == "" {
		t.Fatalf("page: %d %q %v", len(page), next, err)
	}
	s := env.Count.Snapshot()
	if s["Query"] < store.LinkListShards || s["Query"] > 3*store.LinkListShards || s["BatchGetItem"] != 1 || env.Count.Total() != s["Query"]+1 {
		t.Fatalf("a page took %v, want %d to %d Query and 1 BatchGetItem", s, store.LinkListShards, 3*store.LinkListShards)
	}
}

// everyShardHoldsLinks: each of the merchant's listing partitions has links.
func everyShardHoldsLinks(t *testing.T, env *testenv.Env, m string) {
	t.Helper()
	for s := 0; s < store.LinkListShards; s++ {
		pk := fmt.Sprintf("M#%s#LINKS#%02d", m, s)
		out, err := env.DB.Query(ctx, &dynamodb.QueryInput{
			TableName: aws.String(env.Table), IndexName: aws.String(store.IndexList),
			KeyConditionExpression:    aws.String("GSI1PK = :pk"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: pk}},
			Select:                    types.SelectCount,
		})
		if err != nil {
			t.Fatal(err)
		}
		if out.Count == 0 {
			t.Fatalf("listing shard %s is empty", pk)
		}
	}
}
