// Package deliver composes the outbound webhooks' delivery worker.
package deliver

import (
	"time"

	"github.com/paylinks/paylinks/shared/boot"
	"github.com/paylinks/paylinks/shared/outbound"
	"github.com/paylinks/paylinks/shared/spec"
)

// New is the delivery worker: it reads the merchant per attempt (an
// endpoint or secret changed applies to the next attempt) and posts through
// the guarded client (no private addresses).
func New(e *boot.Env) *outbound.Deliverer {
	st := e.Store()
	return &outbound.Deliverer{Store: st, Merchants: st.GetMerchant, Queue: e.Sender(spec.Webhooks), Client: outbound.Guard{}.Client(),
		Schedule: outbound.Schedule, Lease: 2 * outbound.Timeout, Log: e.Log, Now: time.Now}
}
