package httpapi_test

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/paylinks/paylinks/shared/devkit/seed"
	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/merchant"
	"github.com/paylinks/paylinks/shared/psp/sandbox"
	"github.com/paylinks/paylinks/shared/service"
	"github.com/paylinks/paylinks/shared/testkit/testenv"
)

// Issue 17's hostile tries, each through the real emulators: before the
// fixes, every one of these tests failed.

const plainCreate = `{"amount":{"currency":"EUR","value":"55.00"},"description":"Order 17","customer":{"first_name":"Ana","last_name":"Peeters","email":"ana@example.be"}}`

// A live merchant cannot switch to the sandbox, and a live merchant whose
// stored settings say sandbox anyway is never paid by it: no sandbox
// checkout, Pay refused, a sandbox-signed webhook refused.
func TestLiveMerchantCannotUseTheSandbox(t *testing.T) {
	env := testenv.New(t)
	live := seed.Demo("liveshop")
	live.Live, live.PSP = true, "stripe"
	key := env.MerchantWith(t, live)
	srv := env.Serve(t)
	st, _, raw := call(t, "PUT", srv.URL+"/v1/settings", key, `{"psp":"sandbox"}`, nil, true)
	if st != 422 || !strings.Contains(string(raw), `"field":"psp"`) {
		t.Fatalf("a live merchant chose the sandbox: %d %s", st, raw)
	}
	// Settings written around the API (an old row, an operator's slip).
	st, _, raw = call(t, "POST", srv.URL+"/v1/payment-links", key, plainCreate, nil, true)
	if st != 201 {
		t.Fatalf("create %d %s", st, raw)
	}
	l := decode(t, raw)
	live.PSP = "sandbox"
	if err := env.Store.PutMerchant(t.Context(), live); err != nil {
		t.Fatal(err)
	}
	resp, err := noRedirect.Get(l["url"].(string))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode == http.StatusFound && strings.Contains(resp.Header.Get("Location"), "/sandbox/") {
		t.Fatalf("a live link was sent to the sandbox checkout: %s", resp.Header.Get("Location"))
	}
	cur, _ := env.Store.Get(t.Context(), "liveshop", l["id"].(string))
	tok := srv.Service.Sandbox.Token(sandbox.Session{Merchant: "liveshop", LinkID: cur.ID, Attempt: cur.Attempt})
	resp, err = noRedirect.Post(srv.URL+"/sandbox/checkout/"+tok+"/pay", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	time.Sleep(300 * time.Millisecond)
	if got, _ := env.Store.Get(t.Context(), "liveshop", l["id"].(string)); got.Status == domain.StatusPaid || resp.StatusCode < 400 {
		t.Fatalf("the sandbox's Pay answered %d on a live link; status %s", resp.StatusCode, got.Status)
	}
}

// With the sandbox disabled (a prod stage), its pages are not served, not
// even for a session signed with the stage's own secret, and no merchant can
// choose it.
func TestNoSandboxWhenDisabled(t *testing.T) {
	env := testenv.New(t)
	key := env.Merchant(t, "shop")
	srv := env.ServeWith(t, func(o *service.Options) { o.DisableSandbox = true })
	if st, _, raw := call(t, "PUT", srv.URL+"/v1/settings", key, `{"psp":"sandbox"}`, nil, true); st != 422 {
		t.Fatalf("sandbox chosen on a stage without it: %d %s", st, raw)
	}
	_, _, raw := call(t, "POST", srv.URL+"/v1/payment-links", key, plainCreate, nil, true)
	tok := srv.Service.Sandbox.Token(sandbox.Session{Merchant: "shop", LinkID: decode(t, raw)["id"].(string), Attempt: 1})
	for _, path := range []string{"/sandbox/checkout/" + tok, "/sandbox/checkout/" + tok + "/pay"} {
		method := http.MethodGet
		if strings.HasSuffix(path, "/pay") {
			method = http.MethodPost
		}
		req, _ := http.NewRequest(method, srv.URL+path, nil)
		resp, err := noRedirect.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 404 && resp.StatusCode != 405 {
			t.Fatalf("%s %s served with the sandbox disabled: %d", method, path, resp.StatusCode)
		}
	}
}

// A test merchant that moves to the sandbox gets a PSP webhook secret of
// its own, made then (never derived), and its links are paid through it.
func TestSandboxChosenGetsItsOwnSecret(t *testing.T) {
	env := testenv.New(t)
	m := seed.Demo("movers")
	m.PSP, m.PSPWebhookSecret = "stripe", ""
	key := env.MerchantWith(t, m)
	srv := env.Serve(t)
	srv.Consume(t)
	if st, _, raw := call(t, "PUT", srv.URL+"/v1/settings", key, `{"psp":"sandbox"}`, nil, true); st != 200 {
		t.Fatalf("settings %d %s", st, raw)
	}
	got, _ := env.Store.GetMerchant(t.Context(), "movers")
	if !strings.HasPrefix(got.PSPWebhookSecret, "whsec_sb_") || len(got.PSPWebhookSecret) < 40 {
		t.Fatalf("sandbox webhook secret %q", got.PSPWebhookSecret)
	}
	_, _, raw := call(t, "POST", srv.URL+"/v1/payment-links", key, plainCreate, nil, true)
	l := decode(t, raw)
	resp, err := noRedirect.Get(l["url"].(string))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	resp, err = noRedirect.Post(resp.Header.Get("Location")+"/pay", "", nil)
	if err != nil || resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("pay at the sandbox: %v %v", resp, err)
	}
	resp.Body.Close()
	testenv.Eventually(t, 10*time.Second, "paid through the sandbox", func() bool {
		cur, _ := env.Store.Get(t.Context(), "movers", l["id"].(string))
		return cur.Status == domain.StatusPaid
	})
}

