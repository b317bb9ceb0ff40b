// Command sweep is the Lambda the EventBridge schedule runs: it expires the
// links whose expiry passed.
package main

import (
	"context"
	"os"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/paylinks/paylinks/shared/service"
	"github.com/paylinks/paylinks/shared/sweep"
)

func main() {
	svc, log, err := service.FromEnv(context.Background(), "sweep")
	if err != nil {
		log.Error("start", "error", err.Error())
		os.Exit(1)
	}
	lambda.Start(func(ctx context.Context, _ events.EventBridgeEvent) (sweep.Result, error) {
		return svc.Sweeper.Run(ctx)
	})
}
