package store

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/paylinks/paylinks/shared/domain"
)

// Due is an entry of the expiry index whose time has passed: an open link
// to expire, or a reminder to hand to the send queue.
type Due struct {
	Merchant, ID string
	Reminder     bool
	Channel      string // of a reminder
}

// Capacity sums consumed capacity units.
type Capacity struct {
	Read, Write float64
}

func (c *Capacity) addOne(x *types.ConsumedCapacity, write bool) {
	if x == nil {
		return
	}
	v := aws.ToFloat64(x.CapacityUnits)
	if write {
		c.Write += v
	} else {
		c.Read += v
	}
}

// DueRead is one page of a bucket's shard of the expiry index.
type DueRead struct {
	Due []Due
	// Next is where the next page starts (nil: the shard is drained up to
	// the time asked).
	Next map[string]types.AttributeValue
	// Later is set by a peeking read that saw an entry due after the time
	// asked: the shard holds entries still to come.
	Later bool
}

// DuePage reads one page of due entries from a bucket's shard of the
// sparse expiry index (only open links and pending reminders are in it),
// oldest first. A peeking read asks for the shard's entries whatever their
// time and keeps those due by now: the first one after it ends the read
// and sets Later (at most one page of entries not yet due is read).
func (s *Links) DuePage(ctx context.Context, bucket string, shard int, now time.Time, start map[string]types.AttributeValue, limit int32, peek bool, cap *Capacity) (DueRead, error) {
	upTo := ft(now) + "~"
	cond, values := "GSI2PK = :pk AND GSI2SK <= :now", map[string]types.AttributeValue{":pk": sv(ExpiryPK(bucket, shard)), ":now": sv(upTo)}
	if peek {
		cond = "GSI2PK = :pk"
		delete(values, ":now")
	}
	out, err := s.DB.Query(ctx, &dynamodb.QueryInput{
		TableName: s.tbl(), IndexName: aws.String(IndexExpiry),
		KeyConditionExpression:    aws.String(cond),
		ExpressionAttributeValues: values,
		ProjectionExpression:      aws.String("merchant, id, #type, channel, GSI2SK"),
		ExpressionAttributeNames:  map[string]string{"#type": "type"},
		ExclusiveStartKey:         start,
		Limit:                     aws.Int32(limit),
		ReturnConsumedCapacity:    types.ReturnConsumedCapacityTotal,
	})
	if err != nil {
		return DueRead{}, fmt.Errorf("query expiry %s#%d: %w", bucket, shard, err)
	}
	cap.addOne(out.ConsumedCapacity, false)
	page := DueRead{Due: make([]Due, 0, len(out.Items)), Next: out.LastEvaluatedKey}
	for _, it := range out.Items {
		if avS(it["GSI2SK"]) > upTo {
			page.Later, page.Next = true, nil
			break
		}
		page.Due = append(page.Due, Due{Merchant: avS(it["merchant"]), ID: avS(it["id"]), Reminder: avS(it["type"]) == "reminder", Channel: avS(it["channel"])})
	}
	return page, nil
}

// Expire moves a due link to expired with its timeline event, in one
// transaction guarded by status (still open) and time (expiry passed): a
// link paid meanwhile, or expired by another sweep, is left alone (false).
func (s *Links) Expire(ctx context.Context, d Due, now time.Time, cap *Capacity) (bool, error) {
	items, err := s.expireItems(d, now)
	if err != nil {
		return false, err
	}
	out, err := s.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{
		ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal,
		TransactItems:          items,
	})
	if reasons, ok := cancelReasons(err); ok {
		if len(reasons) > 0 && reasons[0] == "ConditionalCheckFailed" {
			return false, nil
		}
		return false, domain.ErrConflict
	}
	if err != nil {
		return false, fmt.Errorf("expire %s: %w", d.ID, err)
	}
	if out != nil {
		for i := range out.ConsumedCapacity {
			cap.addOne(&out.ConsumedCapacity[i], true)
		}
	}
	return true, nil
}

// expireItems builds Expire's transaction: the link, guarded by the statuses
// the domain lets a link expire from and by its expiry time, and its event.
func (s *Links) expireItems(d Due, now time.Time) ([]types.TransactWriteItem, error) {
	ev := domain.NewEvent(d.ID, domain.EventExpired, "", domain.StatusExpired, now, nil)
	evAV, err := attributevalue.MarshalMap(eventToItem(d.Merchant, ev))
	if err != nil {
		return nil, fmt.Errorf("marshal expiry event of %s: %w", d.ID, err)
	}
	names := map[string]string{"#version": "version"}
	values := map[string]types.AttributeValue{
		":le": lastEventAV(ev), ":to": sv(string(domain.StatusExpired)), ":one": nv(1), ":now": sv(ft(now)),
	}
	guard, err := statusGuard(names, values, domain.From(domain.StatusExpired))
	if err != nil {
		return nil, fmt.Errorf("expire %s: %w", d.ID, err)
	}
	timelineValues(values, ev)
	return []types.TransactWriteItem{
		{Update: &types.Update{
			TableName: s.tbl(), Key: linkKey(d.Merchant, d.ID),
			UpdateExpression:          aws.String("SET last_event = :le, " + timelineAppend + ", #status = :to, #version = #version + :one, updated_at = :now REMOVE GSI2PK, GSI2SK"),
			ConditionExpression:       aws.String(guard + " AND expires_at <= :now"),
			ExpressionAttributeNames:  names,
			ExpressionAttributeValues: values,
		}},
		{Put: &types.Put{TableName: s.tbl(), Item: evAV, ConditionExpression: aws.String("attribute_not_exists(PK)")}},
	}, nil
}

