package main

import (
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	out := `goos: linux
BenchmarkOps/create-2         	      20	   6026274 ns/op	         0 RCU/op	         8.000 WCU/op	         1.000 ddb/op	         2.994 p50-ms
BenchmarkThroughput/click/clients=8-2         	       1	2018844104 ns/op	        33.51 closed-p99-ms	       387.2 ops/s
BenchmarkSweep/due=1000/of=100000-2 1 123 ns/op 0.0865 RCU/expired
PASS`
	rs := Parse(strings.NewReader(out))
	if len(rs) != 3 || rs[0].Name != "Ops/create" || rs[0].Metrics["WCU/op"] != 8 || rs[0].Metrics["p50-ms"] != 2.994 ||
		rs[1].Name != "Throughput/click/clients=8" || rs[1].Metrics["ops/s"] != 387.2 || rs[2].Metrics["RCU/expired"] != 0.0865 {
		t.Fatalf("%+v", rs)
	}
}
