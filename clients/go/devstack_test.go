package paylinks_test

// These tests drive a running paylinks (make dev): they run when
// PAYLINKS_API_URL and PAYLINKS_API_KEY (a test merchant on the sandbox PSP)
// are set, and skip otherwise (and under -short). In the repository,
// infra/devserver/goclient_test.go starts a make dev of its own and runs
// them.

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	paylinks "github.com/paylinks/paylinks/clients/go"
	"github.com/paylinks/paylinks/clients/go/api"
)

type devAPI struct {
	url, key string
	c        *paylinks.Client
}

func dev(t *testing.T) *devAPI {
	t.Helper()
	url, key := os.Getenv("PAYLINKS_API_URL"), os.Getenv("PAYLINKS_API_KEY")
	if testing.Short() || url == "" || key == "" {
		t.Skip("needs a running paylinks: PAYLINKS_API_URL and PAYLINKS_API_KEY (infra/devserver/goclient_test.go sets them)")
	}
	c, err := paylinks.New(url, key)
	if err != nil {
		t.Fatal(err)
	}
	return &devAPI{url: url, key: key, c: c}
}

func ptr[T any](v T) *T { return &v }

func (d *devAPI) create(t *testing.T, description string) *api.PaymentLink {
	t.Helper()
	l, err := d.c.CreateLink(context.Background(), api.CreatePaymentLink{Amount: api.MoneyInput{Currency: "EUR", Value: "12.50"},
		Description: description, Customer: &api.Customer{FirstName: ptr("Ana"), LastName: ptr("Peeters")}}, nil)
	if err != nil {
		t.Fatalf("create %q: %v", description, err)
	}
	return l
}

// eventually polls cond (every 100 ms) for up to 20 s.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after 20 s: %s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestDevLinksCreateReadAndEveryPage(t *testing.T) {
	d := dev(t)
	ctx := context.Background()
	run := fmt.Sprintf("pages %d", time.Now().UnixNano())
	want := map[string]bool{}
	for i := range 5 {
		want[d.create(t, fmt.Sprintf("%s #%d", run, i)).Id] = true
	}
	for id := range want {
		l, err := d.c.GetLink(ctx, id)
		if err != nil || l.Id != id || l.Amount.Value != "12.50" || l.Amount.Currency != "EUR" || l.Status != "created" {
			t.Fatalf("get %s: %+v %v", id, l, err)
		}
		break
	}
	ids := d.allPages(t, want)
	n := 0
	for l, err := range d.c.Links(ctx, api.ListPaymentLinksParams{Limit: ptr(2)}) {
		if err != nil {
			t.Fatal(err)
		}
		if !ids[l.Id] {
			t.Errorf("Links gave %s, All did not", l.Id)
		}
		n++
	}
	if n != len(ids) {
		t.Errorf("Links read %d links, All %d", n, len(ids))
	}
}

// allPages lists every link, 2 a page, with All; want (5 new links) come in
// the first 3 pages, newest first. It returns the ids listed.
func (d *devAPI) allPages(t *testing.T, want map[string]bool) map[string]bool {
	t.Helper()
	ctx := context.Background()
	pages, seen := 0, 0
	page := func(ctx context.Context, cursor *string) ([]api.PaymentLink, *string, error) {
		pages++
		r, err := d.c.API.ListPaymentLinksWithResponse(ctx, &api.ListPaymentLinksParams{Limit: ptr(2), Cursor: cursor})
		if err != nil {
			return nil, nil, err
		}
		return r.JSON200.Data, r.JSON200.NextCursor, nil
	}
	ids := map[string]bool{}
	for l, err := range paylinks.All(ctx, page) {
		if err != nil {
			t.Fatal(err)
		}
		if ids[l.Id] {
			t.Errorf("%s listed twice", l.Id)
		}
		ids[l.Id] = true
		if want[l.Id] {
			seen++
		}
	}
	if seen != 5 || pages < 3 {
		t.Errorf("all pages: %d of the 5 links in %d pages", seen, pages)
	}
	return ids
}

