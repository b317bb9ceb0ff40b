// Command account is the merchant account's Lambda: settings, API keys,
// webhook deliveries and the audit log.
package main

import (
	"net/http"

	"github.com/paylinks/paylinks/shared/boot"
	"github.com/paylinks/paylinks/shared/compose/account"
)

func compose(e *boot.Env) http.Handler { return account.Handler(account.New(e)) }

func main() {
	e := boot.Start("account")
	boot.ServeHTTP(e, compose(e))
}
