// Command import is the SQS consumer that creates the links of CSV imports, row by row, once.
package main

import (
	"context"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/paylinks/paylinks/shared/queue"
	"github.com/paylinks/paylinks/shared/service"
)

func main() {
	svc, log, err := service.FromEnv(context.Background())
	if err != nil {
		log.Error("start", "error", err.Error())
		os.Exit(1)
	}
	lambda.Start(service.SQSLambda(log, queue.Imports, svc.Consumers()[queue.Imports]))
}