// The same Idempotency-Key twice is one link; a bad request is an *Error
// naming the field; an unknown link a 404 *Error.
func TestDevIdempotencyAndErrors(t *testing.T) {
	d := dev(t)
	ctx := context.Background()
	run := fmt.Sprintf("idem %d", time.Now().UnixNano())
	key := paylinks.IdempotencyKey()
	body := api.CreatePaymentLink{Amount: api.MoneyInput{Currency: "EUR", Value: "3.00"}, Description: run + " idem",
		Customer: &api.Customer{CompanyName: ptr("Acme")}}
	a, err := d.c.CreateLink(ctx, body, &api.CreatePaymentLinkParams{IdempotencyKey: &key})
	if err != nil {
		t.Fatal(err)
	}
	b, err := d.c.CreateLink(ctx, body, &api.CreatePaymentLinkParams{IdempotencyKey: &key})
	if err != nil || b.Id != a.Id {
		t.Errorf("one Idempotency-Key made %s and %v (%v)", a.Id, b, err)
	}
	body.Amount.Value = "3.0.0"
	_, err = d.c.CreateLink(ctx, body, nil)
	var pe *paylinks.Error
	if !errors.As(err, &pe) || pe.Status != 422 || len(pe.Errors) == 0 || !strings.HasPrefix(pe.Errors[0].Field, "amount") {
		t.Errorf("a bad amount: %v %+v", err, pe)
	}
	if _, err := d.c.GetLink(ctx, "pl_00000000000000000000000000"); !errors.As(err, &pe) || pe.Status != 404 {
		t.Errorf("an unknown link: %v", err)
	}
}

// A link paid at the sandbox checkout (paylinks trigger) is refunded.
func TestDevRefundAPaidLink(t *testing.T) {
	d := dev(t)
	ctx := context.Background()
	id := strings.TrimSpace(cli(t, d, "trigger", "payment_link.paid"))
	l, err := d.c.GetLink(ctx, id)
	if err != nil || l.Status != "paid" {
		t.Fatalf("trigger payment_link.paid: %s is %+v (%v)", id, l, err)
	}
	r, err := d.c.Refund(ctx, id, api.CreateRefundJSONRequestBody{Amount: &api.MoneyInput{Currency: "EUR", Value: "2.50"}, Reason: ptr("client test")}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if r.LinkId != id || r.Amount.Value != "2.50" || r.Status == "failed" {
		t.Errorf("refund %+v", r)
	}
	// More than is left is refused, as an *Error.
	_, err = d.c.Refund(ctx, id, api.CreateRefundJSONRequestBody{Amount: &api.MoneyInput{Currency: "EUR", Value: "100.00"}}, nil)
	var pe *paylinks.Error
	if !errors.As(err, &pe) || pe.Status < 400 || pe.Status >= 500 {
		t.Errorf("refunding more than was paid: %v", err)
	}
}

// webhooks is a local endpoint that keeps what it receives.
type webhooks struct {
	mu   sync.Mutex
	got  []delivery
	srv  *httptest.Server
	code int
}

type delivery struct {
	h    http.Header
	body []byte
}

func newWebhooks(t *testing.T) *webhooks {
	w := &webhooks{code: 204}
	w.srv = httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.mu.Lock()
		w.got = append(w.got, delivery{r.Header.Clone(), b})
		w.mu.Unlock()
		rw.WriteHeader(w.code)
	}))
	t.Cleanup(w.srv.Close)
	return w
}

// find is the first delivery whose body holds s.
func (w *webhooks) find(s string) (delivery, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, d := range w.got {
		if strings.Contains(string(d.body), s) {
			return d, true
		}
	}
	return delivery{}, false
}

