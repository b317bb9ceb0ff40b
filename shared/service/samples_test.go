package service_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	sadmin "github.com/paylinks/paylinks/shared/admin"
	"github.com/paylinks/paylinks/shared/boot"
	"github.com/paylinks/paylinks/shared/channel"
	composeaccount "github.com/paylinks/paylinks/shared/compose/account"
	composeadmin "github.com/paylinks/paylinks/shared/compose/admin"
	composeapi "github.com/paylinks/paylinks/shared/compose/api"
	composeapply "github.com/paylinks/paylinks/shared/compose/apply"
	composecreate "github.com/paylinks/paylinks/shared/compose/create"
	composecustomers "github.com/paylinks/paylinks/shared/compose/customers"
	composedashboard "github.com/paylinks/paylinks/shared/compose/dashboard"
	composedeliver "github.com/paylinks/paylinks/shared/compose/deliver"
	composeimports "github.com/paylinks/paylinks/shared/compose/imports"
	composepeople "github.com/paylinks/paylinks/shared/compose/people"
	composereconcile "github.com/paylinks/paylinks/shared/compose/reconcile"
	composeredirect "github.com/paylinks/paylinks/shared/compose/redirect"
	composerefund "github.com/paylinks/paylinks/shared/compose/refund"
	composesandbox "github.com/paylinks/paylinks/shared/compose/sandbox"
	composesend "github.com/paylinks/paylinks/shared/compose/send"
	composestream "github.com/paylinks/paylinks/shared/compose/stream"
	composesweep "github.com/paylinks/paylinks/shared/compose/sweep"
	composewebhook "github.com/paylinks/paylinks/shared/compose/webhook"
	"github.com/paylinks/paylinks/shared/config"
	"github.com/paylinks/paylinks/shared/devkit/seed"
	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/objects"
	"github.com/paylinks/paylinks/shared/outbound"
	"github.com/paylinks/paylinks/shared/psp"
	"github.com/paylinks/paylinks/shared/psp/sandbox"
	"github.com/paylinks/paylinks/shared/spec"
	"github.com/paylinks/paylinks/shared/sweep"
	"github.com/paylinks/paylinks/shared/testkit/testenv"
)

// The identifiers the samples in events/ carry. The test puts the real
// ones (made by the run: a link's id and signed code, a checkout session)
// in their place before it feeds a sample; events/README.md says so.
const (
	sampleLink    = "pl_01JD3Q4ZK1W8Y6N0M5C2B7V9XA"
	sampleCode    = "demo_0ERdK7vQ2mZ4xP9sV1bN6cT3h"
	sampleSession = "cs_sb_01JD3Q4ZK1W8Y6N0M5C2B7V9XA"
	sampleKey     = "sk_test_devkey12345600000000000000000000268cUi"
	samplePSPHook = "whsec_sandbox_demo" // seed.Demo("demo")'s sandbox webhook secret
)

type httpFn = func(context.Context, events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error)
type sqsFn = func(context.Context, events.SQSEvent) (events.SQSEventResponse, error)

// samples runs every function of spec.Functions on its own boot.Env (its
// spec entry: what it does not declare it cannot reach), composed as its
// main composes it and behind the same Lambda adapter, over one test table
// and its queues on the emulators.
type samples struct {
	t      *testing.T
	env    *testenv.Env
	cfg    config.Config
	subst  []string // old, new pairs
	outbox *channel.Outbox
	http   map[string]httpFn
	sqs    map[string]sqsFn
	used   map[string]bool
	hooks  chan outboundHook
	// bucket is the statements' bucket (moto's S3); aws signs for it.
	bucket *objects.Bucket
	aws    aws.Config
}

type outboundHook struct {
	header http.Header
	body   []byte
}

func (s *samples) fnEnv(name string) *boot.Env {
	fn, ok := spec.Lookup(name)
	if !ok {
		s.t.Fatalf("no function %q in spec", name)
	}
	e := boot.New(fn, s.cfg, s.env.Store, s.env.SQS, s.env.Queues, config.Logger())
	e.AWS = s.aws
	return e
}

// lambdaHTTP is boot.ServeHTTP's handler, without lambda.Start.
func lambdaHTTP(e *boot.Env, h http.Handler) httpFn {
	return boot.Lambda(e.Log, boot.Bounded(e.Deadlines(), boot.Canonical(h)))
}

