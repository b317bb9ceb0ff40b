package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/paylinks/paylinks/shared/domain"
)

// Delivery states.
const (
	DeliveryPending   = "pending"
	DeliverySucceeded = "succeeded"
	DeliveryFailed    = "failed"
)

// PrefixDelivery starts a webhook delivery's id (the webhook-id header).
const PrefixDelivery = "msg_"

// Delivery is one outbound webhook event for one merchant: its body is
// fixed when it is made, so every attempt sends the same bytes under the
// same webhook-id.
type Delivery struct {
	PK        string `dynamodbav:"PK"`
	SK        string `dynamodbav:"SK"`
	GSI1PK    string `dynamodbav:"GSI1PK"` // the merchant's listing shard
	GSI1SK    string `dynamodbav:"GSI1SK"` // the id: newest first
	Type      string `dynamodbav:"type"`
	ID        string `dynamodbav:"id"`
	Merchant  string `dynamodbav:"merchant"`
	EventID   string `dynamodbav:"event_id"`
	EventType string `dynamodbav:"event_type"`
	LinkID    string `dynamodbav:"link_id"`
	Sequence  int    `dynamodbav:"sequence"`
	Body      string `dynamodbav:"body"`
	Status    string `dynamodbav:"status"`
	// Gen grows with every manual retry; messages of an older generation
	// are dropped.
	Gen int `dynamodbav:"gen"`
	// Carrier is the SQS message that carries this generation's retries:
	// a duplicate message finds another carrier and drops itself.
	Carrier      string    `dynamodbav:"carrier,omitempty"`
	LeaseUntil   string    `dynamodbav:"lease_until,omitempty"`
	Attempts     int       `dynamodbav:"attempts"`
	GenAttempts  int       `dynamodbav:"gen_attempts"`
	GenStartedAt string    `dynamodbav:"gen_started_at"`
	NextAttempt  string    `dynamodbav:"next_attempt_at,omitempty"`
	Log          []Attempt `dynamodbav:"attempt_log,omitempty"`
	CreatedAt    string    `dynamodbav:"created_at"`
	UpdatedAt    string    `dynamodbav:"updated_at"`
}

// Attempt is one POST to the merchant's endpoint.
type Attempt struct {
	At         string `dynamodbav:"at" json:"at"`
	StatusCode int    `dynamodbav:"status_code,omitempty" json:"status_code,omitempty"`
	Error      string `dynamodbav:"error,omitempty" json:"error,omitempty"`
	DurationMS int64  `dynamodbav:"duration_ms" json:"duration_ms"`
}

// DeliveryIDFor is the delivery of an event: one per event, so a duplicate
// stream record makes no second delivery.
func DeliveryIDFor(eventID string) string {
	return PrefixDelivery + eventID[strings.IndexByte(eventID, '_')+1:]
}

// ErrDeliveryStale answers a claim by a message that has nothing left to
// do: the delivery succeeded or failed, was retried under a newer
// generation, or is carried by another message.
var ErrDeliveryStale = errors.New("delivery needs no attempt from this message")

// ErrDeliveryBusy answers a claim while another attempt holds the lease.
var ErrDeliveryBusy = errors.New("delivery attempt in progress")

// deliveryItem is a new delivery as stored.
func deliveryItem(d *Delivery, now time.Time) (map[string]types.AttributeValue, error) {
	d.PK, d.SK, d.Type = deliveryPK(d.Merchant, d.ID), deliverySK, "webhook_delivery"
	d.GSI1PK, d.GSI1SK = deliveryListPK(d.Merchant, d.ID), d.ID
	d.Status, d.CreatedAt, d.UpdatedAt, d.GenStartedAt = DeliveryPending, ft(now), ft(now), ft(now)
	av, err := attributevalue.MarshalMap(d)
	if err != nil {
		return nil, fmt.Errorf("marshal delivery: %w", err)
	}
	return av, nil
}

