// Package psps composes the PSP adapters, for the functions that talk to
// PSPs (the API, the redirect, the sandbox pages, the webhook ingest, the
// refund worker) and only them.
package psps

import (
	"github.com/paylinks/paylinks/shared/boot"
	"github.com/paylinks/paylinks/shared/psp"
	"github.com/paylinks/paylinks/shared/psp/mollie"
	"github.com/paylinks/paylinks/shared/psp/sandbox"
	"github.com/paylinks/paylinks/shared/psp/stripe"
	"github.com/paylinks/paylinks/shared/spec"
)

type adapters struct {
	registry psp.Registry
	sandbox  *sandbox.Provider
}

func of(e *boot.Env) *adapters {
	e.Use(spec.NeedPSPs)
	base := e.PublicBaseURL() // checkouts' return URLs, the sandbox's pages
	return e.Shared("psps", func() any {
		stripeAPI, mollieAPI := e.StripeAPI, e.MollieAPI
		if stripeAPI == "" {
			stripeAPI = "https://api.stripe.com"
		}
		if mollieAPI == "" {
			mollieAPI = "https://api.mollie.com"
		}
		a := &adapters{registry: psp.Registry{
			stripe.Name: &stripe.Provider{BaseURL: stripeAPI, PublicBaseURL: base},
			mollie.Name: &mollie.Provider{BaseURL: mollieAPI, PublicBaseURL: base},
		}, sandbox: &sandbox.Provider{BaseURL: base, Secret: e.Config.SandboxSecret, Sync: e.SandboxSync}}
		if e.Config.SandboxEnabled {
			a.registry[sandbox.Name] = a.sandbox
		}
		return a
	}).(*adapters)
}

// New are the PSP adapters: Stripe, Mollie, and the sandbox when the stage
// has it. One registry per Env.
func New(e *boot.Env) psp.Registry { return of(e).registry }

// Sandbox is the sandbox PSP (its pages serve only when the stage has it:
// Config.SandboxEnabled).
func Sandbox(e *boot.Env) *sandbox.Provider { return of(e).sandbox }
