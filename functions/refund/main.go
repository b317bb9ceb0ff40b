// Command refund is the refunds queue's consumer: it submits refunds to the PSP.
package main

import (
	"github.com/paylinks/paylinks/shared/boot"
	"github.com/paylinks/paylinks/shared/compose/refund"
	"github.com/paylinks/paylinks/shared/queue"
)

func compose(e *boot.Env) queue.Handler { return refund.New(e).Handle }

func main() {
	e := boot.Start("refund")
	boot.ServeQueue(e, compose(e))
}
