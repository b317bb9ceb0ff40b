package main

import (
	"bytes"
	"math"
	"strings"
	"testing"

	"github.com/paylinks/paylinks/shared/spec"
)

func TestParse(t *testing.T) {
	out := `goos: linux
BenchmarkOps/create-2         	      20	   6026274 ns/op	         0 RCU/op	         8.000 WCU/op	         1.000 ddb/op	         2.994 p50-ms
BenchmarkThroughput/click/clients=8-2         	       1	2018844104 ns/op	        33.51 closed-p99-ms	       387.2 ops/s
BenchmarkSweep/due=1000/of=100000-2 1 123 ns/op 0.0865 RCU/expired
BenchmarkOps/stream_record-2                     	SDK 2026/12/06 21:54:38 WARN failed to discard remaining HTTP response body
     200	  24726044 ns/op	         1.000 RCU/op	         8.000 WCU/op
PASS`
	rs := Parse(strings.NewReader(out))
	if len(rs) != 4 || rs[3].Name != "Ops/stream_record" || rs[3].Metrics["WCU/op"] != 8 || rs[0].Name != "Ops/create" || rs[0].Metrics["WCU/op"] != 8 || rs[0].Metrics["p50-ms"] != 2.994 ||
		rs[1].Name != "Throughput/click/clients=8" || rs[1].Metrics["ops/s"] != 387.2 || rs[2].Metrics["RCU/expired"] != 0.0865 {
		t.Fatalf("%+v", rs)
	}
}

// A make bench output with the cost recipe's operations and the key-heat
// stage: the heat rows carry build/heat.json's key names and the targets'
// verdicts; the cost line is priced from a fixed prices file.
const sample = `BenchmarkOps/create_with_send-2   200  1 ns/op  8.000 WCU/op  0 RCU/op  1.000 sqs/op  4.000 p50-ms  1.000 ddb/op
BenchmarkOps/send-2               200  1 ns/op  3.000 WCU/op  1.000 RCU/op  0 sqs/op  2.000 p50-ms
BenchmarkOps/first_click-2        200  1 ns/op  6.000 WCU/op  0 RCU/op  0 sqs/op  8.000 p50-ms
BenchmarkOps/webhook_ingest-2     200  1 ns/op  2.000 WCU/op  0 RCU/op  1.000 sqs/op  2.000 p50-ms
BenchmarkOps/webhook_apply-2      200  1 ns/op  14.00 WCU/op  0 RCU/op  0 sqs/op  4.000 p50-ms
BenchmarkOps/stream_record-2      200  1 ns/op  1.000 WCU/op  0 RCU/op  1.000 sqs/op  1.000 p50-ms
BenchmarkOps/webhook_delivery-2   200  1 ns/op  2.000 WCU/op  1.000 RCU/op  0 sqs/op  3.000 p50-ms
BenchmarkHeat/create-2     1  3432 ns/op  4.000 RCU  17800 WCU  288.6 allowed/s  0.3893 hot-share  2000 ops  5000 target/s
BenchmarkHeat/list_page-2  1  1471 ns/op  260.0 RCU  0 WCU  230.8 allowed/s  1.000 hot-share  20.00 ops
BenchmarkHeat/click-2      1  2041 ns/op  3.000 RCU  17146 WCU  25000 allowed/s  0.01 hot-share  3000 ops  20000 target/s
BenchmarkHeat/run-2        1  1350 ns/op  1672 RCU  56207 WCU  0.9982 hot-rshare  0.4260 hot-wshare
`

