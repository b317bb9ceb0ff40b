// Command redirect is the Lambda behind the public links /l/{code}.
package main

import (
	"net/http"

	"github.com/paylinks/paylinks/shared/boot"
	"github.com/paylinks/paylinks/shared/compose/redirect"
)

func compose(e *boot.Env) http.Handler { return redirect.Handler(redirect.New(e)) }

func main() {
	e := boot.Start("redirect")
	boot.ServeHTTP(e, compose(e))
}
