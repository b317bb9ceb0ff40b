// Command dashboard is the merchant dashboard's Lambda: /dashboard, signed
// in with the members' user pool.
package main

import (
	"net/http"

	"github.com/paylinks/paylinks/shared/boot"
	"github.com/paylinks/paylinks/shared/compose/dashboard"
)

func compose(e *boot.Env) http.Handler { return dashboard.Handler(dashboard.New(e)) }

func main() {
	e := boot.Start("dashboard")
	boot.ServeHTTP(e, compose(e))
}
