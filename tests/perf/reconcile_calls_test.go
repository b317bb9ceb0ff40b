package perf

import (
	"testing"
)

// TestReconcileRoundTripsPerEntry holds reconciling a statement to its
// round trips per entry, by kind of entry (issue 31's budget): a credit
// that pays a link or is kept for review is one guarded transaction (its
// claim and record in it) and its share of one batch read; a duplicate,
// and a debit's record, is a share of batches; a debit claims its identity
// in one conditional put. What a statement costs whatever its entries (the
// merchant's check, the statement made, leased, validated, checkpointed,
// released) is the allowance.
func TestReconcileRoundTripsPerEntry(t *testing.T) {
	if testing.Short() {
		t.Skip("needs DynamoDB Local and moto")
	}
	const per = 50
	const allowance = 10 // per statement, whatever its entries
	cases := []struct {
		kind string
		// most calls per entry, by API; an API not named: none per entry
		most map[string]float64
	}{
		{"matched credits", map[string]float64{"TransactWriteItems": 1}},
		{"credits naming no link", map[string]float64{"TransactWriteItems": 1}},
		{"duplicates", map[string]float64{}},
		{"debits", map[string]float64{"PutItem": 1}},
	}
	for _, c := range cases {
		h := newHarness(t)
		m := measure(t, h, reconcileOp(c.kind, per), 2, nil)
		total := 0.0
		for api, n := range m.DynamoDB {
			total += n
			if n > c.most[api]*per+allowance {
				t.Errorf("%s: %.0f %s calls for %d entries, at most %.0f", c.kind, n, api, per, c.most[api]*per+allowance)
			}
		}
		budget := allowance * 2.0
		for _, n := range c.most {
			budget += n * per
		}
		if total > budget {
			t.Errorf("%s: %.0f DynamoDB calls for %d entries (%v), at most %.0f", c.kind, total, per, m.DynamoDB, budget)
		}
		t.Logf("%s: %v per statement of %d entries", c.kind, m.DynamoDB, per)
	}
}
