package store_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/store"
	"github.com/paylinks/paylinks/shared/testkit/faults"
	"github.com/paylinks/paylinks/shared/testkit/testenv"
)

// feedEventFor is event i of writer w: its id a webhook-id, its body JSON.
func feedEventFor(m string, w, i int) *store.FeedEvent {
	id := fmt.Sprintf("msg_w%02di%04d", w, i)
	typ := domain.EventCreated
	if i%3 == 1 {
		typ = domain.EventPaid
	}
	return &store.FeedEvent{ID: id, Merchant: m, Type: typ, LinkID: fmt.Sprintf("pl_w%02di%04d", w, i),
		Body: fmt.Sprintf(`{"type":%q,"timestamp":"2026-12-07T10:00:00Z","data":{"event_id":"evt_%s","sequence":1}}`, typ, id)}
}

// TestFeedNeverSkipsNorRepeatsWhileWritten is the feed's invariant as a
// property: writers in many goroutines write events, each with a clock that
// lags by a random amount (a slow writer whose time is older than what a
// reader has sealed: the case that would make a time-ordered cursor skip),
// while a reader pages through the feed with random page sizes, each page
// after the last event of the one before. Read in order, the events are
// every event written, each once, in increasing positions.
func TestFeedNeverSkipsNorRepeatsWhileWritten(t *testing.T) {
	env := testenv.New(t)
	st := env.Store
	st.Feed.SealLag = 15 * time.Millisecond // seal close behind: writers meet seals often
	const m = "feedm"
	writers, each := 8, 40
	if testing.Short() {
		t.Skip("needs DynamoDB Local")
	}
	written, done := writeFeedAtOnce(t, st, m, writers, each)
	read, seen, pages := readFeedUntilQuiet(t, st, m, done)
	if t.Failed() {
		return
	}
	n := 0
	written.Range(func(k, _ any) bool {
		n++
		if !seen[k.(string)] {
			t.Errorf("%s was written and never read", k)
		}
		return true
	})
	if n != writers*each || len(read) != n {
		t.Fatalf("%d written, %d read", n, len(read))
	}
	// Writer 0's clock stopped at the start: its events that met a seal
	// were written after it, at later times than the first one's.
	var stopped []int64
	for _, ev := range read {
		if strings.HasPrefix(ev.ID, "msg_w00") {
			ts, err := strconv.ParseInt(ev.Pos[:19], 10, 64)
			if err != nil {
				t.Fatalf("position %s: %v", ev.Pos, err)
			}
			stopped = append(stopped, ts)
		}
	}
	moved := 0
	for _, ts := range stopped {
		if ts > slices.Min(stopped) {
			moved++
		}
	}
	if moved == 0 {
		t.Fatal("no write met a seal: the test did not exercise what it is for")
	}
	testenv.Figure(t, "event feed under concurrent writes: %d events by %d writers read in %d pages, none skipped or repeated; %d of the %d events of the writer whose clock stopped met a seal and were written after it",
		n, writers, pages, moved, len(stopped))
}

// writeFeedAtOnce starts writers goroutines writing each events, paced
// randomly, each with a clock lagging by up to 800 ms (writer 0's stopped
// at the start), some of them twice; the ids written, and done once all
// writers are.
func writeFeedAtOnce(t *testing.T, st *store.Store, m string, writers, each int) (*sync.Map, *atomic.Bool) {
	t.Helper()
	start := time.Now()
	var written sync.Map
	var wg sync.WaitGroup
	var done atomic.Bool
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(w), 7))
			for i := range each {
				time.Sleep(time.Duration(r.IntN(150)) * time.Millisecond)
				clock := func() time.Time { return time.Now().Add(-time.Duration(r.IntN(800)) * time.Millisecond) }
				if w == 0 { // a writer whose clock stopped: behind every seal but the first
					clock = func() time.Time { return start }
				}
				ev := feedEventFor(m, w, i)
				created, err := st.PutFeedEvent(ctx, ev, "", clock)
				if err != nil || !created {
					t.Errorf("writer %d event %d: created %v, %v", w, i, created, err)
					return
				}
				written.Store(ev.ID, true)
				if i%7 == 3 { // a stream record handled twice writes nothing more
					if again, err := st.PutFeedEvent(ctx, ev, "", time.Now); err != nil || again {
						t.Errorf("writer %d event %d again: created %v, %v", w, i, again, err)
					}
				}
			}
		}()
	}
	go func() { wg.Wait(); done.Store(true) }()

	return &written, &done
}

