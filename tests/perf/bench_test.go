package perf

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/paylinks/paylinks/shared/spec"
)

// BenchmarkOps runs each operation (and the cost line's, costOps) b.N
// times after a warm-up run and
// reports, per run: DynamoDB round trips and consumed capacity, SQS calls,
// the handler's p50/p99 latency, and x-sdk: the handler's time over the
// time spent inside the SDK calls it made (same client, same items, same
// run), so x-sdk - 1 is the cost of paylinks' own code.
func BenchmarkOps(b *testing.B) {
	for _, o := range append(append([]op(nil), ops...), costOps...) {
		b.Run(strings.ReplaceAll(o.name, " ", "_"), func(b *testing.B) { report(b, o) })
	}
}

// BenchmarkSweepOp is one sweep of 1,000 due links per run (-benchtime 3x).
func BenchmarkSweepOp(b *testing.B) {
	b.Run("sweep_of_1000_due", func(b *testing.B) { report(b, sweepOp(1000)) })
}

func report(b *testing.B, o op) {
	h := newHarness(b)
	b.StopTimer()
	m := measure(b, h, o, b.N, func(start bool) {
		if start {
			b.StartTimer()
		} else {
			b.StopTimer()
		}
	})
	var sum time.Duration
	for _, l := range m.latencies {
		sum += l
	}
	b.ReportMetric(total(m.DynamoDB), "ddb/op")
	b.ReportMetric(m.RCU, "RCU/op")
	b.ReportMetric(m.WCU, "WCU/op")
	b.ReportMetric(total(m.SQS), "sqs/op")
	b.ReportMetric(ms(percentile(m.latencies, 0.50)), "p50-ms")
	b.ReportMetric(ms(percentile(m.latencies, 0.99)), "p99-ms")
	if m.inSDK > 0 && !strings.HasPrefix(o.name, "sweep") { // the sweep's calls overlap: no ratio
		b.ReportMetric(float64(sum)/float64(m.inSDK), "x-sdk")
	}
}

func benchSeconds() time.Duration {
	if v, err := strconv.ParseFloat(os.Getenv("BENCH_SECONDS"), 64); err == nil && v > 0 {
		return time.Duration(v * float64(time.Second))
	}
	return 3 * time.Second
}

// BenchmarkThroughput drives clicks and creates over HTTP (loopback) at 1, 8
// and 32 concurrent clients: a closed loop for the rate each sustains, then
// an open loop (requests sent on a fixed arrival schedule at half that
// rate, latency counted from when each was due, so a slow answer delays
// nothing behind it unmeasured) for p50/p99. Run with -benchtime 1x.
func BenchmarkThroughput(b *testing.B) {
	for _, kind := range []string{"click", "create"} {
		for _, clients := range []int{1, 8, 32} {
			b.Run(fmt.Sprintf("%s/clients=%d", kind, clients), func(b *testing.B) {
				h := newHarness(b)
				srv := httptest.NewServer(h.h)
				defer srv.Close()
				client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients, MaxConnsPerHost: clients},
					CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
				var do func() error
				switch kind {
				case "click":
					l := h.clicked(b)
					do = func() error {
						return call(client, "GET", srv.URL+"/l/"+l.Code, "", map[string]string{"User-Agent": browserUA}, 302)
					}
				case "create":
					do = func() error {
						return call(client, "POST", srv.URL+"/v1/payment-links", createBody, map[string]string{"Authorization": "Bearer " + h.key}, 201)
					}
				}
				if err := do(); err != nil { // warm caches and connections
					b.Fatal(err)
				}
				d := benchSeconds()
				b.ResetTimer()
				rate, closedLat := closedLoop(b, clients, d, do)
				openLat := openLoop(b, clients, d, 0.5*rate, do)
				b.StopTimer()
				b.ReportMetric(rate, "ops/s")
				b.ReportMetric(ms(percentile(closedLat, 0.99)), "closed-p99-ms")
				b.ReportMetric(0.5*rate, "open-rate/s")
				b.ReportMetric(ms(percentile(openLat, 0.50)), "p50-ms")
				b.ReportMetric(ms(percentile(openLat, 0.99)), "p99-ms")
			})
		}
	}
}

func call(c *http.Client, method, url, body string, header map[string]string, want int) error {
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != want {
		return fmt.Errorf("%s %s: %d", method, url, resp.StatusCode)
	}
	return nil
}

