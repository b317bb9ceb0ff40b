// Command refund is the SQS consumer that submits refunds to the PSP.
package main

import (
	"github.com/paylinks/paylinks/shared/queue"
	"github.com/paylinks/paylinks/shared/service"
)

func main() { service.MainSQS("refund", queue.Refunds) }
