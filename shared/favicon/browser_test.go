package favicon_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/paylinks/paylinks/shared/favicon"
	"github.com/paylinks/paylinks/shared/service"
	"github.com/paylinks/paylinks/shared/testkit/browser"
	"github.com/paylinks/paylinks/shared/testkit/testenv"
)

// statuses records the status of every request the service answered, by
// path: what the browser's network log shows and the console does not.
type statuses struct {
	mu     sync.Mutex
	byPath map[string][]int
}

func (s *statuses) of(path string) []int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]int(nil), s.byPath[path]...)
}

func (s *statuses) notFound() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var paths []string
	for p, codes := range s.byPath {
		for _, c := range codes {
			if c == http.StatusNotFound {
				paths = append(paths, p)
			}
		}
	}
	return paths
}

type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(p []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return w.ResponseWriter.Write(p)
}

// serve runs the whole service (as make dev does) behind a recorder.
func serve(t *testing.T, env *testenv.Env) (string, *statuses) {
	t.Helper()
	seen := &statuses{byPath: map[string][]int{}}
	var h http.Handler
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw := &statusWriter{ResponseWriter: w}
		h.ServeHTTP(sw, r)
		seen.mu.Lock()
		seen.byPath[r.URL.Path] = append(seen.byPath[r.URL.Path], sw.code)
		seen.mu.Unlock()
	}))
	t.Cleanup(ts.Close)
	svc := service.New(env.Store, service.Options{PublicBaseURL: ts.URL, SandboxSecret: []byte("test-sandbox-secret"),
		LinkCodeKey: testenv.CodeKey, SQS: env.SQS, Queues: env.Queues, Log: slog.New(slog.DiscardHandler)})
	h = svc.Handler()
	return ts.URL, seen
}

func createLink(t *testing.T, base, key string) string {
	t.Helper()
	req, _ := http.NewRequest("POST", base+"/v1/payment-links", strings.NewReader(
		`{"amount":{"currency":"EUR","value":"42.00"},"description":"Favicon test","customer":{"company_name":"ACME"}}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var l struct{ URL string }
	if err := json.Unmarshal(raw, &l); err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("create: %d %s %v", resp.StatusCode, raw, err)
	}
	return l.URL
}

// Each kind of page (the site's root, which leads to the dashboard's
// sign-in; the sandbox checkout and its thank-you page; a customer page)
// names the favicon in its <head>, the browser gets it (200, never a 404),
// and nothing is logged on the console: no 404, no CSP violation.
func TestBrowserEveryPageHasItsIcon(t *testing.T) {
	env := testenv.New(t)
	key := env.Merchant(t, "demo")
	base, seen := serve(t, env)
	b := browser.New(t)
	b.As(browser.PersonUA)
	hasIcon := func(page string) {
		t.Helper()
		if n := b.Count(`head link[rel="icon"][href="` + favicon.Path + `"]`); n != 1 {
			t.Errorf("%s: %d <link rel=\"icon\"> naming %s in its head, want 1", page, n, favicon.Path)
		}
		b.Axe(t, page)
		b.Shot(page)
	}
	b.Go(base + "/")
	b.WaitURL("/dashboard/sign-in")
	hasIcon("sign-in")
	b.Go(createLink(t, base, key))
	b.WaitText("SANDBOX")
	hasIcon("sandbox-checkout")
	b.ClickButton("Pay")
	b.WaitText("Thank you")
	hasIcon("sandbox-done")
	b.Go(base + "/l/demo_000000000000000000000000000")
	hasIcon("link-not-found")
	testenv.Eventually(t, 5*time.Second, "the browser asks for the icon", func() bool { return len(seen.of(favicon.Path)) > 0 })
	for _, code := range seen.of(favicon.Path) {
		if code != http.StatusOK {
			t.Errorf("%s answered %d", favicon.Path, code)
		}
	}
	// The unknown link's own page is a 404 on purpose; nothing else is.
	for _, p := range seen.notFound() {
		if p != "/l/demo_000000000000000000000000000" {
			t.Errorf("%s answered 404", p)
		}
	}
	b.NoErrors(t)
}
