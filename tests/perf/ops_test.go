// Package perf measures paylinks' operations against the emulators: the
// DynamoDB round trips, consumed capacity and SQS calls of each (exact
// counts held to testdata/perf/budget.json by `make test`), and their
// latency, throughput and cold starts (`make bench`).
package perf

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/merchant"
	"github.com/paylinks/paylinks/shared/money"
	"github.com/paylinks/paylinks/shared/outbound"
	"github.com/paylinks/paylinks/shared/psp"
	"github.com/paylinks/paylinks/shared/psp/sandbox"
	"github.com/paylinks/paylinks/shared/send"
	"github.com/paylinks/paylinks/shared/service"
	"github.com/paylinks/paylinks/shared/session"
	"github.com/paylinks/paylinks/shared/store"
	"github.com/paylinks/paylinks/shared/sweep"
	"github.com/paylinks/paylinks/shared/testkit/testenv"
	"github.com/paylinks/paylinks/shared/webhook"
)

var quiet = slog.New(slog.NewJSONHandler(io.Discard, nil))

const (
	merchantID = "perf"
	browserUA  = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"
	createBody = `{"amount":{"currency":"EUR","value":"120.98"},"description":"Invoice 2026-113","customer":{"first_name":"Ana","last_name":"Peeters","email":"ana@example.be","language":"nl"},"expires_in_days":7}`
)

// harness is the service over a fresh table with one merchant.
type harness struct {
	env  *testenv.Env
	svc  *service.Service
	h    http.Handler
	key  string
	hook *httptest.Server // the merchant's webhook endpoint
	now  time.Time
}

// Its API rate limit is out of the way: the runs measure the operations,
// and a benchmark's 200 creates a second would otherwise meet the default
// 25 per second (burst 50) and fail with 429.
func newHarness(tb testing.TB) *harness { return newHarnessWith(tb, nil) }

// newHarnessWith is newHarness with the service's options changed by tweak.
func newHarnessWith(tb testing.TB, tweak func(*service.Options)) *harness {
	tb.Helper()
	env := testenv.New(tb)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.Copy(io.Discard, r.Body) }))
	tb.Cleanup(hook.Close)
	key := env.Merchant(tb, merchantID)
	m, err := env.Store.GetMerchant(context.Background(), merchantID)
	if err != nil {
		tb.Fatal(err)
	}
	m.WebhookURL, m.Version = hook.URL+"/paylinks", m.Version+1
	if err := env.Store.UpdateMerchant(context.Background(), m); err != nil {
		tb.Fatal(err)
	}
	opts := service.Options{PublicBaseURL: "http://127.0.0.1:1", LinkCodeKey: testenv.CodeKey, SandboxSecret: []byte("perf-sandbox-secret"),
		SQS: env.SQS, Queues: env.Queues, Log: quiet, AllowLoopbackWebhooks: true, RateLimit: 1e9, RateBurst: 1 << 30}
	if tweak != nil {
		tweak(&opts)
	}
	svc := service.New(env.Store, opts)
	return &harness{env: env, svc: svc, h: svc.Handler(), key: key, hook: hook, now: time.Now().UTC()}
}

func (h *harness) do(tb testing.TB, method, path, body string, header map[string]string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, "http://127.0.0.1:1"+path, strings.NewReader(body))
	if strings.HasPrefix(path, "/v1/") {
		req.Header.Set("Authorization", "Bearer "+h.key)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.h.ServeHTTP(rec, req)
	return rec
}

// link creates a link through the API and returns it.
func (h *harness) link(tb testing.TB, body string) *domain.Link {
	rec := h.do(tb, "POST", "/v1/payment-links", body, nil)
	if rec.Code != 201 {
		tb.Fatalf("create: %d %s", rec.Code, rec.Body)
	}
	var v struct{ ID string }
	_ = json.Unmarshal(rec.Body.Bytes(), &v)
	l, err := h.env.Store.Get(context.Background(), merchantID, v.ID)
	if err != nil {
		tb.Fatal(err)
	}
	return l
}

