package store_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/store"
	"github.com/paylinks/paylinks/shared/testkit/testenv"
)

// The delivery's claim is what makes duplicated, late and replaced messages
// harmless: one carrier per generation, one attempt at a time.
func TestDeliveryClaims(t *testing.T) {
	env := testenv.New(t)
	now := time.Now()
	d := &store.Delivery{ID: store.DeliveryIDFor("ev_01JD3Q4ZK1W8Y6N0M5C2B7V9XB"), Merchant: "m1", EventID: "ev_01JD3Q4ZK1W8Y6N0M5C2B7V9XB",
		EventType: "payment_link.paid", LinkID: "pl_01JD3Q4ZK1W8Y6N0M5C2B7V9XA", Sequence: 3, Body: `{"type":"payment_link.paid"}`}
	if ok, err := env.Store.PutDelivery(ctx, d, now); !ok || err != nil {
		t.Fatalf("put: %v %v", ok, err)
	}
	if ok, err := env.Store.PutDelivery(ctx, d, now); ok || err != nil {
		t.Fatalf("second put must keep the first: %v %v", ok, err)
	}
	lease := 10 * time.Second
	a := claimGeneration0(t, env, d, now, lease)
	retryToGeneration1(t, env, d, a, now, lease)
	deliveredAndOwned(t, env, d, now)
}

// claimGeneration0: while A holds the lease, A again is busy and a
// duplicate B is stale, also after A's failed attempt; A attempts twice.
func claimGeneration0(t *testing.T, env *testenv.Env, d *store.Delivery, now time.Time, lease time.Duration) *store.Delivery {
	t.Helper()
	a, err := env.Store.ClaimDelivery(ctx, "m1", d.ID, 0, "msg-A", now, lease)
	if err != nil || a.Attempts != 1 || a.GenAttempts != 1 || a.Carrier != "msg-A" {
		t.Fatalf("first claim: %+v %v", a, err)
	}
	// While A holds the lease: A again is busy, B (a duplicate) is stale.
	if _, err := env.Store.ClaimDelivery(ctx, "m1", d.ID, 0, "msg-A", now.Add(time.Second), lease); !errors.Is(err, store.ErrDeliveryBusy) {
		t.Fatalf("claim under lease: %v", err)
	}
	if _, err := env.Store.ClaimDelivery(ctx, "m1", d.ID, 0, "msg-B", now.Add(time.Second), lease); !errors.Is(err, store.ErrDeliveryStale) {
		t.Fatalf("duplicate carrier: %v", err)
	}
	if err := env.Store.RecordAttempt(ctx, a, store.Attempt{At: "t1", StatusCode: 500}, store.DeliveryPending, now.Add(5*time.Second), now); err != nil {
		t.Fatal(err)
	}
	// After the failure the duplicate still finds another carrier; A goes on.
	if _, err := env.Store.ClaimDelivery(ctx, "m1", d.ID, 0, "msg-B", now.Add(6*time.Second), lease); !errors.Is(err, store.ErrDeliveryStale) {
		t.Fatalf("duplicate after failure: %v", err)
	}
	a, err = env.Store.ClaimDelivery(ctx, "m1", d.ID, 0, "msg-A", now.Add(6*time.Second), lease)
	if err != nil || a.GenAttempts != 2 {
		t.Fatalf("second attempt: %+v %v", a, err)
	}
	return a
}

// retryToGeneration1: a manual retry starts generation 1: A's outcome is
// dropped, A's and generation 0's messages are stale, a new message carries
// on and delivers.
func retryToGeneration1(t *testing.T, env *testenv.Env, d, a *store.Delivery, now time.Time, lease time.Duration) {
	t.Helper()
	// A manual retry starts generation 1: A's outcome is dropped, A's and
	// generation 0's messages are stale, a new message carries on.
	r, err := env.Store.RetryDelivery(ctx, "m1", d.ID, now.Add(7*time.Second))
	if err != nil || r.Gen != 1 || r.GenAttempts != 0 || r.Carrier != "" || r.Status != store.DeliveryPending {
		t.Fatalf("retry: %+v %v", r, err)
	}
	if err := env.Store.RecordAttempt(ctx, a, store.Attempt{At: "t2", StatusCode: 200}, store.DeliverySucceeded, time.Time{}, now); !errors.Is(err, store.ErrDeliveryStale) {
		t.Fatalf("outcome of a replaced generation: %v", err)
	}
	if _, err := env.Store.ClaimDelivery(ctx, "m1", d.ID, 0, "msg-A", now.Add(40*time.Second), lease); !errors.Is(err, store.ErrDeliveryStale) {
		t.Fatalf("old generation: %v", err)
	}
	c, err := env.Store.ClaimDelivery(ctx, "m1", d.ID, 1, "msg-C", now.Add(8*time.Second), lease)
	if err != nil || c.Attempts != 3 || c.GenAttempts != 1 {
		t.Fatalf("new generation: %+v %v", c, err)
	}
	if err := env.Store.RecordAttempt(ctx, c, store.Attempt{At: "t3", StatusCode: 200}, store.DeliverySucceeded, time.Time{}, now); err != nil {
		t.Fatal(err)
	}
	if _, err := env.Store.ClaimDelivery(ctx, "m1", d.ID, 1, "msg-C", now.Add(60*time.Second), lease); !errors.Is(err, store.ErrDeliveryStale) {
		t.Fatalf("claim of a delivered one: %v", err)
	}
}

