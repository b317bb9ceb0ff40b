// Package imports composes the CSV import worker: each row becomes a link,
// once.
package imports

import (
	"github.com/paylinks/paylinks/shared/boot"
	composesend "github.com/paylinks/paylinks/shared/compose/send"
	"github.com/paylinks/paylinks/shared/imports"
)

// New is the import queue's consumer.
func New(e *boot.Env) *imports.Worker {
	return &imports.Worker{Store: e.Store(), Codes: e.LinkCodes(), Send: composesend.Enqueuer(e), Merchants: e.Merchants(), Log: e.Log, Now: e.Clock.Now}
}
