package webhook_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/paylinks/paylinks/shared/boot"
	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/money"
	"github.com/paylinks/paylinks/shared/psp"
	"github.com/paylinks/paylinks/shared/psp/sandbox"
	"github.com/paylinks/paylinks/shared/queue"
	"github.com/paylinks/paylinks/shared/store"
	"github.com/paylinks/paylinks/shared/testkit/testenv"
)

var noFollow = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

type world struct {
	t   *testing.T
	env *testenv.Env
	srv *testenv.Server
	key string
}

func newWorld(t *testing.T) *world {
	env := testenv.New(t)
	key := env.Merchant(t, "shop")
	srv := env.Serve(t)
	srv.Consume(t)
	return &world{t, env, srv, key}
}

func (w *world) create(body string) (id, url string) {
	w.t.Helper()
	req, _ := http.NewRequest("POST", w.srv.URL+"/v1/payment-links", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+w.key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 201 {
		raw, _ := io.ReadAll(resp.Body)
		w.t.Fatalf("create: %v %s", err, raw)
	}
	var l map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&l)
	return l["id"].(string), l["url"].(string)
}

func (w *world) link(id string) *domain.Link {
	w.t.Helper()
	l, err := w.env.Store.Get(w.t.Context(), "shop", id)
	if err != nil {
		w.t.Fatal(err)
	}
	return l
}

// click opens the link as a person and returns the checkout URL.
func (w *world) click(url string) string {
	w.t.Helper()
	resp, err := noFollow.Get(url)
	if err != nil || resp.StatusCode != 302 {
		w.t.Fatalf("click: %v %v", err, resp.StatusCode)
	}
	return resp.Header.Get("Location")
}

func (w *world) press(checkout, button string) *http.Response {
	w.t.Helper()
	resp, err := noFollow.Post(checkout+"/"+button, "application/x-www-form-urlencoded", nil)
	if err != nil || resp.StatusCode != 303 {
		w.t.Fatalf("%s: %v %v", button, err, resp.StatusCode)
	}
	return resp
}

func (w *world) waitStatus(id string, want domain.Status) *domain.Link {
	w.t.Helper()
	var l *domain.Link
	testenv.Eventually(w.t, 10*time.Second, "link "+id+" becomes "+string(want), func() bool {
		l = w.link(id)
		return l.Status == want
	})
	return l
}

func (w *world) eventTypes(id string) []string {
	evs, err := w.env.Store.Events(w.t.Context(), "shop", id)
	if err != nil {
		w.t.Fatal(err)
	}
	var out []string
	for _, e := range evs {
		out = append(out, e.Type)
	}
	return out
}

const body = `{"amount":{"currency":"EUR","value":"120.98"},"description":"Invoice 2026-113","customer":{"first_name":"Ana","last_name":"Peeters","language":"nl"},"redirect_url":"https://shop.example/thanks"}`

func TestPayEndToEnd(t *testing.T) {
	w := newWorld(t)
	id, url := w.create(body)
	checkout := w.click(url)
	page, _ := http.Get(checkout)
	html, _ := io.ReadAll(page.Body)
	// The customer is Dutch: the sandbox's checkout speaks Dutch and writes
	// the amount as Dutch does.
	if !strings.Contains(string(html), `<html lang="nl">`) || !strings.Contains(string(html), "120,98") || !strings.Contains(string(html), `id="pay"`) {
		t.Fatalf("checkout page: %s", html)
	}
	resp := w.press(checkout, "pay")
	if resp.Header.Get("Location") != "https://shop.example/thanks" {
		t.Fatalf("after pay: %q", resp.Header.Get("Location"))
	}
	start := time.Now()
	l := w.waitStatus(id, domain.StatusPaid)
	t.Logf("paid %v after Pay", time.Since(start).Round(time.Millisecond))
	if l.PaidAt == nil || l.PSP != "sandbox" || !strings.HasPrefix(l.PSPReference, "pay_sb_") || l.PaidAfterExpiry {
		t.Fatalf("paid link: %+v", l)
	}
	if got := strings.Join(w.eventTypes(id), ","); got != "payment_link.created,payment_link.clicked,payment_link.paid" {
		t.Fatalf("timeline %s", got)
	}
	// The sandbox redelivers its webhook when asked, as PSP dashboards do:
	// recorded again, applied once.
	sent := w.srv.Service.Sandbox.Sent()
	if len(sent) != 1 {
		t.Fatalf("sandbox sent %v", sent)
	}
	for i := 0; i < 2; i++ {
		resp, err := http.Post(w.srv.URL+"/sandbox/merchants/shop/events/"+sent[0]+"/redeliver", "", nil)
		if err != nil || resp.StatusCode != 202 {
			t.Fatalf("redeliver: %v %d", err, resp.StatusCode)
		}
	}
	if resp, _ := http.Post(w.srv.URL+"/sandbox/merchants/shop/events/evt_sb_nope/redeliver", "", nil); resp.StatusCode != 404 {
		t.Fatalf("redeliver unknown: %d", resp.StatusCode)
	}
	time.Sleep(500 * time.Millisecond)
	if got := strings.Join(w.eventTypes(id), ","); got != "payment_link.created,payment_link.clicked,payment_link.paid" {
		t.Fatalf("timeline after redelivery %s", got)
	}
	// Opening a paid link shows the "already paid" page, in its language.
	resp, _ = noFollow.Get(url)
	html, _ = io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !strings.Contains(string(html), "Al betaald") {
		t.Fatalf("paid page: %d %s", resp.StatusCode, html)
	}
}