// readFeedUntilQuiet pages through the feed with random page sizes until
// the writers are done and two pages past that found nothing more: the
// events read, in order (each once, in increasing positions: else it
// fails), and the pages it took.
func readFeedUntilQuiet(t *testing.T, st *store.Store, m string, done *atomic.Bool) ([]store.FeedEvent, map[string]bool, int) {
	t.Helper()
	r := rand.New(rand.NewPCG(42, 42))
	var read []store.FeedEvent
	seen := map[string]bool{}
	after, pages, quietAfterDone := "", 0, 0
	for quietAfterDone < 2 {
		finished := done.Load()
		page, err := st.ReadFeed(ctx, store.FeedQuery{Merchant: m, After: after, Limit: 1 + r.IntN(9)}, time.Now())
		if err != nil {
			t.Fatalf("page %d after %q: %v", pages, after, err)
		}
		pages++
		for _, ev := range page.Events {
			if seen[ev.ID] {
				t.Fatalf("page %d: %s read twice", pages, ev.ID)
			}
			if n := len(read); n > 0 && ev.Pos <= read[n-1].Pos {
				t.Fatalf("page %d: %s at %s after %s at %s", pages, ev.ID, ev.Pos, read[n-1].ID, read[n-1].Pos)
			}
			seen[ev.ID] = true
			read = append(read, ev)
		}
		after = page.Next
		if finished && !page.More {
			quietAfterDone++
			time.Sleep(3 * st.Feed.SealLag) // every write is settled by the next read
		} else if !page.More {
			time.Sleep(time.Duration(r.IntN(10)) * time.Millisecond)
		}
	}
	return read, seen, pages
}

// smallFeed writes 12 events of merchant m (every third paid, the others
// created) and one of another merchant; their ids.
func smallFeed(t *testing.T, m string) (*store.Store, []string) {
	t.Helper()
	env := testenv.New(t)
	st := env.Store
	st.Feed.SealLag = time.Millisecond
	var ids []string
	for i := range 12 {
		ev := feedEventFor(m, 0, i)
		if _, err := st.PutFeedEvent(ctx, ev, "", time.Now); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, ev.ID)
	}
	// another merchant's events never show
	if _, err := st.PutFeedEvent(ctx, feedEventFor("other", 1, 0), "", time.Now); err != nil {
		t.Fatal(err)
	}
	time.Sleep(5 * time.Millisecond)
	return st, ids
}

// TestFeedPagesWithTypesAndAfter: a filter reads only the types asked for,
// and its cursor moves over what it did not return; an unknown after is
// ErrUnknownFeedEvent.
func TestFeedPagesWithTypesAndAfter(t *testing.T) {
	st, ids := smallFeed(t, "feedt")
	const m = "feedt"
	paid := func(t string) bool { return t == domain.EventPaid }
	page, err := st.ReadFeed(ctx, store.FeedQuery{Merchant: m, Limit: 2, Include: paid}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Events) != 2 || page.Events[0].ID != ids[1] || page.Events[1].ID != ids[4] || page.Next != ids[4] || !page.More {
		t.Fatalf("paid, first page: %+v", page)
	}
	page, err = st.ReadFeed(ctx, store.FeedQuery{Merchant: m, After: ids[4], Limit: 10, Include: paid}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Events) != 2 || page.Events[0].ID != ids[7] || page.Events[1].ID != ids[10] || page.Next != ids[11] || page.More {
		t.Fatalf("paid, second page: %+v", page)
	}
	page, err = st.ReadFeed(ctx, store.FeedQuery{Merchant: m, After: ids[11], Limit: 10}, time.Now())
	if err != nil || len(page.Events) != 0 || page.Next != ids[11] || page.More {
		t.Fatalf("at the end: %+v %v", page, err)
	}
}

