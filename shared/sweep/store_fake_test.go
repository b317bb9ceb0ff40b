package sweep_test

import (
	"context"
	"sort"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/store"
	"github.com/paylinks/paylinks/shared/sweep"
)

// fakeStore is sweep.Store in memory: a sparse expiry index of open links
// and reminders, by bucket and shard, read in pages in key order (a page's
// next key is the last key it read, still a valid position after the
// entries it returned left the index); Expire moves a link to expired once
// (guarded by status and expiry time) and takes it out of the index.
type fakeStore struct {
	mu      sync.Mutex
	index   map[string][]fakeEntry // by store.ExpiryPK
	links   map[string]*domain.Link
	cursor  string
	watch   string         // the watch's bucket
	watched []int          // its far shards
	expired map[string]int // link id -> expired events written
	queries int
	read    []string // the partitions queried, in order
}

type fakeEntry struct {
	key string // the index sort key: due time, then id
	at  time.Time
	due store.Due
}

var _ sweep.Store = (*fakeStore)(nil)

func newFakeStore() *fakeStore {
	return &fakeStore{index: map[string][]fakeEntry{}, links: map[string]*domain.Link{}, expired: map[string]int{}}
}

// put stores l, in the expiry index while it is open.
func (f *fakeStore) put(l *domain.Link) {
	f.links[l.ID] = l
	if l.Status.Open() {
		f.add(l.ExpiresAt, l.UpdatedAt, store.Due{Merchant: l.Merchant, ID: l.ID})
	}
}

// add puts d in the index, due at and written at written (in the shard
// the store's write rule gives it).
func (f *fakeStore) add(at, written time.Time, d store.Due) {
	pk := store.ExpiryPK(store.ExpiryBucket(at), store.ExpiryShardAt(d.ID, at, written))
	kind := "l"
	if d.Reminder {
		kind = "r"
	}
	es := append(f.index[pk], fakeEntry{key: at.UTC().Format(time.RFC3339Nano) + "#" + d.ID + "#" + kind, at: at, due: d})
	sort.Slice(es, func(i, j int) bool { return es[i].key < es[j].key })
	f.index[pk] = es
}

// remove takes id's entry of the kind out of the index.
func (f *fakeStore) remove(id string, reminder bool) {
	for pk, es := range f.index {
		f.index[pk] = deleteEntries(es, func(e fakeEntry) bool { return e.due.ID == id && e.due.Reminder == reminder })
	}
}

func deleteEntries(es []fakeEntry, del func(fakeEntry) bool) []fakeEntry {
	out := es[:0]
	for _, e := range es {
		if !del(e) {
			out = append(out, e)
		}
	}
	return out
}

func (f *fakeStore) entries() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, es := range f.index {
		n += len(es)
	}
	return n
}

func (f *fakeStore) SweepCursor(context.Context) (store.SweepState, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return store.SweepState{Cursor: f.cursor, Watch: f.watch, WatchShards: append([]int(nil), f.watched...)}, nil
}

func (f *fakeStore) AdvanceSweepCursor(_ context.Context, bucket string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if bucket > f.cursor {
		f.cursor = bucket
	}
	return nil
}

func (f *fakeStore) WatchSweep(_ context.Context, bucket string, shards []int) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if bucket >= f.watch {
		f.watch, f.watched = bucket, append([]int(nil), shards...)
	}
	return nil
}

func (f *fakeStore) DuePage(_ context.Context, bucket string, shard int, now time.Time, start map[string]types.AttributeValue, limit int32, peek bool, cap *store.Capacity) (store.DueRead, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.queries++
	f.read = append(f.read, store.ExpiryPK(bucket, shard))
	after := ""
	if k, ok := start["key"].(*types.AttributeValueMemberS); ok {
		after = k.Value
	}
	var page store.DueRead
	var read int32
	for _, e := range f.index[store.ExpiryPK(bucket, shard)] {
		if e.key <= after || (!peek && e.at.After(now)) {
			continue
		}
		if e.at.After(now) {
			page.Later = true
			break
		}
		page.Due = append(page.Due, e.due)
		if read++; read == limit {
			page.Next = map[string]types.AttributeValue{"key": &types.AttributeValueMemberS{Value: e.key}}
			break
		}
	}
	cap.Read += 0.5
	return page, nil
}

func (f *fakeStore) Expire(_ context.Context, d store.Due, now time.Time, cap *store.Capacity) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	l, ok := f.links[d.ID]
	if !ok || !domain.CanTransition(l.Status, domain.StatusExpired) || l.ExpiresAt.After(now) {
		return false, nil
	}
	l.Status, l.UpdatedAt = domain.StatusExpired, now
	f.expired[d.ID]++
	f.remove(d.ID, false)
	cap.Write += 2
	return true, nil
}

func (f *fakeStore) DeleteReminder(_ context.Context, _, linkID string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.remove(linkID, true)
	return nil
}
