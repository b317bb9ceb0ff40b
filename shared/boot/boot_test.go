package boot

import (
	"strings"
	"testing"
	"time"

	"github.com/paylinks/paylinks/shared/spec"
)

func TestVerifyCatchesBothWays(t *testing.T) {
	fn := spec.Function{Name: "t", Sends: []string{spec.Send}, Needs: spec.NeedTable | spec.NeedLinkCodes}
	for _, c := range []struct {
		name    string
		compose func(*Env)
		want    string // "" when it verifies
	}{
		{"exact", func(e *Env) { e.Store(); e.LinkCodes(); e.Sender(spec.Send) }, ""},
		{"undeclared queue", func(e *Env) { e.Store(); e.LinkCodes(); e.Sender(spec.Send); e.Sender(spec.Refunds) }, "uses the queue refunds"},
		{"undeclared need", func(e *Env) { e.Store(); e.LinkCodes(); e.Sender(spec.Send); e.Use(spec.NeedPSPs) }, "uses the PSPs"},
		{"unused queue", func(e *Env) { e.Store(); e.LinkCodes() }, "declares the queue send"},
		{"unused need", func(e *Env) { e.Store(); e.Sender(spec.Send) }, "declares the link-code key"},
	} {
		err := verify(fn, c.compose)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s: %v", c.name, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
		}
	}
}

func TestEverySpecFunctionIsKnown(t *testing.T) {
	if err := Verify("nope", func(*Env) {}); err == nil {
		t.Fatal("an unknown function verified")
	}
}

// The Env's clock is the wall clock until set; set, every reader of it
// (a method value taken before the Set, as compositions take it) moves.
func TestClockMovesEveryReader(t *testing.T) {
	var e Env
	now := e.Clock.Now // what a composition hands its part
	if d := time.Since(now()); d < 0 || d > time.Minute {
		t.Fatalf("zero clock %v away from the wall clock", d)
	}
	at := time.Date(2031, 5, 6, 7, 8, 9, 0, time.UTC)
	e.Clock.Set(func() time.Time { return at })
	if got := now(); !got.Equal(at) {
		t.Fatalf("after Set: %v, want %v", got, at)
	}
	e.Clock.Set(nil)
	if got := now(); got.Equal(at) {
		t.Fatal("Set(nil) kept the test clock")
	}
}

// A deployed function reads its options from the process environment:
// OUTBOUND_ALLOW_LOOPBACK=1 (the LocalStack stack's deliver) and nothing
// else lets outbound webhooks reach loopback.
func TestOptionsFromTheProcessEnvironment(t *testing.T) {
	for _, c := range []struct {
		loopback string
		want     bool
	}{{"", false}, {"0", false}, {"true", false}, {"1", true}} {
		env := map[string]string{EnvAllowLoopback: c.loopback, "STRIPE_API_BASE": "http://stripe.double", "MOLLIE_API_BASE": "http://mollie.double"}
		var e Env
		fromProcess(&e, func(k string) string { return env[k] })
		if e.AllowLoopbackWebhooks != c.want || e.StripeAPI != "http://stripe.double" || e.MollieAPI != "http://mollie.double" {
			t.Errorf("%s=%q: loopback %v (want %v), stripe %q, mollie %q", EnvAllowLoopback, c.loopback, e.AllowLoopbackWebhooks, c.want, e.StripeAPI, e.MollieAPI)
		}
	}
}

// The parts several compositions share are made once per Env: two
// compositions on one Env get the same, another Env its own.
func TestSharedPartsOncePerEnv(t *testing.T) {
	err := Verify("redirect", func(e *Env) {
		first, second := e.SandboxPSP(), e.SandboxPSP()
		if first != second {
			t.Error("two sandbox PSPs on one Env")
		}
		e.LinkCodes()
		other := New(e.Fn, e.Config, e.Store(), nil, nil, nil)
		if other.SandboxPSP() == e.SandboxPSP() {
			t.Error("two Envs share a sandbox PSP")
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	err = Verify("api", func(e *Env) {
		caches, verifier := e.AuthCaches(), e.Identity()
		if caches != e.AuthCaches() || verifier != e.Identity() {
			t.Error("the auth caches or the token check made twice on one Env")
		}
		e.PublicBaseURL()
		e.LinkCodes()
		e.RateLimits()
		e.Sender(spec.Refunds)
		e.Sender(spec.Send)
		e.Sender(spec.Imports)
		e.Sender(spec.Statements)
		e.StatementUploads()
	})
	if err != nil {
		t.Fatal(err)
	}
}