// TestFeedUnknownAfterAndGet: an after that is no event of the merchant's
// feed is ErrUnknownFeedEvent; an event is read by id in its merchant only.
func TestFeedUnknownAfterAndGet(t *testing.T) {
	st, ids := smallFeed(t, "feedt")
	const m = "feedt"
	for _, after := range []string{"msg_nothere", "msg_w00i0000x"} {
		if _, err := st.ReadFeed(ctx, store.FeedQuery{Merchant: m, After: after, Limit: 1}, time.Now()); !errors.Is(err, domain.ErrUnknownFeedEvent) {
			t.Fatalf("after %s: %v", after, err)
		}
	}
	if _, err := st.ReadFeed(ctx, store.FeedQuery{Merchant: "other", After: ids[0], Limit: 1}, time.Now()); !errors.Is(err, domain.ErrUnknownFeedEvent) {
		t.Fatalf("another merchant's event as after: %v", err)
	}
	got, err := st.GetFeedEvent(ctx, m, ids[3])
	if err != nil || got.ID != ids[3] || got.Type != domain.EventCreated || got.Body == "" {
		t.Fatalf("get: %+v %v", got, err)
	}
	if _, err := st.GetFeedEvent(ctx, "other", ids[3]); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("get another merchant's: %v", err)
	}
}

// TestFeedWriterBehindASealWritesAfterIt: a writer whose clock is behind
// the time a reader sealed the feed to writes its event after that time,
// so the reader, which read up to it, reads the event on its next page.
func TestFeedWriterBehindASealWritesAfterIt(t *testing.T) {
	env := testenv.New(t)
	st := env.Store
	st.Feed.SealLag = 100 * time.Millisecond
	const m = "feeds"
	t0 := time.Now()
	first := feedEventFor(m, 0, 0)
	if _, err := st.PutFeedEvent(ctx, first, "", func() time.Time { return t0 }); err != nil {
		t.Fatal(err)
	}
	page, err := st.ReadFeed(ctx, store.FeedQuery{Merchant: m, Limit: 10}, t0.Add(time.Second)) // seals at t0+900ms
	if err != nil || len(page.Events) != 1 || page.More {
		t.Fatalf("first page: %+v %v", page, err)
	}
	env.Count.Reset()
	late := feedEventFor(m, 0, 1)
	if _, err := st.PutFeedEvent(ctx, late, "", func() time.Time { return t0.Add(500 * time.Millisecond) }); err != nil {
		t.Fatal(err)
	}
	if n := env.Count.Snapshot()["TransactWriteItems"]; n != 2 {
		t.Fatalf("a write behind the seal: %d transactions, want 2 (refused by the seal, then after it)", n)
	}
	got, err := st.GetFeedEvent(ctx, m, late.ID)
	if err != nil {
		t.Fatal(err)
	}
	if sealed := fmt.Sprintf("%019d", t0.Add(900*time.Millisecond).UnixNano()); got.Pos <= sealed {
		t.Fatalf("the late event at %s, at or before the seal %s", got.Pos, sealed)
	}
	page, err = st.ReadFeed(ctx, store.FeedQuery{Merchant: m, After: page.Next, Limit: 10}, t0.Add(3*time.Second))
	if err != nil || len(page.Events) != 1 || page.Events[0].ID != late.ID {
		t.Fatalf("next page: %+v %v", page, err)
	}
}

// TestFeedEventsLoseAnErasedCustomersData: an event whose body holds a
// customer's data is listed under the customer and scrubbed by the
// erasure to the customer's id; once the erasure has begun, such a body is
// refused (ErrCustomerErased) and only the scrubbed one is written.
func TestFeedEventsLoseAnErasedCustomersData(t *testing.T) {
	env := testenv.New(t)
	st := env.Store
	const m, cus = "feede", "cus_01JD3Q4ZK1W8Y6N0M5C2B7V9XA"
	body := `{"type":"payment_link.created","timestamp":"2026-12-07T10:00:00Z","data":{"event_id":"ev_1","sequence":0,"link":{"id":"pl_1","customer":{"id":"` + cus + `","first_name":"Ann","email":"ann@example.com"}}}}`
	ev := &store.FeedEvent{ID: "msg_01JD3Q4ZK1W8Y6N0M5C2B7V9XB", Merchant: m, Type: domain.EventCreated, LinkID: "pl_1", Body: body}
	if created, err := st.PutFeedEvent(ctx, ev, cus, time.Now); err != nil || !created {
		t.Fatalf("put: %v %v", created, err)
	}
	if _, _, err := st.EraseCustomerLinks(ctx, m, cus); err != nil {
		t.Fatal(err)
	}
	got, err := st.GetFeedEvent(ctx, m, ev.ID)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(got.Body, "Ann") || strings.Contains(got.Body, "ann@example.com") || !strings.Contains(got.Body, `"customer":{"id":"`+cus+`"}`) {
		t.Fatalf("after the erasure: %s", got.Body)
	}
	late := &store.FeedEvent{ID: "msg_01JD3Q4ZK1W8Y6N0M5C2B7V9XC", Merchant: m, Type: domain.EventClicked, LinkID: "pl_1", Body: body}
	if _, err := st.PutFeedEvent(ctx, late, cus, time.Now); !errors.Is(err, store.ErrCustomerErased) {
		t.Fatalf("a body with the data after the erasure: %v", err)
	}
	if _, err := st.GetFeedEvent(ctx, m, late.ID); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("the refused event was written: %v", err)
	}
}