func newSamples(t *testing.T) *samples {
	env := testenv.New(t)
	hooks := make(chan outboundHook, 4)
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		hooks <- outboundHook{r.Header.Clone(), body}
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(recv.Close)
	m := seed.Demo("demo")
	m.WebhookURL = recv.URL + "/paylinks"
	if _, err := seed.Merchant(t.Context(), env.Store, m, sampleKey); err != nil {
		t.Fatal(err)
	}
	s := &samples{t: t, env: env, outbox: &channel.Outbox{}, used: map[string]bool{}, hooks: hooks,
		cfg: config.Config{Table: env.Table, PublicBaseURL: "https://pay.example", SandboxEnabled: true,
			SandboxSecret: []byte("sandbox session secret of the sample test run"), LinkCodeSecret: testenv.CodeKey,
			UserPoolID: "us-east-1_samples", UserPoolClientID: "samples"}}
	s.bucket, s.aws = testenv.NewBucket(t), testenv.AWSConfig(t)
	s.cfg.StatementsBucket, s.cfg.S3Endpoint = s.bucket.Name, s.bucket.Endpoint
	api := s.fnEnv("api")
	create := s.fnEnv("create")
	redirect := s.fnEnv("redirect")
	sandboxEnv := s.fnEnv("sandbox")
	webhook := s.fnEnv("webhook")
	account, people, dash, customers := s.fnEnv("account"), s.fnEnv("people"), s.fnEnv("dashboard"), s.fnEnv("customers")
	s.http = map[string]httpFn{
		"account":   lambdaHTTP(account, composeaccount.Handler(composeaccount.New(account))),
		"people":    lambdaHTTP(people, composepeople.Handler(composepeople.New(people))),
		"customers": lambdaHTTP(customers, composecustomers.Handler(composecustomers.New(customers))),
		"dashboard": lambdaHTTP(dash, composedashboard.Handler(composedashboard.New(dash))),
		"api":       lambdaHTTP(api, composeapi.Handler(composeapi.New(api))),
		"create":    lambdaHTTP(create, composecreate.Handler(composecreate.New(create))),
		"redirect":  lambdaHTTP(redirect, composeredirect.Handler(composeredirect.New(redirect))),
		"sandbox":   lambdaHTTP(sandboxEnv, composesandbox.Handler(sandboxEnv)),
		"webhook":   lambdaHTTP(webhook, composewebhook.Handler(composewebhook.New(webhook))),
	}
	queueFn := func(name string, h func(e *boot.Env) func(context.Context, events.SQSMessage) error) sqsFn {
		e := s.fnEnv(name)
		return boot.SQSLambda(e.Log, e.Fn.Consumes, h(e))
	}
	s.sqs = map[string]sqsFn{
		"apply": queueFn("apply", func(e *boot.Env) func(context.Context, events.SQSMessage) error { return composeapply.New(e).Handle }),
		"refund": queueFn("refund", func(e *boot.Env) func(context.Context, events.SQSMessage) error {
			return composerefund.New(e).Handle
		}),
		// functions/send delivers through awschannel.FromEnv (SES, SNS,
		// WhatsApp); here the same worker delivers into the local outbox.
		"send": queueFn("send", func(e *boot.Env) func(context.Context, events.SQSMessage) error {
			return composesend.Worker(e, channel.Registry{channel.Email: s.outbox, channel.SMS: s.outbox, channel.WhatsApp: s.outbox}).Handle
		}),
		"import": queueFn("import", func(e *boot.Env) func(context.Context, events.SQSMessage) error { return composeimports.New(e).Handle }),
		"reconcile": queueFn("reconcile", func(e *boot.Env) func(context.Context, events.SQSMessage) error {
			return composereconcile.Handler(composereconcile.New(e))
		}),
		"deliver": queueFn("deliver", func(e *boot.Env) func(context.Context, events.SQSMessage) error {
			// The merchant's receiver is on loopback, as in the LocalStack
			// stack, whose deliver function has OUTBOUND_ALLOW_LOOPBACK=1.
			e.AllowLoopbackWebhooks = true
			return composedeliver.New(e).Handle
		}),
	}
	return s
}

func (s *samples) replace(old, new string) { s.subst = append(s.subst, old, new) }

