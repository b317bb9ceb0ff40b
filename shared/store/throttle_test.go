package store_test

import (
	"testing"
	"time"

	"github.com/paylinks/paylinks/shared/store"
	"github.com/paylinks/paylinks/shared/testkit/testenv"
)

var testThrottle = store.Throttle{Free: 3, Base: time.Second, Max: 10 * time.Second, Window: time.Hour}

// TestThrottleWait: no wait before Free failures, then Base doubling at
// each failure up to Max.
func TestThrottleWait(t *testing.T) {
	want := []time.Duration{0, 0, 0, time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 10 * time.Second, 10 * time.Second}
	for n, w := range want {
		if got := testThrottle.Wait(n); got != w {
			t.Errorf("Wait(%d) = %s, want %s", n, got, w)
		}
	}
}

// TestAttemptBacksOff (DynamoDB Local): each attempt is one
// TransactWriteItems; after Free failures the next attempt waits, and an
// attempt refused while waiting counts nothing; the longest wait of two
// gates is the answer; a success resets one gate and refunds the other; a
// gate forgotten for its window starts afresh.
func TestAttemptBacksOff(t *testing.T) {
	env := testenv.New(t)
	acct := store.Gate{Key: store.ThrottleKey("SIGNIN", "ana@example.be"), Throttle: testThrottle}
	addr := store.Gate{Key: store.ThrottleKey("ADDR", "203.0.113.7"), Throttle: store.Throttle{Free: 10, Base: time.Second, Max: time.Minute, Window: time.Hour}}
	now := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	attempt := func(at time.Time) time.Duration {
		t.Helper()
		env.Count.Reset()
		wait, err := env.Store.Attempt(ctx, at, addr, acct)
		if err != nil {
			t.Fatal(err)
		}
		if s := env.Count.Snapshot(); s["TransactWriteItems"] != 1 || env.Count.Total() != 1 {
			t.Fatalf("an attempt cost %v", s)
		}
		return wait
	}
	for i := 0; i < 3; i++ {
		if w := attempt(now); w != 0 {
			t.Fatalf("free attempt %d waits %s", i, w)
		}
	}
	for i := 0; i < 3; i++ { // refused while waiting: nothing counted, same wait
		if w := attempt(now.Add(500 * time.Millisecond)); w != 500*time.Millisecond {
			t.Fatalf("attempt within the wait: %s", w)
		}
	}
	if w := attempt(now.Add(time.Second)); w != 0 {
		t.Fatalf("after the wait: %s", w)
	}
	at := now.Add(time.Second)
	if w := attempt(at.Add(time.Second)); w != time.Second {
		t.Fatalf("the fifth failure's wait: %s, want 1s left of 2s", w)
	}
	// The account's success resets it; the address gets the attempt back.
	if err := env.Store.Settle(ctx, []store.Gate{acct}, []store.Gate{addr}); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		if w := attempt(at); w != 0 {
			t.Fatalf("after a success, attempt %d waits %s", i, w)
		}
	}
	if w := attempt(at); w != time.Second {
		t.Fatalf("three failures again: %s", w)
	}
	// An hour and more later all is forgotten: it starts afresh.
	later := at.Add(2 * time.Hour)
	env.Count.Reset()
	for i := 0; i < 3; i++ {
		if w, err := env.Store.Attempt(ctx, later, addr, acct); err != nil || w != 0 {
			t.Fatalf("a forgotten throttle, attempt %d: %s %v", i, w, err)
		}
	}
	if w, _ := env.Store.Attempt(ctx, later, addr, acct); w != time.Second {
		t.Fatalf("after the restart, the fourth attempt waits %s", w)
	}
}
