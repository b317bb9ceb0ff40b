package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	paylinks "github.com/paylinks/paylinks/clients/go"
)

func env(kv ...string) func(string) string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) string { return m[k] }
}

func runArgs(ctx context.Context, getenv func(string) string, args ...string) (int, string, string) {
	var out, errOut bytes.Buffer
	code := run(ctx, args, getenv, &out, &errOut)
	return code, out.String(), errOut.String()
}

// Command lines that cannot work exit 2 with the usage and a message that
// names what is wrong, before any request.
func TestUsageErrors(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{nil, "no command"},
		{[]string{"pay"}, `unknown command "pay"`},
		{[]string{"links"}, "links needs create, get or list"},
		{[]string{"links", "delete"}, `unknown links command "delete"`},
		{[]string{"links", "create", "--currency", "EUR"}, "links create needs --amount and --description"},
		{[]string{"links", "create", "--amount", "12,50", "--description", "x"}, `--amount "12,50" is not a decimal`},
		{[]string{"links", "create", "--amount", "1e3", "--description", "x"}, `--amount "1e3" is not a decimal`},
		{[]string{"links", "create", "--amount", "1", "--description", "x", "extra"}, `takes no argument "extra"`},
		{[]string{"links", "create", "--colour", "red"}, "flag provided but not defined: -colour"},
		{[]string{"links", "create", "--amount", "1", "--description", "x", "--customer", "Cher"}, `--customer "Cher" needs a first and a last name`},
		{[]string{"links", "get"}, "links get takes one link id"},
		{[]string{"links", "get", "a", "b"}, "links get takes one link id"},
		{[]string{"links", "list", "--status", "lost"}, `--status "lost" is none of`},
		{[]string{"links", "list", "--limit", "-1"}, "--limit -1"},
		{[]string{"listen"}, "listen needs --forward-to"},
		{[]string{"listen", "--forward-to", "localhost:3000"}, "is not an http(s) URL"},
		{[]string{"listen", "--forward-to", "http://localhost:3000/h", "--secret", "s3cret"}, "--secret: webhook secret must be whsec_"},
		{[]string{"listen", "--forward-to", "http://localhost:3000/h", "--types", "payment_link.paid,link.eaten"}, `"link.eaten" is not an event type`},
		{[]string{"trigger"}, "trigger takes one event name"},
		{[]string{"trigger", "refund.succeeded"}, `trigger cannot make "refund.succeeded" happen; it makes payment_link.created`},
		{[]string{"--api-key", "sk_live_abc", "trigger", "payment_link.paid"}, "with a test key"},
	}
	for _, c := range cases {
		code, out, errOut := runArgs(context.Background(), env(), c.args...)
		if code != 2 || !strings.Contains(errOut, c.want) || !strings.Contains(errOut, "usage: paylinks") || out != "" {
			t.Errorf("paylinks %q: exit %d, stderr %q; want 2 and %q with the usage", c.args, code, errOut, c.want)
		}
	}
	if code, out, _ := runArgs(context.Background(), env(), "--help"); code != 0 || !strings.Contains(out, "usage: paylinks") {
		t.Errorf("--help: %d %q", code, out)
	}
	if code, _, errOut := runArgs(context.Background(), env(), "links", "get", "pl_1"); code != 1 || !strings.Contains(errOut, "no API key") {
		t.Errorf("without a key: %d %q", code, errOut)
	}
}

// The API key never crosses the network in clear text: http is refused
// for any host but this machine's, before any request.
func TestAPIURLKeepsTheKeyOffPlainHTTP(t *testing.T) {
	for u, ok := range map[string]bool{
		"http://127.0.0.1:8080": true, "http://localhost:8080/": true, "http://[::1]:8080": true, "https://pay.example.com": true,
		"http://pay.example.com": false, "http://10.0.0.5:8080": false, "http://127.0.0.1.nip.io": false, "ftp://127.0.0.1": false, "127.0.0.1:8080": false,
	} {
		err := checkAPIURL(u)
		if (err == nil) != ok {
			t.Errorf("%s: %v", u, err)
		}
	}
	code, _, errOut := runArgs(context.Background(), env("PAYLINKS_API_KEY", "sk_test_fake0000000000", "PAYLINKS_API_URL", "http://pay.example.com"), "links", "get", "pl_1")
	if code != 1 || !strings.Contains(errOut, "clear text") {
		t.Errorf("links get over http to another host: %d %q", code, errOut)
	}
}