// customers makes n customers (half named Marie or Marc, so a search for
// "mar" fills pages) and returns their ids.
func (h *harness) customers(tb testing.TB, n int) []string {
	ids := make([]string, n)
	first := []string{"Marie", "Marc", "Jan", "Eva"}
	for i := range ids {
		c := domain.CustomerRecord{ID: domain.NewSeqID("cus_", h.now), Type: "person", FirstName: first[i%len(first)], LastName: fmt.Sprintf("Perf%04d", i),
			Email: fmt.Sprintf("perf%d@example.com", i), Created: h.now, Updated: h.now}
		e := store.AuditEntry{ID: domain.NewSeqID("au_", h.now), At: h.now, Actor: domain.System, Action: "customer.created", Resource: c.ID}
		if err := h.env.Store.CreateCustomer(context.Background(), merchantID, &c, e); err != nil {
			tb.Fatal(err)
		}
		ids[i] = c.ID
	}
	return ids
}

// clicked creates a link and opens it once.
func (h *harness) clicked(tb testing.TB) *domain.Link {
	l := h.link(tb, createBody)
	if rec := h.do(tb, "GET", "/l/"+l.Code, "", map[string]string{"User-Agent": browserUA}); rec.Code != 302 {
		tb.Fatalf("click: %d %s", rec.Code, rec.Body)
	}
	l, _ = h.env.Store.Get(context.Background(), merchantID, l.ID)
	return l
}

// paid creates a link and marks it paid.
func (h *harness) paid(tb testing.TB, value string) *domain.Link {
	l := h.link(tb, strings.Replace(createBody, "120.98", value, 1))
	next := *l
	next.Status = domain.StatusPaid
	next.PaidAt, next.PSP, next.PSPReference = &h.now, "sandbox", "pay_sb_"+l.ID[len(l.ID)-8:]
	if err := h.env.Store.Transition(context.Background(), l, &next, domain.NewEvent(l.ID, domain.EventPaid, l.Status, next.Status, h.now, nil)); err != nil {
		tb.Fatal(err)
	}
	return &next
}

func sqsMessage(id string, v any) events.SQSMessage {
	b, _ := json.Marshal(v)
	return events.SQSMessage{MessageId: id, ReceiptHandle: "rh-" + id, Body: string(b), Attributes: map[string]string{"ApproximateReceiveCount": "1"}}
}

// op is one measured operation: prepare makes the inputs of n runs (not
// measured), run performs run i.
type op struct {
	name    string
	prepare func(tb testing.TB, h *harness, n int) func(tb testing.TB, i int)
}

