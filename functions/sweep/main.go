// Command sweep is the Lambda the EventBridge schedule runs: it expires the
// links whose expiry passed and hands due reminders to the send queue.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/paylinks/paylinks/shared/boot"
	composesweep "github.com/paylinks/paylinks/shared/compose/sweep"
	"github.com/paylinks/paylinks/shared/sweep"
)

func compose(e *boot.Env) func(context.Context, events.EventBridgeEvent) (sweep.Result, error) {
	s := composesweep.New(e)
	return func(ctx context.Context, _ events.EventBridgeEvent) (sweep.Result, error) { return s.Run(ctx) }
}

func main() { lambda.Start(compose(boot.Start("sweep"))) }
