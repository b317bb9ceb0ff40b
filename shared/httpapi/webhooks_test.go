package httpapi_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/paylinks/paylinks/shared/devkit/seed"
	"github.com/paylinks/paylinks/shared/outbound"
	"github.com/paylinks/paylinks/shared/service"
	"github.com/paylinks/paylinks/shared/testkit/testenv"
)

// receiver is an integrator's webhook endpoint: it records every request
// and answers what answer says for the n-th request (1-based).
type receiver struct {
	*httptest.Server
	mu     sync.Mutex
	got    []received
	answer func(n int) int
}

type received struct {
	Headers map[string]string `json:"headers"`
	Body    string            `json:"body"`
	Status  int               `json:"-"`
}

func newReceiver(t *testing.T, answer func(n int) int) *receiver {
	r := &receiver{answer: answer}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		code := 200
		if r.answer != nil {
			code = r.answer(len(r.got) + 1)
		}
		r.got = append(r.got, received{Body: string(body), Status: code, Headers: map[string]string{
			"webhook-id": req.Header.Get("webhook-id"), "webhook-timestamp": req.Header.Get("webhook-timestamp"),
			"webhook-signature": req.Header.Get("webhook-signature"), "content-type": req.Header.Get("Content-Type"),
		}})
		r.mu.Unlock()
		w.WriteHeader(code)
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) all() []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]received(nil), r.got...)
}

// delivered are the requests answered 2xx, in arrival order.
func (r *receiver) delivered() []received {
	var out []received
	for _, x := range r.all() {
		if x.Status < 300 {
			out = append(out, x)
		}
	}
	return out
}

type payload struct {
	Type string `json:"type"`
	Data struct {
		EventID  string         `json:"event_id"`
		Sequence int            `json:"sequence"`
		Link     map[string]any `json:"link"`
		Refund   map[string]any `json:"refund"`
		Review   map[string]any `json:"review"`
	} `json:"data"`
}

func (x received) payload(t *testing.T) payload {
	t.Helper()
	var p payload
	if err := json.Unmarshal([]byte(x.Body), &p); err != nil {
		t.Fatalf("webhook body %q: %v", x.Body, err)
	}
	return p
}

// verifyWithReference checks signatures with the Standard Webhooks
// reference library (PyPI standardwebhooks, installed by the emulator
// script): an implementation of the spec that is not ours. It returns one
// verdict per request ("ok" or the library's error).
func verifyWithReference(t *testing.T, secret string, reqs []received) []string {
	t.Helper()
	root, _ := filepath.Abs("../..")
	py := filepath.Join(root, ".tools", "venv", "bin", "python")
	if _, err := os.Stat(py); err != nil {
		t.Fatalf("the reference verifier needs %s (infra/local/emulators.sh install): %v", py, err)
	}
	in, _ := json.Marshal(map[string]any{"secret": secret, "requests": reqs})
	cmd := exec.Command(py, filepath.Join(root, "testdata", "webhooks", "verify.py"))
	cmd.Stdin = strings.NewReader(string(in))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("reference verifier: %v: %s", err, out)
	}
	var verdicts []string
	if err := json.Unmarshal(out, &verdicts); err != nil {
		t.Fatalf("reference verifier output %q: %v", out, err)
	}
	return verdicts
}

// webhookEnv is a service with a merchant whose endpoint is rcv, the queue
// consumers and the table's stream running, retries spaced by schedule.
func webhookEnv(t *testing.T, rcv *receiver, schedule []time.Duration, secrets ...string) (*testenv.Env, *testenv.Server, string) {
	t.Helper()
	testenv.NeedStream(t)
	env := testenv.New(t)
	m := seed.Demo("hooks")
	m.WebhookURL = rcv.URL + "/paylinks"
	if len(secrets) > 0 {
		m.WebhookSecrets = secrets
		m.WebhookSecretRotatedAt = time.Now().UTC().Format(time.RFC3339) // a rotation within the last 24 h
	}
	key := env.MerchantWith(t, m)
	srv := env.ServeWith(t, func(o *service.Options) {
		o.AllowLoopbackWebhooks, o.WebhookSchedule, o.MerchantTTL = true, schedule, time.Millisecond
	})
	srv.Consume(t)
	srv.Tail(t, env)
	return env, srv, key
}

const hookSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
const hookSecretOld = "whsec_c2VjcmV0LWJlZm9yZS10aGUtcm90YXRpb24tMDAwMA=="

var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func TestWebhooksFollowALinksLife(t *testing.T) {
	rcv := newReceiver(t, nil)
	_, srv, key := webhookEnv(t, rcv, []time.Duration{time.Second}, hookSecret, hookSecretOld)
	id := liveALinksLife(t, rcv, srv.URL, key)
	got := lifeEventsInOrder(t, rcv, id)
	lifeSignedWithBothSecrets(t, got)
	lifeDeliveriesListed(t, srv.URL, key, id)
}

// liveALinksLife creates, clicks, pays and partly refunds a link, waiting
// for each event's delivery; it returns the link's id.
func liveALinksLife(t *testing.T, rcv *receiver, base, key string) string {
	t.Helper()
	wait := func(n int, what string) {
		testenv.Eventually(t, 20*time.Second, what, func() bool { return len(rcv.delivered()) >= n })
	}
	st, _, raw := call(t, "POST", base+"/v1/payment-links", key, `{"amount":{"currency":"EUR","value":"80.00"},"description":"Order 77","customer":{"company_name":"Acme BV","email":"a@example.com"}}`, nil, true)
	if st != 201 {
		t.Fatalf("create %d %s", st, raw)
	}
	link := decode(t, raw)
	id := link["id"].(string)
	wait(1, "payment_link.created delivered")

	resp, err := noRedirect.Get(link["url"].(string))
	if err != nil || resp.StatusCode != 302 {
		t.Fatalf("click: %v %v", resp, err)
	}
	resp.Body.Close()
	checkout := resp.Header.Get("Location")
	wait(2, "payment_link.clicked delivered")

	resp, err = noRedirect.Post(checkout+"/pay", "application/x-www-form-urlencoded", nil)
	if err != nil || resp.StatusCode != 303 {
		t.Fatalf("pay: %v %v", resp, err)
	}
	resp.Body.Close()
	wait(3, "payment_link.paid delivered")

	if st, _, raw := call(t, "POST", base+"/v1/payment-links/"+id+"/refunds", key, `{"amount":{"currency":"EUR","value":"30.00"}}`, nil, true); st != 201 {
		t.Fatalf("refund %d %s", st, raw)
	}
	wait(4, "refund.succeeded delivered")
	time.Sleep(1500 * time.Millisecond) // nothing else may follow (no refund.created, no duplicates)

	return id
}

// lifeEventsInOrder: exactly the four events, in order, with rising
// sequences, distinct webhook ids and both secrets' signatures; the last
// carries the refund.
func lifeEventsInOrder(t *testing.T, rcv *receiver, id string) []received {
	t.Helper()
	got := rcv.all()
	if len(got) != 4 {
		t.Fatalf("%d requests, want 4: %+v", len(got), got)
	}
	want := []string{"payment_link.created", "payment_link.clicked", "payment_link.paid", "refund.succeeded"}
	wantStatus := []string{"created", "clicked", "paid", "paid"}
	seq, ids := -1, map[string]bool{}
	for i, x := range got {
		p := x.payload(t)
		if p.Type != want[i] || p.Data.Link["id"] != id || p.Data.Link["status"] != wantStatus[i] {
			t.Fatalf("event %d: %s with link %v, want %s (%s)", i, p.Type, p.Data.Link, want[i], wantStatus[i])
		}
		if p.Data.Sequence <= seq {
			t.Fatalf("sequence %d after %d", p.Data.Sequence, seq)
		}
		seq = p.Data.Sequence
		if x.Headers["content-type"] != "application/json" || !strings.HasPrefix(x.Headers["webhook-id"], "msg_") || ids[x.Headers["webhook-id"]] {
			t.Fatalf("headers %v", x.Headers)
		}
		ids[x.Headers["webhook-id"]] = true
		if strings.Count(x.Headers["webhook-signature"], "v1,") != 2 {
			t.Fatalf("rotation must sign with both secrets: %q", x.Headers["webhook-signature"])
		}
	}
	last := got[3].payload(t)
	if last.Data.Refund["id"] == nil || last.Data.Refund["status"] != "succeeded" || last.Data.Link["amount_refunded"].(map[string]any)["value"] != "30.00" ||
		last.Data.Refund["amount"].(map[string]any)["value"] != "30.00" {
		t.Fatalf("refund event %+v", last.Data)
	}

	return got
}