// fakeAPI answers the requests of links and listen like the API.
type fakeAPI struct {
	mu     sync.Mutex
	events []string // raw events
	reqs   []*http.Request
}

func (f *fakeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reqs = append(f.reqs, r)
	if r.Header.Get("Authorization") != "Bearer sk_test_fake0000000000" {
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(401)
		_, _ = io.WriteString(w, `{"type":"about:blank","title":"Unauthorized","status":401,"detail":"wrong key"}`)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	switch {
	case r.Method == "POST" && r.URL.Path == "/v1/payment-links":
		var b struct {
			Amount   struct{ Currency, Value string }
			Customer *struct {
				FirstName string `json:"first_name"`
				LastName  string `json:"last_name"`
			}
		}
		_ = json.NewDecoder(r.Body).Decode(&b)
		if b.Customer == nil || b.Customer.FirstName != "Ana Maria" || b.Customer.LastName != "Peeters" {
			w.WriteHeader(422)
			_, _ = io.WriteString(w, `{"type":"about:blank","title":"Unprocessable Entity","status":422,"errors":[{"field":"customer","message":"is required"}]}`)
			return
		}
		w.WriteHeader(201)
		fmt.Fprintf(w, `{"id":"pl_new","status":"created","amount":{"currency":%q,"value":%q},"url":"http://x/l/abc","idem":%q}`,
			b.Amount.Currency, b.Amount.Value, r.Header.Get("Idempotency-Key"))
	case r.URL.Path == "/v1/payment-links":
		page := map[string]string{"": `{"data":[{"id":"pl_1","status":"paid","amount":{"currency":"EUR","value":"1.00"},"description":"one"}],"next_cursor":"c1"}`,
			"c1": `{"data":[{"id":"pl_2","status":"open","amount":{"currency":"EUR","value":"2.00"},"description":"two"}],"next_cursor":null}`}
		_, _ = io.WriteString(w, page[r.URL.Query().Get("cursor")])
	case r.URL.Path == "/v1/events":
		f.feed(w, r)
	default:
		w.WriteHeader(404)
	}
}

// feed pages the events two at a time after ?after.
func (f *fakeAPI) feed(w http.ResponseWriter, r *http.Request) {
	after, start := r.URL.Query().Get("after"), 0
	if after != "" {
		start = -1
		for i, e := range f.events {
			if strings.Contains(e, `"id":"`+after+`"`) {
				start = i + 1
			}
		}
		if start < 0 {
			w.WriteHeader(404)
			return
		}
	}
	end := min(start+2, len(f.events))
	page := f.events[start:end]
	if types := r.URL.Query().Get("types"); types != "" {
		page = nil // the events of those types among the two looked at
		for _, e := range f.events[start:end] {
			for t := range strings.SplitSeq(types, ",") {
				if strings.Contains(e, `"type":"`+t+`"`) {
					page = append(page, e)
				}
			}
		}
	}
	next := "null"
	if end > 0 {
		next = fmt.Sprintf("%q", fmt.Sprintf("whd_%d", end))
	} else if after != "" {
		next = fmt.Sprintf("%q", after)
	}
	fmt.Fprintf(w, `{"data":[%s],"next_cursor":%s,"has_more":%v}`, strings.Join(page, ","), next, end < len(f.events))
}

func (f *fakeAPI) add(n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for range n {
		i := len(f.events) + 1
		f.events = append(f.events, fmt.Sprintf(`{"id":"whd_%d","type":"payment_link.paid","timestamp":"2026-12-07T10:00:0%dZ",`+
			`"data":{"event_id":"ev_%d","sequence":2,"link":{"id":"pl_%d","amount":{"currency":"EUR","value":"12.50"}}}}`, i, i%10, i, i))
	}
}

func TestLinksCommands(t *testing.T) {
	srv := httptest.NewServer(&fakeAPI{})
	defer srv.Close()
	e := env("PAYLINKS_API_URL", srv.URL, "PAYLINKS_API_KEY", "sk_test_fake0000000000")
	code, out, errOut := runArgs(context.Background(), e, "links", "create", "--amount", "12.50", "--currency", "eur", "--description", "x", "--customer", "Ana Maria Peeters")
	if code != 0 || !strings.HasPrefix(out, "pl_new\tcreated\t12.50 EUR\thttp://x/l/abc") {
		t.Errorf("links create: %d %q %q", code, out, errOut)
	}
	code, out, _ = runArgs(context.Background(), e, "links", "create", "--amount", "3", "--description", "x", "--json", "--customer", "Ana Maria Peeters")
	var l map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &l) != nil || l["id"] != "pl_new" {
		t.Errorf("links create --json: %d %q", code, out)
	}
	code, _, errOut = runArgs(context.Background(), e, "links", "create", "--amount", "3", "--description", "x")
	if code != 1 || errOut != "paylinks: 422 Unprocessable Entity; customer: is required\n" {
		t.Errorf("links create refused: %d %q", code, errOut)
	}
	code, out, errOut = runArgs(context.Background(), e, "links", "list")
	if code != 0 || out != "pl_1\tpaid\t1.00 EUR\tone\n" || !strings.Contains(errOut, "--all") {
		t.Errorf("links list: %d %q %q", code, out, errOut)
	}
	code, out, _ = runArgs(context.Background(), e, "links", "list", "--all")
	if code != 0 || out != "pl_1\tpaid\t1.00 EUR\tone\npl_2\topen\t2.00 EUR\ttwo\n" {
		t.Errorf("links list --all: %d %q", code, out)
	}
	// The flags may come before the command too; the API's problem is the message.
	code, _, errOut = runArgs(context.Background(), env("PAYLINKS_API_URL", srv.URL), "--api-key", "sk_test_wrong", "links", "list")
	if code != 1 || !strings.Contains(errOut, "paylinks: 401 Unauthorized: wrong key") {
		t.Errorf("a wrong key: %d %q", code, errOut)
	}
}