// sqsAt is an SQS client that talks to addr instead of the emulator.
func sqsAt(t *testing.T, addr string) *sqs.Client {
	return sqs.NewFromConfig(testenv.AWSConfig(t), func(o *sqs.Options) { o.BaseEndpoint = aws.String("http://" + addr) })
}

// refusedAddr is a loopback port nothing listens on.
func refusedAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// frozenAddr accepts connections and never answers (a frozen SQS).
func frozenAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var held []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			held = append(held, c)
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		for _, c := range held {
			c.Close()
		}
	})
	return ln.Addr().String()
}

// A send asked for at create time while SQS refuses connections: the link
// is created with its send recorded in the same transaction, and the table's
// stream carries it out once a consumer runs: one e-mail, never lost, never
// two.
func TestSendAtCreateSurvivesAQueueOutage(t *testing.T) {
	testenv.NeedStream(t)
	env := testenv.New(t)
	key := env.Merchant(t, "shop")
	down := env.ServeWith(t, func(o *service.Options) { o.SQS = sqsAt(t, refusedAddr(t)) })
	body := strings.Replace(plainCreate, `}}`, `},"send":{"channel":"email"}}`, 1)
	began := time.Now()
	st, _, raw := call(t, "POST", down.URL+"/v1/payment-links", key, body, map[string]string{"Idempotency-Key": "outage-1"}, true)
	if st != 201 {
		t.Fatalf("create during the outage: %d %s", st, raw)
	}
	if took := time.Since(began); took > 5*time.Second {
		t.Fatalf("create waited %s on the refused queue", took)
	}
	id := decode(t, raw)["id"].(string)
	// The queue is back: the stream hands the recorded send to the worker.
	up := env.Serve(t)
	up.Consume(t)
	up.Tail(t, env)
	testenv.Eventually(t, 20*time.Second, "the e-mail asked for at create time", func() bool { return len(up.Service.Outbox.All()) >= 1 })
	time.Sleep(time.Second)
	out := up.Service.Outbox.All()
	if len(out) != 1 || out[0].To != "ana@example.be" {
		t.Fatalf("want one e-mail to ana@example.be, got %+v", out)
	}
	evs, _ := env.Store.Events(t.Context(), "shop", id)
	sent := 0
	for _, e := range evs {
		if e.Type == "message.sent" {
			sent++
		}
		if e.Type == "message.failed" {
			t.Fatalf("the timeline says the send failed: %+v", e)
		}
	}
	if sent != 1 {
		t.Fatalf("%d message.sent events", sent)
	}
}

// A frozen SQS: the request answers 503 with Retry-After within the
// request's deadline, writes nothing, and the same Idempotency-Key works
// once the queue is back.
func TestFrozenQueueAnswers503WithRetryAfter(t *testing.T) {
	env := testenv.New(t)
	key := env.Merchant(t, "shop")
	up := env.Serve(t)
	_, _, raw := call(t, "POST", up.URL+"/v1/payment-links", key, plainCreate, nil, true)
	id := decode(t, raw)["id"].(string)
	frozen := env.ServeWith(t, func(o *service.Options) { o.SQS = sqsAt(t, frozenAddr(t)); o.Deadline = 2 * time.Second })
	began := time.Now()
	st, h, raw := call(t, "POST", frozen.URL+"/v1/payment-links/"+id+"/send", key, `{"channel":"email"}`, map[string]string{"Idempotency-Key": "frozen-1"}, true)
	took := time.Since(began)
	if st != 503 || h.Get("Retry-After") == "" || !strings.Contains(h.Get("Content-Type"), "problem+json") {
		t.Fatalf("frozen queue: %d %v %s", st, h, raw)
	}
	if took > 5*time.Second {
		t.Fatalf("the request hung %s on the frozen queue", took)
	}
	evs, _ := env.Store.Events(t.Context(), "shop", id)
	for _, e := range evs {
		if strings.HasPrefix(e.Type, "message.") {
			t.Fatalf("half-written: %+v", e)
		}
	}
	up.Consume(t)
	st, _, raw = call(t, "POST", up.URL+"/v1/payment-links/"+id+"/send", key, `{"channel":"email"}`, map[string]string{"Idempotency-Key": "frozen-1"}, true)
	if st != 202 {
		t.Fatalf("retry after the outage: %d %s", st, raw)
	}
	testenv.Eventually(t, 10*time.Second, "the e-mail", func() bool { return len(up.Service.Outbox.All()) == 1 })
	t.Logf("frozen SQS answered 503 in %s", took)
}