// load reads events/<fn>/<name> with the run's identifiers in place.
func (s *samples) load(fn, name string) []byte {
	s.t.Helper()
	path := filepath.Join("../../events", fn, name)
	raw, err := os.ReadFile(path)
	if err != nil {
		s.t.Fatalf("sample %s: %v", path, err)
	}
	s.used[fn+"/"+name] = true
	return []byte(strings.NewReplacer(s.subst...).Replace(string(raw)))
}

// routeParams matches path against an API Gateway route path ("/l/{proxy+}")
// and returns its path parameters.
func routeParams(route, path string) (map[string]string, bool) {
	rs, ps := strings.Split(strings.Trim(route, "/"), "/"), strings.Split(strings.Trim(path, "/"), "/")
	params := map[string]string{}
	for i, r := range rs {
		switch {
		case strings.HasPrefix(r, "{") && strings.HasSuffix(r, "+}"):
			if i >= len(ps) {
				return nil, false
			}
			params[strings.Trim(r, "{+}")] = strings.Join(ps[i:], "/")
			return params, true
		case i >= len(ps):
			return nil, false
		case strings.HasPrefix(r, "{"):
			params[strings.Trim(r, "{}")] = ps[i]
		case r != ps[i]:
			return nil, false
		}
	}
	return params, len(rs) == len(ps)
}

// checkRoute holds an HTTP sample to a route the stack gives its function:
// its route key, the method and path API Gateway matched it with, and the
// path parameters that route yields.
func checkRoute(t *testing.T, fn, name string, ev events.APIGatewayV2HTTPRequest) {
	t.Helper()
	f, _ := spec.Lookup(fn)
	var keys []string
	for _, r := range f.Routes {
		for _, m := range r.Methods {
			key := m + " " + r.Path
			keys = append(keys, key)
			if key != ev.RouteKey || ev.RequestContext.RouteKey != key {
				continue
			}
			if m != "ANY" && m != ev.RequestContext.HTTP.Method {
				t.Errorf("%s/%s: method %s under route %s", fn, name, ev.RequestContext.HTTP.Method, key)
			}
			params, ok := routeParams(r.Path, ev.RawPath)
			if !ok || ev.RequestContext.HTTP.Path != ev.RawPath {
				t.Errorf("%s/%s: path %s does not match route %s", fn, name, ev.RawPath, key)
			}
			if len(params) == 0 {
				params = nil
			}
			if !reflect.DeepEqual(params, ev.PathParameters) {
				t.Errorf("%s/%s: pathParameters %v, the route gives %v", fn, name, ev.PathParameters, params)
			}
			return
		}
	}
	t.Errorf("%s/%s: route key %q is none of the function's routes %v", fn, name, ev.RouteKey, keys)
}

// invoke feeds an HTTP sample to its function and checks the status.
func (s *samples) invoke(fn, name string, want int, edit func(*events.APIGatewayV2HTTPRequest)) events.APIGatewayV2HTTPResponse {
	s.t.Helper()
	var ev events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(s.load(fn, name), &ev); err != nil {
		s.t.Fatalf("%s/%s: %v", fn, name, err)
	}
	checkRoute(s.t, fn, name, ev)
	if edit != nil {
		edit(&ev)
	}
	resp, err := s.http[fn](s.t.Context(), ev)
	if err != nil {
		s.t.Fatalf("%s/%s: %v", fn, name, err)
	}
	if resp.StatusCode != want {
		s.t.Fatalf("%s/%s: status %d, want %d: %s", fn, name, resp.StatusCode, want, resp.Body)
	}
	return resp
}

// shape is a JSON value's members and types, values left out.
func shape(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, e := range x {
			out[k] = shape(e)
		}
		return out
	case []any:
		if len(x) == 0 {
			return []any{}
		}
		return []any{shape(x[0])}
	case nil:
		return "null"
	default:
		return fmt.Sprintf("%T", x)
	}
}