// received is what a local endpoint got from listen.
type received struct {
	mu   sync.Mutex
	ids  []string
	errs []error
}

func (rv *received) handler(secret func() string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		rv.mu.Lock()
		defer rv.mu.Unlock()
		ev, err := paylinks.VerifyWebhook(secret(), r.Header, b, time.Now())
		if err != nil {
			rv.errs = append(rv.errs, err)
			w.WriteHeader(400)
			return
		}
		if ev.Data.Link.Amount.Value != "12.50" || strings.Contains(string(b), `"id":"whd_`) {
			rv.errs = append(rv.errs, fmt.Errorf("body %s", b))
		}
		rv.ids = append(rv.ids, r.Header.Get("webhook-id"))
		w.WriteHeader(204)
	}
}

func (rv *received) count() int {
	rv.mu.Lock()
	defer rv.mu.Unlock()
	return len(rv.ids)
}

// listen forwards every event of the feed signed with its secret, keeps the
// last one and, started again, goes on after it; Ctrl-C (the context's
// end) stops it with status 0.
func TestListenForwardsAndResumes(t *testing.T) {
	api := &fakeAPI{}
	api.add(3)
	srv := httptest.NewServer(api)
	defer srv.Close()
	dir := t.TempDir()
	// The endpoint verifies with the secret listen keeps (written before
	// it forwards anything).
	keptSecret := func() string {
		st, _ := loadState(statePath(dir, srv.URL, "sk_test_fake0000000000"))
		return st.Secret
	}
	rv := &received{}
	hook := httptest.NewServer(rv.handler(keptSecret))
	defer hook.Close()
	e := env("PAYLINKS_API_URL", srv.URL, "PAYLINKS_API_KEY", "sk_test_fake0000000000")

	listen := func(until func() bool) string {
		t.Helper()
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		var out, errOut syncWriter
		done := make(chan int)
		go func() {
			done <- run(ctx, []string{"listen", "--forward-to", hook.URL + "/hooks", "--state-dir", dir, "--interval", "20ms"}, e, &out, &errOut)
		}()
		deadline := time.Now().Add(5 * time.Second)
		for !until() || !strings.Contains(out.String(), "secret") {
			if time.Now().After(deadline) {
				t.Fatalf("listen did not get there in 5 s: %q %q", out.String(), errOut.String())
			}
			time.Sleep(10 * time.Millisecond)
		}
		time.Sleep(60 * time.Millisecond) // a few more polls: nothing new is forwarded
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("listen stopped with %d: %s", code, errOut.String())
		}
		return out.String()
	}
	// The secret is printed at the start: the endpoint verifies with it.
	secretFrom := func(out string) string {
		_, s, _ := strings.Cut(out, "Webhook signing secret: ")
		s, _, _ = strings.Cut(s, "\n")
		return s
	}
	out := listen(func() bool { return rv.count() >= 3 })
	secret := keptSecret()
	if s := secretFrom(out); s != secret || !strings.HasPrefix(s, "whsec_") {
		t.Errorf("printed secret %q, kept %q", s, secret)
	}
	if !strings.Contains(out, "from the feed's oldest event") || !strings.Contains(out, "payment_link.paid") ||
		!strings.Contains(out, "pl_3  -> 204") || !strings.HasSuffix(out, "Stopped.\n") {
		t.Errorf("output:\n%s", out)
	}
	api.add(2)
	out = listen(func() bool { return rv.count() >= 5 })
	if secretFrom(out) != secret || !strings.Contains(out, "after whd_3") {
		t.Errorf("the second start:\n%s", out)
	}
	rv.mu.Lock()
	if fmt.Sprint(rv.ids) != "[whd_1 whd_2 whd_3 whd_4 whd_5]" || len(rv.errs) > 0 {
		t.Errorf("forwarded %v (errors %v), want each event once, signed", rv.ids, rv.errs)
	}
	rv.mu.Unlock()

	// The last event gone from the feed: listen stops and says how to start over.
	api.mu.Lock()
	api.events = api.events[:2]
	api.mu.Unlock()
	code, _, errOut := runArgs(context.Background(), e, "listen", "--forward-to", hook.URL, "--state-dir", dir)
	if code != 1 || !strings.Contains(errOut, "after whd_5, the last event read") || !strings.Contains(errOut, "remove "+dir) {
		t.Errorf("a last event no longer in the feed: %d %q", code, errOut)
	}
}

