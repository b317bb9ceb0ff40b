package store

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/paylinks/paylinks/shared/domain"
)

// The event feed (GET /v1/events): every outbound event of a merchant, in
// one order that a reader pages through without ever skipping or repeating
// an event, also while events are written.
//
// Items (docs/data-model.md):
//   - M#<m>#FEVT#<id> / E: the event (its id is its webhook-id), with its
//     body and its position; one partition per event;
//   - M#<m>#FEED#<nn> / <position>: the event's entry in shard nn of the
//     merchant's feed (FeedShards shards, by a hash of the id, so that one
//     merchant's events spread over as many partitions: no hot key);
//   - M#<m>#FEED#<nn> / "#": the shard's head, whose `sealed` is a time
//     (Unix nanoseconds) at or before which no entry of the shard can be
//     written any more.
//
// A position is the time the event was written to the feed (Unix
// nanoseconds, 19 digits) and its id: the feed's order is the positions'
// order, across shards. The rule that makes a cursor exact: a reader reads
// up to a bound only once every shard is sealed at or past it, and a writer
// writes an entry only if the shard's seal is before the entry's time (a
// condition in the entry's transaction). So each entry at or before the
// bound was committed before the seal that covers it, and the reader's
// strongly consistent queries, made after the seal, see it; a writer that
// loses the race takes a later time and lands after the bound. Readers
// seal to a moment a little in the past (Feed.SealLag), so writers rarely
// meet a seal: an event appears in the feed about that long after it was
// written.
type Feed struct {
	*Core
	// Settle is how far in the past a reader seals (and so how late an
	// event appears at the earliest); 0 is one second.
	SealLag time.Duration
}

// FeedShards is the number of shards of a merchant's feed. Readers read
// every shard; the count may grow (entries stay where they are), never
// shrink.
const FeedShards = 16

// FeedRetention is how long the feed keeps an event (the contract says at
// least 30 days; DynamoDB's TTL removes items some time after).
const FeedRetention = 31 * 24 * time.Hour

const (
	feedHeadSK  = "#" // sorts before every position (digits)
	feedEventSK = "E"
	// feedPosWidth is a position's time: Unix nanoseconds, zero-padded.
	feedPosWidth = 19
)

func feedShardPK(m string, sh int) string { return fmt.Sprintf("%s#FEED#%02d", tenant(m), sh) }
func feedEventPK(m, id string) string     { return tenant(m) + "#FEVT#" + id }

// feedShardOf is the shard of an event id.
func feedShardOf(id string) int {
	h := fnv.New32a()
	_, _ = h.Write([]byte(id))
	return int(h.Sum32() % FeedShards)
}

// feedPos is the position of an event written at t (Unix nanoseconds).
func feedPos(t int64, id string) string {
	return fmt.Sprintf("%0*d#%s", feedPosWidth, t, id)
}

// feedPosBound is the greatest position at time t: every position written
// at or before t sorts at or below it.
func feedPosBound(t int64) string { return fmt.Sprintf("%0*d$", feedPosWidth, t) }

// feedPosTime is the time of a position.
func feedPosTime(pos string) (int64, error) {
	if len(pos) < feedPosWidth+2 || pos[feedPosWidth] != '#' {
		return 0, fmt.Errorf("feed position %q: malformed", pos)
	}
	return strconv.ParseInt(pos[:feedPosWidth], 10, 64)
}

// FeedEvent is one event of the feed: its id (the webhook-id), type, link
// and body (the outbound webhook's), and where it stands in the feed.
type FeedEvent struct {
	ID       string `dynamodbav:"id"`
	Merchant string `dynamodbav:"merchant"`
	Type     string `dynamodbav:"event_type"`
	LinkID   string `dynamodbav:"link_id"`
	Body     string `dynamodbav:"body"`
	Pos      string `dynamodbav:"pos"`
	At       string `dynamodbav:"at"`
}

func (s *Feed) settle() time.Duration {
	if s.SealLag > 0 {
		return s.SealLag
	}
	return time.Second
}

