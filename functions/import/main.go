// Command import is the imports queue's consumer: it creates the links of CSV imports, row by row, once.
package main

import (
	"github.com/paylinks/paylinks/shared/boot"
	"github.com/paylinks/paylinks/shared/compose/imports"
	"github.com/paylinks/paylinks/shared/queue"
)

func compose(e *boot.Env) queue.Handler { return imports.New(e).Handle }

func main() {
	e := boot.Start("import")
	boot.ServeQueue(e, compose(e))
}
