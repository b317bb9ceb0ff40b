package outbound

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"

	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/merchant"
	"github.com/paylinks/paylinks/shared/queue"
	"github.com/paylinks/paylinks/shared/store"
)

// fakeRetryQueue keeps what it was asked: messages sent, postponements,
// dead letters.
type fakeRetryQueue struct {
	mu        sync.Mutex
	sent      []Message
	postponed []time.Duration
	dead      []any
}

func (q *fakeRetryQueue) Send(_ context.Context, v any, _ time.Duration) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.sent = append(q.sent, v.(Message))
	return nil
}

func (q *fakeRetryQueue) Postpone(_ context.Context, _ string, d time.Duration) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.postponed = append(q.postponed, d)
	return nil
}

func (q *fakeRetryQueue) DeadLetter(_ context.Context, v any) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.dead = append(q.dead, v)
	return nil
}

var unitNow = time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)

type deliveryUnit struct {
	st    *fakeStore
	q     *fakeRetryQueue
	w     *Deliverer
	posts *int
	code  *int
}

// newDeliveryUnit is the delivery worker over a store in memory holding
// one pending delivery (msg_1 of acme), posting to an endpoint that
// answers what code says.
func newDeliveryUnit(t *testing.T, schedule []time.Duration) *deliveryUnit {
	t.Helper()
	var mu sync.Mutex
	posts, code := 0, http.StatusOK
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		posts++
		if r.Header.Get("webhook-id") != "msg_1" || r.Header.Get("webhook-signature") == "" {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		w.WriteHeader(code)
	}))
	t.Cleanup(srv.Close)
	secret, err := merchant.NewSecret(SecretPrefix)
	if err != nil {
		t.Fatal(err)
	}
	m := &merchant.Merchant{ID: "acme", WebhookURL: srv.URL + "/hook", WebhookSecrets: []string{secret}}
	st, q := newFakeStore(), &fakeRetryQueue{}
	st.put(&store.Delivery{ID: "msg_1", Merchant: "acme", EventID: "ev_1", EventType: domain.EventPaid, LinkID: "pl_1", Body: `{"id":"ev_1"}`}, unitNow)
	w := &Deliverer{Store: st, Merchants: func(context.Context, string) (*merchant.Merchant, error) { return m, nil }, Queue: q,
		Client: srv.Client(), Schedule: schedule, Lease: time.Minute, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Now: func() time.Time { return unitNow }}
	return &deliveryUnit{st, q, w, &posts, &code}
}

func (u *deliveryUnit) process(carrier string) error {
	return u.w.Process(context.Background(), queue.Message[Message]{Body: Message{Merchant: "acme", DeliveryID: "msg_1"}, ID: carrier, Receipt: "r-" + carrier})
}

func TestUnitDeliveredOnceDuplicatesDoNothing(t *testing.T) {
	u := newDeliveryUnit(t, Schedule)
	if err := u.process("m1"); err != nil {
		t.Fatal(err)
	}
	// The same message again, and a duplicate of the stream record's
	// message (another carrier): both find the delivery done.
	for _, carrier := range []string{"m1", "m2"} {
		if err := u.process(carrier); err != nil {
			t.Fatalf("duplicate %s: %v", carrier, err)
		}
	}
	d := u.st.delivery("msg_1")
	if *u.posts != 1 || d.Status != store.DeliverySucceeded || len(d.Log) != 1 || d.Log[0].StatusCode != 200 {
		t.Fatalf("%d POSTs, delivery %s with %+v; want one POST, succeeded with one attempt", *u.posts, d.Status, d.Log)
	}
}

func TestUnitFailedAttemptIsRetriedThenGivenUp(t *testing.T) {
	u := newDeliveryUnit(t, []time.Duration{time.Minute})
	*u.code = http.StatusServiceUnavailable
	if err := u.process("m1"); !errors.Is(err, errLater) {
		t.Fatalf("a 503: %v, want it left on the queue", err)
	}
	d := u.st.delivery("msg_1")
	if d.Status != store.DeliveryPending || d.NextAttempt != unitNow.Add(time.Minute).Format(time.RFC3339Nano) ||
		len(u.q.postponed) != 1 || u.q.postponed[0] != time.Minute || d.Log[0].Error != "HTTP 503" {
		t.Fatalf("after a 503: %s next %q, postponed %v, log %+v; want pending, retried in a minute", d.Status, d.NextAttempt, u.q.postponed, d.Log)
	}
	if err := u.process("m1"); err != nil {
		t.Fatalf("the last attempt: %v", err)
	}
	d = u.st.delivery("msg_1")
	if d.Status != store.DeliveryFailed || len(u.q.dead) != 1 || *u.posts != 2 {
		t.Fatalf("after the schedule: %s, %d dead letters, %d POSTs; want failed, one dead letter, two POSTs", d.Status, len(u.q.dead), *u.posts)
	}
}

