// Package send composes the send worker and the enqueuer the API, the
// import worker, the stream and the sweep queue sends with.
package send

import (
	"github.com/paylinks/paylinks/shared/boot"
	"github.com/paylinks/paylinks/shared/channel"
	"github.com/paylinks/paylinks/shared/send"
	"github.com/paylinks/paylinks/shared/spec"
)

// Enqueuer queues sends (Enqueue, Requested, Remind); it delivers nothing.
func Enqueuer(e *boot.Env) *send.Service {
	return &send.Service{Store: e.Store(), Queue: e.Sender(spec.Send), Log: e.Log, Now: e.Clock.Now}
}

// Worker delivers queued sends through channels.
func Worker(e *boot.Env, channels channel.Registry) *send.Service {
	e.Use(spec.NeedChannels)
	s := Enqueuer(e)
	s.Channels, s.Merchants, s.PublicBaseURL = channels, e.Merchants(), e.PublicBaseURL()
	return s
}
