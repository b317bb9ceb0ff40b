package send_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/paylinks/paylinks/shared/channel"
	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/merchant"
	"github.com/paylinks/paylinks/shared/money"
	"github.com/paylinks/paylinks/shared/queue"
	"github.com/paylinks/paylinks/shared/send"
)

// fakeQueue keeps what was sent.
type fakeQueue struct{ sent []send.Message }

func (q *fakeQueue) Send(_ context.Context, v any, _ time.Duration) error {
	q.sent = append(q.sent, v.(send.Message))
	return nil
}

var unitNow = time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)

type unit struct {
	st  *fakeStore
	out *flaky
	q   *fakeQueue
	svc *send.Service
	l   *domain.Link
}

// newUnit is the send service over a store in memory holding one open link
// of shop, delivering through f on every channel.
func newUnit(t *testing.T) *unit {
	t.Helper()
	st, f, q := newFakeStore(), &flaky{}, &fakeQueue{}
	l := &domain.Link{ID: domain.NewID(domain.PrefixLink, unitNow), Merchant: "shop", Code: "shop_code", Status: domain.StatusCreated,
		Amount: money.MustParse("EUR", "9.99"), Description: "Invoice 7", Language: "en",
		Customer:  domain.Customer{FirstName: "Ann", LastName: "Peeters", Email: "ann@example.be", Phone: "+32470000000"},
		ExpiresAt: unitNow.Add(time.Hour), CreatedAt: unitNow}
	st.links[l.ID] = l
	svc := &send.Service{Store: st, Queue: q, Channels: channel.Registry{channel.Email: f, channel.SMS: f, channel.WhatsApp: f},
		Merchants: func(context.Context, string) (*merchant.Merchant, error) {
			return &merchant.Merchant{ID: "shop", Name: "Bakkerij Peeters"}, nil
		},
		PublicBaseURL: "https://links.example", Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: func() time.Time { return unitNow }}
	return &unit{st, f, q, svc, l}
}

func (u *unit) process(ch, sendID string) error {
	return u.svc.Process(context.Background(), queue.Message[send.Message]{Body: send.Message{Merchant: "shop", LinkID: u.l.ID,
		Channel: ch, SendID: sendID, Kind: "link"}})
}

func TestUnitSentSendIDIsNotSentAgain(t *testing.T) {
	u := newUnit(t)
	for i := range 3 {
		if err := u.process(channel.Email, "snd_1"); err != nil {
			t.Fatalf("delivery %d: %v", i, err)
		}
	}
	sent := u.out.out.All()
	if len(sent) != 1 || sent[0].Message.To != "ann@example.be" || sent[0].Message.LinkID != u.l.ID {
		t.Fatalf("sent %+v, want one e-mail to ann@example.be", sent)
	}
	if got := u.st.types(); !slices.Equal(got, []string{"message.sent"}) {
		t.Fatalf("timeline %v, want one message.sent", got)
	}
	// Another send id of the same link is another message.
	if err := u.process(channel.Email, "snd_2"); err != nil || len(u.out.out.All()) != 2 {
		t.Fatalf("a second send id: %v, %d sent", err, len(u.out.out.All()))
	}
}

func TestUnitClaimedSendIsRetriedNotDoubled(t *testing.T) {
	u := newUnit(t)
	if _, err := u.st.ClaimSend(t.Context(), "shop", u.l.ID, "snd_1", unitNow, time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := u.process(channel.Email, "snd_1"); !errors.Is(err, domain.ErrConflict) || len(u.out.out.All()) != 0 {
		t.Fatalf("a send claimed by another worker: %v, %d sent; want a conflict (retried by the queue), none", err, len(u.out.out.All()))
	}
}

func TestUnitTransientFailureReleasesPermanentIsRecorded(t *testing.T) {
	u := newUnit(t)
	u.out.transient = 1
	if err := u.process(channel.SMS, "snd_t"); err == nil {
		t.Fatal("a throttled send must be retried by the queue")
	}
	if err := u.process(channel.SMS, "snd_t"); err != nil || len(u.out.out.All()) != 1 {
		t.Fatalf("the retry: %v, %d sent; want one sent", err, len(u.out.out.All()))
	}
	u.out.permanent = true
	for range 2 {
		if err := u.process(channel.WhatsApp, "snd_p"); err != nil {
			t.Fatalf("a permanent failure is recorded, not retried: %v", err)
		}
	}
	if got := u.st.types(); !slices.Equal(got, []string{"message.sent", "message.failed"}) {
		t.Fatalf("timeline %v, want message.sent then one message.failed", got)
	}
}

func TestUnitClosedOrUnknownLinkSendsNothing(t *testing.T) {
	u := newUnit(t)
	u.st.links[u.l.ID].Status = domain.StatusPaid
	if err := u.process(channel.Email, "snd_paid"); err != nil {
		t.Fatal(err)
	}
	gone := u.svc.Process(t.Context(), queue.Message[send.Message]{Body: send.Message{Merchant: "shop", LinkID: "pl_gone", Channel: channel.Email, SendID: "snd_gone", Kind: "link"}})
	if gone != nil || len(u.out.out.All()) != 0 {
		t.Fatalf("unknown link: %v, %d sent", gone, len(u.out.out.All()))
	}
	if got := u.st.types(); !slices.Equal(got, []string{"message.skipped"}) {
		t.Fatalf("timeline %v, want one message.skipped", got)
	}
	if _, ok := u.st.sends["snd_gone"]; ok {
		t.Fatal("the claim of a send of an unknown link was kept")
	}
}

func TestUnitEnqueueQueuesAndNotesIt(t *testing.T) {
	u := newUnit(t)
	id, err := u.svc.Enqueue(t.Context(), u.l, channel.SMS, "link", "")
	if err != nil || len(u.q.sent) != 1 || u.q.sent[0].SendID != id || u.q.sent[0].Channel != channel.SMS {
		t.Fatalf("enqueue: %q %v, queued %+v", id, err, u.q.sent)
	}
	if got := u.st.types(); !slices.Equal(got, []string{"message.queued"}) {
		t.Fatalf("timeline %v, want message.queued", got)
	}
	// A lost timeline entry does not fail a send that is on its way.
	u.st.addErr = fmt.Errorf("table down")
	if _, err := u.svc.Enqueue(t.Context(), u.l, channel.Email, "link", "snd_x"); err != nil || len(u.q.sent) != 2 {
		t.Fatalf("enqueue with the timeline down: %v, %d queued", err, len(u.q.sent))
	}
	paid := *u.l
	paid.Status = domain.StatusPaid
	if _, err := u.svc.Enqueue(t.Context(), &paid, channel.Email, "link", ""); !errors.Is(err, domain.ErrNotSendable) || len(u.q.sent) != 2 {
		t.Fatalf("enqueue of a paid link: %v, %d queued", err, len(u.q.sent))
	}
}
