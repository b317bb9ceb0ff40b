// Command api is the integrator API's Lambda: every /v1 route but the
// create, /openapi.json and /healthz.
package main

import (
	"net/http"

	"github.com/paylinks/paylinks/shared/boot"
	"github.com/paylinks/paylinks/shared/compose/api"
)

func compose(e *boot.Env) http.Handler { return api.Handler(api.New(e)) }

func main() {
	e := boot.Start("api")
	boot.ServeHTTP(e, compose(e))
}