// ErrCustomerErased refuses a delivery whose body holds the data of a
// customer whose erasure has begun: the body is to be made again with the
// customer reduced to its id.
var ErrCustomerErased = errors.New("the delivery's customer is erased")

// PutDeliveryOf records a new delivery whose body holds the snapshot of
// customer customerID (name, e-mail), unless that customer's erasure has
// begun: one TransactWriteItems of a check that the customer's erasure
// marker does not exist, the delivery (false when it exists) and its entry
// in the customer's list of deliveries. Such a body is thus only ever
// written before the erasure's marker, and listed where the erasure looks
// for it after writing the marker (EraseCustomerLinks). ErrCustomerErased
// when the marker exists (and the delivery does not).
func (s *Deliveries) PutDeliveryOf(ctx context.Context, d *Delivery, customerID string, now time.Time) (bool, error) {
	av, err := deliveryItem(d, now)
	if err != nil {
		return false, err
	}
	items := []types.TransactWriteItem{
		{ConditionCheck: &types.ConditionCheck{TableName: s.tbl(), Key: key(erasedPK(d.Merchant, customerID), erasedSK),
			ConditionExpression: aws.String("attribute_not_exists(PK)")}},
		{Put: &types.Put{TableName: s.tbl(), Item: av, ConditionExpression: aws.String("attribute_not_exists(PK)")}},
		{Put: &types.Put{TableName: s.tbl(), Item: customerDeliveryItem(d.Merchant, customerID, d.ID, d.LinkID)}},
	}
	for try := 0; ; try++ {
		_, err = s.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
		reasons, cancelled := cancelReasons(err)
		switch {
		case err == nil:
			return true, nil
		case !cancelled:
			return false, fmt.Errorf("put delivery %s: %w", d.ID, err)
		case len(reasons) > 1 && reasons[1] == "ConditionalCheckFailed":
			return false, nil
		case len(reasons) > 0 && reasons[0] == "ConditionalCheckFailed":
			return false, ErrCustomerErased
		case try+1 >= maxApplyTries:
			return false, fmt.Errorf("put delivery %s: %w after %d tries: %w", d.ID, domain.ErrConflict, maxApplyTries, err)
		}
		pause(try) // TransactionConflict: the marker or the delivery is being written; try again
	}
}

// PutDelivery records a new delivery; false when it already exists.
func (s *Deliveries) PutDelivery(ctx context.Context, d *Delivery, now time.Time) (bool, error) {
	av, err := deliveryItem(d, now)
	if err != nil {
		return false, err
	}
	_, err = s.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: s.tbl(), Item: av, ConditionExpression: aws.String("attribute_not_exists(PK)")})
	if _, ok := isConditionFailed(err); ok {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("put delivery %s: %w", d.ID, err)
	}
	return true, nil
}

// GetDelivery reads one delivery of a merchant.
func (s *Deliveries) GetDelivery(ctx context.Context, merchant, id string) (*Delivery, error) {
	if !validDeliveryID(id) {
		return nil, domain.ErrNotFound
	}
	var d Delivery
	if err := s.getItem(ctx, deliveryPK(merchant, id), deliverySK, "delivery "+id, &d); err != nil {
		return nil, err
	}
	return &d, nil
}