// The first link made after PUT /v1/settings sets a webhook endpoint gets
// its delivery (no 30 s cache between a settings change and the events
// after it).
func TestWebhookSettingAppliesToTheNextEvent(t *testing.T) {
	rcv := newReceiver(t, nil)
	testenv.NeedStream(t)
	env := testenv.New(t)
	key := env.Merchant(t, "shop")
	srv := env.ServeWith(t, func(o *service.Options) { o.AllowLoopbackWebhooks = true })
	srv.Consume(t)
	srv.Tail(t, env)
	// An event before the endpoint exists, which the stream is seen to handle
	// (and so to read the merchant): a send asked for at creation through an
	// API whose queue is down goes out only by the stream.
	down := env.ServeWith(t, func(o *service.Options) { o.SQS = sqsAt(t, refusedAddr(t)) })
	call(t, "POST", down.URL+"/v1/payment-links", key, strings.Replace(plainCreate, `}}`, `},"send":{"channel":"email"}}`, 1), nil, true)
	testenv.Eventually(t, 15*time.Second, "the stream handled the first link", func() bool { return len(srv.Service.Outbox.All()) == 1 })
	st, _, raw := call(t, "PUT", srv.URL+"/v1/settings", key, `{"webhook_url":"`+rcv.URL+`/hook","webhook_secret":"`+hookSecret+`"}`, nil, true)
	if st != 200 {
		t.Fatalf("settings %d %s", st, raw)
	}
	_, _, raw = call(t, "POST", srv.URL+"/v1/payment-links", key, plainCreate, nil, true)
	id := decode(t, raw)["id"].(string)
	testenv.Eventually(t, 15*time.Second, "the first link after the settings change delivered", func() bool {
		for _, r := range rcv.delivered() {
			if strings.Contains(r.Body, id) {
				return true
			}
		}
		return false
	})
}