var ops = []op{
	{"create", func(tb testing.TB, h *harness, n int) func(testing.TB, int) {
		return func(tb testing.TB, i int) {
			if rec := h.do(tb, "POST", "/v1/payment-links", createBody, nil); rec.Code != 201 {
				tb.Fatalf("create: %d %s", rec.Code, rec.Body)
			}
		}
	}},
	{"get", func(tb testing.TB, h *harness, n int) func(testing.TB, int) {
		l := h.link(tb, createBody)
		return func(tb testing.TB, i int) {
			if rec := h.do(tb, "GET", "/v1/payment-links/"+l.ID, "", nil); rec.Code != 200 {
				tb.Fatalf("get: %d", rec.Code)
			}
		}
	}},
	// A dashboard page's call: the session cookie instead of a key costs the
	// session's read (memberships and the merchant cached like keys; the
	// session touched at most once a minute).
	{"get from a dashboard page", func(tb testing.TB, h *harness, n int) func(testing.TB, int) {
		l := h.link(tb, createBody)
		cookie := dashboardSession(tb, h)
		return func(tb testing.TB, i int) {
			if rec := h.do(tb, "GET", "/v1/payment-links/"+l.ID, "", map[string]string{"Authorization": "", "Cookie": cookie}); rec.Code != 200 {
				tb.Fatalf("get with the session: %d %s", rec.Code, rec.Body)
			}
		}
	}},
	// A key's first request in the hour (its first since the function
	// started, or its first after an hour) records the key's last use: one
	// transaction of two updates besides the lookup. Every other request
	// with a cached key costs nothing more (the "get" above).
	{"get, key's first use in the hour", func(tb testing.TB, h *harness, n int) func(testing.TB, int) {
		l := h.link(tb, createBody)
		secrets := make([]string, n)
		for i := range secrets {
			secret, k, err := merchant.NewKey(merchantID, false)
			if err != nil {
				tb.Fatal(err)
			}
			k.Created = h.now.Format(time.RFC3339)
			if err := h.env.Store.PutKey(context.Background(), k); err != nil {
				tb.Fatal(err)
			}
			secrets[i] = secret
		}
		return func(tb testing.TB, i int) {
			if rec := h.do(tb, "GET", "/v1/payment-links/"+l.ID, "", map[string]string{"Authorization": "Bearer " + secrets[i]}); rec.Code != 200 {
				tb.Fatalf("get with a new key: %d %s", rec.Code, rec.Body)
			}
		}
	}},
	{"timeline", func(tb testing.TB, h *harness, n int) func(testing.TB, int) {
		l := h.clicked(tb)
		return func(tb testing.TB, i int) {
			if rec := h.do(tb, "GET", "/v1/payment-links/"+l.ID+"/events", "", nil); rec.Code != 200 || !strings.Contains(rec.Body.String(), "payment_link.clicked") {
				tb.Fatalf("events: %d", rec.Code)
			}
		}
	}},
	{"list page", func(tb testing.TB, h *harness, n int) func(testing.TB, int) {
		// 160 links in the shards a seeded draw gives (listLinks): the
		// page's reads depend on where its links fall, and the budget
		// holds them exactly.
		h.listLinks(tb, 160)
		return func(tb testing.TB, i int) {
			rec := h.do(tb, "GET", "/v1/payment-links?limit=50", "", nil)
			if rec.Code != 200 || !strings.Contains(rec.Body.String(), `"next_cursor":"`) {
				tb.Fatalf("list: %d", rec.Code)
			}
		}
	}},
	{"click", func(tb testing.TB, h *harness, n int) func(testing.TB, int) {
		l := h.clicked(tb)
		ua := map[string]string{"User-Agent": browserUA}
		return func(tb testing.TB, i int) {
			if rec := h.do(tb, "GET", "/l/"+l.Code, "", ua); rec.Code != 302 {
				tb.Fatalf("click: %d", rec.Code)
			}
		}
	}},
	{"webhook ingest", func(tb testing.TB, h *harness, n int) func(testing.TB, int) {
		l := h.clicked(tb)
		m, _ := h.env.Store.GetMerchant(context.Background(), merchantID)
		bodies := make([][]byte, n)
		for i := range bodies {
			amt := l.Amount
			bodies[i], _ = json.Marshal(sandbox.WebhookEvent{ID: fmt.Sprintf("evt_sb_perf_%08d", i), Type: "payment.failed", Created: h.now.Unix(),
				Data: sandbox.WebhookData{LinkID: l.ID, Attempt: 1, PaymentID: "pay_sb_perf", Amount: &amt, FailureReason: "insufficient_funds"}})
		}
		return func(tb testing.TB, i int) {
			sig := psp.SignedHeader(m.PSPWebhookSecret, time.Now(), bodies[i])
			if rec := h.do(tb, "POST", "/webhooks/psp/sandbox/"+merchantID, string(bodies[i]), map[string]string{sandbox.SignatureHeader: sig}); rec.Code != 200 {
				tb.Fatalf("ingest: %d %s", rec.Code, rec.Body)
			}
		}
	}},
	{"webhook apply", func(tb testing.TB, h *harness, n int) func(testing.TB, int) {
		msgs := make([]events.SQSMessage, n)
		for i := range msgs {
			l := h.clicked(tb)
			amt := l.Amount
			msgs[i] = sqsMessage(fmt.Sprint(i), webhook.Message{Merchant: merchantID, Provider: sandbox.Name, Event: domain.PaymentEvent{
				ID: fmt.Sprintf("evt_sb_apply_%08d", i), Kind: domain.PaymentSucceeded, Type: "payment.succeeded", LinkID: l.ID, Attempt: 1,
				PaymentRef: "pay_sb_" + l.ID[len(l.ID)-8:], Amount: &amt, At: h.now}})
		}
		return func(tb testing.TB, i int) {
			if err := h.svc.Apply.Handle(context.Background(), msgs[i]); err != nil {
				tb.Fatalf("apply: %v", err)
			}
		}
	}},
	{"refund", func(tb testing.TB, h *harness, n int) func(testing.TB, int) {
		l := h.paid(tb, "999999.00")
		return func(tb testing.TB, i int) {
			if rec := h.do(tb, "POST", "/v1/payment-links/"+l.ID+"/refunds", `{"amount":{"currency":"EUR","value":"0.01"}}`, nil); rec.Code != 201 {
				tb.Fatalf("refund: %d %s", rec.Code, rec.Body)
			}
		}
	}},
	// A duplicate reads its original and its customer (two GetItem: an
	// archived or erased customer gets no new link) and writes the new link
	// as a create does (one transaction).
	{"duplicate", func(tb testing.TB, h *harness, n int) func(testing.TB, int) {
		l := h.paid(tb, "120.98")
		return func(tb testing.TB, i int) {
			if rec := h.do(tb, "POST", "/v1/payment-links/"+l.ID+"/duplicate", `{"expires_in_days":7}`, nil); rec.Code != 201 {
				tb.Fatalf("duplicate: %d %s", rec.Code, rec.Body)
			}
		}
	}},
	// A page of 50 of a name search among 2,000 customers: one Query of
	// the name index (the prefix's letter), one BatchGetItem of the page.
	{"customer search, 2000 customers", func(tb testing.TB, h *harness, n int) func(testing.TB, int) {
		h.customers(tb, 2000)
		return func(tb testing.TB, i int) {
			if rec := h.do(tb, "GET", "/v1/customers?q=mar&limit=50", "", nil); rec.Code != 200 || strings.Count(rec.Body.String(), `"id":"cus_`) != 50 {
				tb.Fatalf("search: %d %.300s", rec.Code, rec.Body)
			}
		}
	}},
	// A link for an existing customer: one GetItem of the customer, the
	// create's transaction (with the customer's link entry).
	{"create for customer_id", func(tb testing.TB, h *harness, n int) func(testing.TB, int) {
		id := h.customers(tb, 1)[0]
		body := `{"amount":{"currency":"EUR","value":"10.00"},"description":"d","customer_id":"` + id + `"}`
		return func(tb testing.TB, i int) {
			if rec := h.do(tb, "POST", "/v1/payment-links", body, nil); rec.Code != 201 {
				tb.Fatalf("create: %d %s", rec.Code, rec.Body)
			}
		}
	}},
	{"send", func(tb testing.TB, h *harness, n int) func(testing.TB, int) {
		msgs := make([]events.SQSMessage, n)
		for i := range msgs {
			l := h.link(tb, createBody)
			msgs[i] = sqsMessage(fmt.Sprint(i), send.Message{Merchant: merchantID, LinkID: l.ID, Channel: "email", SendID: fmt.Sprintf("perf-%d", i), Kind: "link"})
		}
		return func(tb testing.TB, i int) {
			if err := h.svc.Send.Handle(context.Background(), msgs[i]); err != nil {
				tb.Fatalf("send: %v", err)
			}
		}
	}},
	{"webhook delivery", func(tb testing.TB, h *harness, n int) func(testing.TB, int) {
		msgs := make([]events.SQSMessage, n)
		for i := range msgs {
			ev := domain.NewSeqID(domain.PrefixEvent, h.now)
			d := &store.Delivery{ID: store.DeliveryIDFor(ev), Merchant: merchantID, EventID: ev, EventType: domain.EventPaid,
				LinkID: "pl_01JD3Q4ZK1W8Y6N0M5C2B7V9XA", Sequence: 2, Body: `{"type":"payment_link.paid","timestamp":"2026-11-23T10:00:00Z","data":{}}`}
			if _, err := h.env.Store.PutDelivery(context.Background(), d, h.now); err != nil {
				tb.Fatal(err)
			}
			msgs[i] = sqsMessage(fmt.Sprintf("msg-%d", i), outbound.Message{Merchant: merchantID, DeliveryID: d.ID})
		}
		return func(tb testing.TB, i int) {
			if err := h.svc.Webhooks.Handle(context.Background(), msgs[i]); err != nil {
				tb.Fatalf("deliver: %v", err)
			}
		}
	}},
}

