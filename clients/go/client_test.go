package paylinks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/paylinks/paylinks/clients/go/api"
)

// recorder is a fake API: it records each request and answers with the
// next of its answers (the last one repeats).
type recorder struct {
	mu      sync.Mutex
	reqs    []*http.Request
	bodies  []string
	answers []func(w http.ResponseWriter, r *http.Request)
}

func (rec *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	rec.mu.Lock()
	n := len(rec.reqs)
	rec.reqs, rec.bodies = append(rec.reqs, r), append(rec.bodies, string(b))
	a := rec.answers[min(n, len(rec.answers)-1)]
	rec.mu.Unlock()
	a(w, r)
}

func status(code int, body string) func(http.ResponseWriter, *http.Request) {
	return func(w http.ResponseWriter, _ *http.Request) {
		if code >= 400 {
			w.Header().Set("Content-Type", "application/problem+json")
		} else {
			w.Header().Set("Content-Type", "application/json")
		}
		w.WriteHeader(code)
		_, _ = io.WriteString(w, body)
	}
}

const linkJSON = `{"id":"pl_1","object":"payment_link","amount":{"currency":"EUR","value":"12.50"},"status":"open"}`

func newTest(t *testing.T, rec *recorder, opts ...Option) *Client {
	t.Helper()
	srv := httptest.NewServer(rec)
	t.Cleanup(srv.Close)
	opts = append([]Option{func(tr *transport) { tr.sleep = func(context.Context, time.Duration) error { return nil } }}, opts...)
	c, err := New(srv.URL, "sk_test_x", opts...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func createBody() api.CreatePaymentLink {
	return api.CreatePaymentLink{Amount: api.MoneyInput{Currency: "EUR", Value: "12.50"}, Description: "a test"}
}

// Every POST carries an Idempotency-Key, a new one per call; the client's
// own retries of one call resend the same key and body.
func TestIdempotencyKeyOnEveryPostKeptOnRetries(t *testing.T) {
	rec := &recorder{answers: []func(http.ResponseWriter, *http.Request){
		status(503, `{"type":"about:blank","title":"Unavailable","status":503}`),
		func(w http.ResponseWriter, r *http.Request) { panic(http.ErrAbortHandler) }, // no answer at all
		status(201, linkJSON),
	}}
	c := newTest(t, rec)
	l, err := c.CreateLink(context.Background(), createBody(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if l.Id != "pl_1" || l.Amount.Value != "12.50" {
		t.Errorf("link %+v", l)
	}
	if len(rec.reqs) != 3 {
		t.Fatalf("%d requests, want 3 (two retries)", len(rec.reqs))
	}
	key := rec.reqs[0].Header.Get("Idempotency-Key")
	for i, r := range rec.reqs {
		if r.Header.Get("Idempotency-Key") != key || key == "" {
			t.Errorf("attempt %d: Idempotency-Key %q, want %q on every retry", i, r.Header.Get("Idempotency-Key"), key)
		}
		if r.Header.Get("Authorization") != "Bearer sk_test_x" {
			t.Errorf("attempt %d: Authorization %q", i, r.Header.Get("Authorization"))
		}
		var b map[string]any
		if err := json.Unmarshal([]byte(rec.bodies[i]), &b); err != nil || b["amount"].(map[string]any)["value"] != "12.50" {
			t.Errorf("attempt %d: body %s: the amount is not the decimal string", i, rec.bodies[i])
		}
	}
	if _, err := c.CreateLink(context.Background(), createBody(), nil); err != nil {
		t.Fatal(err)
	}
	if k := rec.reqs[3].Header.Get("Idempotency-Key"); k == key || k == "" {
		t.Errorf("a second call reused the key %q", k)
	}
	mine := "order-42"
	if _, err := c.CreateLink(context.Background(), createBody(), &api.CreatePaymentLinkParams{IdempotencyKey: &mine}); err != nil {
		t.Fatal(err)
	}
	if k := rec.reqs[4].Header.Get("Idempotency-Key"); k != mine {
		t.Errorf("the caller's key was replaced: %q", k)
	}
	if rec.reqs[4].Method != http.MethodPost {
		t.Errorf("method %s", rec.reqs[4].Method)
	}
}

func TestRetriesStopAndNoRetryOfPatch(t *testing.T) {
	rec := &recorder{answers: []func(http.ResponseWriter, *http.Request){status(503, `{"type":"about:blank","title":"Unavailable","status":503}`)}}
	c := newTest(t, rec, WithRetries(3))
	_, err := c.GetLink(context.Background(), "pl_1")
	var pe *Error
	if !errors.As(err, &pe) || pe.Status != 503 {
		t.Fatalf("after the retries: %v, want the 503 as *Error", err)
	}
	if len(rec.reqs) != 4 {
		t.Errorf("%d requests, want 1 and 3 retries", len(rec.reqs))
	}
	md := map[string]string{"a": "b"}
	_, err = c.API.UpdatePaymentLinkWithResponse(context.Background(), "pl_1", api.UpdatePaymentLinkJSONRequestBody{Metadata: &md})
	if !errors.As(err, &pe) || len(rec.reqs) != 5 {
		t.Errorf("a PATCH was retried (%d requests) or its error lost: %v", len(rec.reqs)-4, err)
	}
	if rec.reqs[4].Header.Get("Idempotency-Key") != "" {
		t.Errorf("a PATCH got an Idempotency-Key")
	}
	// A 4xx other than 429 is an answer, not retried.
	rec.answers = []func(http.ResponseWriter, *http.Request){status(404, `{"type":"about:blank","title":"Not Found","status":404}`)}
	if _, err := c.GetLink(context.Background(), "pl_2"); !errors.As(err, &pe) || pe.Status != 404 || len(rec.reqs) != 6 {
		t.Errorf("a 404: %v after %d requests", err, len(rec.reqs)-5)
	}
}

func TestRetryAfterIsHonoured(t *testing.T) {
	limited := func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Retry-After", "7")
		status(429, `{"type":"about:blank","title":"Too Many Requests","status":429}`)(w, nil)
	}
	rec := &recorder{answers: []func(http.ResponseWriter, *http.Request){limited, status(200, linkJSON)}}
	var waited []time.Duration
	c := newTest(t, rec, func(tr *transport) {
		tr.sleep = func(_ context.Context, d time.Duration) error { waited = append(waited, d); return nil }
	})
	if _, err := c.GetLink(context.Background(), "pl_1"); err != nil {
		t.Fatal(err)
	}
	if len(waited) != 1 || waited[0] != 7*time.Second {
		t.Errorf("waited %v, want 7s (Retry-After)", waited)
	}
}

func TestProblemIsATypedError(t *testing.T) {
	rec := &recorder{answers: []func(http.ResponseWriter, *http.Request){
		status(422, `{"type":"https://paylinks.dev/problems/validation","title":"Invalid request","status":422,`+
			`"detail":"2 fields","errors":[{"field":"amount.value","message":"must be a decimal"},{"field":"description","message":"required"}]}`),
		status(403, `{"type":"about:blank","title":"Forbidden","status":403,"missing_permission":"links:write"}`),
		status(502, `<html>bad gateway</html>`),
	}}
	c := newTest(t, rec, WithRetries(0))
	_, err := c.CreateLink(context.Background(), createBody(), nil)
	var pe *Error
	if !errors.As(err, &pe) {
		t.Fatalf("%v (%T) is no *Error", err, err)
	}
	if pe.Status != 422 || pe.Type != "https://paylinks.dev/problems/validation" || pe.Title != "Invalid request" || pe.Detail != "2 fields" ||
		len(pe.Errors) != 2 || pe.Errors[0] != (FieldError{"amount.value", "must be a decimal"}) {
		t.Errorf("problem %+v", pe)
	}
	if want := "paylinks: 422 Invalid request: 2 fields; amount.value: must be a decimal; description: required"; err.Error() != want {
		t.Errorf("message %q, want %q", err.Error(), want)
	}
	_, err = c.API.ArchivePaymentLinkWithResponse(context.Background(), "pl_1", nil)
	if !errors.As(err, &pe) || pe.Status != 403 || pe.MissingPermission != "links:write" {
		t.Errorf("403: %v %+v", err, pe)
	}
	_, err = c.GetLink(context.Background(), "pl_1")
	if !errors.As(err, &pe) || pe.Status != 502 || pe.Title != "Bad Gateway" || pe.Detail != "<html>bad gateway</html>" {
		t.Errorf("a 502 that is not problem+json: %v %+v", err, pe)
	}
}

// Links reads page after page (the cursor of each answer sent back) until
// next_cursor is null.
func TestLinksReadsEveryPage(t *testing.T) {
	page := func(ids []int, next string) func(http.ResponseWriter, *http.Request) {
		var data []string
		for _, i := range ids {
			data = append(data, fmt.Sprintf(`{"id":"pl_%d","amount":{"currency":"EUR","value":"1.00"}}`, i))
		}
		n := "null"
		if next != "" {
			n = strconv.Quote(next)
		}
		return status(200, `{"data":[`+strings.Join(data, ",")+`],"next_cursor":`+n+`}`)
	}
	rec := &recorder{answers: []func(http.ResponseWriter, *http.Request){page([]int{1, 2}, "c1"), page([]int{3, 4}, "c2"), page([]int{5}, "")}}
	c := newTest(t, rec)
	limit := 2
	var got []string
	for l, err := range c.Links(context.Background(), api.ListPaymentLinksParams{Limit: &limit}) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, l.Id)
	}
	if fmt.Sprint(got) != "[pl_1 pl_2 pl_3 pl_4 pl_5]" {
		t.Errorf("links %v", got)
	}
	for i, want := range []string{"", "c1", "c2"} {
		q := rec.reqs[i].URL.Query()
		if q.Get("cursor") != want || q.Get("limit") != "2" {
			t.Errorf("page %d: query %v, want cursor %q and limit 2", i, q, want)
		}
	}
	// Stopping early reads no further page.
	rec.reqs = nil
	for range c.Links(context.Background(), api.ListPaymentLinksParams{}) {
		break
	}
	if len(rec.reqs) != 1 {
		t.Errorf("a break after the first link read %d pages", len(rec.reqs))
	}
}

// Events reads while has_more is true, then stops; the webhook body of an
// event is the event without its id.
func TestEventsReadUntilHasMoreIsFalse(t *testing.T) {
	ev := func(id string) string {
		return `{"id":"` + id + `","type":"payment_link.paid","timestamp":"2026-12-07T10:00:00Z","data":{"event_id":"e","sequence":1,"link":{"id":"pl_1","amount":{"currency":"EUR","value":"9.99"}}}}`
	}
	rec := &recorder{answers: []func(http.ResponseWriter, *http.Request){
		status(200, `{"data":[`+ev("whd_1")+`,`+ev("whd_2")+`],"next_cursor":"whd_2","has_more":true}`),
		status(200, `{"data":[`+ev("whd_3")+`],"next_cursor":"whd_3","has_more":false}`),
	}}
	c := newTest(t, rec)
	after, types := "whd_0", "payment_link.paid"
	var got []Event
	for e, err := range c.Events(context.Background(), api.ListEventsParams{After: &after, Types: &types}) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, e)
	}
	if len(got) != 3 || got[2].Id != "whd_3" || got[0].Data.Link.Amount.Value != "9.99" {
		t.Fatalf("events %+v", got)
	}
	if len(rec.reqs) != 2 || rec.reqs[0].URL.Query().Get("after") != "whd_0" || rec.reqs[1].URL.Query().Get("after") != "whd_2" ||
		rec.reqs[1].URL.Query().Get("types") != "payment_link.paid" {
		t.Errorf("requests %v %v", rec.reqs[0].URL, rec.reqs[len(rec.reqs)-1].URL)
	}
	b, err := got[0].WebhookBody()
	if err != nil {
		t.Fatal(err)
	}
	want := `{"type":"payment_link.paid","timestamp":"2026-12-07T10:00:00Z","data":{"event_id":"e","sequence":1,"link":{"id":"pl_1","amount":{"currency":"EUR","value":"9.99"}}}}`
	if string(b) != want {
		t.Errorf("webhook body\n%s\nwant\n%s", b, want)
	}
}

