package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Idempotency windows.
const (
	IdempotencyRetention = 24 * time.Hour   // a stored answer is replayed this long
	IdempotencyLock      = 30 * time.Second // an in-flight reservation is taken over after this (3x the API function timeout)
)

// Idempotency outcomes of Reserve.
var (
	ErrIdempotencyInFlight = errors.New("a request with this Idempotency-Key is still in flight")
	ErrIdempotencyMismatch = errors.New("this Idempotency-Key was used with another request")
)

// Stored is a replayable answer.
type Stored struct {
	Status int
	Body   []byte
	Type   string
}

// ReserveIdempotency claims key for a request whose fingerprint is hash. It
// returns (nil, nil) when the caller owns the key and must do the work, the
// stored answer when the same request was done before, or an error:
// ErrIdempotencyMismatch (another request used the key) or
// ErrIdempotencyInFlight (the first is still running).
func (s *Requests) ReserveIdempotency(ctx context.Context, merchant, k, hash string, now time.Time) (*Stored, error) {
	_, err := s.DB.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: s.tbl(),
		Item: map[string]types.AttributeValue{
			"PK": sv(idemPK(merchant, k)), "SK": sv(idemSK), "type": sv("idempotency"),
			"state": sv("in_flight"), "hash": sv(hash), "created_at": sv(ft(now)),
			"locked_until": sv(ft(now.Add(IdempotencyLock))), "expires_at": sv(ft(now.Add(IdempotencyRetention))),
			"ttl": nv(int(now.Add(2 * IdempotencyRetention).Unix())),
		},
		ConditionExpression:      aws.String("attribute_not_exists(PK) OR expires_at < :now OR (#state = :in_flight AND locked_until < :now AND #hash = :hash)"),
		ExpressionAttributeNames: map[string]string{"#state": "state", "#hash": "hash"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":now": sv(ft(now)), ":in_flight": sv("in_flight"), ":hash": sv(hash),
		},
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	if err == nil {
		return nil, nil
	}
	ccf, ok := isConditionFailed(err)
	if !ok {
		return nil, fmt.Errorf("reserve idempotency key: %w", err)
	}
	old := ccf.Item
	if avS(old["hash"]) != hash {
		return nil, ErrIdempotencyMismatch
	}
	if avS(old["state"]) != "done" {
		return nil, ErrIdempotencyInFlight
	}
	st, _ := strconv.Atoi(avN(old["resp_status"]))
	return &Stored{Status: st, Body: []byte(avS(old["resp_body"])), Type: avS(old["resp_type"])}, nil
}

func avN(v types.AttributeValue) string {
	if n, ok := v.(*types.AttributeValueMemberN); ok {
		return n.Value
	}
	return ""
}

// IdempotencyDone is the stored answer for a key, written by the work's own
// transaction (Create) or by CompleteIdempotency.
type IdempotencyDone struct {
	Merchant, Key string
	Answer        Stored
}

func (d *IdempotencyDone) update(table *string) *types.Update {
	return &types.Update{
		TableName:                table,
		Key:                      key(idemPK(d.Merchant, d.Key), idemSK),
		UpdateExpression:         aws.String("SET #state = :done, resp_status = :st, resp_body = :body, resp_type = :ct"),
		ConditionExpression:      aws.String("#state = :in_flight"),
		ExpressionAttributeNames: map[string]string{"#state": "state"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":done": sv("done"), ":in_flight": sv("in_flight"), ":st": nv(d.Answer.Status),
			":body": sv(string(d.Answer.Body)), ":ct": sv(d.Answer.Type),
		},
	}
}

// CompleteIdempotency stores the answer of a reserved key.
func (s *Requests) CompleteIdempotency(ctx context.Context, d *IdempotencyDone) error {
	u := d.update(s.tbl())
	err := persist(ctx, func() error {
		_, err := s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
			TableName: u.TableName, Key: u.Key, UpdateExpression: u.UpdateExpression, ConditionExpression: u.ConditionExpression,
			ExpressionAttributeNames: u.ExpressionAttributeNames, ExpressionAttributeValues: u.ExpressionAttributeValues,
		})
		return err
	})
	if err != nil {
		return fmt.Errorf("complete idempotency key: %w", err)
	}
	return nil
}

// ReleaseIdempotency gives a reserved key back (the request was refused
// before any work, or failed): the next request with it runs afresh.
func (s *Requests) ReleaseIdempotency(ctx context.Context, merchant, k string) error {
	err := persist(ctx, func() error {
		_, err := s.DB.DeleteItem(ctx, &dynamodb.DeleteItemInput{
			TableName:                 s.tbl(),
			Key:                       key(idemPK(merchant, k), idemSK),
			ConditionExpression:       aws.String("#state = :in_flight"),
			ExpressionAttributeNames:  map[string]string{"#state": "state"},
			ExpressionAttributeValues: map[string]types.AttributeValue{":in_flight": sv("in_flight")},
		})
		return err
	})
	if _, ok := isConditionFailed(err); ok {
		return nil
	}
	if err != nil {
		return fmt.Errorf("release idempotency key: %w", err)
	}
	return nil
}
