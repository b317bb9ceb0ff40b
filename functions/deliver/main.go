// Command deliver is the webhooks queue's consumer: it POSTs each delivery
// to the merchant's endpoint, signed per Standard Webhooks, and spaces the
// retries.
package main

import (
	"github.com/paylinks/paylinks/shared/queue"
	"github.com/paylinks/paylinks/shared/service"
)

func main() { service.MainSQS("deliver", queue.Webhooks) }
