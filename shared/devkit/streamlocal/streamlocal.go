// Package streamlocal reads a table's DynamoDB stream with the Streams API
// and hands the records to the stream handler, the way Lambda's event source
// mapping does: in order per shard, from the oldest record, retrying from a
// failed record. `make dev` and the tests use it against DynamoDB Local.
package streamlocal

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"

	"github.com/paylinks/paylinks/shared/outbound"
)

// Handler handles records in order and returns the sequence number of the
// first one it could not handle ("" for none).
type Handler func(ctx context.Context, recs []outbound.Record) string

// ErrFailed reports that the handler failed a record; the reader starts
// from it next time.
var ErrFailed = errors.New("stream handler failed a record")

// Reader follows one table's stream.
type Reader struct {
	DB      *dynamodb.Client
	Streams *dynamodbstreams.Client
	Table   string

	arn    string
	iters  map[string]*string // open shard -> next iterator
	closed map[string]bool    // shards read to their end
}

// Once reads every shard up to its newest record and returns how many
// records it handed over.
func (r *Reader) Once(ctx context.Context, h Handler) (int, error) {
	if err := r.discover(ctx); err != nil {
		return 0, err
	}
	n := 0
	for id, it := range r.iters {
		for it != nil {
			out, err := r.Streams.GetRecords(ctx, &dynamodbstreams.GetRecordsInput{ShardIterator: it, Limit: aws.Int32(1000)})
			if err != nil {
				return n, fmt.Errorf("get records of %s: %w", id, err)
			}
			if len(out.Records) > 0 {
				restoreEmptyMaps(out.Records)
				recs, err := outbound.FromStreams(out.Records)
				if err != nil {
					return n, err
				}
				if seq := h(ctx, recs); seq != "" {
					at, err := r.Streams.GetShardIterator(ctx, &dynamodbstreams.GetShardIteratorInput{StreamArn: &r.arn, ShardId: aws.String(id),
						ShardIteratorType: types.ShardIteratorTypeAtSequenceNumber, SequenceNumber: aws.String(seq)})
					if err != nil {
						return n, fmt.Errorf("iterator at %s: %w", seq, err)
					}
					r.iters[id] = at.ShardIterator
					return n, ErrFailed
				}
				n += len(recs)
			}
			it = out.NextShardIterator
			r.iters[id] = it
			if len(out.Records) == 0 {
				break // caught up with this shard
			}
		}
		if it == nil {
			delete(r.iters, id)
			r.closed[id] = true
		}
	}
	return n, nil
}

// restoreEmptyMaps puts back the empty maps of the records' images and
// keys: DynamoDB Local's stream writes an item's empty map ({"M":{}}) as {},
// which the SDK reads as a nil value; DynamoDB Streams (and Lambda's event)
// have the map. A nil left in would fail the record's conversion, and the
// reader would retry it forever with the rest of the stream behind it.
func restoreEmptyMaps(recs []types.Record) {
	for _, r := range recs {
		if r.Dynamodb == nil {
			continue
		}
		for _, m := range []map[string]types.AttributeValue{r.Dynamodb.Keys, r.Dynamodb.NewImage, r.Dynamodb.OldImage} {
			restoreInMap(m)
		}
	}
}

func restoreInMap(m map[string]types.AttributeValue) {
	for k, v := range m {
		m[k] = restored(v)
	}
}

func restored(v types.AttributeValue) types.AttributeValue {
	switch v := v.(type) {
	case nil:
		return &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{}}
	case *types.AttributeValueMemberM:
		restoreInMap(v.Value)
	case *types.AttributeValueMemberL:
		for i, e := range v.Value {
			v.Value[i] = restored(e)
		}
	}
	return v
}

func (r *Reader) discover(ctx context.Context) error {
	if r.iters == nil {
		r.iters, r.closed = map[string]*string{}, map[string]bool{}
	}
	if r.arn == "" {
		t, err := r.DB.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(r.Table)})
		if err != nil {
			return fmt.Errorf("describe %s: %w", r.Table, err)
		}
		if t.Table.LatestStreamArn == nil {
			return fmt.Errorf("table %s has no stream", r.Table)
		}
		r.arn = *t.Table.LatestStreamArn
	}
	var start *string
	for {
		ds, err := r.Streams.DescribeStream(ctx, &dynamodbstreams.DescribeStreamInput{StreamArn: &r.arn, ExclusiveStartShardId: start})
		if err != nil {
			return fmt.Errorf("describe stream: %w", err)
		}
		for _, s := range ds.StreamDescription.Shards {
			id := aws.ToString(s.ShardId)
			if _, open := r.iters[id]; open || r.closed[id] {
				continue
			}
			it, err := r.Streams.GetShardIterator(ctx, &dynamodbstreams.GetShardIteratorInput{StreamArn: &r.arn, ShardId: s.ShardId,
				ShardIteratorType: types.ShardIteratorTypeTrimHorizon})
			if err != nil {
				return fmt.Errorf("iterator of %s: %w", id, err)
			}
			r.iters[id] = it.ShardIterator
		}
		start = ds.StreamDescription.LastEvaluatedShardId
		if start == nil {
			return nil
		}
	}
}

// Run calls Once every interval until ctx ends.
func (r *Reader) Run(ctx context.Context, log *slog.Logger, every time.Duration, h Handler) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if _, err := r.Once(ctx, h); err != nil && ctx.Err() == nil && !errors.Is(err, ErrFailed) {
			log.Warn("stream", "table", r.Table, "error", err.Error())
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Client is the DynamoDB Streams client of the local stream reader: the
// streams live on the DynamoDB emulator's endpoint.
func Client(cfg aws.Config) *dynamodbstreams.Client {
	return dynamodbstreams.NewFromConfig(cfg, func(o *dynamodbstreams.Options) {
		if os.Getenv("AWS_ENDPOINT_URL_DYNAMODB_STREAMS") == "" && os.Getenv("AWS_ENDPOINT_URL") == "" {
			if u := os.Getenv("AWS_ENDPOINT_URL_DYNAMODB"); u != "" {
				o.BaseEndpoint = aws.String(u)
			}
		}
	})
}
