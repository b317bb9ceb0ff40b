// Package apply composes the worker that applies PSP events to links.
package apply

import (
	"context"
	"time"

	"github.com/paylinks/paylinks/shared/boot"
	composerefund "github.com/paylinks/paylinks/shared/compose/refund"
	"github.com/paylinks/paylinks/shared/webhook"
)

// New is the apply worker.
func New(e *boot.Env) *webhook.Apply {
	settler := composerefund.Settler(e)
	return &webhook.Apply{Store: e.Store(), Log: e.Log, Now: time.Now, Refunds: func(ctx context.Context, msg webhook.Message) (string, error) {
		return settler.Settle(ctx, msg.Merchant, msg.Event)
	}}
}