// closedLoop runs clients workers back to back for d.
func closedLoop(b *testing.B, clients int, d time.Duration, do func() error) (float64, []time.Duration) {
	var mu sync.Mutex
	var lat []time.Duration
	var wg sync.WaitGroup
	end := time.Now().Add(d)
	start := time.Now()
	for w := 0; w < clients; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			for time.Now().Before(end) {
				t := time.Now()
				if err := do(); err != nil {
					b.Error(err)
					return
				}
				mine = append(mine, time.Since(t))
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	return float64(len(lat)) / time.Since(start).Seconds(), lat
}

// openLoop sends at rate per second for d, each request handed to one of
// clients workers when due; latency runs from the due time.
func openLoop(b *testing.B, clients int, d time.Duration, rate float64, do func() error) []time.Duration {
	if rate <= 0 {
		return nil
	}
	interval := time.Duration(float64(time.Second) / rate)
	due := make(chan time.Time, 1<<16)
	var mu sync.Mutex
	var lat []time.Duration
	var wg sync.WaitGroup
	for w := 0; w < clients; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for t := range due {
				if err := do(); err != nil {
					b.Error(err)
					continue
				}
				l := time.Since(t)
				mu.Lock()
				lat = append(lat, l)
				mu.Unlock()
			}
		}()
	}
	start := time.Now()
	for k := 0; ; k++ {
		t := start.Add(time.Duration(k) * interval)
		if t.Sub(start) >= d {
			break
		}
		time.Sleep(time.Until(t))
		due <- t
	}
	close(due)
	wg.Wait()
	return lat
}

// functions are the deployed binaries (functions/*), each with the event
// its first invocation gets.
func coldEvents(tb testing.TB, h *harness) map[string]any {
	l := h.link(tb, createBody)
	httpEv := func(method, path string, headers map[string]string, body string) map[string]any {
		return map[string]any{"version": "2.0", "routeKey": "$default", "rawPath": path, "rawQueryString": "", "headers": headers, "body": body,
			"isBase64Encoded": false, "requestContext": map[string]any{"http": map[string]any{"method": method, "path": path, "sourceIp": "203.0.113.9", "userAgent": browserUA},
				"requestId": "cold", "stage": "$default", "timeEpoch": time.Now().UnixMilli()}}
	}
	sqsEv := func(body string) map[string]any {
		return map[string]any{"Records": []any{map[string]any{"messageId": "cold-1", "receiptHandle": "rh", "body": body,
			"attributes": map[string]string{"ApproximateReceiveCount": "1"}, "eventSource": "aws:sqs"}}}
	}
	stream, _ := os.ReadFile("../../events/stream/link-paid.json")
	var streamEv any
	_ = json.Unmarshal(stream, &streamEv)
	return map[string]any{
		"api":      httpEv("GET", "/v1/payment-links/"+l.ID, map[string]string{"authorization": "Bearer " + h.key}, ""),
		"create":   httpEv("POST", "/v1/payment-links", map[string]string{"authorization": "Bearer " + h.key, "content-type": "application/json"}, createBody),
		"redirect": httpEv("GET", "/l/"+l.Code, map[string]string{"user-agent": browserUA}, ""),
		"sandbox":  httpEv("GET", "/sandbox/checkout/cs_unknown", map[string]string{"user-agent": browserUA}, ""),
		"webhook":  httpEv("POST", "/webhooks/psp/sandbox/"+merchantID, map[string]string{"content-type": "application/json", "sandbox-signature": "t=1,v1=00"}, "{}"),
		"apply": sqsEv(`{"merchant":"perf","provider":"sandbox","event":{"id":"evt_cold","kind":"payment_failed","link_id":"` + l.ID +
			`","attempt":7,"at":"2026-11-23T10:00:00Z"}}`),
		"refund":  sqsEv(`{"merchant":"perf","link_id":"` + l.ID + `","refund_id":"re_01JD3Q4ZK1W8Y6N0M5C2B7V9XA"}`),
		"send":    sqsEv(`{"merchant":"perf","link_id":"` + l.ID + `","channel":"email","send_id":"cold","kind":"link"}`),
		"import":  sqsEv(`{"merchant":"perf","import_id":"im_01JD3Q4ZK1W8Y6N0M5C2B7V9XA","batch":0}`),
		"deliver": sqsEv(`{"merchant":"perf","delivery_id":"msg_01JD3Q4ZK1W8Y6N0M5C2B7V9XA","gen":0}`),
		"stream":  streamEv,
		"sweep":   map[string]any{"version": "0", "id": "cold", "detail-type": "Scheduled Event", "source": "aws.events", "detail": map[string]any{}},
	}
}

