// Command stream is the Lambda of the table's DynamoDB stream: each change
// of a link that wrote an event becomes an outbound webhook delivery; a
// record that fails is reported (ReportBatchItemFailures) and Lambda
// retries from it.
package main

import (
	"context"
	"fmt"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/paylinks/paylinks/shared/boot"
	"github.com/paylinks/paylinks/shared/compose/stream"
	"github.com/paylinks/paylinks/shared/outbound"
)

func compose(e *boot.Env) func(context.Context, events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
	return Lambda(stream.New(e))
}

// Lambda adapts the stream handler to Lambda's DynamoDB stream event.
func Lambda(st *outbound.Stream) func(context.Context, events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
	return func(ctx context.Context, ev events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
		recs, err := outbound.FromLambda(ev)
		if err != nil {
			return events.DynamoDBEventResponse{}, fmt.Errorf("stream records: %w", err)
		}
		var resp events.DynamoDBEventResponse
		if seq := st.Handle(ctx, recs); seq != "" {
			resp.BatchItemFailures = []events.DynamoDBBatchItemFailure{{ItemIdentifier: seq}}
		}
		return resp, nil
	}
}

func main() { lambda.Start(compose(boot.Start("stream"))) }
