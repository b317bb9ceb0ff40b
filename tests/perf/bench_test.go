package perf

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
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
