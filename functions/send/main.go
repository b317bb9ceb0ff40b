// Command send is the SQS consumer that delivers links by e-mail, SMS and WhatsApp.
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
	lambda.Start(service.SQSLambda(log, queue.Send, svc.Consumers()[queue.Send]))
}