// maxFeedTries bounds a feed write's attempts (each one a seal met or a
// transaction conflict).
const maxFeedTries = 20

// PutFeedEvent writes event ev into merchant ev.Merchant's feed at the
// current time; false when the feed holds it already (a stream record
// handled again). When its body holds customer customerID's data (""
// when it holds none), the event is written only while that customer's
// erasure has not begun, and listed under the customer beside the
// deliveries (the erasure scrubs both): ErrCustomerErased otherwise, as
// PutDeliveryOf.
func (s *Feed) PutFeedEvent(ctx context.Context, ev *FeedEvent, customerID string, now func() time.Time) (bool, error) {
	sh := feedShardOf(ev.ID)
	t := now().UnixNano()
	for try := 0; ; try++ {
		at := time.Unix(0, t).UTC()
		ev.Pos, ev.At = feedPos(t, ev.ID), ft(at)
		evItem, err := attributevalue.MarshalMap(ev)
		if err != nil {
			return false, fmt.Errorf("marshal feed event: %w", err)
		}
		ttl := nv(ttlAt(at, FeedRetention))
		evItem["PK"], evItem["SK"], evItem["type"], evItem["ttl"] = sv(feedEventPK(ev.Merchant, ev.ID)), sv(feedEventSK), sv("feed_event"), ttl
		items := []types.TransactWriteItem{
			{ConditionCheck: &types.ConditionCheck{TableName: s.tbl(), Key: key(feedShardPK(ev.Merchant, sh), feedHeadSK),
				ConditionExpression:                 aws.String("attribute_not_exists(sealed) OR sealed < :t"),
				ExpressionAttributeValues:           map[string]types.AttributeValue{":t": &types.AttributeValueMemberN{Value: strconv.FormatInt(t, 10)}},
				ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld}},
			{Put: &types.Put{TableName: s.tbl(), Item: evItem, ConditionExpression: aws.String("attribute_not_exists(PK)")}},
			{Put: &types.Put{TableName: s.tbl(), Item: map[string]types.AttributeValue{
				"PK": sv(feedShardPK(ev.Merchant, sh)), "SK": sv(ev.Pos), "type": sv("feed_entry"), "id": sv(ev.ID),
				"event_type": sv(ev.Type), "ttl": ttl}}},
		}
		if customerID != "" {
			items = append(items,
				types.TransactWriteItem{ConditionCheck: &types.ConditionCheck{TableName: s.tbl(), Key: key(erasedPK(ev.Merchant, customerID), erasedSK),
					ConditionExpression: aws.String("attribute_not_exists(PK)")}},
				types.TransactWriteItem{Put: &types.Put{TableName: s.tbl(), Item: customerDeliveryItem(ev.Merchant, customerID, ev.ID, ev.LinkID)}})
		}
		_, err = s.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
		var tce *types.TransactionCanceledException
		switch {
		case err == nil:
			return true, nil
		case !errors.As(err, &tce):
			return false, fmt.Errorf("put feed event %s: %w", ev.ID, err)
		case reasonIs(tce, 1, "ConditionalCheckFailed"):
			return false, nil
		case reasonIs(tce, 3, "ConditionalCheckFailed"):
			return false, ErrCustomerErased
		case try+1 >= maxFeedTries:
			return false, fmt.Errorf("put feed event %s: %w after %d tries: %w", ev.ID, domain.ErrConflict, maxFeedTries, err)
		case reasonIs(tce, 0, "ConditionalCheckFailed"):
			// A reader sealed the shard past t: write after its seal.
			sealed, _ := strconv.ParseInt(avN(tce.CancellationReasons[0].Item["sealed"]), 10, 64)
			t = max(now().UnixNano(), sealed+1)
		default:
			pause(try) // a transaction conflict: try again at the same time
		}
	}
}

func reasonIs(tce *types.TransactionCanceledException, i int, code string) bool {
	return i < len(tce.CancellationReasons) && aws.ToString(tce.CancellationReasons[i].Code) == code
}

