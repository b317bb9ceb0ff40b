package store_test

import (
	"slices"
	"testing"
	"time"

	"github.com/paylinks/paylinks/shared/store"
	"github.com/paylinks/paylinks/shared/testkit/testenv"
)

// TestExpiryEntriesNearAndFar: a link written within the hour before its
// bucket goes to a near shard, one written days ahead to its far shard; a
// plain read of either before its time finds nothing, a peeking read
// finds it still to come (Later) and hands nothing on; once due, both read
// it.
func TestExpiryEntriesNearAndFar(t *testing.T) {
	env := testenv.New(t)
	now := time.Now().UTC().Truncate(time.Millisecond)
	at := now.Add(20 * time.Minute)
	near, ev := newLink(t, "m1", "", now)
	near.ExpiresAt = at
	if err := env.Store.CreateLink(ctx, store.NewLink{Link: near, Event: ev}); err != nil {
		t.Fatal(err)
	}
	written := now.Add(-72 * time.Hour)
	far, ev := newLink(t, "m1", "", written)
	far.ExpiresAt = at
	if err := env.Store.CreateLink(ctx, store.NewLink{Link: far, Event: ev}); err != nil {
		t.Fatal(err)
	}
	bucket := store.ExpiryBucket(at)
	for _, c := range []struct {
		id    string
		shard int
	}{{near.ID, store.ExpiryShardAt(near.ID, at, now)}, {far.ID, store.ExpiryShard(far.ID)}} {
		if c.id == near.ID && c.shard >= store.ExpiryNearShards {
			t.Fatalf("a near entry in shard %d", c.shard)
		}
		var cap store.Capacity
		plain, err := env.Store.DuePage(ctx, bucket, c.shard, now, nil, 100, false, &cap)
		if err != nil || len(plain.Due) != 0 || plain.Later || plain.Next != nil {
			t.Fatalf("plain read before its time: %+v %v", plain, err)
		}
		peek, err := env.Store.DuePage(ctx, bucket, c.shard, now, nil, 100, true, &cap)
		if err != nil || len(peek.Due) != 0 || !peek.Later || peek.Next != nil {
			t.Fatalf("peeking read before its time: %+v %v; want nothing due, Later", peek, err)
		}
		due, err := env.Store.DuePage(ctx, bucket, c.shard, at, nil, 100, true, &cap)
		if err != nil || !slices.ContainsFunc(due.Due, func(d store.Due) bool { return d.ID == c.id }) {
			t.Fatalf("read at its time: %+v %v; want %s", due, err, c.id)
		}
	}
}

// TestSweepWatch: the watch is recorded with its far shards, a watch of a
// later bucket replaces it with its own (none: no shards), and one of an
// earlier bucket never replaces a later one; the cursor is kept apart.
func TestSweepWatch(t *testing.T) {
	env := testenv.New(t)
	st, err := env.Store.SweepCursor(ctx)
	if err != nil || st.Cursor != "" || st.Watch != "" || st.WatchShards != nil {
		t.Fatalf("a new table's sweep state: %+v %v", st, err)
	}
	if err := env.Store.AdvanceSweepCursor(ctx, "2026-12-06T11"); err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		bucket string
		shards []int
		want   store.SweepState
	}{
		{"2026-12-06T12", []int{31, 7}, store.SweepState{Cursor: "2026-12-06T11", Watch: "2026-12-06T12", WatchShards: []int{7, 31}}},
		{"2026-12-06T13", nil, store.SweepState{Cursor: "2026-12-06T11", Watch: "2026-12-06T13"}},
		{"2026-12-06T12", []int{9}, store.SweepState{Cursor: "2026-12-06T11", Watch: "2026-12-06T13"}},
		{"2026-12-06T13", []int{4}, store.SweepState{Cursor: "2026-12-06T11", Watch: "2026-12-06T13", WatchShards: []int{4}}},
	}
	for i, s := range steps {
		if err := env.Store.WatchSweep(ctx, s.bucket, s.shards); err != nil {
			t.Fatal(err)
		}
		got, err := env.Store.SweepCursor(ctx)
		if err != nil || got.Cursor != s.want.Cursor || got.Watch != s.want.Watch || !slices.Equal(got.WatchShards, s.want.WatchShards) {
			t.Fatalf("step %d: %+v %v, want %+v", i, got, err, s.want)
		}
	}
}
