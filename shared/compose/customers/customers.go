// Package customers composes the customers function: /v1/customers
// (httpapi.CustomerRoutes).
package customers

import (
	"net/http"

	"github.com/paylinks/paylinks/shared/boot"
	"github.com/paylinks/paylinks/shared/httpapi"
	"github.com/paylinks/paylinks/shared/spec"
)

// New is the API with what the customers' routes use: the store (the
// sealer to read merchants), the public base URL (their links' views), the
// rate limits, the members' token check and the import queue.
func New(e *boot.Env) *httpapi.API {
	a := httpapi.New(e.Store(), e.PublicBaseURL(), e.AuthCaches())
	a.Now = e.Clock.Now
	a.Limits = httpapi.NewLimits(e.RateLimits())
	a.Members = e.Identity()
	// The customers' CSV import queues its rows for the import worker.
	a.Imports = e.Sender(spec.Imports)
	a.Log = e.Log
	return a
}

// Handler serves the customers routes.
func Handler(a *httpapi.API) http.Handler { return a.CustomersHandler() }
