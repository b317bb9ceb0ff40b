// Package refund composes the refund worker and the refund service the API
// submits through.
package refund

import (
	"github.com/paylinks/paylinks/shared/boot"
	"github.com/paylinks/paylinks/shared/compose/psps"
	"github.com/paylinks/paylinks/shared/refund"
	"github.com/paylinks/paylinks/shared/spec"
)

// New is the refund service: it records refunds and submits them to the
// PSP through the refunds queue.
func New(e *boot.Env) *refund.Service {
	return &refund.Service{Store: e.Store(), PSPs: psps.New(e), Queue: e.Sender(spec.Refunds), Merchants: e.Merchants(), Log: e.Log, Now: e.Clock.Now}
}
