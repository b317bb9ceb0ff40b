package reliability

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/outbound"
	"github.com/paylinks/paylinks/shared/psp"
	"github.com/paylinks/paylinks/shared/psp/sandbox"
	"github.com/paylinks/paylinks/shared/queue"
	"github.com/paylinks/paylinks/shared/service"
	"github.com/paylinks/paylinks/shared/store"
	"github.com/paylinks/paylinks/shared/testkit/testenv"
)

// drain takes every message off a queue (they are handed to the handlers
// by the test instead).
func drain(t *testing.T, env *testenv.Env, name string) []events.SQSMessage {
	t.Helper()
	var out []events.SQSMessage
	for empty := 0; empty < 2; {
		res, err := env.SQS.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{QueueUrl: aws.String(env.Queues[name]), MaxNumberOfMessages: 10, WaitTimeSeconds: 1})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Messages) == 0 {
			empty++
			continue
		}
		for _, m := range res.Messages {
			out = append(out, events.SQSMessage{MessageId: aws.ToString(m.MessageId), ReceiptHandle: aws.ToString(m.ReceiptHandle), Body: aws.ToString(m.Body),
				Attributes: map[string]string{"ApproximateReceiveCount": "1"}})
			_, _ = env.SQS.DeleteMessage(context.Background(), &sqs.DeleteMessageInput{QueueUrl: aws.String(env.Queues[name]), ReceiptHandle: m.ReceiptHandle})
		}
	}
	return out
}

// scan reads a whole table (tests only).
func scan(t *testing.T, db *dynamodb.Client, table string) []map[string]types.AttributeValue {
	t.Helper()
	var items []map[string]types.AttributeValue
	p := dynamodb.NewScanPaginator(db, &dynamodb.ScanInput{TableName: aws.String(table), ConsistentRead: aws.Bool(true)})
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		items = append(items, page.Items...)
	}
	return items
}

var volatile = regexp.MustCompile(`(^|_)at$|^ttl$|^lease_until$|^timeline$|^last_event$|^attempt_log$|^updated_at$|^id$`)

// canonical is an item without what legitimately differs between two runs
// (times, the ids of events made while handling): a change applied twice
// still shows, as a bumped version, a second event or a counter.
func canonical(it map[string]types.AttributeValue) string {
	var m map[string]any
	_ = attributevalue.UnmarshalMap(it, &m)
	if m["type"] == "event" {
		m["SK"] = fmt.Sprintf("E#%v#%v", m["link_id"], m["event"])
	}
	if log, ok := m["attempt_log"].([]any); ok {
		m["attempts_logged"] = len(log)
	}
	if tl, ok := m["timeline"].([]any); ok {
		m["timeline_len"] = len(tl)
	}
	for k := range m {
		if volatile.MatchString(k) && k != "id" || (k == "id" && m["type"] == "event") {
			delete(m, k)
		}
	}
	if d, ok := m["data"].(map[string]any); ok {
		delete(d, "provider_id") // the outbox numbers messages in the order they came
	}
	b, _ := json.Marshal(m)
	out := string(b)
	// Links made while handling (imported rows) get new ids, codes, times
	// and shards in each run: they are compared by content, as a multiset.
	for _, r := range anonymous {
		out = r.re.ReplaceAllString(out, r.with)
	}
	return out
}

var anonymous = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`[0-9A-HJKMNP-TV-Z]{26}`), "ULID"},
	{regexp.MustCompile(`redeliver_[0-9A-Za-z]{27}`), "CODE"},
	{regexp.MustCompile(`\d{4}-\d\d-\d\dT[0-9:.]+Z`), "TIME"},
	{regexp.MustCompile(`X#[0-9T-]+#\d+`), "X#BUCKET#SHARD"},
	{regexp.MustCompile(`#(LINKS|HOOKS|CUSTS)#\d\d`), "#$1#SHARD"}, // a new customer's listing shard is its id's
	{regexp.MustCompile(`#AUDIT#\d+`), "#AUDIT#SHARD"},             // the shard of a new entry's id
}

