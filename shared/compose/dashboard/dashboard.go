// Package dashboard composes the merchant dashboard's function (/dashboard):
// the store, the members' token check and the user pool.
package dashboard

import (
	"net/http"

	"github.com/paylinks/paylinks/shared/boot"
	"github.com/paylinks/paylinks/shared/compose/pool"
	"github.com/paylinks/paylinks/shared/dashboard"
)

// New is the dashboard.
func New(e *boot.Env) *dashboard.Dashboard {
	return &dashboard.Dashboard{Store: e.Store(), Directory: pool.Directory(e), Tokens: e.Identity(), Now: e.Clock.Now, Log: e.Log,
		LinksOrigin: dashboard.Origin(e.PublicBaseURL())}
}

// Handler is what the function serves.
func Handler(d *dashboard.Dashboard) http.Handler { return d.Handler() }