// deliveredAndOwned: the delivery ends succeeded with both attempts logged,
// and another merchant can neither read nor retry it.
func deliveredAndOwned(t *testing.T, env *testenv.Env, d *store.Delivery, now time.Time) {
	t.Helper()
	got, err := env.Store.GetDelivery(ctx, "m1", d.ID)
	if err != nil || got.Status != store.DeliverySucceeded || len(got.Log) != 2 || got.Log[1].StatusCode != 200 || got.LeaseUntil != "" {
		t.Fatalf("final: %+v %v", got, err)
	}
	if _, err := env.Store.GetDelivery(ctx, "m2", d.ID); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("another merchant reads it: %v", err)
	}
	if _, err := env.Store.RetryDelivery(ctx, "m2", d.ID, now); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("another merchant retries it: %v", err)
	}
}

func TestOrderByTimeline(t *testing.T) {
	ev := func(id string) domain.Event { return domain.Event{ID: id} }
	// Ids in the order they were made; the link committed b before a; s is a send.
	got := store.OrderByTimeline([]domain.Event{ev("c"), ev("a"), ev("s"), ev("b")}, []string{"c", "b", "a"})
	var ids []string
	for _, e := range got {
		ids = append(ids, e.ID)
	}
	if strings.Join(ids, ",") != "c,b,s,a" {
		t.Fatalf("order %v", ids)
	}
}

// TestListDeliveriesAcrossShards: 150 deliveries of two links spread over
// the merchant's delivery shards list newest first, page by page, with the
// link and status filters; cursors are the merchant's own.
// walkDeliveries lists q's deliveries page by page, each page at most
// q.Limit long.
func walkDeliveries(t *testing.T, env *testenv.Env, q store.DeliveryQuery) []string {
	t.Helper()
	var got []string
	for pages := 0; ; pages++ {
		if pages > 100 {
			t.Fatal("listing does not end")
		}
		page, next, err := env.Store.ListDeliveries(ctx, q)
		if err != nil || len(page) > q.Limit {
			t.Fatalf("%+v: %d %v", q, len(page), err)
		}
		for _, d := range page {
			got = append(got, d.ID)
		}
		if next == "" {
			return got
		}
		q.Cursor = next
	}
}

func TestListDeliveriesAcrossShards(t *testing.T) {
	env := testenv.New(t)
	now := time.Now().UTC()
	links := []string{domain.NewID(domain.PrefixLink, now), domain.NewID(domain.PrefixLink, now)}
	var all []*store.Delivery
	for i := 0; i < 150; i++ {
		ev := domain.NewID(domain.PrefixEvent, now.Add(time.Duration(i)*time.Millisecond))
		d := &store.Delivery{ID: store.DeliveryIDFor(ev), Merchant: "m1", EventID: ev, EventType: "payment_link.clicked", LinkID: links[i%2], Body: "{}"}
		if ok, err := env.Store.PutDelivery(ctx, d, now); !ok || err != nil {
			t.Fatalf("put %d: %v %v", i, ok, err)
		}
		if i%3 == 0 {
			c, err := env.Store.ClaimDelivery(ctx, "m1", d.ID, 0, "msg", now, time.Minute)
			if err != nil {
				t.Fatal(err)
			}
			if err := env.Store.RecordAttempt(ctx, c, store.Attempt{At: "t", StatusCode: 200}, store.DeliverySucceeded, time.Time{}, now); err != nil {
				t.Fatal(err)
			}
			d.Status = store.DeliverySucceeded
		} else {
			d.Status = store.DeliveryPending
		}
		all = append(all, d)
	}
	other := &store.Delivery{ID: store.DeliveryIDFor(domain.NewID(domain.PrefixEvent, now)), Merchant: "m2", EventID: "ev_x", LinkID: links[0], Body: "{}"}
	if _, err := env.Store.PutDelivery(ctx, other, now); err != nil {
		t.Fatal(err)
	}
	for _, q := range []store.DeliveryQuery{{Limit: 7}, {Limit: 50, LinkID: links[1]}, {Limit: 20, Status: store.DeliverySucceeded}, {Limit: 9, LinkID: links[0], Status: store.DeliveryPending}} {
		q.Merchant = "m1"
		var want []string
		for i := len(all) - 1; i >= 0; i-- {
			if (q.LinkID == "" || all[i].LinkID == q.LinkID) && (q.Status == "" || all[i].Status == q.Status) {
				want = append(want, all[i].ID)
			}
		}
		got := walkDeliveries(t, env, q)
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Fatalf("%+v: listed %d deliveries %v, want %d %v", q, len(got), got, len(want), want)
		}
	}
	_, next, err := env.Store.ListDeliveries(ctx, store.DeliveryQuery{Merchant: "m1", Limit: 5})
	if err != nil || next == "" {
		t.Fatal(next, err)
	}
	if _, _, err := env.Store.ListDeliveries(ctx, store.DeliveryQuery{Merchant: "m2", Limit: 5, Cursor: next}); !errors.Is(err, domain.ErrBadCursor) {
		t.Fatalf("another merchant's cursor: %v", err)
	}
}
