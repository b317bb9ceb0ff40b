package reliability

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/merchant"
	"github.com/paylinks/paylinks/shared/money"
	"github.com/paylinks/paylinks/shared/psp"
	"github.com/paylinks/paylinks/shared/psp/sandbox"
	"github.com/paylinks/paylinks/shared/psp/stripe"
	"github.com/paylinks/paylinks/shared/service"
	"github.com/paylinks/paylinks/shared/store"
	"github.com/paylinks/paylinks/shared/testkit/faults"
	"github.com/paylinks/paylinks/shared/testkit/psptest"
	"github.com/paylinks/paylinks/shared/testkit/testenv"
)

var dbWrites = []string{"PutItem", "UpdateItem", "TransactWriteItems", "DeleteItem", "BatchWriteItem"}

// client is an integrator (or a PSP) that retries what failed: the same
// request, with the same Idempotency-Key, until it gets an answer in want.
type client struct {
	t       *testing.T
	base    string
	key     string
	retries int
}

func (c *client) do(method, path, body, idem string, want ...int) map[string]any {
	c.t.Helper()
	for try := 0; try < 60; try++ {
		req, _ := http.NewRequest(method, c.base+path, strings.NewReader(body))
		if c.key != "" {
			req.Header.Set("Authorization", "Bearer "+c.key)
		}
		req.Header.Set("Content-Type", "application/json")
		if idem != "" {
			req.Header.Set("Idempotency-Key", idem)
		}
		if strings.HasPrefix(path, "/webhooks/") {
			req.Header.Set(sandbox.SignatureHeader, idem) // a PSP signs, and retries, the same bytes
			req.Header.Del("Idempotency-Key")
		}
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			raw, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			for _, w := range want {
				if resp.StatusCode == w {
					var v map[string]any
					_ = json.Unmarshal(raw, &v)
					return v
				}
			}
			if resp.StatusCode < 500 && resp.StatusCode != 409 {
				c.t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, raw) // a refusal, not a fault: a bug
			}
		}
		c.retries++
		time.Sleep(time.Duration(min(20*(try+1), 1000)) * time.Millisecond)
	}
	c.t.Fatalf("%s %s: no answer after 60 tries", method, path)
	return nil
}

// TestFaultsLoseNothing runs one workload (creates, payments through the
// webhook ingest, refunds, sends) under each fault profile, with the
// integrator and the PSP retrying as they do, then turns the faults off and
// lets the queues drain. Nothing may be lost or doubled: every create
// answered 201 is one link with its code marker and one created event,
// every payment the ingest accepted is applied once, every refund settles
// once, every send goes out once.
func TestFaultsLoseNothing(t *testing.T) {
	profiles := []struct {
		name  string
		rules []faults.Rule
	}{
		{"DynamoDB throttling on 50% of writes", []faults.Rule{{Name: "throttle", Ops: dbWrites, Rate: 0.5, Err: faults.Throttled}}},
		{"DynamoDB 5xx on 30% of calls", []faults.Rule{{Name: "5xx", Ops: append([]string{"GetItem", "Query"}, dbWrites...), Rate: 0.3, Err: faults.ServerError}}},
		{"SQS sends failing 50%", []faults.Rule{{Name: "sqs", Ops: []string{"SendMessage"}, Rate: 0.5, Err: faults.ConnectionReset}}},
	}
	links := 12
	if testenv.Soak() {
		links = 60
	}
	for _, p := range profiles {
		t.Run(strings.Fields(p.name)[1], func(t *testing.T) {
			t.Parallel()
			runFaultProfile(t, p.name, p.rules, links)
		})
	}
}

// faultRun is one profile's workload: the links created, those paid (the
// first half of them refunded) and those sent.
type faultRun struct {
	env              *testenv.Env
	srv              *testenv.Server
	c                *client
	ids, paid, sent  []string
	pspWebhookSecret string
}

// runFaultProfile runs the workload under rules, then turns the faults off,
// waits for everything to settle (redriving the DLQs) and checks that
// nothing was lost or doubled.
func runFaultProfile(t *testing.T, name string, rules []faults.Rule, links int) {
	env := testenv.New(t)
	key := env.Merchant(t, "faults")
	srv := env.ServeWith(t, func(o *service.Options) { o.MerchantTTL = time.Millisecond })
	srv.Consume(t)
	mer, _ := env.Store.GetMerchant(context.Background(), "faults")
	r := &faultRun{env: env, srv: srv, c: &client{t: t, base: srv.URL, key: key}, pspWebhookSecret: mer.PSPWebhookSecret}
	env.Faults.Set(rules...)
	defer env.Faults.Set()

	r.workload(t, links)
	injected := env.Faults.Injected()[rules[0].Name]
	env.Faults.Set()

	lost := 0
	redriven := 0
	for deadline := time.Now().Add(90 * time.Second); r.pending() != ""; time.Sleep(200 * time.Millisecond) {
		redriven += redrive(t, env) // an operator answering the DLQ alarm
		if time.Now().After(deadline) {
			lost++
			t.Errorf("after 90 s still waiting for %s", r.pending())
			break
		}
	}
	if n, _ := env.Store.CountLinks(context.Background(), "faults"); n != links {
		lost++
		t.Errorf("%d links for %d creates", n, links)
	}
	for i, id := range r.ids {
		lost += r.checkLink(t, i, id)
	}
	if n := len(srv.Service.Outbox.All()); n != len(r.sent) {
		lost++
		t.Errorf("%d e-mails for %d sends", n, len(r.sent))
	}
	if injected == 0 {
		t.Fatal("no fault was injected")
	}
	testenv.Figure(t, "%s: %d faults injected, %d client retries, %d messages redriven from DLQs, %d links / %d payments / %d refunds / %d sends, %d lost or doubled",
		name, injected, r.c.retries, redriven, links, len(r.paid), len(r.paid)/2, len(r.sent), lost)
}