// lifeSignedWithBothSecrets: both the new and the previous secret verify
// every request with the reference library; a tampered body and an unknown
// secret do not.
func lifeSignedWithBothSecrets(t *testing.T, got []received) {
	t.Helper()
	// Both the new and the previous secret verify every request with the
	// reference library; a tampered body and an unknown secret do not.
	for _, secret := range []string{hookSecret, hookSecretOld} {
		for i, v := range verifyWithReference(t, secret, got) {
			if v != "ok" {
				t.Fatalf("request %d does not verify with %s: %s", i, secret[:10], v)
			}
		}
	}
	tampered := append([]received(nil), got[2])
	tampered[0].Body = strings.Replace(tampered[0].Body, `"paid"`, `"PAID"`, 1)
	if v := verifyWithReference(t, hookSecret, tampered); v[0] == "ok" {
		t.Fatal("a tampered body verified")
	}
	if v := verifyWithReference(t, "whsec_"+strings.Repeat("Z", 32), got[:1]); v[0] == "ok" {
		t.Fatal("a foreign secret verified")
	}

}

// lifeDeliveriesListed: every delivery is listed, succeeded on its first attempt.
func lifeDeliveriesListed(t *testing.T, base, key, id string) {
	t.Helper()
	// Every delivery is listed, succeeded on its first attempt.
	st, _, raw := call(t, "GET", base+"/v1/webhook-deliveries?link_id="+id, key, "", nil, true)
	list := decode(t, raw)["data"].([]any)
	if st != 200 || len(list) != 4 {
		t.Fatalf("deliveries %d %s", st, raw)
	}
	for _, d := range list {
		d := d.(map[string]any)
		if d["status"] != "succeeded" || d["attempts"].(float64) != 1 || len(d["attempt_log"].([]any)) != 1 {
			t.Fatalf("delivery %v", d)
		}
	}
}

func TestWebhookRetriedUntilTheEndpointRecovers(t *testing.T) {
	// The endpoint fails its first three requests (500, timeout-like 503,
	// and a redirect, which is not followed), then recovers.
	rcv := newReceiver(t, func(n int) int {
		if code, failing := map[int]int{1: 500, 2: 503, 3: 307}[n]; failing {
			return code
		}
		return 200
	})
	_, srv, key := webhookEnv(t, rcv, []time.Duration{time.Second, time.Second, time.Second, time.Second})

	var ids []string
	for _, v := range []string{"10.00", "11.00"} {
		st, _, raw := call(t, "POST", srv.URL+"/v1/payment-links", key, `{"amount":{"currency":"EUR","value":"`+v+`"},"description":"d","customer":{"company_name":"Acme BV","email":"a@example.com"}}`, nil, true)
		if st != 201 {
			t.Fatalf("create %d %s", st, raw)
		}
		ids = append(ids, decode(t, raw)["id"].(string))
	}
	testenv.Eventually(t, 30*time.Second, "both events delivered", func() bool { return len(rcv.delivered()) >= 2 })
	time.Sleep(2500 * time.Millisecond) // no further attempts once delivered

	retriesAreOneMessage(t, rcv, ids)
	retriedDeliveriesListed(t, srv.URL, key)
}

