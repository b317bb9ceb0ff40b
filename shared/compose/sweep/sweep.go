// Package sweep composes the scheduled sweep: expire due links, hand
// reminders to the send queue.
package sweep

import (
	"github.com/paylinks/paylinks/shared/boot"
	composesend "github.com/paylinks/paylinks/shared/compose/send"
	"github.com/paylinks/paylinks/shared/sweep"
)

// New is the sweeper.
func New(e *boot.Env) *sweep.Sweeper {
	s := sweep.New(e.Store(), e.Log)
	s.Now = e.Clock.Now
	s.Remind = composesend.Enqueuer(e).Remind
	return s
}
