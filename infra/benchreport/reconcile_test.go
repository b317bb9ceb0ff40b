package main

import (
	"bytes"
	"strings"
	"testing"
)

// The reconcile stage's line (BenchmarkReconcile) is a table of its own:
// the entries' rate, the peak memory held to its 200 MB bound, and the
// DynamoDB calls per entry by API; a run over the bound says so.
func TestReconcileTable(t *testing.T) {
	out := `BenchmarkReconcile/entries=100000-2   1  250000000000 ns/op  0.6343 GetItem/entry  2.000 PutItem/entry  0.7343 TransactWriteItems/entry  0.0050 UpdateItem/entry  3.374 ddb/entry  400.0 entries/s  40.60 file-MB  38.50 peak-heap-MB  71.20 peak-rss-MB
BenchmarkReconcile/entries=5000-2   1  25000000000 ns/op  2.000 PutItem/entry  2.000 ddb/entry  410.0 entries/s  2.1 file-MB  12.00 peak-heap-MB  230.5 peak-rss-MB
`
	rep := Build(Parse(strings.NewReader(out)), "testdata/prices.json", "testdata/heat.json", &bytes.Buffer{})
	if len(rep.Reconcile) != 2 || len(rep.Other) != 0 || rep.Reconcile[0].Name != "entries=100000" {
		t.Fatalf("reconcile %+v, other %+v", rep.Reconcile, rep.Other)
	}
	var b bytes.Buffer
	Print(&b, rep)
	s := b.String()
	for _, want := range []string{"Reconcile", "entries=100000", "400", "71.2", "38.5", "3.37", "0.634", "2.00", "0.734", "<= 200 MB", "ok", "OVER"} {
		if !strings.Contains(s, want) {
			t.Errorf("output lacks %q:\n%s", want, s)
		}
	}
	if strings.Count(s, "OVER") != 1 {
		t.Errorf("one run is over the bound:\n%s", s)
	}
}