// customerDeliveryItem lists event (or delivery) id, whose body holds the
// data of customer customerID, under that customer: the erasure scrubs
// the delivery and the feed's event of each id listed.
func customerDeliveryItem(m, customerID, id, linkID string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		"PK": sv(customerDeliveriesPK(m, customerID)), "SK": sv(id), "type": sv("customer_delivery"),
		"delivery_id": sv(id), "link_id": sv(linkID)}
}

// GetFeedEvent reads one event of the merchant's feed.
func (s *Feed) GetFeedEvent(ctx context.Context, m, id string) (*FeedEvent, error) {
	if !validDeliveryID(id) {
		return nil, domain.ErrNotFound
	}
	var ev FeedEvent
	if err := s.getItem(ctx, feedEventPK(m, id), feedEventSK, "feed event "+id, &ev); err != nil {
		return nil, err
	}
	return &ev, nil
}

// FeedQuery is one page of a merchant's feed: the events after event
// After ("" from the start), at most Limit of those Include accepts (nil:
// all). At most ScanLimit entries are looked at (0: 10 x Limit).
type FeedQuery struct {
	Merchant  string
	After     string
	Limit     int
	ScanLimit int
	Include   func(eventType string) bool
}

// FeedPage is a page of the feed: its events, the id of the last event
// the page looked at (the cursor to read on from; After when it looked at
// none), and whether more events (settled now) follow.
type FeedPage struct {
	Events []FeedEvent
	Next   string
	More   bool
}

// ReadFeed reads a page of the feed: the events whose entries lie after
// After's position and at or before a bound every shard is sealed to, in
// position order. It reads After's event (1 GetItem), the shards' heads (1
// BatchGetItem; an UpdateItem per shard whose seal is behind), a first
// Query per shard (a few entries each, more only for a shard the merge
// empties) and the page's events (BatchGetItem, 100 at a time): the seals
// and the queries each go to every shard at once, so a page waits for
// about five round trips (TestFeedPageRoundTrips counts them).
func (s *Feed) ReadFeed(ctx context.Context, q FeedQuery, now time.Time) (FeedPage, error) {
	page := FeedPage{Next: q.After}
	from := ""
	if q.After != "" {
		ev, err := s.GetFeedEvent(ctx, q.Merchant, q.After)
		if errors.Is(err, domain.ErrNotFound) {
			return page, domain.ErrUnknownFeedEvent
		}
		if err != nil {
			return page, err
		}
		from = ev.Pos
	}
	bound, err := s.seal(ctx, q.Merchant, now)
	if err != nil {
		return page, err
	}
	hi := feedPosBound(bound)
	if from >= hi {
		return page, nil
	}
	scanLimit := q.ScanLimit
	if scanLimit <= 0 {
		scanLimit = 10 * q.Limit
	}
	m := &feedMerge{feed: s, merchant: q.Merchant, hi: hi, per: max(4, 2*q.Limit/FeedShards+2)}
	if err := m.start(ctx, from); err != nil {
		return page, err
	}
	var picked []feedEntry
	scanned := 0
	for len(picked) < q.Limit && scanned < scanLimit {
		e, ok, err := m.next(ctx)
		if err != nil {
			return page, err
		}
		if !ok {
			break
		}
		scanned++
		page.Next = e.ID
		if q.Include == nil || q.Include(e.Type) {
			picked = append(picked, e)
		}
	}
	more, err := m.more(ctx)
	if err != nil {
		return page, err
	}
	page.More = more
	page.Events, err = s.feedEvents(ctx, q.Merchant, picked, now)
	return page, err
}

