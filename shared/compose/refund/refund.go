// Package refund composes the refund worker and the refund service the API
// submits through.
package refund

import (
	"time"

	"github.com/paylinks/paylinks/shared/boot"
	"github.com/paylinks/paylinks/shared/refund"
	"github.com/paylinks/paylinks/shared/spec"
)

// New is the refund service: it records refunds and submits them to the
// PSP through the refunds queue.
func New(e *boot.Env) *refund.Service {
	return &refund.Service{Store: e.Store(), PSPs: e.PSPs(), Queue: e.Sender(spec.Refunds), Merchants: e.Merchants(), Log: e.Log, Now: time.Now}
}

// Settler is the part of the refund service that records a PSP's refund
// outcome on the link (the apply worker's): the store only.
func Settler(e *boot.Env) *refund.Service {
	return &refund.Service{Store: e.Store(), Log: e.Log, Now: time.Now}
}
