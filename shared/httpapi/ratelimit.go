package httpapi

import (
	"math"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/paylinks/paylinks/shared/merchant"
	"github.com/paylinks/paylinks/shared/problem"
	"github.com/paylinks/paylinks/shared/reqlog"
)

// Limits are the API's rate limits, token buckets kept by each warm
// function: per merchant (every authenticated request takes a token) and
// per client address for unknown API keys. Only well-formed keys (their
// checksum right: merchant.WellFormed) count there: a forged or mistyped
// key is refused from its text, costs nothing and counts nowhere. A blocked
// address still has its well-formed keys looked up, so that a valid key is
// never refused for a neighbour's guesses (behind one NAT); only its
// unknown ones are answered 429. Unknown keys are remembered a short while
// (unknownTTL), so a repeated guess costs no read either. API Gateway's
// stage throttling (cdk.json) bounds the whole API above them.
type Limits struct {
	rate  rate.Limit
	burst int

	mu       sync.Mutex
	merchant map[string]*bucket
	failed   map[string]*bucket
	unknown  map[string]time.Time // hash of an unknown key -> until when it is known unknown
	swept    time.Time
}

type bucket struct {
	lim  *rate.Limiter
	used time.Time
}

// Unknown-key limit per client address: 10 a minute, 20 at once; unknown
// keys are remembered unknownTTL, at most maxUnknown of them.
const (
	failedRate  = rate.Limit(10.0 / 60)
	failedBurst = 20
	unknownTTL  = 30 * time.Second
	maxUnknown  = 10000
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
	return &Limits{rate: rate.Limit(perSecond), burst: burst, merchant: map[string]*bucket{}, failed: map[string]*bucket{}, unknown: map[string]time.Time{}}
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
		l.sweepUnknown(now)
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

// failedKey counts an unknown well-formed key from an address and
// remembers it unknown; once the address has no token left it reports the
// wait until its next one (the caller answers 429).
func (l *Limits) failedKey(addr, secret string, now time.Time) (blocked bool, retry time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.unknown) >= maxUnknown {
		l.sweepUnknown(now)
	}
	if len(l.unknown) < maxUnknown {
		l.unknown[merchant.HashKey(secret)] = now.Add(unknownTTL)
	}
	lim := l.get(l.failed, addr, failedRate, failedBurst, now)
	if lim.AllowN(now, 1) {
		return false, 0
	}
	return true, time.Duration((1 - lim.TokensAt(now)) / float64(failedRate) * float64(time.Second))
}

// knownUnknown reports a key found unknown within unknownTTL: refused
// again without a lookup.
func (l *Limits) knownUnknown(secret string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	until, ok := l.unknown[merchant.HashKey(secret)]
	return ok && now.Before(until)
}

func (l *Limits) sweepUnknown(now time.Time) {
	for h, until := range l.unknown {
		if !now.Before(until) {
			delete(l.unknown, h)
		}
	}
}

// bearerKey is the API key worth a lookup a request carries (well-formed,
// or in the legacy format: those count against the address too; "" for
// none: no credential, a forged or mistyped key, a member's token or a
// session).
func bearerKey(r *http.Request) string {
	secret, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || !merchant.LookedUp(secret) {
		return ""
	}
	return secret
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

// refuseUnknown answers a credential that authenticated no one: 401; an
// unknown well-formed key counts against its address, and past the
// address's limit is 429 with Retry-After (and nothing more).
func (a *API) refuseUnknown(w http.ResponseWriter, r *http.Request, addr, key string, now time.Time) {
	if key != "" {
		if blocked, retry := a.Limits.failedKey(addr, key, now); blocked {
			tooMany(w, r, retry, "too many unknown API keys from this address; retry later")
			return
		}
	}
	a.unauthorized(w)
}
