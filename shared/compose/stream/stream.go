// Package stream composes the table stream's function: each change of a
// link that wrote an event becomes an outbound webhook delivery, and a send
// asked for at creation is queued.
package stream

import (
	"github.com/paylinks/paylinks/shared/boot"
	composesend "github.com/paylinks/paylinks/shared/compose/send"
	"github.com/paylinks/paylinks/shared/outbound"
	"github.com/paylinks/paylinks/shared/spec"
)

// New is the stream handler. It reads the merchant's settings as they are
// (once per batch), not through the workers' cache: a webhook endpoint set
// by a 200 applies to every event made after it.
func New(e *boot.Env) *outbound.Stream {
	st := e.Store()
	return &outbound.Stream{Store: st, Merchants: st.GetMerchant, Queue: e.Sender(spec.Webhooks), SendRequested: composesend.Enqueuer(e).Requested,
		PublicBaseURL: e.PublicBaseURL(), Log: e.Log, Now: e.Clock.Now}
}
