package main

import (
	"testing"

	"github.com/paylinks/paylinks/shared/boot"
)

// The composition uses exactly what spec declares for reconcile: the
// stack's grants and environment, derived from spec, are what the code
// runs with.
func TestComposesWhatItDeclares(t *testing.T) {
	if err := boot.Verify("reconcile", func(e *boot.Env) { compose(e) }); err != nil {
		t.Fatal(err)
	}
}