// consume takes the message the run queued on q, holds the sample's body
// to its shape (the same members, of the same types), then feeds the
// sample's batch to fn with that message's body and receipt in the
// sample's envelope, as the event source mapping delivers it.
func (s *samples) consume(fn, name string) events.SQSEventResponse {
	s.t.Helper()
	f, _ := spec.Lookup(fn)
	url := s.env.Queues[f.Consumes]
	out, err := s.env.SQS.ReceiveMessage(s.t.Context(), &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: 1, WaitTimeSeconds: 2,
		MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameAll}})
	if err != nil || len(out.Messages) != 1 {
		s.t.Fatalf("%s: nothing queued on %s (%v)", fn, f.Consumes, err)
	}
	msg := out.Messages[0]
	var ev events.SQSEvent
	if err := json.Unmarshal(s.load(fn, name), &ev); err != nil {
		s.t.Fatalf("%s/%s: %v", fn, name, err)
	}
	if len(ev.Records) == 0 {
		s.t.Fatalf("%s/%s: no records", fn, name)
	}
	var real, sample any
	if err := json.Unmarshal([]byte(aws.ToString(msg.Body)), &real); err != nil {
		s.t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(ev.Records[0].Body), &sample); err != nil {
		s.t.Fatalf("%s/%s: body: %v", fn, name, err)
	}
	if !reflect.DeepEqual(shape(real), shape(sample)) {
		s.t.Fatalf("%s/%s: the sample's body %s is not shaped as the %s message the system queued: %s", fn, name, ev.Records[0].Body, f.Consumes, aws.ToString(msg.Body))
	}
	if arn := ev.Records[0].EventSourceARN; ev.Records[0].EventSource != "aws:sqs" || !strings.HasSuffix(arn, "-"+f.Consumes) {
		s.t.Errorf("%s/%s: event source %s %s is not the %s queue", fn, name, ev.Records[0].EventSource, arn, f.Consumes)
	}
	ev.Records[0].Body, ev.Records[0].ReceiptHandle = aws.ToString(msg.Body), aws.ToString(msg.ReceiptHandle)
	resp, err := s.sqs[fn](s.t.Context(), ev)
	if err != nil {
		s.t.Fatalf("%s/%s: %v", fn, name, err)
	}
	if len(resp.BatchItemFailures) != 0 {
		s.t.Fatalf("%s/%s: batch item failures %v", fn, name, resp.BatchItemFailures)
	}
	return resp
}

func (s *samples) link(id string) *domain.Link {
	s.t.Helper()
	l, err := s.env.Store.Get(s.t.Context(), "demo", id)
	if err != nil {
		s.t.Fatalf("link %s: %v", id, err)
	}
	return l
}

// TestSampleEvents runs every sample in events/ through its function, in
// the order a link's life sends them: every function of spec.Functions
// has samples, and every sample runs.
func TestSampleEvents(t *testing.T) {
	s := newSamples(t)
	ctx := t.Context()
	s.admin(t, ctx)
	l := s.create(t)
	s.api(t, l)
	s.send(t, l)
	l, session := s.redirect(t, l)
	l = s.pay(t, l, session)
	l = s.refund(t, l)
	s.stream(t, ctx, l)
	s.imports(t)
	s.statements(t, ctx)
	s.sweep(t, ctx)
	s.coverage(t)
}

func (s *samples) admin(t *testing.T, ctx context.Context) {
	t.Helper()
	// admin: the operators' JSON requests.
	adm := s.fnEnv("admin")
	admin := composeadmin.New(adm)
	adminCall := func(name string) sadmin.Response {
		t.Helper()
		var req sadmin.Request
		if err := json.Unmarshal(s.load("admin", name), &req); err != nil {
			t.Fatalf("admin/%s: %v", name, err)
		}
		resp, err := admin.Handle(ctx, req)
		if err != nil {
			t.Fatalf("admin/%s: %v", name, err)
		}
		return resp
	}
	if r := adminCall("create-merchant.json"); r.Merchant == nil || r.Merchant.ID != "acme-bv" || r.Merchant.Mode != "test" || r.Merchant.PSP != "sandbox" {
		t.Fatalf("admin create_merchant: %+v", r.Merchant)
	}
	if r := adminCall("issue-key.json"); r.Key == nil || !strings.HasPrefix(r.Key.Secret, "sk_test_") {
		t.Fatalf("admin issue_key: %+v", r.Key)
	}
	if r := adminCall("list-merchants.json"); len(r.Merchants) != 1 || r.Merchants[0].ID != "acme-bv" { // the register: what admin created
		t.Fatalf("admin list_merchants: %+v", r.Merchants)
	}
}