// A forged or mistyped link code, and its QR image, are refused without a
// table read; a real code's QR image is served without one too, cacheable,
// and revalidated with 304.
func TestForgedCodesAndQRCostNoRead(t *testing.T) {
	env := testenv.New(t)
	key := env.Merchant(t, "shop")
	srv := env.Serve(t)
	_, _, raw := call(t, "POST", srv.URL+"/v1/payment-links", key, plainCreate, nil, true)
	url := decode(t, raw)["url"].(string)
	code := url[strings.LastIndex(url, "/")+1:]
	c, _ := domain.ParseCode(code)
	c.Tag++
	forged := c.String()
	random := domain.Code{Merchant: "shop", LinkID: domain.NewID(domain.PrefixLink, time.Now()), Tag: 7}.String()
	env.Count.Reset()
	for _, p := range []string{"/l/" + forged, "/l/" + random, "/l/" + forged + "/qr.png", "/l/shop_%2e%2e", "/l/" + random + "/done"} {
		resp, err := noRedirect.Get(srv.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 404 {
			t.Fatalf("%s: %d", p, resp.StatusCode)
		}
	}
	if n := env.Count.Total(); n != 0 {
		t.Fatalf("forged codes cost %d table calls", n)
	}
	resp, err := http.Get(url + "/qr.png")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	etag := resp.Header.Get("ETag")
	if resp.StatusCode != 200 || etag == "" || !strings.Contains(resp.Header.Get("Cache-Control"), "max-age=31536000") {
		t.Fatalf("qr: %d %v", resp.StatusCode, resp.Header)
	}
	req, _ := http.NewRequest("GET", url+"/qr.png", nil)
	req.Header.Set("If-None-Match", etag)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 304 {
		t.Fatalf("qr revalidation: %d", resp.StatusCode)
	}
	if n := env.Count.Total(); n != 0 {
		t.Fatalf("QR images cost %d table calls", n)
	}
}

// Per-merchant rate limits answer 429 with Retry-After and RateLimit
// fields; random bearer keys from one address stop costing table reads.
func TestRateLimits(t *testing.T) {
	env := testenv.New(t)
	key := env.Merchant(t, "shop")
	srv := env.ServeWith(t, func(o *service.Options) { o.RateLimit, o.RateBurst = 1, 3 })
	var last int
	var h http.Header
	for i := 0; i < 4; i++ {
		last, h, _ = call(t, "GET", srv.URL+"/v1/settings", key, "", nil, true)
		if i < 3 && (last != 200 || h.Get("RateLimit-Limit") != "3") {
			t.Fatalf("request %d: %d %v", i, last, h)
		}
	}
	if last != 429 || h.Get("Retry-After") == "" || h.Get("RateLimit-Remaining") != "0" {
		t.Fatalf("over the limit: %d %v", last, h)
	}
	// Guessing well-formed keys: after the unknown-key burst, 429; a
	// repeated guess costs no lookup (keyguess_test.go: the rest).
	var guess string
	for i := 0; i < 21; i++ {
		guess, _, _ = merchant.NewKey("shop", false)
		call(t, "GET", srv.URL+"/v1/settings", guess, "", nil, false)
	}
	env.Count.Reset()
	st, h, _ := call(t, "GET", srv.URL+"/v1/settings", guess, "", nil, false)
	if st != 429 || h.Get("Retry-After") == "" {
		t.Fatalf("key guessing not limited: %d", st)
	}
	if n := env.Count.Total(); n != 0 {
		t.Fatalf("a repeated refused guess cost %d table calls", n)
	}
}

// PSP credentials and webhook secrets are sealed in the table: the raw
// merchant item holds none of them, and the API still uses them.
func TestMerchantSecretsSealedInTheTable(t *testing.T) {
	env := testenv.New(t)
	key := env.Merchant(t, "shop")
	srv := env.Serve(t)
	body := `{"psp":"stripe","psp_credentials":{"secret_key":"sk_test_51StripeSecretKeyValue","webhook_secret":"whsec_stripeSigningSecret0001"},"webhook_url":"https://hooks.example/x","webhook_secret":"` + hookSecret + `"}`
	if st, _, raw := call(t, "PUT", srv.URL+"/v1/settings", key, body, nil, true); st != 200 {
		t.Fatalf("settings %d %s", st, raw)
	}
	out, err := env.DB.GetItem(context.Background(), &dynamodb.GetItemInput{TableName: aws.String(env.Table),
		Key: map[string]ddbtypes.AttributeValue{"PK": &ddbtypes.AttributeValueMemberS{Value: "M#shop"}, "SK": &ddbtypes.AttributeValueMemberS{Value: "MERCHANT"}}})
	if err != nil || out.Item == nil {
		t.Fatalf("raw item: %v", err)
	}
	var plain map[string]any
	if err := attributevalue.UnmarshalMap(out.Item, &plain); err != nil {
		t.Fatal(err)
	}
	dumped, _ := json.Marshal(plain)
	dump := string(dumped)
	for _, secret := range []string{"sk_test_51StripeSecretKeyValue", "whsec_stripeSigningSecret0001", hookSecret, "whsec_sandbox"} {
		if strings.Contains(dump, secret) {
			t.Fatalf("%q in plain text in the table: %s", secret, dump)
		}
	}
	if !strings.Contains(dump, "secrets_sealed") {
		t.Fatalf("no sealed secrets: %s", dump)
	}
	m, err := env.Store.GetMerchant(context.Background(), "shop")
	if err != nil || m.PSPCredentials["secret_key"] != "sk_test_51StripeSecretKeyValue" || m.WebhookSecrets[0] != hookSecret {
		t.Fatalf("secrets do not open: %v %+v", err, m)
	}
}

// After a rotation the previous outbound secret signs beside the new one
// for 24 hours, then no more.
func TestPreviousWebhookSecretStopsAfter24h(t *testing.T) {
	for _, c := range []struct {
		ago  time.Duration
		sigs int
	}{{time.Hour, 2}, {25 * time.Hour, 1}} {
		rcv := newReceiver(t, nil)
		_, srv, key := webhookEnv(t, rcv, []time.Duration{time.Second}, hookSecret, hookSecretOld)
		m, _ := srv.Service.Store.GetMerchant(t.Context(), "hooks")
		m.WebhookSecretRotatedAt = time.Now().Add(-c.ago).UTC().Format(time.RFC3339)
		if err := srv.Service.Store.PutMerchant(t.Context(), m); err != nil {
			t.Fatal(err)
		}
		call(t, "POST", srv.URL+"/v1/payment-links", key, plainCreate, nil, true)
		testenv.Eventually(t, 15*time.Second, "a delivery", func() bool { return len(rcv.delivered()) >= 1 })
		sig := rcv.delivered()[0].Headers["webhook-signature"]
		if n := strings.Count(sig, "v1,"); n != c.sigs {
			t.Fatalf("rotated %s ago: %d signatures (%s), want %d", c.ago, n, sig, c.sigs)
		}
	}
}
