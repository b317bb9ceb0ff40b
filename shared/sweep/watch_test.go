package sweep_test

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/store"
	"github.com/paylinks/paylinks/shared/sweep"
)

// The sweep's reads of the current bucket. Rule: a link due at t is
// expired by the first run at or after t, whatever shard its entry was
// written to and whenever; and a run in the current bucket whose far
// shards held nothing still to come when the bucket began reads only the
// near shards (a quiet table is 1 + ExpiryNearShards round trips a run,
// not 1 + ExpiryShards).

func TestPlan(t *testing.T) {
	all := make([]int, store.ExpiryShards)
	for i := range all {
		all[i] = i
	}
	near := all[:store.ExpiryNearShards]
	cur, past := "2026-12-06T12", "2026-12-06T11"
	for _, c := range []struct {
		name   string
		bucket string
		st     store.SweepState
		want   sweep.BucketPlan
	}{
		{"a past bucket is read whole, whatever the watch", past, store.SweepState{Watch: past}, sweep.BucketPlan{Shards: all}},
		{"the current bucket without a watch: whole, peeking", cur, store.SweepState{}, sweep.BucketPlan{Shards: all, Peek: true}},
		{"the current bucket, the watch of an earlier one: whole, peeking", cur, store.SweepState{Watch: past, WatchShards: []int{9}}, sweep.BucketPlan{Shards: all, Peek: true}},
		{"the current bucket watched, nothing to come: the near shards", cur, store.SweepState{Watch: cur}, sweep.BucketPlan{Shards: near}},
		{"watched far shards are read beside the near ones", cur, store.SweepState{Watch: cur, WatchShards: []int{7, 31}}, sweep.BucketPlan{Shards: append(slices.Clone(near), 7, 31)}},
		{"a near or impossible shard in the watch adds nothing", cur, store.SweepState{Watch: cur, WatchShards: []int{0, 3, 32, -1}}, sweep.BucketPlan{Shards: near}},
	} {
		got := sweep.Plan(c.bucket, cur, c.st)
		if !slices.Equal(got.Shards, c.want.Shards) || got.Peek != c.want.Peek {
			t.Errorf("%s: %+v, want %+v", c.name, got, c.want)
		}
	}
}

func TestQuietCurrentBucketReadsTheNearShardsOnly(t *testing.T) {
	st := newFakeStore()
	far := unitLink(domain.StatusCreated, unitNow.Add(20*time.Minute)) // written a day before: a far shard
	st.put(far)
	s := newUnitSweeper(st)
	if _, err := s.Run(t.Context()); err != nil {
		t.Fatal(err)
	}
	if st.watch != store.ExpiryBucket(unitNow) {
		t.Fatalf("watch %q after the first run in %s", st.watch, store.ExpiryBucket(unitNow))
	}
	farShard := store.ExpiryShard(far.ID)
	st.queries, st.read = 0, nil
	if _, err := s.Run(t.Context()); err != nil {
		t.Fatal(err)
	}
	want := store.ExpiryNearShards
	if farShard >= store.ExpiryNearShards {
		want++ // the far link's shard still holds it
	}
	if st.queries != want {
		t.Fatalf("a run in a watched bucket made %d index queries (%v), want %d", st.queries, st.read, want)
	}
	// Once the far link is expired and a new hour's watch is taken with
	// nothing to come, a run reads the near shards only.
	s.Now = func() time.Time { return unitNow.Add(time.Hour) }
	if _, err := s.Run(t.Context()); err != nil || far.Status != domain.StatusExpired {
		t.Fatalf("%v, far link %s", err, far.Status)
	}
	st.queries = 0
	if _, err := s.Run(t.Context()); err != nil || st.queries != store.ExpiryNearShards {
		t.Fatalf("quiet bucket: %d queries, %v; want %d", st.queries, err, store.ExpiryNearShards)
	}
}

// TestEveryDueLinkExpiresByTheFirstRunAfterIt generates histories of
// links written (created, or rewritten as a transition or a patch
// rewrites their entry) at random times before and during the sweeps (by
// writers whose clocks run up to ten minutes behind the sweep's),
// due minutes to days after, with sweeps every minute or so: after each
// run, every open link due by the run's time is expired, and no link is
// expired before its time or twice.
func TestEveryDueLinkExpiresByTheFirstRunAfterIt(t *testing.T) {
	rng := rand.New(rand.NewPCG(30, 7))
	for trial := range 40 {
		st := newFakeStore()
		s := sweep.New(st, quiet)
		start := unitNow.Add(-time.Duration(rng.IntN(120)) * time.Minute)
		clock := start
		s.Now = func() time.Time { return clock }
		var links []*domain.Link
		write := func(l *domain.Link, at time.Time) {
			st.mu.Lock()
			defer st.mu.Unlock()
			st.remove(l.ID, false)
			l.UpdatedAt = at
			st.links[l.ID] = l
			if l.Status.Open() {
				st.add(l.ExpiresAt, at, store.Due{Merchant: l.Merchant, ID: l.ID})
			}
		}
		for step := range 200 {
			for range rng.IntN(4) {
				switch {
				case len(links) > 0 && rng.IntN(4) == 0: // a rewrite: a transition or a new expiry
					l := links[rng.IntN(len(links))]
					if l.Status.Open() {
						if rng.IntN(2) == 0 {
							l.ExpiresAt = clock.Add(randomLead(rng))
						}
						write(l, clock)
					}
				default:
					l := unitLink(domain.StatusCreated, clock.Add(randomLead(rng)))
					links = append(links, l)
					write(l, clock.Add(-time.Duration(rng.IntN(600))*time.Second)) // the writer's clock up to ten minutes behind
				}
			}
			clock = clock.Add(time.Duration(40+rng.IntN(40)) * time.Second)
			if _, err := s.Run(t.Context()); err != nil {
				t.Fatalf("trial %d step %d: %v", trial, step, err)
			}
			for _, l := range links {
				due := !l.ExpiresAt.After(clock)
				switch {
				case due && l.Status.Open():
					t.Fatalf("trial %d step %d: link due at %s (written %s, shard %d) still %s at %s",
						trial, step, l.ExpiresAt.Format(time.TimeOnly), l.UpdatedAt.Format(time.TimeOnly), store.ExpiryShardAt(l.ID, l.ExpiresAt, l.UpdatedAt), l.Status, clock.Format(time.TimeOnly))
				case !due && l.Status == domain.StatusExpired:
					t.Fatalf("trial %d: link due at %s expired at %s", trial, l.ExpiresAt, clock)
				case st.expired[l.ID] > 1:
					t.Fatalf("trial %d: link expired %d times", trial, st.expired[l.ID])
				}
			}
		}
	}
}

// randomLead is how far ahead of its writing a link is due: minutes (a
// near entry), hours around the near boundary, or days.
func randomLead(rng *rand.Rand) time.Duration {
	switch rng.IntN(3) {
	case 0:
		return time.Duration(1+rng.IntN(90)) * time.Minute
	case 1:
		return time.Duration(60+rng.IntN(180)) * time.Minute
	default:
		return time.Duration(1+rng.IntN(3)) * 24 * time.Hour
	}
}