// sweepOp runs one sweep over due links. Run r sweeps at its own clock,
// two hours after run r-1's, when exactly its own batch is due (all in one
// hourly bucket), so every measured run does the same work.
func sweepOp(due int) op {
	return op{fmt.Sprintf("sweep of %d due", due), func(tb testing.TB, h *harness, n int) func(testing.TB, int) {
		base := h.now.Truncate(time.Hour).Add(-48 * time.Hour).Add(55 * time.Minute)
		clock := func(r int) time.Time { return base.Add(time.Duration(2*r) * time.Hour) }
		var links []*domain.Link
		for r := 0; r < n; r++ {
			perShard := map[int]int{} // the same number in every shard: the same pages every run
			for i := 0; i < due; i++ {
				created := base.Add(-24 * time.Hour)
				id := domain.NewID(domain.PrefixLink, created)
				for perShard[store.ExpiryShard(id)] >= (due+store.ExpiryShards-1)/store.ExpiryShards {
					id = domain.NewID(domain.PrefixLink, created)
				}
				perShard[store.ExpiryShard(id)]++
				code, _ := testenv.CodeKey.NewCode(merchantID, id)
				links = append(links, &domain.Link{ID: id, Merchant: merchantID, Code: code, Status: domain.StatusCreated, Amount: money.MustParse("EUR", "10.00"),
					AmountRefunded: money.Zero("EUR"), RefundCommitted: money.Zero("EUR"), Description: "d", Language: "en", Origin: domain.OriginAPI,
					ExpiresAt: clock(r).Add(-time.Duration(1+i%50) * time.Minute).Truncate(time.Millisecond), CreatedAt: created, UpdatedAt: created})
			}
		}
		if err := h.env.Store.PutLinks(context.Background(), links); err != nil {
			tb.Fatal(err)
		}
		return func(tb testing.TB, i int) {
			s := sweep.New(h.env.Store, quiet)
			s.Now = func() time.Time { return clock(i) }
			res, err := s.Run(context.Background())
			if err != nil || res.Expired != due {
				tb.Fatalf("sweep run %d: %+v %v", i, res, err)
			}
		}
	}}
}