// TestFeedPageRoundTrips: the round trips of a page of the feed. With 400
// events spread over the shards, a page of 50 from the start is 1
// BatchGetItem of the heads, 1 TransactWriteItems sealing them all, 1
// Query per shard (no shard needs a second read: each first read holds
// more than the page takes of it) and 1 BatchGetItem of the events; the
// next page, within the seal's reuse, writes nothing and adds the after
// event's GetItem.
func TestFeedPageRoundTrips(t *testing.T) {
	env := testenv.New(t)
	st := env.Store
	const m = "feedrt"
	for i := range 400 {
		if _, err := st.PutFeedEvent(ctx, feedEventFor(m, 0, i), "", time.Now); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(1100 * time.Millisecond) // the default lag: a second
	env.Count.Reset()
	began := time.Now()
	page, err := st.ReadFeed(ctx, store.FeedQuery{Merchant: m, Limit: 50}, time.Now())
	firstTook := time.Since(began)
	if err != nil || len(page.Events) != 50 || !page.More {
		t.Fatalf("first page: %d events, more %v, %v", len(page.Events), page.More, err)
	}
	first := env.Count.Snapshot()
	want := map[string]int{"BatchGetItem": 2, "TransactWriteItems": 1, "Query": store.FeedShards}
	if fmt.Sprint(first) != fmt.Sprint(want) {
		t.Fatalf("first page: %v, want %v", first, want)
	}
	env.Count.Reset()
	began = time.Now()
	if _, err := st.ReadFeed(ctx, store.FeedQuery{Merchant: m, After: page.Next, Limit: 50}, time.Now()); err != nil {
		t.Fatal(err)
	}
	nextTook := time.Since(began)
	next := env.Count.Snapshot()
	want = map[string]int{"GetItem": 1, "BatchGetItem": 2, "Query": store.FeedShards}
	if fmt.Sprint(next) != fmt.Sprint(want) {
		t.Fatalf("next page: %v, want %v", next, want)
	}
	testenv.Figure(t, "event feed page of 50 (of 400 events): first %d DynamoDB calls (%v) in %s, next %d (%v) in %s on DynamoDB Local",
		total(first), first, firstTook.Round(time.Millisecond), total(next), next, nextTook.Round(time.Millisecond))
}

func total(calls map[string]int) int {
	n := 0
	for _, c := range calls {
		n += c
	}
	return n
}

// TestFeedSealRetriesATransactionConflict: a head being checked by a
// writer's transaction cancels the seal's transaction, and answers the
// shard's own seal with TransactionConflict, which the SDK does not retry:
// the seal tries again, and the page is read (every transaction and half
// the single seals conflicting here).
func TestFeedSealRetriesATransactionConflict(t *testing.T) {
	env := testenv.New(t)
	st := env.Store
	st.Feed.SealLag = 10 * time.Millisecond
	const m = "feedc"
	for i := range 5 {
		if _, err := st.PutFeedEvent(ctx, feedEventFor(m, 0, i), "", time.Now); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(20 * time.Millisecond)
	env.Faults.Set(faults.Rule{Name: "cancelled", Ops: []string{"TransactWriteItems"}, Rate: 1, Err: func() error {
		return &types.TransactionCanceledException{Message: aws.String("injected: transaction cancelled"),
			CancellationReasons: []types.CancellationReason{{Code: aws.String("TransactionConflict")}}}
	}}, faults.Rule{Name: "conflict", Ops: []string{"UpdateItem"}, Rate: 0.5, Err: func() error {
		return &types.TransactionConflictException{Message: aws.String("injected: transaction conflict")}
	}})
	defer env.Faults.Set()
	page, err := st.ReadFeed(ctx, store.FeedQuery{Merchant: m, Limit: 10}, time.Now())
	if err != nil || len(page.Events) != 5 {
		t.Fatalf("a page with conflicting seals: %d events, %v", len(page.Events), err)
	}
	if env.Faults.Injected()["conflict"] == 0 {
		t.Fatal("no seal met a conflict: the test tried nothing")
	}
}