func snapshot(t *testing.T, env *testenv.Env) []string {
	var out []string
	for _, it := range scan(t, env.DB, env.Table) {
		out = append(out, canonical(it))
	}
	sort.Strings(out)
	return out
}

// TestEveryConsumerTwiceAndOutOfOrder builds one workload's messages for
// every queue (imports, sends, PSP events, refunds, webhook deliveries),
// copies the table into a twin, then hands each message once and in order
// to the consumers over the first table, and twice and shuffled over the
// twin: both tables must end the same, each e-mail sent once and each
// webhook POSTed once.
func TestEveryConsumerTwiceAndOutOfOrder(t *testing.T) {
	rounds := 1
	if testenv.Soak() {
		rounds = 10
	}
	var totalMsgs, diffs int
	for round := 0; round < rounds; round++ {
		m, d := redeliveryRound(t, round)
		totalMsgs, diffs = totalMsgs+m, diffs+d
	}
	testenv.Figure(t, "%d messages over 5 consumers delivered twice and shuffled: %d items differ from single delivery", totalMsgs, diffs)
}

func redeliveryRound(t *testing.T, round int) (int, int) {
	rcv := newHookReceiver()
	defer rcv.Close()
	one, twin := testenv.New(t), testenv.New(t)
	key := one.Merchant(t, "redeliver")
	mer, _ := one.Store.GetMerchant(context.Background(), "redeliver")
	mer.WebhookURL, mer.Version = rcv.URL+"/hooks", mer.Version+1
	if err := one.Store.UpdateMerchant(context.Background(), mer); err != nil {
		t.Fatal(err)
	}
	opts := func(env *testenv.Env) service.Options {
		return service.Options{PublicBaseURL: "http://127.0.0.1:1", LinkCodeKey: testenv.CodeKey, SandboxSecret: []byte("s"), SQS: env.SQS, Queues: env.Queues, Log: quiet,
			AllowLoopbackWebhooks: true, MerchantTTL: time.Millisecond}
	}
	svc1 := service.New(one.Store, opts(one))
	api := httptest.NewServer(svc1.Handler())
	defer api.Close()
	post := &poster{t: t, base: api.URL, key: key}

	// The workload: links sent by e-mail, an import, payments and a
	// decline through the webhook ingest, refunds, and webhook deliveries.
	links, msgs := sendImportAndPay(t, one, post, mer.PSPWebhookSecret, round)
	msgs[queue.Refunds] = payAndRefund(t, one, post, links[4:])
	msgs[queue.Webhooks] = pendingDeliveries(t, one, links[:3])
	n := 0
	for q, ms := range msgs {
		if len(ms) == 0 {
			t.Fatalf("no %s messages", q)
		}
		n += len(ms)
	}

	// The twin starts from the same table.
	copyTable(t, one, twin)
	svc2 := service.New(twin.Store, opts(twin))

	once := consumeAll(t, svc1, rcv, msgs, false)
	twiceOut := consumeAll(t, svc2, rcv, msgs, true)
	if once["emails"] == 0 || once["posts"] != 3 || once["post_total"] != 3 {
		t.Fatalf("single delivery did not do the work: %v", once)
	}
	if fmt.Sprint(once) != fmt.Sprint(twiceOut) {
		t.Errorf("side effects: single %v, twice %v", once, twiceOut)
	}
	return n, diffSnapshots(t, snapshot(t, one), snapshot(t, twin))
}

// hookReceiver is a merchant's webhook endpoint counting the POSTs of each
// webhook-id.
type hookReceiver struct {
	*httptest.Server
	mu    sync.Mutex
	posts map[string]int
}

func newHookReceiver() *hookReceiver {
	h := &hookReceiver{posts: map[string]int{}}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.mu.Lock()
		h.posts[r.Header.Get("webhook-id")]++
		h.mu.Unlock()
	}))
	return h
}

