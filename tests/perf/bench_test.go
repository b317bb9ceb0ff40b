package perf

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
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
	"github.com/paylinks/paylinks/shared/testkit/testenv"
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
		"admin":   map[string]any{"action": "list_merchants"},
	}
}

// BenchmarkColdStart builds each function as deployed (-trimpath -s -w,
// lambda.norpc) and times, under AWS's Runtime Interface Emulator
// (aws-lambda-rie, pinned: rieVersion), a fresh emulator and bootstrap from
// exec to the answer of one invocation POSTed to its invoke endpoint (the
// emulator's start, the function's init, its clients and its first
// DynamoDB connection included); size is the linux/arm64 binary. Run with
// -benchtime 1x; each function is started 3 times, the median reported.
// Without aws-lambda-rie (PAYLINKS_RIE, .tools/rie, or a go install that
// fails) it skips, saying so.
func BenchmarkColdStart(b *testing.B) {
	rie := rieBinary(b)
	h := newHarness(b)
	dir := b.TempDir()
	evs := coldEvents(b, h)
	names := make([]string, 0, len(evs))
	for n := range evs {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, f := range spec.Functions {
		if _, ok := evs[f.Name]; !ok {
			b.Fatalf("no cold start event for function %s", f.Name)
		}
	}
	for _, name := range names {
		b.Run(name, func(b *testing.B) {
			bin := filepath.Join(dir, name, "bootstrap")
			if err := build(name, bin, runtime.GOOS, runtime.GOARCH); err != nil {
				b.Fatal(err)
			}
			arm := filepath.Join(dir, name+".arm64")
			if err := build(name, arm, "linux", "arm64"); err != nil {
				b.Fatal(err)
			}
			st, _ := os.Stat(arm)
			event, _ := json.Marshal(evs[name])
			var runs []time.Duration
			for i := 0; i < 3; i++ {
				d, err := coldStart(rie, bin, event, h)
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

// rieVersion is the aws-lambda-rie the cold starts run under (the one the
// LocalStack executor uses, infra/local/localstack.sh).
const rieVersion = "v0.0.0-20261030222936-bef5c4ba774d"

// rieBinary is aws-lambda-rie: $PAYLINKS_RIE, else .tools/rie/aws-lambda-rie,
// installed there from the Go module proxy when missing.
func rieBinary(b *testing.B) string {
	if p := os.Getenv("PAYLINKS_RIE"); p != "" {
		return p
	}
	gobin, err := filepath.Abs("../../.tools/rie")
	if err != nil {
		b.Fatal(err)
	}
	bin := filepath.Join(gobin, "aws-lambda-rie")
	if _, err := os.Stat(bin); err == nil {
		return bin
	}
	cmd := exec.Command("go", "install", "github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie@"+rieVersion)
	cmd.Env = append(os.Environ(), "GOBIN="+gobin, "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Skipf("aws-lambda-rie@%s could not be installed into %s (set PAYLINKS_RIE to one): %v: %s", rieVersion, gobin, err, out)
	}
	return bin
}

func build(name, out, goos, goarch string) error {
	cmd := exec.Command("go", "build", "-trimpath", "-tags", "lambda.norpc", "-ldflags", "-s -w", "-o", out, "../../functions/"+name)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+goos, "GOARCH="+goarch)
	if o, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("build %s: %v: %s", name, err, o)
	}
	return nil
}

// coldStart runs bin under aws-lambda-rie and times exec to the answer of
// one invocation POSTed to the emulator's invoke endpoint, as soon as it
// listens.
func coldStart(rie, bin string, event []byte, h *harness) (time.Duration, error) {
	port, apiPort := freePort(), freePort()
	if port == "" || apiPort == "" {
		return 0, fmt.Errorf("no free port on loopback")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, rie, "--runtime-interface-emulator-address", "127.0.0.1:"+port, "--runtime-api-address", "127.0.0.1:"+apiPort, bin)
	cmd.Dir = filepath.Dir(bin)
	env := append(os.Environ(), "TABLE_NAME="+h.env.Table, "PUBLIC_BASE_URL=http://127.0.0.1:1", "SANDBOX_ENABLED=1",
		"SANDBOX_SECRET=perf-cold-start-sandbox-secret-0123456789", "LINK_CODE_SECRET=perf-cold-start-link-code-secret-0123456789",
		"LOCAL_SEAL_KEY="+base64.StdEncoding.EncodeToString(testenv.Sealer.Key), "AWS_LAMBDA_FUNCTION_NAME=paylinks-cold", "LOG_LEVEL=error")
	for name, url := range h.env.Queues {
		env = append(env, spec.QueueEnv(name)+"="+url)
	}
	cmd.Env = env
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	client := &http.Client{Timeout: 60 * time.Second}
	url := "http://127.0.0.1:" + port + "/2015-03-31/functions/function/invocations"
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, fmt.Errorf("start %s: %w", rie, err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	for {
		c, err := net.DialTimeout("tcp", "127.0.0.1:"+port, 100*time.Millisecond)
		if err == nil {
			c.Close()
			break
		}
		if ctx.Err() != nil {
			return 0, fmt.Errorf("aws-lambda-rie did not listen in 60 s: %s", logs.String())
		}
		time.Sleep(2 * time.Millisecond)
	}
	resp, err := client.Post(url, "application/json", bytes.NewReader(event))
	if err != nil {
		return 0, fmt.Errorf("invoke: %w: %s", err, logs.String())
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	took := time.Since(start)
	if resp.StatusCode != http.StatusOK || bytes.Contains(body, []byte(`"errorType"`)) {
		return 0, fmt.Errorf("invoke: %d %s: %s", resp.StatusCode, body, logs.String())
	}
	return took, nil
}

// freePort is a TCP port free on loopback now.
func freePort() string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return ""
	}
	defer l.Close()
	return strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
}
