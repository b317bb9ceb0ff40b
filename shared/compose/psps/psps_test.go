package psps

import (
	"testing"

	"github.com/paylinks/paylinks/shared/boot"
	"github.com/paylinks/paylinks/shared/psp"
	"github.com/paylinks/paylinks/shared/spec"
)

// The adapters are the providers spec lists (what the API offers merchants
// without linking them), each test-only exactly when spec says so.
func TestAdaptersAreTheSpecsPSPs(t *testing.T) {
	err := boot.Verify("redirect", func(e *boot.Env) {
		reg := New(e)
		if len(reg) != len(spec.PSPs) {
			t.Errorf("%d adapters, spec lists %d", len(reg), len(spec.PSPs))
		}
		for _, p := range spec.PSPs {
			a, ok := reg[p.Name]
			if !ok {
				t.Errorf("no adapter for %s", p.Name)
				continue
			}
			if psp.Live(a) == p.TestOnly {
				t.Errorf("%s: live %v, spec test-only %v", p.Name, psp.Live(a), p.TestOnly)
			}
		}
		e.Store()
		e.LinkCodes()
	})
	if err != nil {
		t.Fatal(err)
	}
}