// poster makes the integrator's and the PSP's POSTs to the API, each of
// which must succeed.
type poster struct {
	t         *testing.T
	base, key string
}

func (p *poster) post(path, ctype, body string, header map[string]string) {
	p.t.Helper()
	req, _ := http.NewRequest("POST", p.base+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+p.key)
	req.Header.Set("Content-Type", ctype)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode >= 300 {
		p.t.Fatalf("POST %s: %v %v", path, resp, err)
	}
	var v map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&v)
	resp.Body.Close()
}

// sendImportAndPay makes six open links and sends each by e-mail, imports
// three rows, and posts three payments and a decline for the first four
// links to the webhook ingest; it returns the links and the import, send
// and PSP event messages all that queued.
func sendImportAndPay(t *testing.T, one *testenv.Env, post *poster, pspSecret string, round int) ([]*domain.Link, map[string][]events.SQSMessage) {
	var links []*domain.Link
	for i := 0; i < 6; i++ {
		l := newOpenLink(t, one.Store, "redeliver", time.Now().Add(24*time.Hour), i%2 == 0)
		links = append(links, l)
		post.post("/v1/payment-links/"+l.ID+"/send", "application/json", `{"channel":"email"}`, nil)
	}
	post.post("/v1/payment-links/import", "text/csv", "amount,currency,description,company_name,email,send_channel\n"+
		"1.00,EUR,a,A,a@example.com,email\n2.00,EUR,b,B,b@example.com,\n3.00,EUR,c,C,c@example.com,email\n", nil)
	for i, l := range links[:4] {
		typ, data := "payment.succeeded", sandbox.WebhookData{LinkID: l.ID, Attempt: 1, PaymentID: "pay_sb_" + l.ID[len(l.ID)-8:], Amount: &l.Amount}
		if i == 3 {
			typ, data.FailureReason = "payment.failed", "card_declined"
		}
		body, _ := json.Marshal(sandbox.WebhookEvent{ID: fmt.Sprintf("evt_sb_r%d_%d", round, i), Type: typ, Created: time.Now().Unix(), Data: data})
		post.post("/webhooks/psp/sandbox/redeliver", "application/json", string(body), map[string]string{sandbox.SignatureHeader: psp.SignedHeader(pspSecret, time.Now(), body)})
	}
	msgs := map[string][]events.SQSMessage{}
	for _, q := range []string{queue.Imports, queue.Send, queue.PSPEvents} {
		msgs[q] = drain(t, one, q)
	}
	return links, msgs
}

// payAndRefund pays links directly (refunds need paid links), asks for a
// refund and one the sandbox will fail on each, and returns the refund
// messages.
func payAndRefund(t *testing.T, one *testenv.Env, post *poster, links []*domain.Link) []events.SQSMessage {
	for _, l := range links {
		cur, _ := one.Store.Get(context.Background(), "redeliver", l.ID)
		next := *cur
		now := time.Now().UTC()
		next.Status, next.PaidAt, next.PSP, next.PSPReference = domain.StatusPaid, &now, "sandbox", "pay_sb_"+l.ID[len(l.ID)-8:]
		if err := one.Store.Transition(context.Background(), cur, &next, domain.NewEvent(l.ID, domain.EventPaid, cur.Status, next.Status, now, nil)); err != nil {
			t.Fatal(err)
		}
		post.post("/v1/payment-links/"+l.ID+"/refunds", "application/json", `{"amount":{"currency":"EUR","value":"10.00"}}`, nil)
		post.post("/v1/payment-links/"+l.ID+"/refunds", "application/json", `{"amount":{"currency":"EUR","value":"5.00"},"reason":"will fail"}`, nil)
	}
	return drain(t, one, queue.Refunds)
}

