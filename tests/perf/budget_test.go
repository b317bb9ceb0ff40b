package perf

import (
	"encoding/json"
	"flag"
	"math"
	"os"
	"reflect"
	"testing"
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
	all := append(append(append([]op(nil), ops...), costOps...), sweepOp(1000))
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