// quietSweepOp is a run of the schedule in an hour where nothing is due:
// the first run (not measured) takes the hour's watch; every run after it
// reads the sweep's state and the near shards (1 GetItem, 4 queries).
func quietSweepOp() op {
	return op{"sweep, a quiet hour", func(tb testing.TB, h *harness, n int) func(testing.TB, int) {
		at := h.now
		return func(tb testing.TB, i int) {
			s := sweep.New(h.env.Store, quiet)
			s.Now = func() time.Time { return at }
			if res, err := s.Run(context.Background()); err != nil || res.Expired != 0 || !res.Complete {
				tb.Fatalf("quiet sweep run %d: %+v %v", i, res, err)
			}
		}
	}}
}

// measured is what runs of one op cost on average, and their latencies.
type measured struct {
	DynamoDB  map[string]float64 `json:"dynamodb"`
	SQS       map[string]float64 `json:"sqs"`
	RCU       float64            `json:"rcu"`
	WCU       float64            `json:"wcu"`
	latencies []time.Duration
	inSDK     time.Duration
}

// measure prepares n+1 runs, makes the first (a warm function's caches),
// then measures n.
func measure(tb testing.TB, h *harness, o op, n int, timer func(start bool)) measured {
	run := o.prepare(tb, h, n+1)
	run(tb, 0)
	h.env.Count.Reset()
	h.env.SQSCount.Reset()
	lat := make([]time.Duration, 0, n)
	if timer != nil {
		timer(true)
	}
	for i := 1; i <= n; i++ {
		start := time.Now()
		run(tb, i)
		lat = append(lat, time.Since(start))
	}
	if timer != nil {
		timer(false)
	}
	m := measured{DynamoDB: map[string]float64{}, SQS: map[string]float64{}, latencies: lat, inSDK: h.env.Count.InSDK() + h.env.SQSCount.InSDK()}
	for k, v := range h.env.Count.Snapshot() {
		m.DynamoDB[k] = float64(v) / float64(n)
	}
	for k, v := range h.env.SQSCount.Snapshot() {
		m.SQS[k] = float64(v) / float64(n)
	}
	r, w := h.env.Count.Capacity()
	m.RCU, m.WCU = r/float64(n), w/float64(n)
	return m
}

