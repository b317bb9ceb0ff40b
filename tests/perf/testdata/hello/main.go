// Command hello is the cold-start floor of BenchmarkColdStart: an
// aws-lambda-go handler that does nothing, built and timed as the
// functions are, so what a function adds at init reads against it.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"
)

func main() {
	lambda.Start(func(context.Context, map[string]any) (string, error) { return "hello", nil })
}