func TestUnitGoneEndpointIsDisabled(t *testing.T) {
	u := newDeliveryUnit(t, Schedule)
	*u.code = http.StatusGone
	if err := u.process("m1"); err != nil {
		t.Fatal(err)
	}
	if d := u.st.delivery("msg_1"); d.Status != store.DeliveryFailed || len(u.st.disabled) != 1 || !strings.Contains(u.st.disabled[0], "410") {
		t.Fatalf("after a 410: %s, disabled %v; want failed, the endpoint turned off", d.Status, u.st.disabled)
	}
}

func TestUnitBusyDeliveryIsPostponed(t *testing.T) {
	u := newDeliveryUnit(t, Schedule)
	if _, err := u.st.ClaimDelivery(context.Background(), "acme", "msg_1", 0, "m1", unitNow, time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := u.process("m1"); !errors.Is(err, errLater) || len(u.q.postponed) != 1 || u.q.postponed[0] != time.Minute || *u.posts != 0 {
		t.Fatalf("a delivery mid-attempt: %v, postponed %v, %d POSTs; want postponed by the lease, no POST", err, u.q.postponed, *u.posts)
	}
}

// createdRecord is the stream record of acme's link made for customer c.
func createdRecord(t *testing.T, c domain.Customer) Record {
	t.Helper()
	l := sampleLink(1, &domain.EventRef{ID: "ev_01JD3Q4ZK1W8Y6N0M5C2B7V9XF", Type: domain.EventCreated, At: "2026-11-23T10:00:00Z"})
	l.Status = domain.StatusCreated
	img := linkImage(t, l)
	av, err := attributevalue.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	img["customer"] = av
	return Record{Name: "INSERT", Sequence: "1", New: img}
}

func newStreamUnit() (*Stream, *fakeStore, *fakeRetryQueue) {
	st, q := newFakeStore(), &fakeRetryQueue{}
	m := &merchant.Merchant{ID: "acme", WebhookURL: "https://hooks.example/x", WebhookSecrets: []string{"whsec_x"}}
	return &Stream{Store: st, Merchants: func(context.Context, string) (*merchant.Merchant, error) { return m, nil }, Queue: q,
		PublicBaseURL: "https://pay.example", Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: func() time.Time { return unitNow }}, st, q
}

func TestUnitStreamRecordTwiceMakesOneDelivery(t *testing.T) {
	s, st, q := newStreamUnit()
	rec := createdRecord(t, domain.Customer{ID: "cus_1", FirstName: "Ann", Email: "ann@example.be"})
	for range 2 {
		if seq := s.Handle(context.Background(), []Record{rec}); seq != "" {
			t.Fatalf("failed at %q", seq)
		}
	}
	id := store.DeliveryIDFor("ev_01JD3Q4ZK1W8Y6N0M5C2B7V9XF")
	if len(st.deliveries) != 1 || len(st.ofCustomer["cus_1"]) != 1 || st.ofCustomer["cus_1"][0] != id {
		t.Fatalf("deliveries %v, of cus_1 %v; want one, listed under its customer", st.deliveries, st.ofCustomer)
	}
	if !strings.Contains(st.delivery(id).Body, "ann@example.be") {
		t.Fatalf("body %s lacks the customer", st.delivery(id).Body)
	}
	// Queued each time (the first message may not have gone out); the
	// worker drops the duplicate.
	if len(q.sent) != 2 || q.sent[0].DeliveryID != id || q.sent[1].DeliveryID != id {
		t.Fatalf("queued %+v", q.sent)
	}
}

func TestUnitStreamScrubsAnErasedCustomer(t *testing.T) {
	s, st, _ := newStreamUnit()
	st.erased["cus_1"] = true
	if seq := s.Handle(context.Background(), []Record{createdRecord(t, domain.Customer{ID: "cus_1", FirstName: "Ann", Email: "ann@example.be"})}); seq != "" {
		t.Fatalf("failed at %q", seq)
	}
	d := st.delivery(store.DeliveryIDFor("ev_01JD3Q4ZK1W8Y6N0M5C2B7V9XF"))
	if strings.Contains(d.Body, "ann@example.be") || strings.Contains(d.Body, "Ann") || !strings.Contains(d.Body, "cus_1") {
		t.Fatalf("an erased customer's delivery body: %s; want the customer's id only", d.Body)
	}
	if len(st.ofCustomer["cus_1"]) != 0 {
		t.Fatal("a scrubbed delivery was listed under its erased customer")
	}
}