func TestDeclineThenRetry(t *testing.T) {
	w := newWorld(t)
	id, url := w.create(body)
	first := w.click(url)
	resp := w.press(first, "decline")
	if !strings.Contains(resp.Header.Get("Location"), "/done?result=declined") {
		t.Fatalf("after decline: %q", resp.Header.Get("Location"))
	}
	l := w.waitStatus(id, domain.StatusDeclined)
	if l.FailureReason != "card_declined" {
		t.Fatalf("failure reason %q", l.FailureReason)
	}
	second := w.click(url)
	if second == first {
		t.Fatal("a retry after a decline must get a new checkout session")
	}
	if l := w.link(id); l.Status != domain.StatusClicked || l.Attempt != 2 {
		t.Fatalf("reopened: %s attempt %d", l.Status, l.Attempt)
	}
	// A late decline of the first attempt changes nothing.
	w.press(first, "decline")
	w.press(second, "pay")
	w.waitStatus(id, domain.StatusPaid)
	time.Sleep(300 * time.Millisecond)
	if got := strings.Join(w.eventTypes(id), ","); got != "payment_link.created,payment_link.clicked,payment_link.declined,payment_link.clicked,payment_link.paid" {
		t.Fatalf("timeline %s", got)
	}
}

// post sends a signed sandbox webhook; it returns the status.
func (w *world) post(merchant string, ev sandbox.WebhookEvent, secret string, at time.Time, mangle func([]byte) []byte) int {
	w.t.Helper()
	raw, _ := json.Marshal(ev)
	sig := psp.SignedHeader(secret, at, raw)
	if mangle != nil {
		raw = mangle(raw)
	}
	req, _ := http.NewRequest("POST", w.srv.URL+"/webhooks/psp/sandbox/"+merchant, bytes.NewReader(raw))
	req.Header.Set(sandbox.SignatureHeader, sig)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		w.t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

const secret = "whsec_sandbox_shop" // seed.Demo's

func TestSameWebhookTenTimesConcurrentlyWithADecline(t *testing.T) {
	w := newWorld(t)
	id, url := w.create(body)
	w.click(url)
	amt := money.MustParse("EUR", "120.98")
	paid := sandbox.WebhookEvent{ID: "evt_sb_paid_1", Type: "payment.succeeded", Created: time.Now().Unix(),
		Data: sandbox.WebhookData{LinkID: id, Attempt: 1, PaymentID: "pay_sb_1", Amount: &amt}}
	declined := sandbox.WebhookEvent{ID: "evt_sb_declined_1", Type: "payment.failed", Created: time.Now().Unix(),
		Data: sandbox.WebhookData{LinkID: id, Attempt: 1, PaymentID: "pay_sb_0", FailureReason: "card_declined"}}
	var wg sync.WaitGroup
	statuses := make(chan int, 11)
	for i := 0; i < 11; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			ev := paid
			if i == 5 {
				ev = declined
			}
			statuses <- w.post("shop", ev, secret, time.Now(), nil)
		}(i)
	}
	wg.Wait()
	close(statuses)
	for st := range statuses {
		if st != 200 {
			t.Fatalf("webhook answered %d", st)
		}
	}
	w.waitStatus(id, domain.StatusPaid)
	// Let every queued copy be consumed, then count.
	testenv.Eventually(t, 10*time.Second, "queue drained", func() bool { return queueDepth(t, w, queue.PSPEvents) == 0 })
	time.Sleep(300 * time.Millisecond)
	n := 0
	for _, e := range w.eventTypes(id) {
		if e == domain.EventPaid {
			n++
		}
	}
	if l := w.link(id); n != 1 || l.Status != domain.StatusPaid || l.PSPReference != "pay_sb_1" {
		t.Fatalf("%d paid events, link %s %s; timeline %v", n, l.Status, l.PSPReference, w.eventTypes(id))
	}
	// A redelivery by the PSP later is still a no-op.
	before, beforeEvents := w.link(id), len(w.eventTypes(id))
	if st := w.post("shop", paid, secret, time.Now(), nil); st != 200 {
		t.Fatal(st)
	}
	time.Sleep(500 * time.Millisecond)
	if after := w.link(id); after.Version != before.Version || len(w.eventTypes(id)) != beforeEvents {
		t.Fatalf("redelivery changed the link: version %d -> %d, %v", before.Version, after.Version, w.eventTypes(id))
	}
}

