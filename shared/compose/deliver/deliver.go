// Package deliver composes the outbound webhooks' delivery worker.
package deliver

import (
	"github.com/paylinks/paylinks/shared/boot"
	"github.com/paylinks/paylinks/shared/outbound"
	"github.com/paylinks/paylinks/shared/spec"
)

// New is the delivery worker: it reads the merchant per attempt (an
// endpoint or secret changed applies to the next attempt) and posts through
// the guarded client (no private addresses; loopback over http only when
// the Env allows it: boot.EnvAllowLoopback), retrying on outbound.Schedule
// or the Env's WebhookSchedule.
func New(e *boot.Env) *outbound.Deliverer {
	st := e.Store()
	schedule := outbound.Schedule
	if e.WebhookSchedule != nil {
		schedule = e.WebhookSchedule
	}
	guard := outbound.Guard{AllowLoopback: e.AllowLoopbackWebhooks}
	return &outbound.Deliverer{Store: st, Merchants: st.GetMerchant, Queue: e.Sender(spec.Webhooks), Client: guard.Client(),
		Schedule: schedule, Lease: 2 * outbound.Timeout, Log: e.Log, Now: e.Clock.Now}
}