// pendingDeliveries stores a webhook delivery of a paid event for each link
// and returns the messages that hand them to the deliverer.
func pendingDeliveries(t *testing.T, one *testenv.Env, links []*domain.Link) []events.SQSMessage {
	var msgs []events.SQSMessage
	for i, l := range links {
		ev := domain.NewSeqID(domain.PrefixEvent, time.Now())
		d := &store.Delivery{ID: store.DeliveryIDFor(ev), Merchant: "redeliver", EventID: ev, EventType: domain.EventPaid, LinkID: l.ID, Sequence: 2, Body: `{}`}
		if _, err := one.Store.PutDelivery(context.Background(), d, time.Now()); err != nil {
			t.Fatal(err)
		}
		msgs = append(msgs, sqsMsg(fmt.Sprintf("whm-%d", i), outbound.Message{Merchant: "redeliver", DeliveryID: d.ID}))
	}
	return msgs
}

// copyTable writes every item of from's table into to's.
func copyTable(t *testing.T, from, to *testenv.Env) {
	var batch []types.WriteRequest
	flush := func() {
		if len(batch) == 0 {
			return
		}
		if _, err := to.DB.BatchWriteItem(context.Background(), &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{to.Table: batch}}); err != nil {
			t.Fatal(err)
		}
		batch = nil
	}
	for _, it := range scan(t, from.DB, from.Table) {
		batch = append(batch, types.WriteRequest{PutRequest: &types.PutRequest{Item: it}})
		if len(batch) == 25 {
			flush()
		}
	}
	flush()
}

// consumeAll hands every queue's messages to svc's consumers, queue after
// queue (each twice and shuffled when twice), redelivering the ones that
// fail as SQS would, and returns the side effects: e-mails sent, webhook
// ids POSTed and POSTs.
func consumeAll(t *testing.T, svc *service.Service, rcv *hookReceiver, msgs map[string][]events.SQSMessage, twice bool) map[string]int {
	rcv.mu.Lock()
	rcv.posts = map[string]int{}
	rcv.mu.Unlock()
	consumers := svc.Consumers()
	for _, q := range []string{queue.Imports, queue.Send, queue.PSPEvents, queue.Refunds, queue.Webhooks} {
		list := append([]events.SQSMessage(nil), msgs[q]...)
		if twice {
			list = append(list, msgs[q]...)
			rand.Shuffle(len(list), func(i, j int) { list[i], list[j] = list[j], list[i] })
		}
		if left := consumeUntilDone(consumers[q], list); left > 0 {
			t.Fatalf("%s: %d messages never succeeded", q, left)
		}
	}
	rcv.mu.Lock()
	defer rcv.mu.Unlock()
	return map[string]int{"emails": len(svc.Outbox.All()), "posts": len(rcv.posts), "post_total": sum(rcv.posts)}
}

// consumeUntilDone hands each message to handle, then the ones that failed
// (left on the queue: SQS hands them out again) up to five more times, and
// returns how many never succeeded.
func consumeUntilDone(handle queue.Handler, list []events.SQSMessage) int {
	var retry []events.SQSMessage
	for _, m := range list {
		if err := handle(context.Background(), m); err != nil {
			retry = append(retry, m) // left on the queue: SQS hands it out again
		}
	}
	for try := 0; len(retry) > 0 && try < 5; try++ {
		time.Sleep(300 * time.Millisecond)
		var again []events.SQSMessage
		for _, m := range retry {
			if err := handle(context.Background(), m); err != nil {
				again = append(again, m)
			}
		}
		retry = again
	}
	return len(retry)
}

// diffSnapshots reports each item only one of two table snapshots holds and
// returns how many there are.
func diffSnapshots(t *testing.T, a, b []string) int {
	diff := 0
	inA := map[string]int{}
	for _, s := range a {
		inA[s]++
	}
	for _, s := range b {
		if inA[s] == 0 {
			diff++
			t.Errorf("only after double delivery: %s", s)
		} else {
			inA[s]--
		}
	}
	for s, k := range inA {
		for ; k > 0; k-- {
			diff++
			t.Errorf("only after single delivery: %s", s)
		}
	}
	return diff
}

func sum(m map[string]int) int {
	t := 0
	for _, v := range m {
		t += v
	}
	return t
}
