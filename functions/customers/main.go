// Command customers is the customers' Lambda: /v1/customers.
package main

import (
	"net/http"

	"github.com/paylinks/paylinks/shared/boot"
	"github.com/paylinks/paylinks/shared/compose/customers"
)

func compose(e *boot.Env) http.Handler { return customers.Handler(customers.New(e)) }

func main() {
	e := boot.Start("customers")
	boot.ServeHTTP(e, compose(e))
}