// workload creates links, pays the first half through the webhook ingest,
// refunds the first half of those once paid, and sends the rest by e-mail,
// retrying each request as an integrator or a PSP does.
func (r *faultRun) workload(t *testing.T, links int) {
	c, env := r.c, r.env
	r.ids = make([]string, links)
	for i := range r.ids {
		l := c.do("POST", "/v1/payment-links", `{"amount":{"currency":"EUR","value":"30.00"},"description":"fault `+fmt.Sprint(i)+`","customer":{"company_name":"F","email":"f@example.com"}}`,
			fmt.Sprintf("create-%d", i), 201)
		r.ids[i] = l["id"].(string)
	}
	r.paid = r.ids[:links/2]
	for i, id := range r.paid {
		amt := money.MustParse("EUR", "30.00")
		body, _ := json.Marshal(sandbox.WebhookEvent{ID: fmt.Sprintf("evt_sb_fault_%d", i), Type: "payment.succeeded", Created: time.Now().Unix(),
			Data: sandbox.WebhookData{LinkID: id, Attempt: 1, PaymentID: "pay_sb_" + id[len(id)-8:], Amount: &amt}})
		(&client{t: t, base: r.srv.URL}).do("POST", "/webhooks/psp/sandbox/faults", string(body), psp.SignedHeader(r.pspWebhookSecret, time.Now(), body), 200)
	}
	for _, id := range r.paid[:len(r.paid)/2] {
		testenv.Eventually(t, 60*time.Second, "paid under faults", func() bool {
			l, err := env.Store.Get(context.Background(), "faults", id)
			return err == nil && l.Status == domain.StatusPaid
		})
		c.do("POST", "/v1/payment-links/"+id+"/refunds", `{"amount":{"currency":"EUR","value":"10.00"}}`, "refund-"+id, 201)
	}
	r.sent = r.ids[links/2:]
	for _, id := range r.sent {
		c.do("POST", "/v1/payment-links/"+id+"/send", `{"channel":"email"}`, "send-"+id, 202)
	}
}

// pending names the first thing not settled yet, "" when all is.
func (r *faultRun) pending() string {
	env := r.env
	for _, id := range r.paid {
		if l, _ := env.Store.Get(context.Background(), "faults", id); l == nil || l.Status != domain.StatusPaid {
			return "payment of " + id
		}
	}
	for _, id := range r.paid[:len(r.paid)/2] {
		if ok, why := oneRefund(env, id); !ok {
			return why
		}
	}
	for _, id := range r.sent { // recorded too, not only sent: the worker may still be writing it
		evs, _ := env.Store.Events(context.Background(), "faults", id)
		recorded := false
		for _, e := range evs {
			recorded = recorded || e.Type == "message.sent"
		}
		if !recorded {
			return "the sent event of " + id
		}
	}
	return ""
}

// checkLink checks the i-th link: its code marker, one created event, one
// paid event if it was paid, one sent event if it was sent, its refund; it
// returns the number of broken checks.
func (r *faultRun) checkLink(t *testing.T, i int, id string) int {
	env, lost := r.env, 0
	l, err := env.Store.Get(context.Background(), "faults", id)
	if err != nil {
		t.Errorf("link %d: %v", i, err)
		return 1
	}
	if byCode, err := env.Store.GetByCode(context.Background(), l.Code); err != nil || byCode.ID != id {
		lost++
		t.Errorf("link %d: code marker %v", i, err)
	}
	evs, _ := env.Store.Events(context.Background(), "faults", id)
	count := map[string]int{}
	for _, e := range evs {
		count[e.Type]++
	}
	wantPaid := 0
	if i < len(r.paid) {
		wantPaid = 1
	}
	wantSent := 0
	if i >= len(r.paid) {
		wantSent = 1
	}
	if count[domain.EventCreated] != 1 || count[domain.EventPaid] != wantPaid || count["message.sent"] != wantSent {
		lost++
		t.Errorf("link %d events %v", i, count)
	}
	if i < len(r.paid)/2 && (l.AmountRefunded.String() != "10.00" || l.RefundCommitted.String() != "10.00") {
		lost++
		t.Errorf("link %d refunded %s committed %s", i, l.AmountRefunded, l.RefundCommitted)
	}
	return lost
}

