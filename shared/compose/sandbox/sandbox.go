// Package sandbox composes the sandbox PSP's hosted checkout (test stages
// and make dev only).
package sandbox

import (
	"net/http"

	"github.com/paylinks/paylinks/shared/boot"
	"github.com/paylinks/paylinks/shared/compose/psps"
	"github.com/paylinks/paylinks/shared/psp/sandbox"
)

// Handler serves the sandbox checkout's pages; nothing when the stage has
// no sandbox.
func Handler(e *boot.Env) http.Handler {
	mux := http.NewServeMux()
	st, p := e.Store(), psps.Sandbox(e)
	if e.Config.SandboxEnabled {
		(&sandbox.Pages{Provider: p, Links: st, Merchants: st.GetMerchant}).Routes(mux)
	}
	return mux
}
