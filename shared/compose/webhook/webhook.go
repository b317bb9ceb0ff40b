// Package webhook composes the PSP webhooks' function: verify, record,
// enqueue, answer.
package webhook

import (
	"net/http"

	"github.com/paylinks/paylinks/shared/boot"
	"github.com/paylinks/paylinks/shared/compose/psps"
	"github.com/paylinks/paylinks/shared/spec"
	"github.com/paylinks/paylinks/shared/webhook"
)

// New is the ingest.
func New(e *boot.Env) *webhook.Ingest {
	in := webhook.NewIngest(e.Store(), psps.New(e), e.Sender(spec.PSPEvents))
	in.Now = e.Clock.Now
	return in
}

// Handler is what the function serves.
func Handler(in *webhook.Ingest) http.Handler {
	mux := http.NewServeMux()
	in.Routes(mux)
	return mux
}