func (s *samples) create(t *testing.T) *domain.Link {
	t.Helper()
	// create, with an e-mail send: the send queue gets it.
	resp := s.invoke("create", "create-link.json", 201, nil)
	var created struct{ ID, URL string }
	_ = json.Unmarshal([]byte(resp.Body), &created)
	if !strings.HasPrefix(created.URL, "https://pay.example/l/demo_") {
		t.Fatalf("create: %s", resp.Body)
	}
	l := s.link(created.ID)
	s.replace(sampleLink, l.ID)
	s.replace(sampleCode, l.Code)
	return l
}

func (s *samples) api(t *testing.T, l *domain.Link) {
	t.Helper()
	var resp events.APIGatewayV2HTTPResponse
	// api
	resp = s.invoke("api", "get-link.json", 200, nil)
	if !strings.Contains(resp.Body, `"id":"`+l.ID+`"`) || !strings.Contains(resp.Body, `"status":"created"`) {
		t.Fatalf("api get: %s", resp.Body)
	}
	if resp = s.invoke("api", "list-links.json", 200, nil); !strings.Contains(resp.Body, l.ID) {
		t.Fatalf("api list: %s", resp.Body)
	}
	if resp = s.invoke("api", "openapi.json", 200, nil); !strings.Contains(resp.Body, `"openapi":"3.1`) {
		t.Fatalf("api openapi: %.200s", resp.Body)
	}
	if resp = s.invoke("api", "healthz.json", 200, nil); !strings.Contains(resp.Body, `"ok"`) {
		t.Fatalf("api healthz: %s", resp.Body)
	}
	// people: the members (none yet); account: the settings; dashboard: the
	// sign-in page.
	if resp = s.invoke("people", "list-members.json", 200, nil); resp.Body != "{\"data\":[],\"next_cursor\":null}\n" {
		t.Fatalf("people list: %s", resp.Body)
	}
	if resp = s.invoke("customers", "search.json", 200, nil); resp.Body != "{\"data\":[],\"next_cursor\":null}\n" {
		t.Fatalf("customers search: %s", resp.Body)
	}
	if resp = s.invoke("account", "get-settings.json", 200, nil); !strings.Contains(resp.Body, `"psp":"sandbox"`) {
		t.Fatalf("account settings: %s", resp.Body)
	}
	if resp = s.invoke("dashboard", "sign-in-page.json", 200, nil); !strings.Contains(resp.Body, `name="password"`) || !strings.Contains(resp.Headers["Content-Security-Policy"], "default-src 'self'") {
		t.Fatalf("dashboard sign-in: %v %s", resp.Headers, resp.Body)
	}
	// The site's root leads to the dashboard; the favicon is an SVG.
	if resp = s.invoke("dashboard", "root.json", 302, nil); resp.Headers["Location"] != "/dashboard" {
		t.Fatalf("root: %v", resp.Headers)
	}
	if resp = s.invoke("dashboard", "favicon.json", 200, nil); resp.Headers["Content-Type"] != "image/svg+xml" || !strings.Contains(resp.Body, "<svg") {
		t.Fatalf("favicon: %v %s", resp.Headers, resp.Body)
	}
}

func (s *samples) send(t *testing.T, l *domain.Link) {
	t.Helper()
	// send: the created link's e-mail.
	s.consume("send", "link-email.json")
	if sent := s.outbox.All(); len(sent) != 1 || sent[0].LinkID != l.ID || sent[0].Channel != channel.Email {
		t.Fatalf("send: outbox %+v", sent)
	}
}

func (s *samples) redirect(t *testing.T, l *domain.Link) (*domain.Link, string) {
	t.Helper()
	var resp events.APIGatewayV2HTTPResponse
	// redirect: a preview bot records nothing, a person's click opens a
	// sandbox checkout.
	if resp = s.invoke("redirect", "preview-bot.json", 200, nil); !strings.Contains(resp.Body, "og:title") {
		t.Fatalf("redirect preview: %.300s", resp.Body)
	}
	s.invoke("redirect", "head.json", 200, nil)
	resp = s.invoke("redirect", "click.json", 302, nil)
	loc := resp.Headers["Location"]
	session, ok := strings.CutPrefix(loc, "https://pay.example/sandbox/checkout/")
	if !ok {
		t.Fatalf("redirect click: Location %q", loc)
	}
	if l = s.link(l.ID); l.Status != domain.StatusClicked || l.ClickCount != 1 {
		t.Fatalf("after click: %s %d", l.Status, l.ClickCount)
	}
	s.replace(sampleSession, session)
	return l, session
}

