package send_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/paylinks/paylinks/shared/channel"
	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/money"
	"github.com/paylinks/paylinks/shared/send"
	"github.com/paylinks/paylinks/shared/service"
	"github.com/paylinks/paylinks/shared/store"
	"github.com/paylinks/paylinks/shared/testkit/testenv"
)

// flaky fails as told, then delivers to the outbox.
type flaky struct {
	mu        sync.Mutex
	transient int
	permanent bool
	out       channel.Outbox
}

func (f *flaky) Send(ctx context.Context, m channel.Message) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.permanent {
		return "", fmt.Errorf("%w: address rejected", channel.ErrPermanent)
	}
	if f.transient > 0 {
		f.transient--
		return "", fmt.Errorf("%w: throttled", channel.ErrTransient)
	}
	return f.out.Send(ctx, m)
}

func setup(t *testing.T, f *flaky) (*testenv.Env, *send.Service, *domain.Link) {
	env := testenv.New(t)
	env.Merchant(t, "shop")
	srv := env.ServeWith(t, func(o *service.Options) {
		o.Channels = channel.Registry{channel.Email: f, channel.SMS: f, channel.WhatsApp: f}
	})
	now := time.Now().UTC()
	id := domain.NewID(domain.PrefixLink, now)
	code, _ := testenv.CodeKey.NewCode("shop", id)
	l := &domain.Link{ID: id, Merchant: "shop", Code: code, Status: domain.StatusCreated, Amount: money.MustParse("EUR", "9.99"),
		AmountRefunded: money.Zero("EUR"), RefundCommitted: money.Zero("EUR"), Description: "d", Language: "en", Origin: domain.OriginAPI,
		Customer:  domain.Customer{FirstName: "A", LastName: "B", Email: "a@example.be", Phone: "+32470000000"},
		ExpiresAt: now.Add(time.Hour), CreatedAt: now, UpdatedAt: now}
	if err := env.Store.CreateLink(context.Background(), store.NewLink{Link: l, Event: domain.NewEvent(id, domain.EventCreated, "", domain.StatusCreated, now, nil)}); err != nil {
		t.Fatal(err)
	}
	return env, srv.Service.Send, l
}

func msg(l *domain.Link, ch, sendID string) events.SQSMessage {
	b, _ := json.Marshal(send.Message{Merchant: l.Merchant, LinkID: l.ID, Channel: ch, SendID: sendID, Kind: "link"})
	return events.SQSMessage{MessageId: sendID, Body: string(b)}
}

func timeline(t *testing.T, env *testenv.Env, l *domain.Link) map[string]int {
	evs, _ := env.Store.Events(context.Background(), "shop", l.ID)
	n := map[string]int{}
	for _, e := range evs {
		n[e.Type]++
	}
	return n
}

func TestRedeliveredMessageSendsOnce(t *testing.T) {
	f := &flaky{}
	env, s, l := setup(t, f)
	m := msg(l, channel.Email, "snd_1")
	var wg sync.WaitGroup
	for i := 0; i < 3; i++ {
		wg.Add(1)
		go func() { defer wg.Done(); _ = s.Handle(context.Background(), m) }()
	}
	wg.Wait()
	for i := 0; i < 2; i++ {
		if err := s.Handle(context.Background(), m); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(f.out.All()); n != 1 {
		t.Fatalf("sent %d times", n)
	}
	if n := timeline(t, env, l)["message.sent"]; n != 1 {
		t.Fatalf("%d message.sent events", n)
	}
}

func TestTransientRetriedPermanentRecorded(t *testing.T) {
	f := &flaky{transient: 2}
	env, s, l := setup(t, f)
	m := msg(l, channel.SMS, "snd_2")
	for i := 0; i < 2; i++ {
		if err := s.Handle(context.Background(), m); err == nil {
			t.Fatal("a throttled send must be retried by the queue")
		}
	}
	if err := s.Handle(context.Background(), m); err != nil || len(f.out.All()) != 1 {
		t.Fatalf("third try: %v, %d sent", err, len(f.out.All()))
	}
	f.permanent = true
	if err := s.Handle(context.Background(), msg(l, channel.WhatsApp, "snd_3")); err != nil {
		t.Fatalf("a permanent failure is recorded, not retried: %v", err)
	}
	if n := timeline(t, env, l); n["message.failed"] != 1 || n["message.sent"] != 1 {
		t.Fatalf("timeline %v", n)
	}
	if err := s.Handle(context.Background(), events.SQSMessage{Body: "nope"}); err == nil {
		t.Fatal("malformed message accepted")
	}
}
