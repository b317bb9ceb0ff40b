package store_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/store"
	"github.com/paylinks/paylinks/shared/testkit/testenv"
)

// TestFinishSendRecordsTheChannels: a message that went out adds its
// channel to the link (once, whatever the redeliveries) with the time; a
// failed one does not; a link deleted meanwhile is not made again and the
// message is still recorded.
func TestFinishSendRecordsTheChannels(t *testing.T) {
	env := testenv.New(t)
	now := time.Now().UTC().Truncate(time.Millisecond)
	l, ev := newLink(t, "m1", "", now)
	if err := env.Store.CreateLink(ctx, store.NewLink{Link: l, Event: ev}); err != nil {
		t.Fatal(err)
	}
	finish := func(linkID, sendID, ch, outcome string, at time.Time) domain.Event {
		t.Helper()
		if _, err := env.Store.ClaimSend(ctx, "m1", linkID, sendID, at, time.Minute); err != nil {
			t.Fatal(err)
		}
		typ := "message.sent"
		if outcome != "sent" {
			typ = "message.failed"
		}
		e := domain.NewEvent(linkID, typ, "", "", at, map[string]string{"channel": ch, "send_id": sendID})
		if err := env.Store.FinishSend(ctx, "m1", linkID, sendID, outcome, e); err != nil {
			t.Fatal(err)
		}
		return e
	}
	email := finish(l.ID, "snd_email", "email", "sent", now)
	finish(l.ID, "snd_sms", "sms", "failed", now.Add(time.Second))
	finish(l.ID, "snd_wa", "whatsapp", "sent", now.Add(2*time.Second))
	// The e-mail's record again (a try that landed without its answer):
	// nothing changes twice.
	if err := env.Store.FinishSend(ctx, "m1", l.ID, "snd_email", "sent", email); err != nil {
		t.Fatal(err)
	}
	got, err := env.Store.Get(ctx, "m1", l.ID)
	if err != nil {
		t.Fatal(err)
	}
	chs := slices.Sorted(slices.Values(got.SentChannels))
	if !slices.Equal(chs, []string{"email", "whatsapp"}) || got.LastSentAt == nil || !got.LastSentAt.Equal(now.Add(2*time.Second)) || got.Version != l.Version {
		t.Fatalf("the link after its sends: channels %v, last %v (want %v), version %d -> %d", chs, got.LastSentAt, now.Add(2*time.Second), l.Version, got.Version)
	}

	// Deleted (archived unopened) between the send and its record.
	gone, ev := newLink(t, "m1", "", now)
	if err := env.Store.CreateLink(ctx, store.NewLink{Link: gone, Event: ev}); err != nil {
		t.Fatal(err)
	}
	if _, err := env.Store.ClaimSend(ctx, "m1", gone.ID, "snd_gone", now, time.Minute); err != nil {
		t.Fatal(err)
	}
	cur, _ := env.Store.Get(ctx, "m1", gone.ID)
	if err := env.Store.Delete(ctx, cur); err != nil {
		t.Fatal(err)
	}
	e := domain.NewEvent(gone.ID, "message.sent", "", "", now, map[string]string{"channel": "email", "send_id": "snd_gone"})
	if err := env.Store.FinishSend(ctx, "m1", gone.ID, "snd_gone", "sent", e); err != nil {
		t.Fatalf("the send of a deleted link: %v", err)
	}
	if _, err := env.Store.Get(ctx, "m1", gone.ID); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("the deleted link was made again: %v", err)
	}
	evs, err := env.Store.Events(ctx, "m1", gone.ID)
	if err != nil || !slices.ContainsFunc(evs, func(x domain.Event) bool { return x.Type == "message.sent" }) {
		t.Fatalf("the message of the deleted link is not recorded: %v %v", evs, err)
	}
}
