package perf

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"net/url"
	"os"
	"reflect"
	"testing"
	"time"

	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/money"
	"github.com/paylinks/paylinks/shared/store"
	"github.com/paylinks/paylinks/shared/testkit/testenv"
)

var updateBudget = flag.Bool("update-budget", false, "rewrite testdata/perf/budget.json from this run")

const budgetFile = "../../testdata/perf/budget.json"

// rcuSpread is the read units an operation may differ by from run to run:
// the sweep's 96 expiry queries read 1,000 random ids spread over 32
// shards, and each shard's result is rounded up to half a unit per 4 KB,
// so where the ids fall moves the total by a unit (32.75 or 33 measured).
// Its calls and writes stay exact.
var rcuSpread = map[string]float64{"sweep of 1000 due": 1}

// TestRoundTripBudget holds every operation to its exact DynamoDB round
// trips (by API), SQS calls and consumed capacity per run, as recorded in
// testdata/perf/budget.json: one more call, or a bigger item, fails here.
// After a deliberate change: go test ./tests/perf -run Budget -update-budget.
func TestRoundTripBudget(t *testing.T) {
	got := map[string]measured{}
	all := append(append(append(append([]op(nil), ops...), costOps...), reconcileOps...), sweepOp(1000), quietSweepOp(), listOp(5000))
	for _, o := range all {
		h := newHarness(t)
		n := 3
		if o.name == "sweep of 1000 due" {
			n = 2
		}
		got[o.name] = measure(t, h, o, n, nil)
	}
	if *updateBudget {
		b, _ := json.MarshalIndent(got, "", " ")
		if err := os.WriteFile(budgetFile, append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s", budgetFile)
		return
	}
	raw, err := os.ReadFile(budgetFile)
	if err != nil {
		t.Fatal(err)
	}
	var want map[string]measured
	if err := json.Unmarshal(raw, &want); err != nil {
		t.Fatal(err)
	}
	for name, w := range want {
		g, ok := got[name]
		if !ok {
			t.Errorf("%s: in the budget, not measured", name)
			continue
		}
		if !reflect.DeepEqual(g.DynamoDB, w.DynamoDB) || !reflect.DeepEqual(g.SQS, w.SQS) {
			t.Errorf("%s: DynamoDB %v SQS %v per run, budget DynamoDB %v SQS %v", name, g.DynamoDB, g.SQS, w.DynamoDB, w.SQS)
		}
		if math.Abs(g.RCU-w.RCU) > rcuSpread[name]+1e-6 || math.Abs(g.WCU-w.WCU) > 1e-6 {
			t.Errorf("%s: %.4g RCU %.4g WCU per run, budget %.4g RCU %.4g WCU", name, g.RCU, g.WCU, w.RCU, w.WCU)
		}
	}
	for name := range got {
		if _, ok := want[name]; !ok {
			t.Errorf("%s: measured but not in the budget (run with -update-budget)", name)
		}
	}
}

// listOp pages through the merchant's n links 50 at a time through the
// API: the warm-up run is the first page, run i the page after run i-1's,
// from its cursor (a listing's steady state). A page past the first reads
// about what it returns, as deep in 100,000 links as here: each shard read
// takes entries from the top of what is left below the cursor.
func listOp(n int) op {
	return op{fmt.Sprintf("list 50 of %d", n), func(tb testing.TB, h *harness, runs int) func(testing.TB, int) {
		h.listLinks(tb, n)
		cursor := ""
		return func(tb testing.TB, i int) {
			path := "/v1/payment-links?limit=50"
			if cursor != "" {
				path += "&cursor=" + url.QueryEscape(cursor)
			}
			rec := h.do(tb, "GET", path, "", nil)
			var v struct {
				Data []json.RawMessage `json:"data"`
				Next *string           `json:"next_cursor"`
			}
			if rec.Code != 200 || json.Unmarshal(rec.Body.Bytes(), &v) != nil || len(v.Data) != 50 || v.Next == nil {
				tb.Fatalf("list page %d: %d %.300s", i, rec.Code, rec.Body)
			}
			cursor = *v.Next
		}
	}}
}

// listLinks writes n links of the merchant a second apart, each in the
// listing shard a seeded draw gives it (its id drawn again until it falls
// there): what a page reads depends on how its links fall in the shards,
// and the budget holds it exactly.
func (h *harness) listLinks(tb testing.TB, n int) {
	tb.Helper()
	r := rand.New(rand.NewPCG(30, uint64(n)))
	newest := h.now.Add(-time.Minute).Truncate(time.Second)
	links := make([]*domain.Link, n)
	for k := range links {
		created := newest.Add(-time.Duration(k) * time.Second)
		id, sh := domain.NewID(domain.PrefixLink, created), r.IntN(store.LinkListShards)
		for store.LinkListShard(id) != sh {
			id = domain.NewID(domain.PrefixLink, created)
		}
		code, err := testenv.CodeKey.NewCode(merchantID, id)
		if err != nil {
			tb.Fatal(err)
		}
		links[k] = &domain.Link{ID: id, Merchant: merchantID, Code: code, Status: domain.StatusCreated, Amount: money.MustParse("EUR", "120.98"),
			AmountRefunded: money.Zero("EUR"), RefundCommitted: money.Zero("EUR"), Description: "Invoice 2026-113", Language: "en", Origin: domain.OriginAPI,
			Customer:  domain.Customer{FirstName: "Ana", LastName: "Peeters", Email: "ana@example.be"},
			ExpiresAt: created.Add(7 * 24 * time.Hour), CreatedAt: created, UpdatedAt: created}
	}
	if err := h.env.Store.PutLinks(context.Background(), links); err != nil {
		tb.Fatal(err)
	}
}
