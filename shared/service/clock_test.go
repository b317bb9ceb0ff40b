package service_test

import (
	"testing"
	"time"

	"github.com/paylinks/paylinks/shared/testkit/testenv"
)

// Every part composed on the service's Env reads the Env's clock: a test
// that moves it moves them all, with nothing set after composition.
func TestEveryPartReadsTheEnvsClock(t *testing.T) {
	env := testenv.New(t)
	s := env.Serve(t).Service
	at := time.Date(2031, 3, 4, 5, 6, 7, 0, time.UTC)
	s.Env.Clock.Set(func() time.Time { return at })
	t.Cleanup(func() { s.Env.Clock.Set(nil) })
	for name, now := range map[string]func() time.Time{
		"API": s.API.Now, "API's refunds": s.API.Refunds.Now, "Create": s.Create.Now, "Account": s.Account.Now, "People": s.People.Now,
		"Customers": s.Customers.Now, "Dashboard": s.Dashboard.Now, "Redirect": s.Redirect.Now, "Ingest": s.Ingest.Now, "Apply": s.Apply.Now,
		"Refunds": s.Refunds.Now, "Send": s.Send.Now, "Imports": s.Imports.Now, "Sweeper": s.Sweeper.Now, "Stream": s.Stream.Now,
		"Webhooks": s.Webhooks.Now, "Reconcile": s.Reconcile.Now,
	} {
		if got := now(); !got.Equal(at) {
			t.Errorf("%s reads %v, not the Env's clock (%v)", name, got, at)
		}
	}
}
