// Command sandbox is the Lambda of the sandbox PSP's hosted checkout (not
// deployed in prod).
package main

import (
	"net/http"

	"github.com/paylinks/paylinks/shared/boot"
	"github.com/paylinks/paylinks/shared/compose/sandbox"
)

func compose(e *boot.Env) http.Handler { return sandbox.Handler(e) }

func main() {
	e := boot.Start("sandbox")
	boot.ServeHTTP(e, compose(e))
}
