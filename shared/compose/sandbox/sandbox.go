// Package sandbox composes the sandbox PSP's hosted checkout (test stages
// and make dev only).
package sandbox

import (
	"net/http"

	"github.com/paylinks/paylinks/shared/boot"
	"github.com/paylinks/paylinks/shared/psp/sandbox"
)

// Handler serves the sandbox checkout's pages with the Env's sandbox PSP
// (the one the redirect and the webhook ingest of the same Env use);
// nothing when the stage has no sandbox.
func Handler(e *boot.Env) http.Handler {
	mux := http.NewServeMux()
	st, p := e.Store(), e.SandboxPSP()
	if e.Config.SandboxEnabled {
		(&sandbox.Pages{Provider: p, Links: st, Merchants: st.GetMerchant, Now: e.Clock.Now}).Routes(mux)
	}
	return mux
}
