// Command webhook is the Lambda that takes PSP webhooks in: verify, record,
// enqueue, answer.
package main

import (
	"net/http"

	"github.com/paylinks/paylinks/shared/boot"
	"github.com/paylinks/paylinks/shared/compose/webhook"
)

func compose(e *boot.Env) http.Handler { return webhook.Handler(webhook.New(e)) }

func main() {
	e := boot.Start("webhook")
	boot.ServeHTTP(e, compose(e))
}
