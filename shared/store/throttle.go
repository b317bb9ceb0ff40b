package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Throttles of attempts to prove something (the dashboard's sign-in: a
// password, a TOTP code), held in the table so that they hold across
// function instances. A system item per throttled thing (an account, a
// client address), keyed by a hash of it: THROTTLE#<kind>#<sha256>, SK
// THROTTLE, with the failures counted (n), the time of the last counted
// attempt (last, Unix ms) and the table's TTL (gone a window after it).
//
// An attempt is counted before it is checked, in one conditional write
// per attempt (Attempt): the condition holds only while no wait is due, so
// a waiting attempt writes nothing and is never checked; Settle then gives
// back an attempt that did not fail.

const throttleSK = "THROTTLE"

// Throttle is a backoff: Free failures pass without a wait; after the
// Free+k-th the next attempt waits Base·2^k, at most Max. Failures are
// forgotten a Window after the last one.
type Throttle struct {
	Free      int
	Base, Max time.Duration
	Window    time.Duration
}

// Wait is the wait due after n failures.
func (t Throttle) Wait(n int) time.Duration {
	if n < t.Free {
		return 0
	}
	w := t.Base
	for k := t.Free; k < n && w < t.Max; k++ {
		w *= 2
	}
	return min(w, t.Max)
}

// Gate is one thing an attempt is throttled by: its key (ThrottleKey) and
// its backoff.
type Gate struct {
	Key      string
	Throttle Throttle
}

// ThrottleKey is the partition key of the throttle of value (an e-mail
// address as normalised, a client address) of a kind (SIGNIN, MFA, ADDR):
// the table holds a hash, never the value.
func ThrottleKey(kind, value string) string {
	h := sha256.Sum256([]byte(kind + "\x00" + value))
	return "THROTTLE#" + kind + "#" + hex.EncodeToString(h[:])
}

// count is the gate's conditional counting of an attempt at now: it holds
// while no wait is due (no item, a forgotten one, fewer than Free failures,
// or the wait of its count passed since the last), and adds one.
func (g Gate) count(table *string, now time.Time) *types.Update {
	ms := now.UnixMilli()
	vals := map[string]types.AttributeValue{
		":one": nv(1), ":zero": nv(0), ":now": nvi(ms), ":ttl": nvi(now.Add(g.Throttle.Window).Unix()), ":type": sv("throttle"),
		":stale": nvi(ms - g.Throttle.Window.Milliseconds()), ":free": nv(g.Throttle.Free),
		":tmax": nvi(ms - g.Throttle.Max.Milliseconds()),
	}
	cond := "#n < :free OR #last <= :tmax"
	for n := g.Throttle.Free; g.Throttle.Wait(n) < g.Throttle.Max && n < g.Throttle.Free+32; n++ {
		k := strconv.Itoa(n)
		vals[":n"+k], vals[":t"+k] = nv(n), nvi(ms-g.Throttle.Wait(n).Milliseconds())
		cond += " OR (#n = :n" + k + " AND #last <= :t" + k + ")"
	}
	return &types.Update{
		TableName: table, Key: key(g.Key, throttleSK),
		// A forgotten item (#last < :stale) fails the condition: Attempt
		// starts its count afresh (reset).
		ConditionExpression:                 aws.String("attribute_not_exists(PK) OR (#last >= :stale AND (" + cond + "))"),
		UpdateExpression:                    aws.String("SET #n = if_not_exists(#n, :zero) + :one, #last = :now, #ttl = :ttl, #type = :type"),
		ExpressionAttributeNames:            map[string]string{"#n": "n", "#last": "last", "#ttl": "ttl", "#type": "type"},
		ExpressionAttributeValues:           vals,
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	}
}

// reset counts an attempt at now on a forgotten item (its last attempt at
// old): the count starts again at one.
func (g Gate) reset(table *string, now time.Time, old int64) *types.Update {
	return &types.Update{
		TableName: table, Key: key(g.Key, throttleSK),
		ConditionExpression:      aws.String("#last = :old"),
		UpdateExpression:         aws.String("SET #n = :one, #last = :now, #ttl = :ttl, #type = :type"),
		ExpressionAttributeNames: map[string]string{"#n": "n", "#last": "last", "#ttl": "ttl", "#type": "type"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":old": nvi(old), ":one": nv(1), ":now": nvi(now.UnixMilli()), ":ttl": nvi(now.Add(g.Throttle.Window).Unix()), ":type": sv("throttle"),
		},
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	}
}

// Attempt counts an attempt at now through every gate at once (one
// TransactWriteItems) and returns 0: the caller checks it. When a gate's
// wait is due it counts nothing and returns the longest wait due: the
// caller refuses the attempt unchecked. A gate forgotten for its window
// starts afresh (a second write, the first attempt after a quiet window).
func (s *People) Attempt(ctx context.Context, now time.Time, gates ...Gate) (time.Duration, error) {
	forgotten := map[int]int64{}
	for try := 0; try < 4; try++ {
		items := make([]types.TransactWriteItem, len(gates))
		for i, g := range gates {
			if old, ok := forgotten[i]; ok {
				items[i].Update = g.reset(s.tbl(), now, old)
			} else {
				items[i].Update = g.count(s.tbl(), now)
			}
		}
		_, err := s.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
		if err == nil {
			return 0, nil
		}
		var canceled *types.TransactionCanceledException
		if !errors.As(err, &canceled) {
			return 0, fmt.Errorf("count an attempt: %w", err)
		}
		if wait := due(canceled.CancellationReasons, gates, forgotten, now); wait > 0 {
			return wait, nil
		}
	}
	// Attempts at once on the same gates kept colliding: wait a second.
	return time.Second, nil
}

// due reads a cancelled Attempt: the longest wait due, or 0 when it may be
// tried again (gates found forgotten are noted to be reset; a conflict
// with a concurrent attempt is tried again).
func due(reasons []types.CancellationReason, gates []Gate, forgotten map[int]int64, now time.Time) time.Duration {
	var wait time.Duration
	for i, r := range reasons {
		if i >= len(gates) || aws.ToString(r.Code) != "ConditionalCheckFailed" {
			continue
		}
		n, _ := strconv.Atoi(avN(r.Item["n"]))
		last, _ := strconv.ParseInt(avN(r.Item["last"]), 10, 64)
		if last < now.Add(-gates[i].Throttle.Window).UnixMilli() {
			forgotten[i] = last
			continue
		}
		delete(forgotten, i)
		wait = max(wait, time.UnixMilli(last).Add(gates[i].Throttle.Wait(n)).Sub(now))
	}
	return wait
}

// Settle ends an attempt that did not fail: the reset gates forget their
// failures (a success), the refunded ones get the attempt back (a success
// elsewhere, or an attempt that could not be checked).
func (s *People) Settle(ctx context.Context, reset, refund []Gate) error {
	for _, g := range reset {
		if _, err := s.DB.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: s.tbl(), Key: key(g.Key, throttleSK)}); err != nil {
			return fmt.Errorf("reset a throttle: %w", err)
		}
	}
	for _, g := range refund {
		_, err := s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
			TableName: s.tbl(), Key: key(g.Key, throttleSK),
			ConditionExpression:       aws.String("#n > :zero"),
			UpdateExpression:          aws.String("ADD #n :minus"),
			ExpressionAttributeNames:  map[string]string{"#n": "n"},
			ExpressionAttributeValues: map[string]types.AttributeValue{":zero": nv(0), ":minus": nv(-1)},
		})
		if _, gone := isConditionFailed(err); err != nil && !gone {
			return fmt.Errorf("refund an attempt: %w", err)
		}
	}
	return nil
}

func nvi(v int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(v, 10)}
}