// An answer with more to read but a cursor that does not move (never
// paylinks': a page that looked at nothing has has_more false) ends the
// reading with an error instead of asking for the same page forever.
func TestEventsStopAtACursorThatDoesNotMove(t *testing.T) {
	ev := `{"id":"whd_1","type":"payment_link.paid","timestamp":"2026-12-07T10:00:00Z","data":{"event_id":"e","sequence":1,"link":{"id":"pl_1"}}}`
	for name, page := range map[string]string{
		"empty page":     `{"data":[],"next_cursor":"whd_0","has_more":true}`,
		"the same event": `{"data":[` + ev + `],"next_cursor":"whd_1","has_more":true}`,
	} {
		rec := &recorder{answers: []func(http.ResponseWriter, *http.Request){status(200, page)}}
		c := newTest(t, rec)
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		after := "whd_0"
		var last error
		n := 0
		for _, err := range c.Events(ctx, api.ListEventsParams{After: &after}) {
			n++
			last = err
		}
		cancel()
		if last == nil || !strings.Contains(last.Error(), "does not move") || len(rec.reqs) > 2 || n > 2 {
			t.Errorf("%s: %d events, %d requests, last error %v", name, n, len(rec.reqs), last)
		}
	}
}

// A list whose next_cursor is the cursor it was asked with ends with an
// error, as the TypeScript client's paginate does, instead of reading the
// same page forever.
func TestLinksStopAtACursorThatDoesNotMove(t *testing.T) {
	rec := &recorder{answers: []func(http.ResponseWriter, *http.Request){
		status(200, `{"data":[{"id":"pl_1","status":"paid","amount":{"currency":"EUR","value":"1.00"}}],"next_cursor":"c1"}`)}}
	c := newTest(t, rec)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	var last error
	n := 0
	for _, err := range c.Links(ctx, api.ListPaymentLinksParams{}) {
		n++
		last = err
	}
	if last == nil || !strings.Contains(last.Error(), "does not move") || len(rec.reqs) != 2 || n != 2 {
		t.Errorf("%d items, %d requests, last error %v", n, len(rec.reqs), last)
	}
}