// ClaimDelivery takes the lease for one attempt of generation gen by the
// message carrier, in one UpdateItem that returns the delivery. It fails with
// ErrDeliveryStale when the message has nothing to do and ErrDeliveryBusy
// while another attempt runs.
func (s *Deliveries) ClaimDelivery(ctx context.Context, merchant, id string, gen int, carrier string, now time.Time, lease time.Duration) (*Delivery, error) {
	out, err := s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: s.tbl(), Key: key(deliveryPK(merchant, id), deliverySK),
		UpdateExpression: aws.String("SET carrier = :c, lease_until = :lease, attempts = attempts + :one, gen_attempts = gen_attempts + :one, updated_at = :now"),
		ConditionExpression: aws.String("#status = :pending AND gen = :gen AND (attribute_not_exists(carrier) OR carrier = :c) " +
			"AND (attribute_not_exists(lease_until) OR lease_until < :now)"),
		ExpressionAttributeNames: map[string]string{"#status": "status"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":c": sv(carrier), ":lease": sv(ft(now.Add(lease))), ":one": nv(1), ":now": sv(ft(now)),
			":pending": sv(DeliveryPending), ":gen": nv(gen),
		},
		ReturnValues:                        types.ReturnValueAllNew,
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	if ccf, ok := isConditionFailed(err); ok {
		if ccf.Item == nil {
			return nil, ErrDeliveryStale // gone (never for a real delivery)
		}
		var d Delivery
		if err := attributevalue.UnmarshalMap(ccf.Item, &d); err != nil {
			return nil, fmt.Errorf("unmarshal delivery: %w", err)
		}
		if d.Status != DeliveryPending || d.Gen != gen || (d.Carrier != "" && d.Carrier != carrier) {
			return nil, ErrDeliveryStale
		}
		return nil, ErrDeliveryBusy
	}
	if err != nil {
		return nil, fmt.Errorf("claim delivery %s: %w", id, err)
	}
	var d Delivery
	if err := attributevalue.UnmarshalMap(out.Attributes, &d); err != nil {
		return nil, fmt.Errorf("unmarshal delivery: %w", err)
	}
	return &d, nil
}

// RecordAttempt stores an attempt's outcome and the delivery's new status
// (next is when a pending delivery is tried again) and frees the lease,
// guarded by generation and carrier.
func (s *Deliveries) RecordAttempt(ctx context.Context, d *Delivery, a Attempt, status string, next time.Time, now time.Time) error {
	aav, err := attributevalue.Marshal([]Attempt{a})
	if err != nil {
		return fmt.Errorf("marshal attempt: %w", err)
	}
	expr := "SET #status = :st, attempt_log = list_append(if_not_exists(attempt_log, :empty), :a), updated_at = :now"
	values := map[string]types.AttributeValue{
		":st": sv(status), ":a": aav, ":empty": &types.AttributeValueMemberL{}, ":now": sv(ft(now)),
		":gen": nv(d.Gen), ":c": sv(d.Carrier),
	}
	if status == DeliveryPending && !next.IsZero() {
		expr += ", next_attempt_at = :next REMOVE lease_until"
		values[":next"] = sv(ft(next))
	} else {
		expr += " REMOVE lease_until, next_attempt_at"
	}
	err = persist(ctx, func() error { // the POST happened: record it
		_, err := s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
			TableName: s.tbl(), Key: key(deliveryPK(d.Merchant, d.ID), deliverySK),
			UpdateExpression: aws.String(expr), ConditionExpression: aws.String("gen = :gen AND carrier = :c"),
			ExpressionAttributeNames: map[string]string{"#status": "status"}, ExpressionAttributeValues: values,
		})
		return err
	})
	if _, ok := isConditionFailed(err); ok {
		return ErrDeliveryStale // retried by hand meanwhile: the new generation carries on
	}
	if err != nil {
		return fmt.Errorf("record attempt of %s: %w", d.ID, err)
	}
	return nil
}

// RetryDelivery starts a new generation of a delivery (any status): the
// next message of that generation tries it at once, whatever older messages
// were doing.
func (s *Deliveries) RetryDelivery(ctx context.Context, merchant, id string, now time.Time) (*Delivery, error) {
	if !validDeliveryID(id) {
		return nil, domain.ErrNotFound
	}
	out, err := s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: s.tbl(), Key: key(deliveryPK(merchant, id), deliverySK),
		UpdateExpression:         aws.String("SET gen = gen + :one, #status = :pending, gen_attempts = :zero, gen_started_at = :now, updated_at = :now REMOVE carrier, lease_until, next_attempt_at"),
		ConditionExpression:      aws.String("attribute_exists(PK)"),
		ExpressionAttributeNames: map[string]string{"#status": "status"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":one": nv(1), ":zero": nv(0), ":pending": sv(DeliveryPending), ":now": sv(ft(now)),
		},
		ReturnValues: types.ReturnValueAllNew,
	})
	if _, ok := isConditionFailed(err); ok {
		return nil, domain.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("retry delivery %s: %w", id, err)
	}
	var d Delivery
	if err := attributevalue.UnmarshalMap(out.Attributes, &d); err != nil {
		return nil, fmt.Errorf("unmarshal delivery: %w", err)
	}
	return &d, nil
}

