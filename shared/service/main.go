package service

import (
	"context"
	"net/http"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
)

// MainHTTP is the whole of an HTTP function's main: build the service once
// per cold start and serve the handler pick chooses behind API Gateway.
func MainHTTP(fn string, pick func(*Service) http.Handler) {
	svc, log, err := FromEnv(context.Background(), fn)
	if err != nil {
		log.Error("start", "error", err.Error())
		os.Exit(1)
	}
	lambda.Start(Lambda(log, pick(svc)))
}

// MainSQS is the whole of a queue consumer's main.
func MainSQS(fn, queueName string) {
	svc, log, err := FromEnv(context.Background(), fn)
	if err != nil {
		log.Error("start", "error", err.Error())
		os.Exit(1)
	}
	lambda.Start(SQSLambda(log, queueName, svc.Consumers()[queueName]))
}

// MainStream is the whole of the table stream function's main: each batch
// of records becomes outbound webhook deliveries; a record that fails is
// reported (ReportBatchItemFailures) and Lambda retries from it.
func MainStream() {
	svc, log, err := FromEnv(context.Background(), "stream")
	if err != nil {
		log.Error("start", "error", err.Error())
		os.Exit(1)
	}
	lambda.Start(StreamLambda(svc.Stream))
}
