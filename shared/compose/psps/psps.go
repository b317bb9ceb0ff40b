// Package psps composes the PSP adapters, for the functions that talk to
// PSPs (the redirect, the sandbox pages, the webhook ingest, the refund
// worker) and only them.
package psps

import (
	"github.com/paylinks/paylinks/shared/boot"
	"github.com/paylinks/paylinks/shared/psp"
	"github.com/paylinks/paylinks/shared/psp/mollie"
	"github.com/paylinks/paylinks/shared/psp/sandbox"
	"github.com/paylinks/paylinks/shared/psp/stripe"
	"github.com/paylinks/paylinks/shared/spec"
)

// New are the PSP adapters: Stripe and Mollie (stateless: their API bases
// and the public base URL the checkouts return to), and the Env's sandbox
// PSP when the stage has it (boot.Env.SandboxPSP, the one adapter with
// state, made once per Env).
func New(e *boot.Env) psp.Registry {
	e.Use(spec.NeedPSPs)
	base := e.PublicBaseURL() // checkouts' return URLs
	stripeAPI, mollieAPI := e.StripeAPI, e.MollieAPI
	if stripeAPI == "" {
		stripeAPI = "https://api.stripe.com"
	}
	if mollieAPI == "" {
		mollieAPI = "https://api.mollie.com"
	}
	reg := psp.Registry{
		stripe.Name: &stripe.Provider{BaseURL: stripeAPI, PublicBaseURL: base},
		mollie.Name: &mollie.Provider{BaseURL: mollieAPI, PublicBaseURL: base},
	}
	if e.Config.SandboxEnabled {
		reg[sandbox.Name] = e.SandboxPSP()
	}
	return reg
}