// retriesAreOneMessage: five requests, one delivered per link, and each
// retry is the same message: same webhook-id and body.
func retriesAreOneMessage(t *testing.T, rcv *receiver, ids []string) {
	t.Helper()
	perID := map[string]int{}
	for _, x := range rcv.delivered() {
		perID[x.payload(t).Data.Link["id"].(string)]++
	}
	if len(rcv.all()) != 5 || perID[ids[0]] != 1 || perID[ids[1]] != 1 {
		t.Fatalf("%d requests, delivered per link %v", len(rcv.all()), perID)
	}
	// Each retry is the same message: same webhook-id and body, fresh timestamp.
	byID := map[string][]received{}
	for _, x := range rcv.all() {
		byID[x.Headers["webhook-id"]] = append(byID[x.Headers["webhook-id"]], x)
	}
	for _, xs := range byID {
		for _, x := range xs[1:] {
			if x.Body != xs[0].Body {
				t.Fatal("a retry changed the body")
			}
		}
	}
}

// retriedDeliveriesListed: both deliveries are listed with five attempts in
// all, each readable with its attempt log; unknown ids and filters refused.
func retriedDeliveriesListed(t *testing.T, base, key string) {
	t.Helper()
	st, _, raw := call(t, "GET", base+"/v1/webhook-deliveries?status=succeeded&limit=10", key, "", nil, true)
	list, ok := decode(t, raw)["data"].([]any)
	if st != 200 || !ok {
		t.Fatalf("list deliveries: %d %s", st, raw)
	}
	attempts := 0
	for _, d := range list {
		d := d.(map[string]any)
		attempts += int(d["attempts"].(float64))
		st2, _, raw2 := call(t, "GET", base+"/v1/webhook-deliveries/"+d["id"].(string), key, "", nil, true)
		one := decode(t, raw2)
		if st2 != 200 || one["id"] != d["id"] || len(one["attempt_log"].([]any)) != int(d["attempts"].(float64)) {
			t.Fatalf("get delivery %d %s", st2, raw2)
		}
	}
	if st != 200 || len(list) != 2 || attempts != 5 {
		t.Fatalf("deliveries %d, %d attempts: %s", len(list), attempts, raw)
	}
	if st, _, _ := call(t, "GET", base+"/v1/webhook-deliveries/msg_01M844JMR1Q6KRCVXQN02ZJWPF", key, "", nil, true); st != 404 {
		t.Fatalf("unknown delivery: %d", st)
	}
	if st, _, raw := call(t, "GET", base+"/v1/webhook-deliveries?status=lost", key, "", nil, false); st != 422 || !strings.Contains(string(raw), `"field":"status"`) {
		t.Fatalf("bad filter: %d %s", st, raw)
	}
}

func TestWebhookDuplicateStreamRecordsDeliverOnce(t *testing.T) {
	rcv := newReceiver(t, nil)
	testenv.NeedStream(t)
	env := testenv.New(t)
	m := seed.Demo("dup")
	m.WebhookURL = rcv.URL + "/h"
	key := env.MerchantWith(t, m)
	srv := env.ServeWith(t, func(o *service.Options) { o.AllowLoopbackWebhooks, o.MerchantTTL = true, time.Millisecond })
	srv.Consume(t)

	for i := 0; i < 3; i++ {
		if st, _, raw := call(t, "POST", srv.URL+"/v1/payment-links", key, `{"amount":{"currency":"EUR","value":"5.00"},"description":"d","customer":{"company_name":"Acme BV","email":"a@example.com"}}`, nil, true); st != 201 {
			t.Fatalf("create %d %s", st, raw)
		}
	}
	// Every record handed over three times: twice in one batch, and once
	// more by a second reader (a retried batch), and concurrently.
	ctx := context.Background()
	twice := func(ctx context.Context, recs []outbound.Record) string {
		return srv.Service.Stream.Handle(ctx, append(append([]outbound.Record(nil), recs...), recs...))
	}
	env.SQSCount.Reset()
	var wg sync.WaitGroup
	for i := 0; i < 2; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := env.StreamReader().Once(ctx, twice); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	// Every handling enqueued (a record seen before may not have been):
	// 3 records x 2 in a batch x 2 readers.
	if n := env.SQSCount.Snapshot()["SendMessage"]; n != 12 {
		t.Fatalf("%d messages queued for 12 handlings", n)
	}
	testenv.Eventually(t, 20*time.Second, "three events delivered", func() bool { return len(rcv.delivered()) >= 3 })
	time.Sleep(3 * time.Second) // the duplicate messages are handled meanwhile
	if n := len(rcv.all()); n != 3 {
		t.Fatalf("%d requests for 3 events", n)
	}
	// The duplicates were dropped, not left to fail into the DLQ.
	attrs, err := env.SQS.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(env.Queues["webhooks"] + "-dlq"), AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameApproximateNumberOfMessages}})
	if err != nil || attrs.Attributes["ApproximateNumberOfMessages"] != "0" {
		t.Fatalf("dlq: %v %v", attrs, err)
	}
}