// DeliveryQuery selects a merchant's deliveries, newest first.
type DeliveryQuery struct {
	Merchant string
	LinkID   string // optional
	Status   string // optional
	Limit    int
	Cursor   string
}

// ListDeliveries pages through a merchant's deliveries, newest first: the
// same merge over the merchant's 64 delivery shards of the listing index
// as List (link and status narrow it with a filter over the projection),
// then one BatchGetItem of the page.
func (s *Deliveries) ListDeliveries(ctx context.Context, q DeliveryQuery) ([]Delivery, string, error) {
	r := shardRead{from: PrefixDelivery, to: PrefixDelivery + "~", want: q.Limit + 1, values: map[string]types.AttributeValue{}}
	if q.Cursor != "" {
		pos, err := decodeCursor(q.Cursor, q.Merchant, "hooks", validDeliveryID)
		if err != nil {
			return nil, "", err
		}
		r.below = pos
	}
	var filters []string
	if q.LinkID != "" {
		filters = append(filters, "link_id = :link")
		r.values[":link"] = sv(q.LinkID)
	}
	if q.Status != "" {
		filters = append(filters, "#status = :st")
		r.names = map[string]string{"#status": "status"}
		r.values[":st"] = sv(q.Status)
	}
	r.filter = strings.Join(filters, " AND ")
	for sh := 0; sh < DeliveryListShards; sh++ {
		r.pks = append(r.pks, deliveryListShardPK(q.Merchant, sh))
	}
	entries, frontier, err := s.mergeShards(ctx, r)
	if err != nil {
		return nil, "", fmt.Errorf("list deliveries of %s: %w", q.Merchant, err)
	}
	entries, next := pageOf(entries, frontier, q.Limit, q.Merchant, "hooks")
	items, err := s.batchGet(ctx, keysOf(entries))
	if err != nil {
		return nil, "", fmt.Errorf("list deliveries of %s: %w", q.Merchant, err)
	}
	out := make([]Delivery, 0, len(items))
	for _, av := range items {
		if av == nil {
			continue
		}
		var d Delivery
		if err := attributevalue.UnmarshalMap(av, &d); err != nil {
			return nil, "", fmt.Errorf("unmarshal delivery: %w", err)
		}
		if q.Status != "" && d.Status != q.Status { // the index lags the table by a moment on AWS
			continue
		}
		out = append(out, d)
	}
	return out, next, nil
}

func validDeliveryID(id string) bool { return strings.HasPrefix(id, PrefixDelivery) && len(id) <= 64 }

// DisableWebhook turns a merchant's endpoint off (it answered 410 Gone);
// setting its URL again turns it back on.
func (s *Deliveries) DisableWebhook(ctx context.Context, merchantID, reason string, now time.Time) error {
	_, err := s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: s.tbl(), Key: key(merchantItemPK(merchantID), "MERCHANT"),
		UpdateExpression:         aws.String("SET webhook_disabled_at = :now, webhook_disabled_reason = :why, #version = #version + :one"),
		ConditionExpression:      aws.String("attribute_exists(PK) AND attribute_not_exists(webhook_disabled_at)"),
		ExpressionAttributeNames: map[string]string{"#version": "version"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":now": sv(ft(now)), ":why": sv(reason), ":one": nv(1),
		},
	})
	if _, ok := isConditionFailed(err); ok {
		return nil // already disabled
	}
	if err != nil {
		return fmt.Errorf("disable webhook of %s: %w", merchantID, err)
	}
	return nil
}