func (s *samples) pay(t *testing.T, l *domain.Link, session string) *domain.Link {
	t.Helper()
	var resp events.APIGatewayV2HTTPResponse
	// sandbox: the checkout page.
	if resp = s.invoke("sandbox", "checkout.json", 200, nil); !strings.Contains(resp.Body, "120,98") && !strings.Contains(resp.Body, "120.98") {
		t.Fatalf("sandbox checkout: %.300s", resp.Body)
	}

	// webhook: the sandbox's payment.succeeded for this checkout, signed
	// again over the run's body with the merchant's secret, now.
	s.replace("pay_sb_4f1c2a9e0b7d63a85c21", sandbox.PaymentID(session))
	s.invoke("webhook", "sandbox-payment-succeeded.json", 200, func(ev *events.APIGatewayV2HTTPRequest) {
		var body map[string]any
		_ = json.Unmarshal([]byte(ev.Body), &body)
		body["created"] = time.Now().Unix()
		raw, _ := json.Marshal(body)
		ev.Body = string(raw)
		ev.Headers["sandbox-signature"] = psp.SignedHeader(samplePSPHook, time.Now(), raw)
	})
	s.consume("apply", "payment-succeeded.json")
	if l = s.link(l.ID); l.Status != domain.StatusPaid {
		t.Fatalf("after apply: %s", l.Status)
	}
	return l
}

func (s *samples) refund(t *testing.T, l *domain.Link) *domain.Link {
	t.Helper()
	// refund: part of the paid amount, submitted to the sandbox once.
	s.invoke("api", "refund.json", 201, nil)
	s.consume("refund", "submit.json")
	if l = s.link(l.ID); l.RefundCommitted.String() != "20.00" {
		t.Fatalf("after refund: committed %s", l.RefundCommitted.String())
	}
	return l
}