// SweepState is where the sweep stands: its cursor (the first bucket not
// yet fully swept, "" before the first sweep) and its watch of the current
// bucket (the far shards that held entries when the bucket began).
type SweepState struct {
	Cursor string
	// Watch is the bucket the watch is of ("" for none); WatchShards are
	// its far shards that held entries still to come when it was taken.
	Watch       string
	WatchShards []int
}

// SweepCursor reads the sweep's state.
func (s *Links) SweepCursor(ctx context.Context) (SweepState, error) {
	out, err := s.DB.GetItem(ctx, &dynamodb.GetItemInput{TableName: s.tbl(), Key: key("SWEEP", "CURSOR"), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return SweepState{}, fmt.Errorf("read sweep cursor: %w", err)
	}
	st := SweepState{Cursor: avS(out.Item["bucket"]), Watch: avS(out.Item["watch"])}
	if ns, ok := out.Item["watch_shards"].(*types.AttributeValueMemberNS); ok {
		for _, n := range ns.Value {
			v, err := strconv.Atoi(n)
			if err != nil || v < 0 || v >= ExpiryShards {
				return SweepState{}, fmt.Errorf("read sweep cursor: watch shard %q", n)
			}
			st.WatchShards = append(st.WatchShards, v)
		}
		sort.Ints(st.WatchShards)
	}
	return st, nil
}

// WatchSweep records the watch of a bucket: the far shards still holding
// entries when it was taken. A watch of an earlier bucket never replaces a
// later one.
func (s *Links) WatchSweep(ctx context.Context, bucket string, shards []int) error {
	set, remove := "SET #w = :w", " REMOVE watch_shards"
	values := map[string]types.AttributeValue{":w": sv(bucket)}
	if len(shards) > 0 {
		ns := make([]string, len(shards))
		for i, n := range shards {
			ns[i] = strconv.Itoa(n)
		}
		set, remove = "SET #w = :w, watch_shards = :s", ""
		values[":s"] = &types.AttributeValueMemberNS{Value: ns}
	}
	_, err := s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: s.tbl(), Key: key("SWEEP", "CURSOR"),
		UpdateExpression:          aws.String(set + remove),
		ConditionExpression:       aws.String("attribute_not_exists(#w) OR #w <= :w"),
		ExpressionAttributeNames:  map[string]string{"#w": "watch"},
		ExpressionAttributeValues: values,
	})
	if _, ok := isConditionFailed(err); ok {
		return nil
	}
	if err != nil {
		return fmt.Errorf("record sweep watch of %s: %w", bucket, err)
	}
	return nil
}

// AdvanceSweepCursor moves the cursor forward (never back: two sweeps at
// once cannot undo each other's progress).
func (s *Links) AdvanceSweepCursor(ctx context.Context, bucket string) error {
	_, err := s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: s.tbl(), Key: key("SWEEP", "CURSOR"),
		UpdateExpression:          aws.String("SET #b = :b"),
		ConditionExpression:       aws.String("attribute_not_exists(#b) OR #b < :b"),
		ExpressionAttributeNames:  map[string]string{"#b": "bucket"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":b": sv(bucket)},
	})
	if _, ok := isConditionFailed(err); ok {
		return nil
	}
	if err != nil {
		return fmt.Errorf("advance sweep cursor: %w", err)
	}
	return nil
}

// PutLinks writes links (and nothing else) in batches of 25, for seeding
// large tables in tests and benchmarks; never on a request path.
func (s *Links) PutLinks(ctx context.Context, links []*domain.Link) error {
	for i := 0; i < len(links); i += 25 {
		var reqs []types.WriteRequest
		for _, l := range links[i:min(i+25, len(links))] {
			av, err := attributevalue.MarshalMap(toItem(l))
			if err != nil {
				return err
			}
			reqs = append(reqs, types.WriteRequest{PutRequest: &types.PutRequest{Item: av}})
		}
		if err := s.batchWrite(ctx, "links", reqs); err != nil {
			return err
		}
	}
	return nil
}
