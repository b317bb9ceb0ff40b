// Command apply is the psp-events queue's consumer: it applies PSP events to links.
package main

import (
	"github.com/paylinks/paylinks/shared/boot"
	"github.com/paylinks/paylinks/shared/compose/apply"
	"github.com/paylinks/paylinks/shared/queue"
)

func compose(e *boot.Env) queue.Handler { return apply.New(e).Handle }

func main() {
	e := boot.Start("apply")
	boot.ServeQueue(e, compose(e))
}