// seal makes every shard of merchant m sealed at or past a moment, and
// returns it: Settle before now, or the shards' lowest seal when that is
// at most three lags old (another reader sealed it just now; no write).
func (s *Feed) seal(ctx context.Context, m string, now time.Time) (int64, error) {
	keys := make([]map[string]types.AttributeValue, FeedShards)
	for sh := range keys {
		keys[sh] = key(feedShardPK(m, sh), feedHeadSK)
	}
	heads, err := s.batchGetConsistent(ctx, keys)
	if err != nil {
		return 0, fmt.Errorf("feed heads of %s: %w", m, err)
	}
	sealed := make([]int64, FeedShards)
	for sh, h := range heads {
		sealed[sh], _ = strconv.ParseInt(avN(h["sealed"]), 10, 64) // 0 for a shard never sealed
	}
	low := sealed[0]
	for _, n := range sealed {
		low = min(low, n)
	}
	if low >= now.Add(-3*s.settle()).UnixNano() {
		return low, nil
	}
	bound := now.Add(-s.settle()).UnixNano()
	var behind []int
	for sh, n := range sealed {
		if n < bound {
			behind = append(behind, sh)
		}
	}
	// Every shard behind in one transaction (one call; in a quiet merchant
	// it commits); when another reader sealed one further meanwhile, or a
	// writer's transaction holds a head, each is sealed on its own.
	items := make([]types.TransactWriteItem, len(behind))
	for i, sh := range behind {
		items[i] = types.TransactWriteItem{Update: s.sealUpdate(keys[sh], bound)}
	}
	_, err = s.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	var conflict *types.TransactionConflictException
	if _, cancelled := cancelReasons(err); err != nil && !cancelled && !errors.As(err, &conflict) {
		return 0, fmt.Errorf("seal the feed of %s: %w", m, err)
	} else if err == nil {
		return bound, nil
	}
	err = eachBounded(len(behind), len(behind), func(i int) error {
		sh := behind[i]
		for try := 0; ; try++ {
			u := s.sealUpdate(keys[sh], bound)
			_, err := s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: u.TableName, Key: u.Key, UpdateExpression: u.UpdateExpression,
				ConditionExpression: u.ConditionExpression, ExpressionAttributeNames: u.ExpressionAttributeNames,
				ExpressionAttributeValues: u.ExpressionAttributeValues})
			var conflict *types.TransactionConflictException
			switch _, sealedFurther := isConditionFailed(err); {
			case err == nil, sealedFurther: // sealed further by another reader meanwhile: as good
				return nil
			case errors.As(err, &conflict) && try+1 < maxFeedTries:
				pause(try) // a writer's transaction checks the head right now: the SDK does not retry this one
			default:
				return fmt.Errorf("seal feed shard %d of %s: %w", sh, m, err)
			}
		}
	})
	return bound, err
}

// sealUpdate seals the shard whose head is at key to bound, unless it is
// sealed there or further already.
func (s *Feed) sealUpdate(key map[string]types.AttributeValue, bound int64) *types.Update {
	return &types.Update{TableName: s.tbl(), Key: key,
		UpdateExpression:         aws.String("SET sealed = :b, #t = :type"),
		ConditionExpression:      aws.String("attribute_not_exists(sealed) OR sealed < :b"),
		ExpressionAttributeNames: map[string]string{"#t": "type"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":b": &types.AttributeValueMemberN{Value: strconv.FormatInt(bound, 10)},
			":type": sv("feed_head")}}
}

// feedEntry is an entry of a shard: the event's position, id and type.
type feedEntry struct {
	Pos  string `dynamodbav:"SK"`
	ID   string `dynamodbav:"id"`
	Type string `dynamodbav:"event_type"`
}

// feedMerge merges the shards' entries in position order, reading each
// shard a few entries at a time (strongly consistent: after the seal).
type feedMerge struct {
	feed     *Feed
	merchant string
	hi       string
	per      int
	shards   [FeedShards]feedShardCursor
}

type feedShardCursor struct {
	buf  []feedEntry
	last string // the position read up to
	done bool   // nothing more at or before hi
}

func (m *feedMerge) start(ctx context.Context, from string) error {
	for sh := range m.shards {
		m.shards[sh].last = from
	}
	return eachBounded(FeedShards, FeedShards, func(sh int) error { return m.fill(ctx, sh) })
}