// syncWriter is a buffer written by listen and read by the test.
type syncWriter struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (w *syncWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func (w *syncWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

func TestStatePathPerAPIAndKey(t *testing.T) {
	a := statePath("/d", "http://127.0.0.1:8080", "sk_test_abcdefgh12345678")
	if a != statePath("/d", "http://127.0.0.1:8080", "sk_test_abcdefghzzzzzzzz") {
		t.Errorf("two keys with one prefix have two states")
	}
	if a == statePath("/d", "http://127.0.0.1:8081", "sk_test_abcdefgh12345678") || a == statePath("/d", "http://127.0.0.1:8080", "sk_test_zbcdefgh12345678") {
		t.Errorf("another API or key shares the state")
	}
	if strings.Contains(a, "abcdefgh") {
		t.Errorf("the key is in the file name %s", a)
	}
}

// listenOnce runs listen until out holds want (or 5 s), then stops it.
func listenOnce(t *testing.T, e func(string) string, forwardTo, dir, want string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var out, errOut syncWriter
	done := make(chan int)
	go func() {
		done <- run(ctx, []string{"listen", "--forward-to", forwardTo, "--state-dir", dir, "--interval", "20ms"}, e, &out, &errOut)
	}()
	for deadline := time.Now().Add(5 * time.Second); !strings.Contains(out.String(), want); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Errorf("listen did not print %q in 5 s: %q %q", want, out.String(), errOut.String())
			break
		}
	}
	cancel()
	<-done
	return out.String()
}