func (s *samples) stream(t *testing.T, ctx context.Context, l *domain.Link) {
	t.Helper()
	// stream: the link's paid change as the table's stream delivers it
	// (functions/stream's adapter: records, then the first failed one's
	// sequence number); its delivery goes to the webhooks queue, and
	// deliver posts it to the merchant's receiver.
	var sev events.DynamoDBEvent
	if err := json.Unmarshal(s.load("stream", "link-paid.json"), &sev); err != nil {
		t.Fatal(err)
	}
	recs, err := outbound.FromLambda(sev)
	if err != nil || len(recs) != 1 {
		t.Fatalf("stream records: %d %v", len(recs), err)
	}
	if seq := composestream.New(s.fnEnv("stream")).Handle(ctx, recs); seq != "" {
		t.Fatalf("stream: failed at %s", seq)
	}
	s.consume("deliver", "delivery.json")
	select {
	case h := <-s.hooks:
		if !strings.Contains(string(h.body), `"type":"payment_link.paid"`) || !strings.Contains(string(h.body), l.ID) || h.header.Get("Webhook-Signature") == "" {
			t.Fatalf("deliver: %v %s", h.header, h.body)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("deliver: the receiver got nothing")
	}
}

func (s *samples) imports(t *testing.T) {
	t.Helper()
	var resp events.APIGatewayV2HTTPResponse
	// import: two rows, created by the worker.
	resp = s.invoke("api", "import.json", 202, nil)
	var imp struct{ ID string }
	_ = json.Unmarshal([]byte(resp.Body), &imp)
	s.replace("im_01JD3Q6X8Y9Z0A1B2C3D4E5F6G", imp.ID)
	s.consume("import", "batch.json")
	if resp = s.invoke("api", "get-import.json", 200, nil); !strings.Contains(resp.Body, `"rows_done":2,"rows_failed":0,"rows_total":2,"status":"completed"`) {
		t.Fatalf("import: %s", resp.Body)
	}
}

func (s *samples) statements(t *testing.T, ctx context.Context) {
	t.Helper()
	// reconcile: a statement uploaded through the api (a credit naming no
	// link: kept for review), then a CODA file dropped in the bucket, S3's
	// notification on the queue.
	resp := s.invoke("api", "upload-statement.json", 202, nil)
	var up struct{ ID string }
	_ = json.Unmarshal([]byte(resp.Body), &up)
	s.replace("bs_01JD3Q7A1B2C3D4E5F6G7H8J9K", up.ID)
	s.consume("reconcile", "batch.json")
	if resp = s.invoke("api", "get-statement.json", 200, nil); !strings.Contains(resp.Body, `"status":"done"`) || !strings.Contains(resp.Body, `"review":1`) {
		t.Fatalf("statement: %s", resp.Body)
	}
	if resp = s.invoke("api", "statement-entries.json", 200, nil); !strings.Contains(resp.Body, `"outcome":"review","reason":"no_reference"`) {
		t.Fatalf("statement entries: %s", resp.Body)
	}
	coda, err := os.ReadFile("../bank/coda/testdata/two_statements.cod")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.bucket.Put(ctx, "drop/demo/2026-11-23 statement.cod", coda, "text/plain"); err != nil {
		t.Fatal(err)
	}
	s.replace("paylinks-dev-statementsbucket-1f2e3d4c5b6a", s.bucket.Name)
	var ev events.SQSEvent
	if err := json.Unmarshal(s.load("reconcile", "s3-drop.json"), &ev); err != nil {
		t.Fatal(err)
	}
	if out, err := s.sqs["reconcile"](ctx, ev); err != nil || len(out.BatchItemFailures) != 0 {
		t.Fatalf("reconcile a drop: %+v %v", out, err)
	}
	// The drop's statement is as old as S3's event (the sample's time).
	page, err := s.env.Store.ListStatements(ctx, "demo", 10, "")
	if err != nil || len(page.Items) != 2 || page.Items[1].Source != "drop" || page.Items[1].Status != "done" || page.Items[1].Format != "coda" {
		t.Fatalf("statements %+v %v", page.Items, err)
	}
}

func (s *samples) sweep(t *testing.T, ctx context.Context) {
	t.Helper()
	var resp events.APIGatewayV2HTTPResponse
	// sweep: the schedule's event, on the day the imported links expire.
	var list struct {
		Data []struct{ ID string }
	}
	resp = s.invoke("api", "list-links.json", 200, nil)
	if err := json.Unmarshal([]byte(resp.Body), &list); err != nil || len(list.Data) != 2 {
		t.Fatalf("links still created: %s", resp.Body)
	}
	due := s.link(list.Data[0].ID).ExpiresAt
	var sch events.EventBridgeEvent
	if err := json.Unmarshal(s.load("sweep", "scheduled-event.json"), &sch); err != nil || sch.DetailType != "Scheduled Event" || sch.Source != "aws.events" {
		t.Fatalf("sweep sample: %+v %v", sch, err)
	}
	sw := composesweep.New(s.fnEnv("sweep"))
	sw.Now = func() time.Time { return due.Add(time.Minute) }
	sweepFn := func(ctx context.Context, _ events.EventBridgeEvent) (sweep.Result, error) { return sw.Run(ctx) } // functions/sweep's
	res, err := sweepFn(ctx, sch)
	if err != nil || !res.Complete || res.Expired < 1 {
		t.Fatalf("sweep: %+v %v", res, err)
	}
	if got := s.link(list.Data[0].ID).Status; got != domain.StatusExpired {
		t.Fatalf("after sweep: %s", got)
	}
}

func (s *samples) coverage(t *testing.T) {
	t.Helper()
	// Every function has samples, and every sample ran.
	for _, f := range spec.Functions {
		files, _ := filepath.Glob(filepath.Join("../../events", f.Name, "*.json"))
		if len(files) == 0 {
			t.Errorf("events/%s: no sample", f.Name)
		}
		for _, file := range files {
			if k := f.Name + "/" + filepath.Base(file); !s.used[k] {
				t.Errorf("events/%s: not run", k)
			}
		}
	}
	all, _ := filepath.Glob("../../events/*/*.json")
	var dirs []string
	for _, file := range all {
		if _, ok := spec.Lookup(filepath.Base(filepath.Dir(file))); !ok {
			dirs = append(dirs, file)
		}
	}
	sort.Strings(dirs)
	if len(dirs) > 0 {
		t.Errorf("samples of no function: %v", dirs)
	}
}