// The merchant's webhooks, sent to a local endpoint, verify with the secret
// set through the settings API; a tampered body does not. The webhook-id is
// the feed's event id.
func TestDevWebhookVerifies(t *testing.T) {
	d := dev(t)
	ctx := context.Background()
	hooks := newWebhooks(t)
	before, err := d.c.API.GetSettingsWithResponse(ctx)
	if err != nil || before.JSON200 == nil {
		t.Fatalf("read the settings: %v", err)
	}
	t.Cleanup(func() { // the endpoint as it was ("" clears it); the secret is write-only
		url := ""
		if before.JSON200.WebhookUrl != nil {
			url = *before.JSON200.WebhookUrl
		}
		if _, err := d.c.API.PutSettingsWithResponse(ctx, api.PutSettingsJSONRequestBody{WebhookUrl: &url}); err != nil {
			t.Errorf("set the webhook endpoint back: %v", err)
		}
	})
	secret := paylinks.NewWebhookSecret()
	s, err := d.c.API.PutSettingsWithResponse(ctx, api.PutSettingsJSONRequestBody{WebhookUrl: ptr(hooks.srv.URL + "/paylinks"), WebhookSecret: &secret})
	if err != nil || s.JSON200 == nil || !s.JSON200.WebhookSecretSet {
		t.Fatalf("set the webhook endpoint: %v", err)
	}
	l := d.create(t, "webhook test")
	var got delivery
	eventually(t, "no webhook of the new link", func() bool {
		var ok bool
		got, ok = hooks.find(l.Id)
		return ok
	})
	ev, err := paylinks.VerifyWebhook(secret, got.h, got.body, time.Now())
	if err != nil {
		t.Fatalf("the webhook does not verify: %v\n%v\n%s", err, got.h, got.body)
	}
	if ev.Type != "payment_link.created" || ev.Data.Link.Id != l.Id || ev.Data.Link.Amount.Value != "12.50" {
		t.Errorf("event %+v", ev)
	}
	tampered := strings.Replace(string(got.body), "12.50", "1250.00", 1)
	if _, err := paylinks.VerifyWebhook(secret, got.h, []byte(tampered), time.Now()); !errors.Is(err, paylinks.ErrWebhookSignature) {
		t.Errorf("a tampered body: %v", err)
	}
	if _, err := paylinks.VerifyWebhook(paylinks.NewWebhookSecret(), got.h, got.body, time.Now()); !errors.Is(err, paylinks.ErrWebhookSignature) {
		t.Errorf("another secret: %v", err)
	}
	// The feed has the same event under the webhook's id.
	fe, err := d.c.API.GetEventWithResponse(ctx, got.h.Get("webhook-id"))
	if err != nil || fe.JSON200 == nil || fe.JSON200.Data.Link.Id != l.Id || string(fe.JSON200.Type) != string(ev.Type) {
		t.Errorf("GET /v1/events/%s: %v", got.h.Get("webhook-id"), err)
	}
}

// The feed has a new link's events, oldest first; after=<an event> goes on
// after it.
func TestDevEventFeed(t *testing.T) {
	d := dev(t)
	ctx := context.Background()
	l := d.create(t, "feed test")
	var mine []paylinks.Event
	var last string
	eventually(t, "the new link's created event is not in the feed", func() bool {
		mine = nil
		for e, err := range d.c.Events(ctx, api.ListEventsParams{Limit: ptr(50)}) {
			if err != nil {
				t.Fatal(err)
			}
			if e.Data.Link.Id == l.Id {
				mine = append(mine, e)
			}
			last = e.Id
		}
		return len(mine) > 0
	})
	if mine[0].Type != "payment_link.created" || mine[0].Data.Link.Amount.Value != "12.50" {
		t.Errorf("first event of the link %+v", mine[0].FeedEvent)
	}
	for e, err := range d.c.Events(ctx, api.ListEventsParams{After: &mine[0].Id}) {
		if err != nil {
			t.Fatal(err)
		}
		if e.Id == mine[0].Id {
			t.Errorf("after=%s repeats it", e.Id)
		}
	}
	types := "payment_link.paid"
	for e, err := range d.c.Events(ctx, api.ListEventsParams{Types: &types}) {
		if err != nil {
			t.Fatal(err)
		}
		if e.Type != "payment_link.paid" {
			t.Errorf("types=payment_link.paid gave %s", e.Type)
		}
	}
	if _, err := d.c.API.GetEventWithResponse(ctx, last); err != nil {
		t.Errorf("get the last event %s: %v", last, err)
	}
}

var (
	buildOnce sync.Once
	binary    string
	buildErr  error
)

// TestMain removes the paylinks command the tests built.
func TestMain(m *testing.M) {
	code := m.Run()
	if binary != "" {
		_ = os.RemoveAll(filepath.Dir(binary))
	}
	os.Exit(code)
}

// cli runs the paylinks command (built once) against the dev API and
// returns its standard output; it fails the test when the command fails.
func cli(t *testing.T, d *devAPI, args ...string) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "paylinks-cli")
		if err != nil {
			buildErr = err
			return
		}
		binary = filepath.Join(dir, "paylinks")
		out, err := exec.Command("go", "build", "-o", binary, "./cmd/paylinks").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build ./cmd/paylinks: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	c := exec.Command(binary, args...)
	c.Env = append(os.Environ(), "PAYLINKS_API_URL="+d.url, "PAYLINKS_API_KEY="+d.key)
	var stderr strings.Builder
	c.Stderr = &stderr
	out, err := c.Output()
	if err != nil {
		t.Fatalf("paylinks %s: %v\n%s%s", strings.Join(args, " "), err, out, stderr.String())
	}
	return string(out)
}

