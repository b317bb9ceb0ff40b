package send_test

import (
	"context"
	"sync"
	"time"

	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/send"
	"github.com/paylinks/paylinks/shared/testkit/fakes"
)

// fakeStore is send.Store in memory, with the table's guards: a send id is
// claimed by one worker for its lease, done once finished (a claim of a
// done send reports it done), and a claim given back may be taken again.
type fakeStore struct {
	mu     sync.Mutex
	links  map[string]*domain.Link
	sends  map[string]fakeSend // by send id
	events []domain.Event
	addErr error // AddEvent fails with it
}

type fakeSend struct {
	done    bool
	until   time.Time
	outcome string
}

var _ send.Store = (*fakeStore)(nil)

func newFakeStore() *fakeStore {
	return &fakeStore{links: map[string]*domain.Link{}, sends: map[string]fakeSend{}}
}

// types are the timeline's event types, in order.
func (f *fakeStore) types() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, ev := range f.events {
		out = append(out, ev.Type)
	}
	return out
}

func (f *fakeStore) Get(_ context.Context, _, id string) (*domain.Link, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return fakes.Copy(f.links, id)
}

func (f *fakeStore) AddEvent(_ context.Context, _ string, ev domain.Event) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.addErr != nil {
		return f.addErr
	}
	f.events = append(f.events, ev)
	return nil
}

func (f *fakeStore) ClaimSend(_ context.Context, _, _, sendID string, now time.Time, lease time.Duration) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, ok := f.sends[sendID]
	switch {
	case ok && s.done:
		return true, nil
	case ok && now.Before(s.until):
		return false, domain.ErrConflict
	}
	f.sends[sendID] = fakeSend{until: now.Add(lease)}
	return false, nil
}

func (f *fakeStore) FinishSend(_ context.Context, _, linkID, sendID, outcome string, ev domain.Event) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sends[sendID] = fakeSend{done: true, outcome: outcome}
	f.events = append(f.events, ev)
	if l, ok := f.links[linkID]; ok && outcome == "sent" {
		l.SentChannels = append(l.SentChannels, ev.Data["channel"])
	}
	return nil
}

func (f *fakeStore) ReleaseSend(_ context.Context, _, _, sendID string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if s, ok := f.sends[sendID]; ok && !s.done {
		delete(f.sends, sendID)
	}
	return nil
}
