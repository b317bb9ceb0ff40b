// Package account composes the account function: the merchant's settings,
// API keys, webhook deliveries and audit log (httpapi.AccountRoutes).
package account

import (
	"net/http"

	"github.com/paylinks/paylinks/shared/boot"
	"github.com/paylinks/paylinks/shared/httpapi"
	"github.com/paylinks/paylinks/shared/outbound"
	"github.com/paylinks/paylinks/shared/spec"
)

// New is the API with what the account's routes use: the store (sealing
// secrets of the settings), the PSPs' names, the rate limits, the members'
// token check, the outbound webhooks queue (a retried delivery) and the
// guard on the webhook endpoints merchants set (no private address;
// loopback when the Env allows it).
func New(e *boot.Env) *httpapi.API {
	a := httpapi.New(e.Store(), "", e.AuthCaches())
	a.Now = e.Clock.Now
	a.WebhookGuard = outbound.Guard{AllowLoopback: e.AllowLoopbackWebhooks}
	a.Limits = httpapi.NewLimits(e.RateLimits())
	a.PSPNames = e.PSPNames()
	a.Webhooks = e.Sender(spec.Webhooks)
	a.Members = e.Identity()
	a.Log = e.Log
	return a
}

// Handler serves the account routes.
func Handler(a *httpapi.API) http.Handler { return a.AccountHandler() }
