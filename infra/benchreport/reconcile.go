package main

import (
	"fmt"
	"io"
)

// reconcileLimitMB is the reconcile worker's memory bound on the
// benchmark's statement (issue 31): its peak resident memory, or its peak
// heap where the resident peak was not measured.
const reconcileLimitMB = 200

// reconcileAPIs are the DynamoDB APIs shown per entry, in this order.
var reconcileAPIs = []string{"GetItem", "PutItem", "TransactWriteItems", "UpdateItem", "BatchWriteItem", "BatchGetItem", "Query"}

// printReconcile writes the reconcile table: per run (BenchmarkReconcile,
// one statement file), its entries' rate, its peak memory against the
// bound, and its DynamoDB calls per entry, in all and by API.
func printReconcile(w io.Writer, rs []Result) {
	var rows [][]string
	for _, r := range rs {
		peak, ok := r.Metrics["peak-rss-MB"]
		if !ok {
			peak, ok = r.Metrics["peak-heap-MB"]
		}
		verdict := "-"
		if ok {
			verdict = "ok"
			if peak > reconcileLimitMB {
				verdict = "OVER"
			}
		}
		row := []string{r.Name, get(r, "file-MB"), get(r, "entries/s"), get(r, "peak-rss-MB"), get(r, "peak-heap-MB"), verdict, get(r, "ddb/entry")}
		for _, api := range reconcileAPIs {
			row = append(row, get(r, api+"/entry"))
		}
		rows = append(rows, row)
	}
	head := []string{"statement", "file MB", "entries/s", "peak RSS MB", "peak heap MB", fmt.Sprintf("<= %d MB", reconcileLimitMB), "DynamoDB/entry"}
	head = append(head, reconcileAPIs...)
	table(w, "Reconcile: one camt.053 dropped, through the reconcile worker against DynamoDB Local (peak RSS: VmHWM while reconciling; "+
		"heap sampled every 20 ms; DynamoDB calls per entry, by API)", head, rows)
}