// A receiver that redirects is told so, as paylinks' own sender (which
// follows no redirect) would tell it: listen posts the event nowhere else.
func TestListenFollowsNoRedirect(t *testing.T) {
	api := &fakeAPI{}
	api.add(1)
	srv := httptest.NewServer(api)
	defer srv.Close()
	var moved atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		moved.Add(1)
		w.WriteHeader(204)
	}))
	defer other.Close()
	hook := httptest.NewServer(http.RedirectHandler(other.URL+"/moved", http.StatusTemporaryRedirect))
	defer hook.Close()
	e := env("PAYLINKS_API_URL", srv.URL, "PAYLINKS_API_KEY", "sk_test_fake0000000000")
	out := listenOnce(t, e, hook.URL+"/hooks", t.TempDir(), "pl_1  ")
	if !strings.Contains(out, "pl_1  -> 307") || moved.Load() != 0 {
		t.Errorf("a receiver answering 307: output %q, %d posts to where it pointed", out, moved.Load())
	}
}

// An API that is not paylinks' (a hostile --api-url) cannot drive the
// terminal: what listen prints of an event has its control characters
// escaped.
func TestListenPrintsNoControlCharacter(t *testing.T) {
	api := &fakeAPI{events: []string{`{"id":"whd_1","type":"payment_link.paid\u001b]0;owned\u0007","timestamp":"2026-12-07T10:00:00Z",` +
		`"data":{"event_id":"ev_1","sequence":2,"link":{"id":"pl_1\u001b[2J\r\nfake line","amount":{"currency":"EUR","value":"12.50"}}}}`}}
	srv := httptest.NewServer(api)
	defer srv.Close()
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(204) }))
	defer hook.Close()
	e := env("PAYLINKS_API_URL", srv.URL, "PAYLINKS_API_KEY", "sk_test_fake0000000000")
	out := listenOnce(t, e, hook.URL, t.TempDir(), "fake line")
	if strings.ContainsAny(out, "\x1b\x07\r") || strings.Contains(out, "\nfake line") {
		t.Errorf("listen printed control characters of the API's answer: %q", out)
	}
}

// With --types, listen keeps the feed's cursor (the last event the feed
// looked at), not only the last event it forwarded: the next poll, and
// the next start, read on from there rather than through every event of
// other types again (the whole feed, each second, while none of the
// types comes).
func TestListenWithTypesKeepsTheFeedsCursor(t *testing.T) {
	api := &fakeAPI{}
	api.add(6) // all payment_link.paid
	srv := httptest.NewServer(api)
	defer srv.Close()
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(204) }))
	defer hook.Close()
	dir := t.TempDir()
	e := env("PAYLINKS_API_URL", srv.URL, "PAYLINKS_API_KEY", "sk_test_fake0000000000")
	ctx, cancel := context.WithCancel(context.Background())
	var out, errOut syncWriter
	done := make(chan int)
	go func() {
		done <- run(ctx, []string{"listen", "--forward-to", hook.URL, "--types", "refund.succeeded", "--state-dir", dir, "--interval", "20ms"}, e, &out, &errOut)
	}()
	polls := func() (fromStart, fromEnd int) {
		api.mu.Lock()
		defer api.mu.Unlock()
		for _, r := range api.reqs {
			switch r.URL.Query().Get("after") {
			case "":
				fromStart++
			case "whd_6":
				fromEnd++
			}
		}
		return
	}
	for deadline := time.Now().Add(2 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if _, fromEnd := polls(); fromEnd >= 3 {
			break
		}
	}
	cancel()
	<-done
	fromStart, fromEnd := polls()
	st, _ := loadState(statePath(dir, srv.URL, "sk_test_fake0000000000"))
	if fromStart != 1 || fromEnd < 3 || st.LastEventID != "whd_6" {
		t.Errorf("%d polls from the start, %d after whd_6, kept %q; want 1, 3 or more, whd_6 (%s)", fromStart, fromEnd, st.LastEventID, errOut.String())
	}
}

