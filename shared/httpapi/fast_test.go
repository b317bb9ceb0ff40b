package httpapi_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/httpapi"
	"github.com/paylinks/paylinks/shared/merchant"
	"github.com/paylinks/paylinks/shared/session"
	"github.com/paylinks/paylinks/shared/store"
)

// The fast tier's handler tests run every /v1 route (API.Handler and the
// account, members and customers handlers, as their functions serve
// them) over fakeStore: no emulator, no network, each test in
// milliseconds. Callers are API keys and dashboard sessions the fake
// holds (a member's session stands for their Cognito token: the same
// principal). The clock is the test's, one second further at every
// request, so that what is made later is newer.

// fastBase is the public base URL of the fast tier's API.
const fastBase = "https://pay.shop.example"

// fastAPI is the API over a fake store with its merchants "shop" (the
// callers') and "other".
type fastAPI struct {
	t       *testing.T
	st      *fakeStore
	api     *httpapi.API
	h       http.Handler
	clock   *fastClock
	invites *fakeInviter
	n       atomic.Int64 // requests, each from its own address
}

type fastClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fastClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fastClock) tick() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(time.Second)
}

// fakeInviter is the user pool's invitations: it counts them.
type fakeInviter struct {
	mu    sync.Mutex
	asked []string
}

func (d *fakeInviter) Invite(_ context.Context, email string) (string, string, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.asked = append(d.asked, email)
	return "user-" + email, "sub-" + email, nil
}

func (d *fakeInviter) count() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.asked)
}

func demoMerchant(mid string) *merchant.Merchant {
	return &merchant.Merchant{ID: mid, Name: "Demo Shop " + mid, PSP: "sandbox", PaymentMethods: []string{"card", "ideal", "bancontact", "sepa_transfer"},
		RedirectDomains: []string{"shop.example"}}
}

func newFastAPI(t *testing.T) *fastAPI {
	t.Helper()
	st := newFakeStore()
	st.merchants["shop"], st.merchants["other"] = demoMerchant("shop"), demoMerchant("other")
	clock := &fastClock{now: time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)}
	a := httpapi.New(st, fastBase, nil)
	a.Now = clock.Now
	a.Codes = domain.CodeKey("0123456789abcdef0123456789abcdef")
	a.Limits = httpapi.NewLimits(1e6, 1e6)
	a.Log = slog.New(slog.DiscardHandler)
	inv := &fakeInviter{}
	a.Directory = inv
	mux := http.NewServeMux()
	for _, g := range []struct {
		routes []httpapi.Route
		h      http.Handler
	}{{httpapi.Routes, a.Handler()}, {httpapi.AccountRoutes, a.AccountHandler()}, {httpapi.MemberRoutes, a.MembersHandler()}, {httpapi.CustomerRoutes, a.CustomersHandler()}} {
		for _, rt := range g.routes {
			mux.Handle(rt.Pattern, g.h)
		}
	}
	mux.Handle("/v1/", a.Handler())
	return &fastAPI{t: t, st: st, api: a, h: mux, clock: clock, invites: inv}
}

// caller is who calls: an API key's secret, or a member's dashboard
// session (its cookie's secret and CSRF token).
type caller struct {
	key, session, csrf string
}

// key makes a key of merchant m holding perms (a full key for none) on
// behalf of member (""), written straight into the fake (no write
// logged), and returns its caller.
func (f *fastAPI) keyOf(m, member string, perms ...domain.Permission) caller {
	f.t.Helper()
	secret, k, err := merchant.NewKey(m, false)
	if err != nil {
		f.t.Fatal(err)
	}
	k.Permissions, k.Member = perms, member
	k.Created = f.clock.Now().Format(time.RFC3339)
	f.st.mu.Lock()
	f.st.keys[k.Hash] = k
	f.st.mu.Unlock()
	return caller{key: secret}
}

