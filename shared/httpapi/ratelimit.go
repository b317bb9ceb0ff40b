package httpapi

import (
	"math"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/paylinks/paylinks/shared/problem"
	"github.com/paylinks/paylinks/shared/reqlog"
)

// Limits are the API's rate limits, token buckets kept by each warm
// function: per merchant (every authenticated request takes a token) and
// per client address for failed authentications (after a burst of wrong
// keys an address is refused before any key lookup reads the table). API
// Gateway's stage throttling (cdk.json) bounds the whole API above them.
type Limits struct {
	rate  rate.Limit
	burst int

	mu       sync.Mutex
	merchant map[string]*bucket
	failed   map[string]*bucket
	swept    time.Time
}

type bucket struct {
	lim  *rate.Limiter
	used time.Time
}

// Failed-authentication limit per client address: 10 a minute, 20 at once.
const (
	failedRate  = rate.Limit(10.0 / 60)
	failedBurst = 20
)

// NewLimits makes the limits: perSecond requests per second per merchant
// with a burst (25 and 50 when zero).
func NewLimits(perSecond float64, burst int) *Limits {
	if perSecond <= 0 {
		perSecond = 25
	}
	if burst <= 0 {
		burst = 50
	}
	return &Limits{rate: rate.Limit(perSecond), burst: burst, merchant: map[string]*bucket{}, failed: map[string]*bucket{}}
}

func (l *Limits) get(m map[string]*bucket, key string, r rate.Limit, burst int, now time.Time) *rate.Limiter {
	if now.Sub(l.swept) > 10*time.Minute { // forget idle buckets (they are full again anyway)
		for _, mm := range []map[string]*bucket{l.merchant, l.failed} {
			for k, b := range mm {
				if now.Sub(b.used) > 10*time.Minute {
					delete(mm, k)
				}
			}
		}
		l.swept = now
	}
	b, ok := m[key]
	if !ok {
		b = &bucket{lim: rate.NewLimiter(r, burst)}
		m[key] = b
	}
	b.used = now
	return b.lim
}

// take takes a merchant's token; on refusal it says when one is back.
func (l *Limits) take(merchantID string, now time.Time) (ok bool, remaining int, retry time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	lim := l.get(l.merchant, merchantID, l.rate, l.burst, now)
	ok = lim.AllowN(now, 1)
	tokens := lim.TokensAt(now)
	if !ok {
		retry = time.Duration((1 - tokens) / float64(l.rate) * float64(time.Second))
	}
	return ok, int(math.Max(0, math.Floor(tokens))), retry
}

// blocked reports an address that failed authentication too often.
func (l *Limits) blocked(addr string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.failed[addr]
	return ok && b.lim.TokensAt(now) < 1
}

// failedAuth counts a failed authentication of an address.
func (l *Limits) failedAuth(addr string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.get(l.failed, addr, failedRate, failedBurst, now).AllowN(now, 1)
}

// clientAddr is the request's source address (API Gateway's sourceIp, which
// the Lambda adapter puts in RemoteAddr).
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// rateHeaders writes the IETF RateLimit fields (limit, remaining, reset in
// seconds) on an answer.
func (l *Limits) rateHeaders(w http.ResponseWriter, remaining int, retry time.Duration) {
	h := w.Header()
	h.Set("RateLimit-Limit", strconv.Itoa(l.burst))
	h.Set("RateLimit-Remaining", strconv.Itoa(remaining))
	reset := int(math.Ceil(retry.Seconds()))
	if remaining > 0 {
		reset = 0
	}
	h.Set("RateLimit-Reset", strconv.Itoa(reset))
	h.Set("RateLimit-Policy", strconv.Itoa(l.burst)+";w=1;burst="+strconv.Itoa(l.burst)+";rate="+strconv.FormatFloat(float64(l.rate), 'f', -1, 64))
}

// tooMany answers 429 with Retry-After.
func tooMany(w http.ResponseWriter, r *http.Request, retry time.Duration, detail string) {
	secs := int(math.Ceil(retry.Seconds()))
	if secs < 1 {
		secs = 1
	}
	reqlog.Set(r.Context(), "outcome", "rate_limited")
	p := problem.New(http.StatusTooManyRequests, detail)
	p.RetryAfter = secs
	problem.Write(w, p)
}
