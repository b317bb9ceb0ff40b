// Package imports composes the CSV import worker: each row becomes a link,
// once.
package imports

import (
	"github.com/paylinks/paylinks/shared/boot"
	composesend "github.com/paylinks/paylinks/shared/compose/send"
	"github.com/paylinks/paylinks/shared/httpapi"
	"github.com/paylinks/paylinks/shared/queue"
)

// Worker is the import queue's consumer.
func Worker(e *boot.Env) queue.Handler {
	a := httpapi.New(e.Store(), "")
	a.Codes = e.LinkCodes()
	a.Send = composesend.Enqueuer(e)
	a.Log = e.Log
	return a.HandleImport
}