// oneRefund: the link's refund succeeded once; any other attempt is one the
// API could not queue, refused (5xx) and released (failed, could_not_enqueue).
func oneRefund(env *testenv.Env, linkID string) (bool, string) {
	rs, _ := env.Store.Refunds(context.Background(), "faults", linkID)
	ok := 0
	for _, r := range rs {
		switch {
		case r.Status == store.RefundSucceeded:
			ok++
		case r.Status == store.RefundFailed && r.FailureReason == "could_not_enqueue":
		default:
			return false, fmt.Sprintf("refund %s of %s is %s (%s)", r.ID, linkID, r.Status, r.FailureReason)
		}
	}
	return ok == 1, fmt.Sprintf("%d succeeded refunds of %s", ok, linkID)
}

// redrive moves every DLQ message back to its queue and says how many.
func redrive(t *testing.T, env *testenv.Env) int {
	n := 0
	for name, url := range env.Queues {
		for {
			out, err := env.SQS.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{QueueUrl: aws.String(url + "-dlq"), MaxNumberOfMessages: 10})
			if err != nil || len(out.Messages) == 0 {
				break
			}
			for _, m := range out.Messages {
				if _, err := env.SQS.SendMessage(context.Background(), &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: m.Body}); err != nil {
					t.Fatalf("redrive %s: %v", name, err)
				}
				_, _ = env.SQS.DeleteMessage(context.Background(), &sqs.DeleteMessageInput{QueueUrl: aws.String(url + "-dlq"), ReceiptHandle: m.ReceiptHandle})
				n++
			}
		}
	}
	return n
}

// TestPSPFaultsRefundOnce: the PSP answers 503 twice, then does the refund
// but the answer never arrives (a timeout) twice, then answers: one refund
// at the PSP (its idempotency key), settled once. A checkout the PSP fails
// to create gives the customer the error page, and the next click works.
func TestPSPFaultsRefundOnce(t *testing.T) {
	d := psptest.NewStripe(t, "sk_test_faults")
	env := testenv.New(t)
	m := &merchant.Merchant{ID: "pspfaults", Name: "Shop", PSP: stripe.Name, PaymentMethods: []string{"card"},
		PSPCredentials: map[string]string{stripe.CredSecretKey: "sk_test_faults", stripe.CredWebhookSecret: "whsec_faults"}}
	key := env.MerchantWith(t, m)
	srv := env.ServeWith(t, func(o *service.Options) { o.StripeAPI = d.URL })
	srv.Consume(t)

	l := newOpenLink(t, env.Store, "pspfaults", time.Now().Add(time.Hour), false)
	d.Fail = 2
	for i, want := range []int{503, 503, 302} {
		req, _ := http.NewRequest("GET", srv.URL+"/l/"+l.Code, nil)
		req.Header.Set("User-Agent", browserUA)
		resp, err := noRedirect.Do(req)
		if err != nil || resp.StatusCode != want {
			t.Fatalf("click %d: %v %v", i, resp, err)
		}
		resp.Body.Close()
	}
	cur, _ := env.Store.Get(context.Background(), "pspfaults", l.ID)
	next := *cur
	now := time.Now().UTC()
	next.Status, next.PaidAt, next.PSP, next.PSPReference = domain.StatusPaid, &now, stripe.Name, "pi_faults"
	if err := env.Store.Transition(context.Background(), cur, &next, domain.NewEvent(l.ID, domain.EventPaid, cur.Status, next.Status, now, nil)); err != nil {
		t.Fatal(err)
	}
	d.Fail, d.Drop = 2, 2
	c := &client{t: t, base: srv.URL, key: key}
	c.do("POST", "/v1/payment-links/"+l.ID+"/refunds", `{"amount":{"currency":"EUR","value":"25.00"}}`, "psp-fault-refund", 201)
	testenv.Eventually(t, 60*time.Second, "refund settled", func() bool {
		rs, _ := env.Store.Refunds(context.Background(), "pspfaults", l.ID)
		return len(rs) == 1 && rs[0].Status == store.RefundSucceeded
	})
	got, _ := env.Store.Get(context.Background(), "pspfaults", l.ID)
	calls := d.Calls.Count("POST /v1/refunds")
	if got.AmountRefunded.String() != "25.00" || got.RefundCommitted.String() != "25.00" || calls < 5 {
		t.Fatalf("refunded %s committed %s after %d calls", got.AmountRefunded, got.RefundCommitted, calls)
	}
	refundsAtPSP := len(d.RefundIDs())
	if refundsAtPSP != 1 {
		t.Fatalf("%d refunds made at the PSP", refundsAtPSP)
	}
	testenv.Figure(t, "PSP: 2 failed checkouts (customer saw the error page, then paid), refund through 2x503 + 2 lost answers: %d calls, %d refund at the PSP, refunded %s once",
		calls, refundsAtPSP, got.AmountRefunded)
}