func queueDepth(t *testing.T, w *world, name string) int {
	out, err := w.env.SQS.GetQueueAttributes(t.Context(), &sqs.GetQueueAttributesInput{QueueUrl: aws.String(w.env.Queues[name]),
		AttributeNames: []sqstypes.QueueAttributeName{"ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"}})
	if err != nil {
		t.Fatal(err)
	}
	a, _ := strconv.Atoi(out.Attributes["ApproximateNumberOfMessages"])
	b, _ := strconv.Atoi(out.Attributes["ApproximateNumberOfMessagesNotVisible"])
	return a + b
}

func TestRefusedWebhooksWriteNothing(t *testing.T) {
	w := newWorld(t)
	id, url := w.create(body)
	w.click(url)
	before := w.link(id)
	ev := sandbox.WebhookEvent{ID: "evt_sb_x", Type: "payment.succeeded", Created: time.Now().Unix(), Data: sandbox.WebhookData{LinkID: id, Attempt: 1, PaymentID: "pay_sb_x"}}
	cases := []struct {
		name     string
		merchant string
		secret   string
		at       time.Time
		mangle   func([]byte) []byte
		want     int
	}{
		{"forged signature", "shop", "whsec_wrong", time.Now(), nil, 401},
		{"stale timestamp", "shop", secret, time.Now().Add(-301 * time.Second), nil, 401},
		{"future timestamp", "shop", secret, time.Now().Add(10 * time.Minute), nil, 401},
		{"truncated body", "shop", secret, time.Now(), func(b []byte) []byte { return b[:len(b)/2] }, 401},
		{"tampered body", "shop", secret, time.Now(), func(b []byte) []byte { return bytes.Replace(b, []byte("pay_sb_x"), []byte("pay_sb_y"), 1) }, 401},
		{"unknown merchant", "nobody", secret, time.Now(), nil, 404},
	}
	for _, c := range cases {
		if st := w.post(c.merchant, ev, c.secret, c.at, c.mangle); st != c.want {
			t.Errorf("%s: %d want %d", c.name, st, c.want)
		}
	}
	// A signed body that is not an event is a 400.
	raw := []byte(`{"id":"evt","type":"payment.succeeded"}`)
	req, _ := http.NewRequest("POST", w.srv.URL+"/webhooks/psp/sandbox/shop", bytes.NewReader(raw))
	req.Header.Set(sandbox.SignatureHeader, psp.SignedHeader(secret, time.Now(), raw))
	resp, _ := http.DefaultClient.Do(req)
	if resp.StatusCode != 400 {
		t.Errorf("signed garbage: %d", resp.StatusCode)
	}
	req, _ = http.NewRequest("POST", w.srv.URL+"/webhooks/psp/sandbox/shop", bytes.NewReader(raw))
	resp, _ = http.DefaultClient.Do(req)
	if resp.StatusCode != 401 {
		t.Errorf("no signature: %d", resp.StatusCode)
	}
	time.Sleep(300 * time.Millisecond)
	if after := w.link(id); after.Version != before.Version || after.Status != domain.StatusClicked {
		t.Fatalf("a refused webhook changed the link: %+v", after)
	}
	if d := queueDepth(t, w, queue.PSPEvents); d != 0 {
		t.Fatalf("%d messages enqueued by refused webhooks", d)
	}
}

