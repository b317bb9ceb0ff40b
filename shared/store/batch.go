package store

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// batchTries bounds the rounds of one batch of writes: a request that
// failed in transit (a busy table or emulator, after the SDK's own three
// attempts) and what DynamoDB left unprocessed are sent again, with
// backoff.
const batchTries = 8

// batchWrite carries out reqs in BatchWriteItem requests of 25 (the API's
// most), each retried with what it leaves unprocessed. Only for writes
// that change nothing when done twice (whole items put, items deleted):
// a batch has no conditions. what names the writes in errors.
func (s *Core) batchWrite(ctx context.Context, what string, reqs []types.WriteRequest) error {
	for i := 0; i < len(reqs); i += 25 {
		left := reqs[i:min(i+25, len(reqs))]
		for try := 0; len(left) > 0; try++ {
			if try == batchTries || ctx.Err() != nil {
				return fmt.Errorf("batch write %s: %d requests left after %d tries: %w", what, len(left), try, ctx.Err())
			}
			if try > 0 {
				pause(try + 2)
			}
			out, err := s.DB.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{s.Table: left}})
			if err != nil {
				continue // in transit: the same requests again
			}
			left = out.UnprocessedItems[s.Table]
		}
	}
	return nil
}
