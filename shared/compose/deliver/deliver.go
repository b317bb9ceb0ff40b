// Package deliver composes the outbound webhooks' delivery worker.
package deliver

import (
	"os"
	"time"

	"github.com/paylinks/paylinks/shared/boot"
	"github.com/paylinks/paylinks/shared/outbound"
	"github.com/paylinks/paylinks/shared/spec"
)

// EnvAllowLoopback set to "1" lets deliveries reach receivers on loopback
// over http. Only the stack deployed into LocalStack sets it (context
// localstack=true, refused for prod), so its tests can run the receiver.
const EnvAllowLoopback = "OUTBOUND_ALLOW_LOOPBACK"

// Guard is the deliveries' address guard: no private addresses, loopback
// only with EnvAllowLoopback=1.
func Guard() outbound.Guard {
	return outbound.Guard{AllowLoopback: os.Getenv(EnvAllowLoopback) == "1"}
}

// New is the delivery worker: it reads the merchant per attempt (an
// endpoint or secret changed applies to the next attempt) and posts through
// the guarded client (no private addresses).
func New(e *boot.Env) *outbound.Deliverer {
	st := e.Store()
	return &outbound.Deliverer{Store: st, Merchants: st.GetMerchant, Queue: e.Sender(spec.Webhooks), Client: Guard().Client(),
		Schedule: outbound.Schedule, Lease: 2 * outbound.Timeout, Log: e.Log, Now: time.Now}
}