func TestUnknownPaymentKeptAndPaidAfterExpiry(t *testing.T) {
	w := newWorld(t)
	ghost := domain.NewID(domain.PrefixLink, time.Now())
	ev := sandbox.WebhookEvent{ID: "evt_sb_ghost", Type: "payment.succeeded", Created: time.Now().Unix(), Data: sandbox.WebhookData{LinkID: ghost, PaymentID: "pay_sb_ghost"}}
	if st := w.post("shop", ev, secret, time.Now(), nil); st != 200 {
		t.Fatal(st)
	}
	testenv.Eventually(t, 10*time.Second, "unknown payment kept", func() bool {
		rows := reviewOf(t, w, "")
		return len(rows) == 1 && rows[0].Kind == store.ReviewUnmatched && rows[0].PSPReference == "pay_sb_ghost" && rows[0].LinkID == ""
	})
	// A payment confirmed after the link expired is recorded: money is never lost.
	id, _ := w.create(body)
	cur := w.link(id)
	exp := *cur
	exp.Status = domain.StatusExpired
	if err := w.env.Store.Transition(t.Context(), cur, &exp, domain.NewEvent(id, domain.EventExpired, cur.Status, exp.Status, time.Now(), nil)); err != nil {
		t.Fatal(err)
	}
	late := sandbox.WebhookEvent{ID: "evt_sb_late", Type: "payment.succeeded", Created: time.Now().Unix(), Data: sandbox.WebhookData{LinkID: id, Attempt: 1, PaymentID: "pay_sb_late", Amount: &cur.Amount}}
	if st := w.post("shop", late, secret, time.Now(), nil); st != 200 {
		t.Fatal(st)
	}
	l := w.waitStatus(id, domain.StatusPaid)
	if !l.PaidAfterExpiry || l.PSPReference != "pay_sb_late" {
		t.Fatalf("paid after expiry: %+v", l)
	}
	// A second, different payment on a paid link is kept for review.
	second := sandbox.WebhookEvent{ID: "evt_sb_second", Type: "payment.succeeded", Created: time.Now().Unix(), Data: sandbox.WebhookData{LinkID: id, Attempt: 1, PaymentID: "pay_sb_other"}}
	w.post("shop", second, secret, time.Now(), nil)
	testenv.Eventually(t, 10*time.Second, "second payment kept", func() bool {
		rows := reviewOf(t, w, store.ReviewSecond)
		return len(rows) == 1 && rows[0].LinkID == id && rows[0].PSPReference == "pay_sb_other"
	})
	if l := w.link(id); l.PSPReference != "pay_sb_late" {
		t.Fatalf("second payment overwrote the first: %s", l.PSPReference)
	}
}

func TestPoisonMessageReachesTheDLQ(t *testing.T) {
	w := newWorld(t)
	if err := w.srv.Service.Sender(queue.PSPEvents).Send(t.Context(), "not a message", 0); err != nil {
		t.Fatal(err)
	}
	dlq := strings.Replace(w.env.Queues[queue.PSPEvents], queue.PSPEvents, queue.PSPEvents+"-dlq", 1)
	testenv.Eventually(t, 40*time.Second, "poison message in the DLQ", func() bool {
		out, err := w.env.SQS.GetQueueAttributes(t.Context(), &sqs.GetQueueAttributesInput{QueueUrl: aws.String(dlq), AttributeNames: []sqstypes.QueueAttributeName{"ApproximateNumberOfMessages"}})
		return err == nil && out.Attributes["ApproximateNumberOfMessages"] == "1"
	})
	if d := queueDepth(t, w, queue.PSPEvents); d != 0 {
		t.Fatalf("poison message still on the queue (%d)", d)
	}
}

// TestIngestThroughLambdaBase64 sends a webhook the way API Gateway hands it
// to the function: the raw body base64-encoded. The signature is over the
// decoded bytes.
func TestIngestThroughLambdaBase64(t *testing.T) {
	w := newWorld(t)
	id, url := w.create(body)
	w.click(url)
	amt := money.MustParse("EUR", "120.98")
	ev := sandbox.WebhookEvent{ID: "evt_sb_b64", Type: "payment.succeeded", Created: time.Now().Unix(), Data: sandbox.WebhookData{LinkID: id, Attempt: 1, PaymentID: "pay_sb_b64", Amount: &amt}}
	raw, _ := json.Marshal(ev)
	h := boot.Lambda(w.srv.Service.Opts.Log, w.srv.Service.WebhookHandler())
	req := events.APIGatewayV2HTTPRequest{Version: "2.0", RawPath: "/webhooks/psp/sandbox/shop", IsBase64Encoded: true,
		Body:           base64.StdEncoding.EncodeToString(raw),
		Headers:        map[string]string{"content-type": "application/json", strings.ToLower(sandbox.SignatureHeader): psp.SignedHeader(secret, time.Now(), raw)},
		RequestContext: events.APIGatewayV2HTTPRequestContext{HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: "POST", Path: "/webhooks/psp/sandbox/shop"}}}
	resp, err := h(t.Context(), req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("%v %d %s", err, resp.StatusCode, resp.Body)
	}
	w.waitStatus(id, domain.StatusPaid)
	// The same bytes with the signature of other bytes: 401.
	req.Headers[strings.ToLower(sandbox.SignatureHeader)] = psp.SignedHeader(secret, time.Now(), append(raw, ' '))
	if resp, _ := h(t.Context(), req); resp.StatusCode != 401 {
		t.Fatalf("bad signature through Lambda: %d", resp.StatusCode)
	}
}