// key is a key of the merchant "shop".
func (f *fastAPI) key(perms ...domain.Permission) caller { return f.keyOf("shop", "", perms...) }

// member makes a member of "shop" with role who joined, signed in to the
// dashboard: their membership and caller.
func (f *fastAPI) member(role domain.Role) (domain.Member, caller) {
	f.t.Helper()
	now := f.clock.Now()
	mem := domain.Member{ID: domain.NewID("mem_", now), Merchant: "shop", Email: string(role) + "-" + randomHex(f.t, 4) + "@shop.example", Role: role,
		Status: domain.MemberActive, Created: now}
	mem.Sub, mem.Username = "sub-"+mem.Email, "user-"+mem.Email
	c := caller{session: randomHex(f.t, 32), csrf: randomHex(f.t, 16)}
	f.st.mu.Lock()
	defer f.st.mu.Unlock()
	f.st.members[mkey(mem.Merchant, mem.ID)] = mem
	f.st.sessions[c.session] = store.Session{Sub: mem.Sub, Email: mem.Email, Merchant: "shop", CSRF: c.csrf,
		Created: now, Seen: now, Ends: now.Add(session.AbsoluteTimeout)}
	return mem, c
}

func randomHex(t *testing.T, n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// answer is an HTTP answer.
type fastAnswer struct {
	status int
	header http.Header
	body   []byte
}

// object is the answer's JSON object.
func (r fastAnswer) object(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("%d %s: %v", r.status, r.body, err)
	}
	return m
}

// data is the answer's list ("data").
func (r fastAnswer) data(t *testing.T) []map[string]any {
	t.Helper()
	var l struct {
		Data []map[string]any `json:"data"`
	}
	if err := json.Unmarshal(r.body, &l); err != nil {
		t.Fatalf("%d %s: %v", r.status, r.body, err)
	}
	return l.Data
}

// do sends a request with body (JSON unless a Content-Type is given in
// hdr, "name", "value" pairs) as c.
func (f *fastAPI) do(c caller, method, path, body string, hdr ...string) fastAnswer {
	f.t.Helper()
	f.clock.tick()
	n := f.n.Add(1)
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.RemoteAddr = fmt.Sprintf("198.51.%d.%d:4000", n/250%250, n%250+1)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	switch {
	case c.key != "":
		req.Header.Set("Authorization", "Bearer "+c.key)
	case c.session != "":
		req.AddCookie(&http.Cookie{Name: session.Cookie, Value: c.session})
		req.Header.Set(session.CSRFHeader, c.csrf)
	}
	rec := httptest.NewRecorder()
	f.h.ServeHTTP(rec, req)
	return fastAnswer{status: rec.Code, header: rec.Header(), body: rec.Body.Bytes()}
}

// dataWrites are the writes since the first n that change data (a key's
// or a session's use is not one).
func (f *fastAPI) dataWrites(n int) []string {
	return slices.DeleteFunc(f.st.writesSince(n), func(w string) bool {
		return strings.HasPrefix(w, "UseKey ") || strings.HasPrefix(w, "TouchSession")
	})
}

// wantProblem checks an answer is the problem+json of status naming field
// ("" for none).
func wantProblem(t *testing.T, what string, r fastAnswer, status int, field string) {
	t.Helper()
	var p struct {
		Status int `json:"status"`
		Errors []struct {
			Field string `json:"field"`
		} `json:"errors"`
	}
	if r.status != status || r.header.Get("Content-Type") != "application/problem+json" || json.Unmarshal(r.body, &p) != nil || p.Status != status {
		t.Errorf("%s: %d %s %s, want a %d problem", what, r.status, r.header.Get("Content-Type"), r.body, status)
		return
	}
	if field != "" && !slices.ContainsFunc(p.Errors, func(e struct {
		Field string `json:"field"`
	}) bool {
		return e.Field == field
	}) {
		t.Errorf("%s: %s names no field %q", what, r.body, field)
	}
}
