// Command reconcile is the statements queue's consumer: it reconciles bank statements (uploaded or dropped in the bucket) with links, each entry once.
package main

import (
	"github.com/paylinks/paylinks/shared/boot"
	"github.com/paylinks/paylinks/shared/compose/reconcile"
	"github.com/paylinks/paylinks/shared/queue"
)

func compose(e *boot.Env) queue.Handler { return reconcile.Handler(reconcile.New(e)) }

func main() {
	e := boot.Start("reconcile")
	boot.ServeQueue(e, compose(e))
}
