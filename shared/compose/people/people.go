// Package people composes the people function behind /v1/members: inviting
// people into the user pool and managing their roles (httpapi.MemberRoutes).
package people

import (
	"net/http"

	"github.com/paylinks/paylinks/shared/boot"
	"github.com/paylinks/paylinks/shared/compose/pool"
	"github.com/paylinks/paylinks/shared/httpapi"
)

// New is the API with what managing members uses: the store, the rate
// limits, the members' token check and the user pool.
func New(e *boot.Env) *httpapi.API {
	a := httpapi.New(e.Store(), "", e.AuthCaches())
	a.Now = e.Clock.Now
	a.Limits = httpapi.NewLimits(e.RateLimits())
	a.Members = e.Identity()
	a.Directory = pool.Directory(e)
	a.Log = e.Log
	return a
}

// Handler serves the members routes.
func Handler(a *httpapi.API) http.Handler { return a.MembersHandler() }
