package boot

import (
	"strings"
	"testing"

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
