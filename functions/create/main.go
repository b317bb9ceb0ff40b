// Command create is the Lambda behind POST /v1/payment-links.
package main

import (
	"net/http"

	"github.com/paylinks/paylinks/shared/boot"
	"github.com/paylinks/paylinks/shared/compose/create"
)

func compose(e *boot.Env) http.Handler { return create.Handler(create.New(e)) }

func main() {
	e := boot.Start("create")
	boot.ServeHTTP(e, compose(e))
}
