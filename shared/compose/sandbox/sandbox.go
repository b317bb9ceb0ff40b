// Package sandbox composes the sandbox PSP's hosted checkout (test stages
// and make dev only).
package sandbox

import (
	"net/http"

	"github.com/paylinks/paylinks/shared/boot"
	"github.com/paylinks/paylinks/shared/psp/sandbox"
)

// Handler serves the sandbox checkout's pages; nothing when the stage has
// no sandbox.
func Handler(e *boot.Env) http.Handler {
	mux := http.NewServeMux()
	st, p := e.Store(), e.Sandbox()
	if e.Config.SandboxEnabled {
		(&sandbox.Pages{Provider: p, Links: st, Merchants: st.GetMerchant}).Routes(mux)
	}
	return mux
}