// A local server that is not up yet (or restarting) loses no event: listen
// keeps the event it could not deliver, says so, and tries it again until
// the server answers; the events then arrive once each, in order.
func TestListenKeepsAnEventUntilTheEndpointAnswers(t *testing.T) {
	api := &fakeAPI{}
	api.add(2)
	srv := httptest.NewServer(api)
	defer srv.Close()
	dir := t.TempDir()
	e := env("PAYLINKS_API_URL", srv.URL, "PAYLINKS_API_KEY", "sk_test_fake0000000000")
	// A port nothing listens on yet.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errOut syncWriter
	done := make(chan int)
	go func() {
		done <- run(ctx, []string{"listen", "--forward-to", "http://" + addr + "/hooks", "--state-dir", dir, "--interval", "20ms"}, e, &out, &errOut)
	}()
	waitFor := func(what string, ok func() bool) {
		t.Helper()
		for deadline := time.Now().Add(5 * time.Second); !ok(); time.Sleep(10 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("listen did not get to %s in 5 s: %q %q", what, out.String(), errOut.String())
			}
		}
	}
	waitFor("a second try of the first event", func() bool { return strings.Count(out.String(), "pl_1  error: ") >= 2 })
	if st, _ := loadState(statePath(dir, srv.URL, "sk_test_fake0000000000")); st.LastEventID != "" {
		t.Errorf("an event no endpoint answered was kept as forwarded: %+v", st)
	}
	if !strings.Contains(out.String(), "(no answer: trying again in ") || strings.Contains(out.String(), "pl_2") {
		t.Errorf("output while the endpoint is down:\n%s", out.String())
	}

	rv := &received{}
	hl, err := net.Listen("tcp", addr)
	if err != nil {
		t.Skipf("the port was taken meanwhile: %v", err)
	}
	hook := &httptest.Server{Listener: hl, Config: &http.Server{Handler: rv.handler(func() string {
		st, _ := loadState(statePath(dir, srv.URL, "sk_test_fake0000000000"))
		return st.Secret
	})}}
	hook.Start()
	defer hook.Close()
	waitFor("both events forwarded", func() bool { return rv.count() >= 2 })
	time.Sleep(60 * time.Millisecond) // a few more polls: nothing is sent twice
	cancel()
	<-done
	rv.mu.Lock()
	defer rv.mu.Unlock()
	if fmt.Sprint(rv.ids) != "[whd_1 whd_2]" || len(rv.errs) > 0 {
		t.Errorf("forwarded %v (errors %v), want each event once, in order", rv.ids, rv.errs)
	}
	if !strings.Contains(out.String(), "pl_1  -> 204") || !strings.Contains(out.String(), "pl_2  -> 204") {
		t.Errorf("output:\n%s", out.String())
	}
}

// The secret can come from $PAYLINKS_WEBHOOK_SECRET, out of the process
// list; a malformed one is refused as --secret is.
func TestListenTakesTheSecretFromTheEnvironment(t *testing.T) {
	api := &fakeAPI{}
	api.add(1)
	srv := httptest.NewServer(api)
	defer srv.Close()
	secret := paylinks.NewWebhookSecret()
	rv := &received{}
	hook := httptest.NewServer(rv.handler(func() string { return secret }))
	defer hook.Close()
	dir := t.TempDir()
	e := env("PAYLINKS_API_URL", srv.URL, "PAYLINKS_API_KEY", "sk_test_fake0000000000", "PAYLINKS_WEBHOOK_SECRET", secret)
	out := listenOnce(t, e, hook.URL+"/hooks", dir, "pl_1  -> 204")
	if !strings.Contains(out, "Webhook signing secret: "+secret+"\n") {
		t.Errorf("output:\n%s", out)
	}
	if st, _ := loadState(statePath(dir, srv.URL, "sk_test_fake0000000000")); st.Secret != secret {
		t.Errorf("kept secret %q, want the environment's", st.Secret)
	}
	bad := env("PAYLINKS_API_URL", srv.URL, "PAYLINKS_API_KEY", "sk_test_fake0000000000", "PAYLINKS_WEBHOOK_SECRET", "s3cret")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second) // a secret taken would listen on
	defer cancel()
	if code, _, errOut := runArgs(ctx, bad, "listen", "--forward-to", hook.URL, "--state-dir", dir); code != 2 ||
		!strings.Contains(errOut, "--secret: webhook secret must be whsec_") {
		t.Errorf("a malformed $PAYLINKS_WEBHOOK_SECRET: %d %q", code, errOut)
	}
}
