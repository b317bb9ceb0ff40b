// Package api composes the integrator API's function (every /v1 route but
// the create and the account's, /openapi.json, /healthz).
package api

import (
	"net/http"

	"github.com/paylinks/paylinks/shared/boot"
	"github.com/paylinks/paylinks/shared/compose/reconcile"
	composesend "github.com/paylinks/paylinks/shared/compose/send"
	"github.com/paylinks/paylinks/shared/httpapi"
	"github.com/paylinks/paylinks/shared/openapi"
	"github.com/paylinks/paylinks/shared/refund"
	"github.com/paylinks/paylinks/shared/spec"
)

// New is the integrator API.
func New(e *boot.Env) *httpapi.API {
	a := httpapi.New(e.Store(), e.PublicBaseURL(), e.AuthCaches())
	a.Now = e.Clock.Now
	a.Codes = e.LinkCodes()
	a.Limits = httpapi.NewLimits(e.RateLimits())
	// The API records refunds and queues them; the refund worker talks to
	// the PSP.
	a.Refunds = &refund.Service{Store: e.Store(), Queue: e.Sender(spec.Refunds), Log: e.Log, Now: e.Clock.Now}
	a.Send = composesend.Enqueuer(e)
	a.Imports = e.Sender(spec.Imports)
	a.Members = e.Identity()
	a.Bank = reconcile.Uploads(e)
	a.Log = e.Log
	return a
}

// Handler is what the function serves.
func Handler(a *httpapi.API) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/v1/", a.Handler())
	mux.HandleFunc("GET /healthz", boot.Health)
	mux.HandleFunc("GET /openapi.json", openapi.Handler(a.PublicBaseURL))
	return mux
}