// BenchmarkColdStart builds each function as deployed (-trimpath -s -w,
// lambda.norpc) and times a fresh process from exec to the answer of its
// first invocation through a local Lambda Runtime API (init, clients, the
// first DynamoDB connection included); size is the linux/arm64 binary.
// Run with -benchtime 1x; each function is started 3 times, the median
// reported.
func BenchmarkColdStart(b *testing.B) {
	h := newHarness(b)
	dir := b.TempDir()
	evs := coldEvents(b, h)
	names := make([]string, 0, len(evs))
	for n := range evs {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		b.Run(name, func(b *testing.B) {
			bin := filepath.Join(dir, name)
			if err := build(name, bin, runtime.GOOS, runtime.GOARCH); err != nil {
				b.Fatal(err)
			}
			arm := bin + ".arm64"
			if err := build(name, arm, "linux", "arm64"); err != nil {
				b.Fatal(err)
			}
			st, _ := os.Stat(arm)
			event, _ := json.Marshal(evs[name])
			var runs []time.Duration
			for i := 0; i < 3; i++ {
				d, err := coldStart(bin, event, h)
				if err != nil {
					b.Fatalf("%s: %v", name, err)
				}
				runs = append(runs, d)
			}
			b.ReportMetric(ms(percentile(runs, 0.5)), "cold-ms")
			b.ReportMetric(float64(st.Size())/(1<<20), "size-MB")
		})
	}
}

func build(name, out, goos, goarch string) error {
	cmd := exec.Command("go", "build", "-trimpath", "-tags", "lambda.norpc", "-ldflags", "-s -w", "-o", out, "../../functions/"+name)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+goos, "GOARCH="+goarch)
	if o, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("build %s: %v: %s", name, err, o)
	}
	return nil
}

// coldStart runs bin against a one-invocation Runtime API.
func coldStart(bin string, event []byte, h *harness) (time.Duration, error) {
	answered := make(chan error, 1)
	served := false
	var mu sync.Mutex
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method == "GET" && r.URL.Path == "/2018-06-01/runtime/invocation/next":
			mu.Lock()
			first := !served
			served = true
			mu.Unlock()
			if !first {
				<-r.Context().Done() // no second invocation
				return
			}
			w.Header().Set("Lambda-Runtime-Aws-Request-Id", "cold-req")
			w.Header().Set("Lambda-Runtime-Deadline-Ms", strconv.FormatInt(time.Now().Add(60*time.Second).UnixMilli(), 10))
			w.Header().Set("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:us-east-1:123456789012:function:paylinks-cold")
			_, _ = w.Write(event)
		case r.Method == "POST" && strings.HasSuffix(r.URL.Path, "/response"):
			_, _ = io.Copy(io.Discard, r.Body)
			w.WriteHeader(202)
			answered <- nil
		case r.Method == "POST" && strings.HasSuffix(r.URL.Path, "/error"):
			body, _ := io.ReadAll(r.Body)
			w.WriteHeader(202)
			answered <- fmt.Errorf("invocation error: %s", body)
		default:
			body, _ := io.ReadAll(r.Body)
			w.WriteHeader(202)
			answered <- fmt.Errorf("%s %s: %s", r.Method, r.URL.Path, body)
		}
	}))
	defer api.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin)
	env := append(os.Environ(), "AWS_LAMBDA_RUNTIME_API="+strings.TrimPrefix(api.URL, "http://"), "TABLE_NAME="+h.env.Table,
		"PUBLIC_BASE_URL=http://127.0.0.1:1", "SANDBOX_SECRET=cold", "AWS_LAMBDA_FUNCTION_NAME=paylinks-cold", "LOG_LEVEL=error")
	for name, url := range h.env.Queues {
		env = append(env, spec.QueueEnv(name)+"="+url)
	}
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	select {
	case err := <-answered:
		return time.Since(start), err
	case <-ctx.Done():
		return 0, fmt.Errorf("no answer in 60 s")
	}
}
