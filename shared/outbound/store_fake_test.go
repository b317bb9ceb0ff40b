package outbound

import (
	"context"
	"sync"
	"time"

	"github.com/paylinks/paylinks/shared/store"
)

// fakeStore is DeliveryStore and StreamStore in memory, with the table's
// guards: a delivery is stored once per event; an attempt is claimed by the
// carrier of the delivery's generation while it is pending and no other
// attempt holds the lease (ErrDeliveryStale / ErrDeliveryBusy otherwise),
// and recorded only by that generation and carrier; a delivery whose body
// carries an erased customer's data is refused (ErrCustomerErased).
type fakeStore struct {
	mu         sync.Mutex
	deliveries map[string]*store.Delivery // by id
	leases     map[string]time.Time       // delivery id -> lease end
	ofCustomer map[string][]string        // customer id -> delivery ids
	erased     map[string]bool            // customer ids
	disabled   []string                   // DisableWebhook reasons
	feed       []store.FeedEvent          // the event feed, in the order written
	feedIDs    map[string]bool
}

var (
	_ DeliveryStore = (*fakeStore)(nil)
	_ StreamStore   = (*fakeStore)(nil)
)

func newFakeStore() *fakeStore {
	return &fakeStore{deliveries: map[string]*store.Delivery{}, leases: map[string]time.Time{},
		ofCustomer: map[string][]string{}, erased: map[string]bool{}, feedIDs: map[string]bool{}}
}

func (f *fakeStore) delivery(id string) store.Delivery {
	f.mu.Lock()
	defer f.mu.Unlock()
	return *f.deliveries[id]
}

func (f *fakeStore) PutDelivery(_ context.Context, d *store.Delivery, now time.Time) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.put(d, now), nil
}

func (f *fakeStore) put(d *store.Delivery, now time.Time) bool {
	if _, ok := f.deliveries[d.ID]; ok {
		return false
	}
	c := *d
	c.Status, c.CreatedAt, c.UpdatedAt = store.DeliveryPending, now.Format(time.RFC3339Nano), now.Format(time.RFC3339Nano)
	f.deliveries[d.ID] = &c
	return true
}

func (f *fakeStore) PutDeliveryOf(_ context.Context, d *store.Delivery, customerID string, now time.Time) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.erased[customerID] {
		return false, store.ErrCustomerErased
	}
	created := f.put(d, now)
	if created {
		f.ofCustomer[customerID] = append(f.ofCustomer[customerID], d.ID)
	}
	return created, nil
}

// PutFeedEvent appends the event to the feed once, refusing a body with
// an erased customer's data as PutDeliveryOf does.
func (f *fakeStore) PutFeedEvent(_ context.Context, ev *store.FeedEvent, customerID string, now func() time.Time) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if customerID != "" && f.erased[customerID] {
		return false, store.ErrCustomerErased
	}
	if f.feedIDs[ev.ID] {
		return false, nil
	}
	f.feedIDs[ev.ID] = true
	c := *ev
	c.At = now().Format(time.RFC3339Nano)
	f.feed = append(f.feed, c)
	return true, nil
}

func (f *fakeStore) ClaimDelivery(_ context.Context, _, id string, gen int, carrier string, now time.Time, lease time.Duration) (*store.Delivery, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	d, ok := f.deliveries[id]
	switch {
	case !ok || d.Status != store.DeliveryPending || d.Gen != gen || (d.Carrier != "" && d.Carrier != carrier):
		return nil, store.ErrDeliveryStale
	case now.Before(f.leases[id]):
		return nil, store.ErrDeliveryBusy
	}
	d.Carrier = carrier
	d.Attempts++
	d.GenAttempts++
	f.leases[id] = now.Add(lease)
	c := *d
	return &c, nil
}

func (f *fakeStore) RecordAttempt(_ context.Context, d *store.Delivery, a store.Attempt, status string, next time.Time, now time.Time) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	cur, ok := f.deliveries[d.ID]
	if !ok || cur.Gen != d.Gen || cur.Carrier != d.Carrier {
		return store.ErrDeliveryStale
	}
	cur.Status, cur.UpdatedAt, cur.NextAttempt = status, now.Format(time.RFC3339Nano), ""
	cur.Log = append(cur.Log, a)
	if status == store.DeliveryPending && !next.IsZero() {
		cur.NextAttempt = next.Format(time.RFC3339Nano)
	}
	delete(f.leases, d.ID)
	return nil
}

func (f *fakeStore) DisableWebhook(_ context.Context, _, reason string, _ time.Time) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.disabled = append(f.disabled, reason)
	return nil
}
