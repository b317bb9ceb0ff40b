// Package reconcile composes the bank statements' worker (the statements
// queue's consumer) and the part of the API that takes statements in.
package reconcile

import (
	"time"

	"github.com/paylinks/paylinks/shared/boot"
	"github.com/paylinks/paylinks/shared/queue"
	"github.com/paylinks/paylinks/shared/spec"
	"github.com/paylinks/paylinks/shared/statements"
)

// New is the reconcile worker: it reads the files (uploaded and dropped)
// and queues its own continuation when a statement outlasts its time. It
// opens no merchant's secrets (a drop's merchant is only known to exist).
func New(e *boot.Env) *statements.Service {
	files := e.StatementFiles()
	st := e.Store()
	return &statements.Service{Store: st, Files: files, Queue: e.Sender(spec.Statements), MerchantExists: st.MerchantExists,
		Bucket: files.Name, Log: e.Log, Now: e.Clock.Now, Budget: Budget()}
}

// Budget is one message's work: the function's timeout less a minute
// (statements.Margin is kept before the context's deadline as well).
func Budget() time.Duration {
	fn, _ := spec.Lookup("reconcile")
	return fn.Timeout - time.Minute
}

// Handler is the queue's handler of the worker.
func Handler(s *statements.Service) queue.Handler { return queue.Typed(s.Handle) }

// Uploads is what the API takes statements in and matches review payments
// with: it keeps uploaded files and queues them.
func Uploads(e *boot.Env) *statements.Service {
	return &statements.Service{Store: e.Store(), Files: e.StatementUploads(), Queue: e.Sender(spec.Statements), Log: e.Log, Now: e.Clock.Now}
}