func TestHeatAndCost(t *testing.T) {
	var errs bytes.Buffer
	rep := Build(Parse(strings.NewReader(sample)), "testdata/prices.json", "testdata/heat.json", &errs)
	if errs.Len() > 0 {
		t.Fatalf("errors: %s", errs.String())
	}
	checkHeatRows(t, rep.Heat)
	checkCost(t, rep.Cost)
	var out bytes.Buffer
	Print(&out, rep)
	for _, s := range []string{"Key heat", "table M#perf", ">= 5000: FAIL", ">= 20000: pass", "Cost per 1,000 paid links", "prices as of 2026-01-01",
		"DynamoDB writes", "45.0 WRU", "$0.0450", "not included: SES e-mail (about $0.10 per 1,000)", "whole run: 56207 WCU, hottest table M#perf 42.6%"} {
		if !strings.Contains(out.String(), s) {
			t.Errorf("output lacks %q:\n%s", s, out.String())
		}
	}
}

func checkHeatRows(t *testing.T, rows []HeatRow) {
	t.Helper()
	if len(rows) != 4 {
		t.Fatalf("heat rows %+v", rows)
	}
	c, l, k, run := rows[0], rows[1], rows[2], rows[3]
	if c.Phase != "create" || c.HotKey != "table M#perf" || c.Ops != 2000 || c.Pass == nil || *c.Pass || c.Target != 5000 {
		t.Errorf("create %+v", c)
	}
	if l.Phase != "list page" || l.HotKey != "table M#perf" || l.Pass != nil || l.RCU != 260 {
		t.Errorf("list %+v", l)
	}
	if k.Phase != "click" || k.Pass == nil || !*k.Pass || k.HotKey != "" {
		t.Errorf("click %+v", k)
	}
	if run.Phase != "run" || run.HotShare != 0.426 || run.ReadShare != 0.9982 || run.HotKey != "table M#perf" {
		t.Errorf("run %+v", run)
	}
}

func checkCost(t *testing.T, c *Cost) {
	t.Helper()
	if c == nil {
		t.Fatal("no cost")
	}
	// Per paid link: WCU 8+3+6+2+14+4x1+4x2 = 45, RCU 1+4 = 5, SQS 1+1+4
	// sends + 6 x 2 = 18, API 3, 13 invocations, duration sum(p50 x n) =
	// 36 ms at each function's memory.
	gbs := 0.0
	for _, s := range []struct {
		fn string
		ms float64
	}{{"create", 4}, {"send", 2}, {"redirect", 8}, {"webhook", 2}, {"apply", 4}, {"stream", 4}, {"deliver", 12}} {
		f, _ := spec.Lookup(s.fn)
		gbs += s.ms / 1000 * float64(f.Memory) / 1024
	}
	want := map[string][2]float64{
		"DynamoDB writes": {45, 0.045}, "DynamoDB reads": {5, 0.001}, "SQS": {18, 0.009}, "API Gateway": {3, 0.006},
		"Lambda requests": {13, 0.0013}, "Lambda duration": {gbs, gbs * 0.00001 * 1000},
	}
	total := 0.0
	for _, line := range c.Lines {
		w, ok := want[line.Service]
		if !ok || math.Abs(line.Quantity-w[0]) > 1e-9 || math.Abs(line.USD1000-w[1]) > 1e-12 {
			t.Errorf("%s: %v %s, $%v; want %v, $%v", line.Service, line.Quantity, line.Unit, line.USD1000, w[0], w[1])
		}
		total += w[1]
		delete(want, line.Service)
	}
	if len(want) > 0 || math.Abs(c.TotalUSD1000-total) > 1e-12 || c.PricesAsOf != "2026-01-01" {
		t.Errorf("missing %v; total %v want %v; %+v", want, c.TotalUSD1000, total, c)
	}
}

// Without every operation of the recipe there is no cost line, and why is
// said.
func TestCostNeedsEveryOperation(t *testing.T) {
	var errs bytes.Buffer
	partial := strings.Join(strings.Split(sample, "\n")[1:], "\n") // no create with send
	rep := Build(Parse(strings.NewReader(partial)), "testdata/prices.json", "testdata/heat.json", &errs)
	if rep.Cost != nil || !strings.Contains(errs.String(), "not measured: create with send") {
		t.Fatalf("cost %+v, errors %q", rep.Cost, errs.String())
	}
}
