// Command api is the Lambda behind API Gateway for paylinks' api routes.
package main

import (
	"context"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/paylinks/paylinks/shared/service"
)

func main() {
	svc, log, err := service.FromEnv(context.Background())
	if err != nil {
		log.Error("start", "error", err.Error())
		os.Exit(1)
	}
	lambda.Start(service.Lambda(log, svc.APIFunctionHandler()))
}