func TestWebhookGoneDisablesAndGivingUpKeepsItForReplay(t *testing.T) {
	var mode sync.Map // "code" -> int
	mode.Store("code", 410)
	rcv := newReceiver(t, func(int) int { v, _ := mode.Load("code"); return v.(int) })
	env, srv, key := webhookEnv(t, rcv, []time.Duration{time.Second})
	create := func() string {
		st, _, raw := call(t, "POST", srv.URL+"/v1/payment-links", key, `{"amount":{"currency":"EUR","value":"9.00"},"description":"d","customer":{"company_name":"Acme BV"}}`, nil, true)
		if st != 201 {
			t.Fatalf("create %d %s", st, raw)
		}
		return decode(t, raw)["id"].(string)
	}
	first := create()
	testenv.Eventually(t, 20*time.Second, "410 answered", func() bool { return len(rcv.all()) == 1 })
	var settings jsonMap
	testenv.Eventually(t, 10*time.Second, "endpoint disabled", func() bool {
		_, _, raw := call(t, "GET", srv.URL+"/v1/settings", key, "", nil, true)
		settings = decode(t, raw)
		return settings["webhook_disabled_at"] != nil
	})
	// Disabled: new events make no delivery, retries are refused.
	create()
	time.Sleep(1500 * time.Millisecond)
	if n := len(rcv.all()); n != 1 {
		t.Fatalf("%d requests to a disabled endpoint", n)
	}
	_, _, raw := call(t, "GET", srv.URL+"/v1/webhook-deliveries?link_id="+first, key, "", nil, true)
	gone := decode(t, raw)["data"].([]any)[0].(map[string]any)
	if gone["status"] != "failed" || gone["attempts"].(float64) != 1 {
		t.Fatalf("delivery answered 410: %v", gone)
	}
	if st, _, _ := call(t, "POST", srv.URL+"/v1/webhook-deliveries/"+gone["id"].(string)+"/retry", key, "", nil, true); st != 409 {
		t.Fatalf("retry while disabled: %d", st)
	}

	// Setting the URL again enables it; now the endpoint fails for good:
	// two attempts (schedule of one retry), then failed and in the DLQ.
	mode.Store("code", 500)
	if st, _, raw := call(t, "PUT", srv.URL+"/v1/settings", key, `{"webhook_url":"`+rcv.URL+`/paylinks"}`, nil, true); st != 200 || decode(t, raw)["webhook_disabled_at"] != nil {
		t.Fatalf("re-enable %d %s", st, raw)
	}
	third := create()
	var failed map[string]any
	testenv.Eventually(t, 20*time.Second, "gave up", func() bool {
		_, _, raw := call(t, "GET", srv.URL+"/v1/webhook-deliveries?status=failed&link_id="+third, key, "", nil, true)
		data := decode(t, raw)["data"].([]any)
		if len(data) == 1 {
			failed = data[0].(map[string]any)
		}
		return failed != nil
	})
	if failed["attempts"].(float64) != 2 || failed["next_attempt_at"] != nil {
		t.Fatalf("given up delivery %v", failed)
	}
	testenv.Eventually(t, 10*time.Second, "kept in the DLQ", func() bool {
		out, err := env.SQS.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{QueueUrl: aws.String(env.Queues["webhooks"] + "-dlq"), WaitTimeSeconds: 1})
		return err == nil && len(out.Messages) == 1 && strings.Contains(aws.ToString(out.Messages[0].Body), failed["id"].(string))
	})

	// Replayed by hand once the endpoint works: same webhook-id, delivered.
	mode.Store("code", 200)
	before := len(rcv.all())
	st, _, raw := call(t, "POST", srv.URL+"/v1/webhook-deliveries/"+failed["id"].(string)+"/retry", key, "", map[string]string{"Idempotency-Key": "replay-1"}, true)
	if st != 202 || decode(t, raw)["status"] != "pending" {
		t.Fatalf("retry %d %s", st, raw)
	}
	testenv.Eventually(t, 20*time.Second, "replayed", func() bool { return len(rcv.all()) == before+1 })
	last := rcv.all()[before]
	if last.Status != 200 || last.Headers["webhook-id"] != failed["id"] {
		t.Fatalf("replay %+v", last)
	}
	testenv.Eventually(t, 10*time.Second, "succeeded", func() bool {
		_, _, raw := call(t, "GET", srv.URL+"/v1/webhook-deliveries/"+failed["id"].(string), key, "", nil, true)
		d := decode(t, raw)
		return d["status"] == "succeeded" && d["attempts"].(float64) == 3
	})
	if st, _, _ := call(t, "POST", srv.URL+"/v1/webhook-deliveries/msg_01M844JMR1Q6KRCVXQN02ZJWPF/retry", key, "", nil, true); st != 404 {
		t.Fatalf("retry of an unknown delivery: %d", st)
	}
}