// fill reads the next entries of shard sh after what it read.
func (m *feedMerge) fill(ctx context.Context, sh int) error {
	c := &m.shards[sh]
	lo := c.last
	if lo == "" {
		lo = feedHeadSK // the head sorts below every position; > skips it
	}
	out, err := m.feed.DB.Query(ctx, &dynamodb.QueryInput{TableName: m.feed.tbl(), ConsistentRead: aws.Bool(true),
		KeyConditionExpression: aws.String("PK = :pk AND SK BETWEEN :lo AND :hi"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": sv(feedShardPK(m.merchant, sh)),
			":lo": sv(lo + "\x00"), ":hi": sv(m.hi)},
		ProjectionExpression:     aws.String("SK, #id, event_type"),
		ExpressionAttributeNames: map[string]string{"#id": "id"}, Limit: aws.Int32(int32(m.per))})
	if err != nil {
		return fmt.Errorf("feed shard %d of %s: %w", sh, m.merchant, err)
	}
	var got []feedEntry
	if err := attributevalue.UnmarshalListOfMaps(out.Items, &got); err != nil {
		return fmt.Errorf("unmarshal feed entries: %w", err)
	}
	c.buf = append(c.buf, got...)
	if len(got) > 0 {
		c.last = got[len(got)-1].Pos
	} else if sk := avS(out.LastEvaluatedKey["SK"]); sk > c.last {
		c.last = sk // read on from where DynamoDB stopped, even with nothing returned
	}
	c.done = len(out.LastEvaluatedKey) == 0
	return nil
}

// next is the entry with the lowest position among the shards; false when
// none is left at or before the bound. A shard whose buffer ran out is
// read on first: its next entry may be the lowest.
func (m *feedMerge) next(ctx context.Context) (feedEntry, bool, error) {
	best := -1
	for sh := range m.shards {
		c := &m.shards[sh]
		for len(c.buf) == 0 && !c.done {
			if err := m.fill(ctx, sh); err != nil {
				return feedEntry{}, false, err
			}
		}
		if len(c.buf) > 0 && (best < 0 || c.buf[0].Pos < m.shards[best].buf[0].Pos) {
			best = sh
		}
	}
	if best < 0 {
		return feedEntry{}, false, nil
	}
	e := m.shards[best].buf[0]
	m.shards[best].buf = m.shards[best].buf[1:]
	return e, true, nil
}

// more reports whether an entry is left at or before the bound.
func (m *feedMerge) more(ctx context.Context) (bool, error) {
	for sh := range m.shards {
		c := &m.shards[sh]
		if len(c.buf) > 0 {
			return true, nil
		}
		if !c.done {
			if err := m.fill(ctx, sh); err != nil {
				return false, err
			}
			if len(c.buf) > 0 {
				return true, nil
			}
		}
	}
	return false, nil
}

// feedEvents reads the events of entries, in their order (strongly
// consistent: an entry's event is written in its transaction). An event
// removed by the table's TTL before its entry is left out.
func (s *Feed) feedEvents(ctx context.Context, m string, es []feedEntry, now time.Time) ([]FeedEvent, error) {
	keys := make([]map[string]types.AttributeValue, len(es))
	for i, e := range es {
		keys[i] = key(feedEventPK(m, e.ID), feedEventSK)
	}
	items, err := s.batchGetConsistent(ctx, keys)
	if err != nil {
		return nil, fmt.Errorf("feed events of %s: %w", m, err)
	}
	out := make([]FeedEvent, 0, len(es))
	for i, it := range items {
		if it == nil {
			if t, err := feedPosTime(es[i].Pos); err == nil && now.Sub(time.Unix(0, t)) > FeedRetention-24*time.Hour {
				continue
			}
			return nil, fmt.Errorf("feed event %s of entry %s: missing", es[i].ID, es[i].Pos)
		}
		var ev FeedEvent
		if err := attributevalue.UnmarshalMap(it, &ev); err != nil {
			return nil, fmt.Errorf("unmarshal feed event: %w", err)
		}
		out = append(out, ev)
	}
	return out, nil
}
