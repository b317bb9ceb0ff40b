// Package create composes the function behind POST /v1/payment-links: the
// integrator API's hot path, alone.
package create

import (
	"net/http"

	"github.com/paylinks/paylinks/shared/boot"
	composesend "github.com/paylinks/paylinks/shared/compose/send"
	"github.com/paylinks/paylinks/shared/httpapi"
)

// New is the API with what creating a link uses: the store, the link-code
// key, the rate limits and the send queue (a send asked for at creation).
func New(e *boot.Env) *httpapi.API {
	a := httpapi.New(e.Store(), e.PublicBaseURL(), e.AuthCaches())
	a.Now = e.Clock.Now
	a.Codes = e.LinkCodes()
	a.Limits = httpapi.NewLimits(e.RateLimits())
	a.Send = composesend.Enqueuer(e)
	a.Members = e.Identity()
	a.Log = e.Log
	return a
}

// Handler serves POST /v1/payment-links only.
func Handler(a *httpapi.API) http.Handler { return a.CreateHandler() }
