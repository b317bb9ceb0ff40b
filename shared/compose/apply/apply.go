// Package apply composes the worker that applies PSP events to links.
package apply

import (
	"context"

	"github.com/paylinks/paylinks/shared/boot"
	"github.com/paylinks/paylinks/shared/refund"
	"github.com/paylinks/paylinks/shared/webhook"
)

// New is the apply worker.
func New(e *boot.Env) *webhook.Apply {
	// Of the refund service, the worker uses the part that records a PSP's
	// refund outcome on the link: the store only.
	settler := &refund.Service{Store: e.Store(), Log: e.Log, Now: e.Clock.Now}
	return &webhook.Apply{Store: e.Store(), Log: e.Log, Now: e.Clock.Now, Refunds: func(ctx context.Context, msg webhook.Message) (string, error) {
		return settler.Settle(ctx, msg.Merchant, msg.Event)
	}}
}