func TestWebhookSSRFTargetsRefused(t *testing.T) {
	env := testenv.New(t)
	key := env.Merchant(t, "ssrf")
	srv := env.Serve(t) // deployed behaviour: loopback not allowed
	for _, u := range []string{"http://hooks.example.com/x", "https://127.0.0.1/x", "https://169.254.169.254/latest/meta-data/", "https://[::1]:8443/",
		"https://10.0.0.5/hook", "https://192.168.1.10/hook", "https://localhost/hook", "https://[fd00:ec2::254]/", "https://user:pw@hooks.example.com/"} {
		st, _, raw := call(t, "PUT", srv.URL+"/v1/settings", key, `{"webhook_url":"`+u+`"}`, nil, true)
		if st != 422 || !strings.Contains(string(raw), `"field":"webhook_url"`) {
			t.Errorf("%s: %d %s", u, st, raw)
		}
	}
	for _, s := range []string{"whsec_short", "not-a-secret-at-all-but-long-enough-000000", "whsec_%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%%"} {
		if st, _, raw := call(t, "PUT", srv.URL+"/v1/settings", key, `{"webhook_secret":"`+s+`"}`, nil, true); st != 422 || !strings.Contains(string(raw), `"field":"webhook_secret"`) {
			t.Errorf("secret %q: %d %s", s, st, raw)
		}
	}
	if st, _, raw := call(t, "PUT", srv.URL+"/v1/settings", key, `{"webhook_url":"https://hooks.example.com/paylinks","webhook_secret":"`+hookSecret+`"}`, nil, true); st != 200 {
		t.Fatalf("public https endpoint refused: %d %s", st, raw)
	}

	// A name that resolves to loopback passes the URL check but not the
	// connection: nothing reaches the server behind it.
	var hit atomic.Int32
	target := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hit.Add(1) }))
	defer target.Close()
	port := target.URL[strings.LastIndex(target.URL, ":")+1:]
	for _, u := range []string{"http://localhost:" + port + "/", "http://127.0.0.1:" + port + "/", "http://[::ffff:127.0.0.1]:" + port + "/"} {
		resp, err := outbound.Guard{}.Client().Post(u, "application/json", strings.NewReader("{}"))
		if err == nil {
			resp.Body.Close()
			t.Errorf("%s reached", u)
		} else if !strings.Contains(err.Error(), "private or reserved") {
			t.Errorf("%s: %v", u, err)
		}
	}
	if n := hit.Load(); n != 0 {
		t.Fatalf("%d requests reached a loopback target", n)
	}
}