func TestDevCommand(t *testing.T) {
	d := dev(t)
	ctx := context.Background()
	run := fmt.Sprintf("cli %d", time.Now().UnixNano())
	out := cli(t, d, "links", "create", "--amount", "7.25", "--currency", "EUR", "--description", run, "--customer", "Ana Peeters")
	id, _, _ := strings.Cut(out, "\t")
	if !strings.HasPrefix(id, "pl_") || !strings.Contains(out, "7.25 EUR") {
		t.Fatalf("links create: %q", out)
	}
	if out := cli(t, d, "links", "get", id); !strings.Contains(out, `"id": "`+id+`"`) || !strings.Contains(out, `"value": "7.25"`) {
		t.Errorf("links get: %s", out)
	}
	if out := cli(t, d, "links", "list", "--limit", "2", "--all"); !strings.Contains(out, id+"\tcreated\t7.25 EUR\t"+run) || strings.Count(out, "\n") < 3 {
		t.Errorf("links list --all: %s", out)
	}
	for _, ev := range []string{"payment_link.clicked", "payment_link.declined"} {
		tid := strings.TrimSpace(cli(t, d, "trigger", ev))
		if l, err := d.c.GetLink(ctx, tid); err != nil || "payment_link."+string(l.Status) != ev {
			t.Errorf("trigger %s: %s is %+v %v", ev, tid, l, err)
		}
	}

	// listen forwards the paid events, stops on SIGINT, and goes on after
	// the last one when started again: each event once.
	hooks := newWebhooks(t)
	state := t.TempDir()
	paid1 := strings.TrimSpace(cli(t, d, "trigger", "payment_link.paid"))
	secret := listen(t, d, hooks, state, paid1)
	paid2 := strings.TrimSpace(cli(t, d, "trigger", "payment_link.paid"))
	if again := listen(t, d, hooks, state, paid2); again != secret {
		t.Errorf("the second start signs with %q, the first with %q", again, secret)
	}
	hooks.mu.Lock()
	defer hooks.mu.Unlock()
	seen := map[string]int{}
	for _, g := range hooks.got {
		seen[g.h.Get("webhook-id")]++
		ev, err := paylinks.VerifyWebhook(secret, g.h, g.body, time.Now())
		if err != nil {
			t.Errorf("a forwarded event does not verify: %v", err)
		} else if ev.Type != "payment_link.paid" {
			t.Errorf("--types payment_link.paid forwarded %s", ev.Type)
		}
	}
	for wid, n := range seen {
		if n > 1 {
			t.Errorf("%s forwarded %d times", wid, n)
		}
	}
}

// listen runs paylinks listen until the webhook of link's paid event
// arrives, stops it with SIGINT and returns the secret it printed.
func listen(t *testing.T, d *devAPI, hooks *webhooks, state, link string) string {
	t.Helper()
	cli(t, d, "--help") // built
	c := exec.Command(binary, "listen", "--forward-to", hooks.srv.URL+"/hooks", "--types", "payment_link.paid",
		"--state-dir", state, "--interval", "200ms")
	c.Env = append(os.Environ(), "PAYLINKS_API_URL="+d.url, "PAYLINKS_API_KEY="+d.key)
	stdout, err := c.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	c.Stderr = &stderr
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 1000)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	var secret, printed string
	deadline := time.After(30 * time.Second)
	for printed == "" {
		select {
		case line, ok := <-lines:
			if !ok {
				t.Fatalf("listen ended: %v\n%s", c.Wait(), stderr.String())
			}
			if s, ok := strings.CutPrefix(line, "Webhook signing secret: "); ok {
				secret = s
			}
			if strings.Contains(line, link) {
				printed = line
			}
		case <-deadline:
			_ = c.Process.Kill()
			t.Fatalf("listen did not forward %s's paid event in 30 s\n%s", link, stderr.String())
		}
	}
	if !strings.Contains(printed, "payment_link.paid") || !strings.HasSuffix(printed, "-> 204") {
		t.Errorf("listen printed %q", printed)
	}
	if _, ok := hooks.find(link); !ok {
		t.Errorf("the endpoint did not get %s's event", link)
	}
	_ = c.Process.Signal(syscall.SIGINT)
	var rest []string
	for line := range lines {
		rest = append(rest, line)
	}
	if err := c.Wait(); err != nil || len(rest) == 0 || rest[len(rest)-1] != "Stopped." {
		t.Errorf("after SIGINT: %v, last lines %q\n%s", err, rest, stderr.String())
	}
	return secret
}