func percentile(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	i := int(p*float64(len(s))+0.5) - 1
	return s[max(0, min(i, len(s)-1))]
}

func total(m map[string]float64) float64 {
	t := 0.0
	for _, v := range m {
		t += v
	}
	return t
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// costOps are the operations of a paid link beyond ops, held to the budget
// too and measured by BenchmarkOps for the cost line (infra/benchreport): a
// create that asks for a send, a link's first click, and the stream
// handler on one link record (a payment's MODIFY: one webhook queued).
var costOps = []op{
	{"create with send", func(tb testing.TB, h *harness, n int) func(testing.TB, int) {
		body := strings.TrimSuffix(createBody, "}") + `,"send":{"channel":"email"}}`
		return func(tb testing.TB, i int) {
			if rec := h.do(tb, "POST", "/v1/payment-links", body, nil); rec.Code != 201 {
				tb.Fatalf("create: %d %s", rec.Code, rec.Body)
			}
		}
	}},
	{"first click", func(tb testing.TB, h *harness, n int) func(testing.TB, int) {
		links := make([]*domain.Link, n)
		for i := range links {
			links[i] = h.link(tb, createBody)
		}
		ua := map[string]string{"User-Agent": browserUA}
		return func(tb testing.TB, i int) {
			if rec := h.do(tb, "GET", "/l/"+links[i].Code, "", ua); rec.Code != 302 {
				tb.Fatalf("first click: %d %s", rec.Code, rec.Body)
			}
		}
	}},
	{"stream record", func(tb testing.TB, h *harness, n int) func(testing.TB, int) {
		links := make([]*domain.Link, n)
		for i := range links {
			links[i] = h.link(tb, createBody)
		}
		before := linkImages(tb, h)
		for _, l := range links {
			next := *l
			next.Status = domain.StatusPaid
			next.PaidAt, next.PSP, next.PSPReference = &h.now, "sandbox", "pay_sb_"+l.ID[len(l.ID)-8:]
			if err := h.env.Store.Transition(context.Background(), l, &next, domain.NewEvent(l.ID, domain.EventPaid, l.Status, next.Status, h.now, nil)); err != nil {
				tb.Fatal(err)
			}
		}
		after := linkImages(tb, h)
		recs := make([]outbound.Record, n)
		for i, l := range links {
			old, cur := before["L#"+l.ID], after["L#"+l.ID]
			if old == nil || cur == nil {
				tb.Fatalf("link %s: no item with SK L#%s", l.ID, l.ID)
			}
			recs[i] = outbound.Record{Name: "MODIFY", Sequence: fmt.Sprint(i + 1), Old: old, New: cur}
		}
		return func(tb testing.TB, i int) {
			if failed := h.svc.Stream.Handle(context.Background(), recs[i:i+1]); failed != "" {
				tb.Fatalf("stream record %d failed", i)
			}
		}
	}},
}

// linkImages are the table's link items by sort key (L#<id> in every
// layout), as the stream would carry them.
func linkImages(tb testing.TB, h *harness) map[string]map[string]types.AttributeValue {
	out := map[string]map[string]types.AttributeValue{}
	p := dynamodb.NewScanPaginator(h.env.DB, &dynamodb.ScanInput{TableName: aws.String(h.env.Table), FilterExpression: aws.String("begins_with(SK, :l)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":l": &types.AttributeValueMemberS{Value: "L#"}}})
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			tb.Fatalf("scan links: %v", err)
		}
		for _, it := range page.Items {
			if sk, ok := it["SK"].(*types.AttributeValueMemberS); ok {
				out[sk.Value] = it
			}
		}
	}
	return out
}

// TestCostOps: each op of the cost line does what its name says, in any
// key layout: a create with a send is two transactions (the link with its
// audit entry; the send's queued event with its audit entry) and queues
// the send;
// a first click moves the link in a transaction (the click guard fails
// first) and saves the checkout; a stream record writes the event into the
// feed and puts one delivery (each body holds the customer: each one
// transaction that checks the customer is not erased and lists the item
// under it; the feed's also checks its shard's seal) and queues its
// webhook.
func TestCostOps(t *testing.T) {
	want := map[string]struct {
		ddb map[string]float64
		sqs map[string]float64
	}{
		"create with send": {map[string]float64{"TransactWriteItems": 2}, map[string]float64{"SendMessage": 1}},
		"first click":      {map[string]float64{"TransactWriteItems": 1}, map[string]float64{}},
		"stream record":    {map[string]float64{"TransactWriteItems": 2}, map[string]float64{"SendMessage": 1}},
	}
	for _, o := range costOps {
		w, ok := want[o.name]
		if !ok {
			t.Errorf("%s: no expectation", o.name)
			continue
		}
		m := measure(t, newHarness(t), o, 2, nil)
		for api, n := range w.ddb {
			if m.DynamoDB[api] != n {
				t.Errorf("%s: DynamoDB %v, want %s %v per run", o.name, m.DynamoDB, api, n)
			}
		}
		if !reflect.DeepEqual(m.SQS, w.sqs) {
			t.Errorf("%s: SQS %v, want %v", o.name, m.SQS, w.sqs)
		}
		if m.WCU <= 0 {
			t.Errorf("%s: %v WCU", o.name, m.WCU)
		}
	}
}

// dashboardSession is the Cookie header of a live dashboard session of a
// viewer of the merchant.
func dashboardSession(tb testing.TB, h *harness) string {
	tb.Helper()
	ctx := context.Background()
	now := time.Now().UTC()
	mem := domain.Member{ID: domain.NewID("mem_", now), Merchant: merchantID, Email: "viewer@perf.example", Role: domain.RoleViewer,
		Status: domain.MemberActive, Sub: "sub-perf-viewer", Username: "sub-perf-viewer", InvitedBy: domain.System, Created: now}
	if err := h.env.Store.AddMember(ctx, mem, store.NewAuditEntry(ctx, now, "member.invited", mem.ID, nil, mem)); err != nil {
		tb.Fatal(err)
	}
	secret := "perf-session-secret-perf-session-secret-0123456789"
	s := store.Session{Sub: mem.Sub, Email: mem.Email, Merchant: merchantID, CSRF: "csrf", Created: now, Seen: now, Ends: now.Add(session.AbsoluteTimeout)}
	if err := h.env.Store.PutSession(ctx, secret, s); err != nil {
		tb.Fatal(err)
	}
	return session.Cookie + "=" + secret
}
