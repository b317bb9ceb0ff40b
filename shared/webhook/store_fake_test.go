package webhook_test

import (
	"context"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/merchant"
	"github.com/paylinks/paylinks/shared/store"
	"github.com/paylinks/paylinks/shared/testkit/fakes"
	"github.com/paylinks/paylinks/shared/webhook"
)

// fakeStore is webhook.IngestStore and webhook.ApplyStore in memory: it
// carries out payment decisions as the table's conditional writes do
// (guarded by the decision's statuses, money and attempt; one marker per
// PSP event) and counts what it wrote.
type fakeStore struct {
	mu        sync.Mutex
	merchants map[string]*merchant.Merchant
	links     map[string]*domain.Link // by id
	recorded  map[string]bool         // PSP event id -> enqueued
	applied   map[string]bool         // PSP event ids applied to a link
	reviews   map[string]string       // PSP event id -> review kind
	events    int                     // timeline events written
}

var (
	_ webhook.IngestStore = (*fakeStore)(nil)
	_ webhook.ApplyStore  = (*fakeStore)(nil)
)

func newFakeStore() *fakeStore {
	return &fakeStore{merchants: map[string]*merchant.Merchant{}, links: map[string]*domain.Link{},
		recorded: map[string]bool{}, applied: map[string]bool{}, reviews: map[string]string{}}
}

func (f *fakeStore) link(id string) domain.Link {
	f.mu.Lock()
	defer f.mu.Unlock()
	return *f.links[id]
}

func (f *fakeStore) GetMerchant(_ context.Context, id string) (*merchant.Merchant, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return fakes.Copy(f.merchants, id)
}

// RecordWebhook reports an event recorded and enqueued before.
func (f *fakeStore) RecordWebhook(_ context.Context, _, _ string, ev domain.PaymentEvent, _ time.Time) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.recorded[ev.ID] {
		return true, nil
	}
	f.recorded[ev.ID] = false
	return false, nil
}

func (f *fakeStore) MarkEnqueued(_ context.Context, _, _, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.recorded[id] = true
	return nil
}

// ApplyPayment writes d when the link is as d assumes and the event was
// not applied before; else it reports what it found.
func (f *fakeStore) ApplyPayment(_ context.Context, _, provider string, ev domain.PaymentEvent, d domain.PaymentDecision, now time.Time) (store.PaymentWrite, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.applied[ev.ID] {
		return store.PaymentWrite{Duplicate: true}, nil
	}
	l, ok := f.links[ev.LinkID]
	if !ok {
		return store.PaymentWrite{}, nil
	}
	if !slices.Contains(d.From, l.Status) || (d.To == domain.StatusPaid && !domain.SameMoney(ev.Amount, l.Amount)) ||
		(d.To == domain.StatusDeclined && d.Attempt > 0 && l.Attempt != d.Attempt) {
		c := *l
		return store.PaymentWrite{Found: &c}, nil
	}
	l.Status, l.PSP, l.UpdatedAt = d.To, provider, now
	if d.To == domain.StatusPaid {
		at := ev.At
		l.PaidAt, l.PSPReference, l.PaidAfterExpiry = &at, ev.PaymentRef, d.AfterExpiry
	} else {
		l.FailureReason = ev.FailureReason
	}
	f.applied[ev.ID] = true
	f.events++
	return store.PaymentWrite{Written: true}, nil
}

// KeepForReview keeps an event once.
func (f *fakeStore) KeepForReview(_ context.Context, _, _ string, ev domain.PaymentEvent, kind string, _ *domain.Link, _ time.Time) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.reviews[ev.ID]; ok {
		return false, nil
	}
	f.reviews[ev.ID] = kind
	return true, nil
}

// ClearCheckout forgets the link's session when its URL names sessionID.
func (f *fakeStore) ClearCheckout(_ context.Context, _, linkID, sessionID string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if l, ok := f.links[linkID]; ok && sessionID != "" && strings.Contains(l.CheckoutURL, sessionID) {
		l.CheckoutURL, l.CheckoutExpiresAt = "", nil
	}
	return nil
}
