// Package dashboard composes the merchant dashboard's function (/dashboard):
// the store, the members' token check and the user pool. The function also
// answers the site's root (a redirect to /dashboard) and its favicon.
package dashboard

import (
	"net/http"

	"github.com/paylinks/paylinks/shared/boot"
	"github.com/paylinks/paylinks/shared/compose/pool"
	"github.com/paylinks/paylinks/shared/dashboard"
	"github.com/paylinks/paylinks/shared/favicon"
)

// New is the dashboard.
func New(e *boot.Env) *dashboard.Dashboard {
	return &dashboard.Dashboard{Store: e.Store(), Directory: pool.Directory(e), Tokens: e.Identity(), Now: e.Clock.Now, Log: e.Log,
		LinksOrigin: dashboard.Origin(e.PublicBaseURL())}
}

// Handler is what the function serves: / leads to /dashboard (302: the
// root may lead elsewhere one day, so browsers do not keep it),
// /favicon.ico is the icon, the rest the dashboard's.
func Handler(d *dashboard.Dashboard) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /{$}", http.RedirectHandler("/dashboard", http.StatusFound))
	mux.HandleFunc("GET "+favicon.Path, favicon.Serve)
	mux.Handle("/", d.Handler())
	return mux
}
