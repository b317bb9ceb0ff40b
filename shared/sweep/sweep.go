// Package sweep expires links whose expiry passed. It reads the sparse,
// write-sharded expiry index bucket by bucket from a cursor, so its cost
// grows with the links due, not with the table; it never Scans.
package sweep

import (
	"context"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/paylinks/paylinks/shared/store"
)

// Store is what the sweep needs of the table: its state (the cursor, the
// first expiry bucket not yet fully swept, and the watch of the current
// bucket), a page of a bucket's shard of the expiry index, a due link
// expired, a due reminder taken out of the index once handed on.
// *store.Store is one.
type Store interface {
	SweepCursor(ctx context.Context) (store.SweepState, error)
	AdvanceSweepCursor(ctx context.Context, bucket string) error
	WatchSweep(ctx context.Context, bucket string, shards []int) error
	DuePage(ctx context.Context, bucket string, shard int, now time.Time, start map[string]types.AttributeValue, limit int32, peek bool, cap *store.Capacity) (store.DueRead, error)
	Expire(ctx context.Context, d store.Due, now time.Time, cap *store.Capacity) (bool, error)
	DeleteReminder(ctx context.Context, merchant, linkID string) error
}

// Sweeper runs sweeps.
type Sweeper struct {
	Store Store
	Log   *slog.Logger
	Now   func() time.Time
	// PageSize is how many due links one index query reads.
	PageSize int32
	// Margin is how long before the context's deadline the sweep stops, so
	// it ends cleanly inside its function's timeout.
	Margin time.Duration
	// Lookback is where a sweep without a cursor starts (a new deployment).
	Lookback time.Duration
	// Workers is how many links each shard expires at once.
	Workers int
	// Remind hands a due reminder on (to the send queue); nil drops none:
	// reminders then wait in the index.
	Remind func(ctx context.Context, d store.Due) error
}

// Result is what one run did.
type Result struct {
	Expired  int            `json:"expired"`
	Skipped  int            `json:"skipped"` // paid or expired meanwhile
	Reminded int            `json:"reminded"`
	Buckets  int            `json:"buckets"`
	Queries  int            `json:"queries"`
	Complete bool           `json:"complete"` // false: stopped before its deadline; the next run carries on
	Capacity store.Capacity `json:"capacity"`
	Took     time.Duration  `json:"took_ns"`
}

// New returns a sweeper with the defaults.
func New(st Store, log *slog.Logger) *Sweeper {
	return &Sweeper{Store: st, Log: log, Now: time.Now, PageSize: 100, Margin: 5 * time.Second, Lookback: 2 * time.Hour, Workers: 4}
}

// Run sweeps every bucket from the cursor up to now.
func (s *Sweeper) Run(ctx context.Context) (Result, error) {
	start := time.Now()
	now := s.Now().UTC()
	res := Result{Complete: true}
	if dl, ok := ctx.Deadline(); ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, dl.Add(-s.Margin))
		defer cancel()
	}
	state, err := s.Store.SweepCursor(ctx)
	cursor := state.Cursor
	if err != nil {
		if ctx.Err() != nil {
			res.Complete = false
			return s.done(ctx, res, start, nil)
		}
		return res, err
	}
	if cursor == "" {
		cursor = store.ExpiryBucket(now.Add(-s.Lookback))
	}
	b, err := store.BucketStart(cursor)
	if err != nil {
		return res, err
	}
	last := store.ExpiryBucket(now)
	for ; store.ExpiryBucket(b) <= last; b = b.Add(store.ExpiryBucketSize) {
		bucket := store.ExpiryBucket(b)
		p := Plan(bucket, last, state)
		drained, later, err := s.bucket(ctx, bucket, p, now, &res)
		res.Buckets++
		if err != nil {
			return s.done(ctx, res, start, err)
		}
		if !drained {
			res.Complete = false
			break
		}
		if p.Peek {
			if err := s.Store.WatchSweep(context.WithoutCancel(ctx), bucket, later); err != nil {
				return s.done(ctx, res, start, err)
			}
		}
		if !b.Add(store.ExpiryBucketSize).After(now) { // the whole hour is past and drained
			if err := s.Store.AdvanceSweepCursor(context.WithoutCancel(ctx), store.ExpiryBucket(b.Add(store.ExpiryBucketSize))); err != nil {
				return s.done(ctx, res, start, err)
			}
		}
	}
	return s.done(ctx, res, start, nil)
}

func (s *Sweeper) done(ctx context.Context, res Result, start time.Time, err error) (Result, error) {
	res.Took = time.Since(start)
	attrs := []slog.Attr{slog.Int("expired", res.Expired), slog.Int("skipped", res.Skipped), slog.Int("buckets", res.Buckets),
		slog.Bool("complete", res.Complete), slog.Float64("rcu", res.Capacity.Read), slog.Float64("wcu", res.Capacity.Write),
		slog.Duration("took", res.Took), slog.String("outcome", "swept")}
	if err != nil {
		s.Log.LogAttrs(ctx, slog.LevelError, "sweep", append(attrs, slog.String("error", err.Error()))...)
		return res, err
	}
	s.Log.LogAttrs(ctx, slog.LevelInfo, "sweep", attrs...)
	return res, nil
}

