// Command deliver is the webhooks queue's consumer: it POSTs each delivery to the merchant's
// endpoint, signed per Standard Webhooks, and spaces the retries.
package main

import (
	"github.com/paylinks/paylinks/shared/boot"
	"github.com/paylinks/paylinks/shared/compose/deliver"
	"github.com/paylinks/paylinks/shared/queue"
)

func compose(e *boot.Env) queue.Handler { return deliver.New(e).Handle }

func main() {
	e := boot.Start("deliver")
	boot.ServeQueue(e, compose(e))
}