// BucketPlan is what a run reads of a bucket: which shards, and whether
// it peeks past the run's time to take the bucket's watch.
type BucketPlan struct {
	Shards []int
	Peek   bool
}

// Plan decides what a run reads of bucket, current being the bucket of
// the run's time. A past bucket: every shard, once more before the cursor
// leaves it (an entry written anywhere in it is swept by then). The
// current bucket with a watch of it: the near shards, which take every
// entry written from an hour before the bucket began, and the far shards
// the watch names, which held entries when it was taken (nothing is
// written to a far shard of a bucket after that). The current bucket
// without its watch: every shard, peeking, to take the watch.
func Plan(bucket, current string, st store.SweepState) BucketPlan {
	all := make([]int, store.ExpiryShards)
	for i := range all {
		all[i] = i
	}
	switch {
	case bucket < current:
		return BucketPlan{Shards: all}
	case st.Watch != bucket:
		return BucketPlan{Shards: all, Peek: true}
	}
	shards := all[:store.ExpiryNearShards:store.ExpiryNearShards]
	for _, n := range st.WatchShards {
		if n >= store.ExpiryNearShards && n < store.ExpiryShards && !slices.Contains(shards, n) {
			shards = append(shards, n)
		}
	}
	return BucketPlan{Shards: shards}
}

// bucket works a bucket's shards in parallel; it reports whether every
// shard was drained before the deadline and, for a peeking plan, the far
// shards that still hold entries due after now.
func (s *Sweeper) bucket(ctx context.Context, bucket string, p BucketPlan, now time.Time, res *Result) (bool, []int, error) {
	var wg sync.WaitGroup
	var mu sync.Mutex
	drained := true
	var firstErr error
	var later []int
	for _, shard := range p.Shards {
		wg.Add(1)
		go func(shard int) {
			defer wg.Done()
			var part Result
			ok, pending, err := s.shard(ctx, bucket, shard, p.Peek, now, &part)
			mu.Lock()
			defer mu.Unlock()
			res.Expired += part.Expired
			res.Skipped += part.Skipped
			res.Reminded += part.Reminded
			res.Queries += part.Queries
			res.Capacity.Read += part.Capacity.Read
			res.Capacity.Write += part.Capacity.Write
			if !ok {
				drained = false
			}
			if pending && shard >= store.ExpiryNearShards {
				later = append(later, shard)
			}
			if err != nil && firstErr == nil {
				firstErr = err
			}
		}(shard)
	}
	wg.Wait()
	slices.Sort(later)
	return drained && firstErr == nil, later, firstErr
}

// expireAll expires a page of due links, a few at a time.
func (s *Sweeper) expireAll(ctx context.Context, due []store.Due, now time.Time, res *Result) error {
	var mu sync.Mutex
	var firstErr error
	var wg sync.WaitGroup
	sem := make(chan struct{}, s.Workers)
	for _, d := range due {
		if ctx.Err() != nil {
			break
		}
		sem <- struct{}{}
		wg.Add(1)
		go func(d store.Due) {
			defer func() { <-sem; wg.Done() }()
			var c store.Capacity
			if d.Reminder {
				err := s.remind(context.WithoutCancel(ctx), d)
				mu.Lock()
				defer mu.Unlock()
				if err != nil && firstErr == nil {
					firstErr = err
				} else if err == nil && s.Remind != nil {
					res.Reminded++
				}
				return
			}
			// Started before the deadline: let it finish, so that what
			// the run reports is what it did.
			ok, err := s.Store.Expire(context.WithoutCancel(ctx), d, now, &c)
			mu.Lock()
			defer mu.Unlock()
			res.Capacity.Write += c.Write
			switch {
			case err != nil:
				if firstErr == nil {
					firstErr = err
				}
			case ok:
				res.Expired++
			case err == nil:
				res.Skipped++
			}
		}(d)
	}
	wg.Wait()
	return firstErr
}

// remind hands a reminder on, then takes it out of the index (a reminder
// handed on twice is sent once: its send id is fixed).
func (s *Sweeper) remind(ctx context.Context, d store.Due) error {
	if s.Remind == nil {
		return nil
	}
	if err := s.Remind(ctx, d); err != nil {
		return err
	}
	return s.Store.DeleteReminder(ctx, d.Merchant, d.ID)
}

// shard sweeps a bucket's shard up to now; it reports whether it was
// drained and, peeking, whether entries due later remain in it.
func (s *Sweeper) shard(ctx context.Context, bucket string, shard int, peek bool, now time.Time, res *Result) (drained, later bool, err error) {
	var startKey map[string]types.AttributeValue
	for {
		if ctx.Err() != nil {
			return false, false, nil
		}
		page, err := s.Store.DuePage(ctx, bucket, shard, now, startKey, s.PageSize, peek, &res.Capacity)
		res.Queries++
		if err != nil {
			if ctx.Err() != nil {
				return false, false, nil
			}
			return false, false, err
		}
		if err := s.expireAll(ctx, page.Due, now, res); err != nil {
			return false, false, err
		}
		if ctx.Err() != nil {
			return false, false, nil
		}
		// Carry on after the last key read (it stays a valid position even
		// though the links just expired left the index).
		if page.Next == nil {
			return true, page.Later, nil
		}
		startKey = page.Next
	}
}
