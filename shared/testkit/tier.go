// Package testkit is the gate between the two tiers of tests. The fast tier
// (`go test -short ./...`, `make test-short`) runs what needs nothing outside
// the test process: the domain, money, validation, parsers, templates, fuzz
// seeds, structure rules, handlers against fakes. The integration tier (`make
// test`) runs everything, against the emulators and Chromium.
//
// The shared helpers call the gate (testenv's table, queue and pool makers
// through testenv.AWSConfig, the browser), so a test that uses them needs no
// edit; a test that reaches something outside the process by itself (its own
// client, a built function, a tool on the PATH) calls Needs first.
// infra/structure's TestFastTierNeedsNothingOutsideTheProcess holds both.
package testkit

import "testing"

// What the integration tier reaches, named in the skip reason.
const (
	Emulators = "the emulators (DynamoDB Local, moto, ElasticMQ; make emulators-start)"
	Chromium  = "Chromium (make browser-deps)"
	Build     = "a build of the functions"
	Network   = "tools or services outside the process"
)

// Needs skips the test under -short, saying what it needs: the fast tier
// runs only what needs nothing outside the process.
func Needs(t testing.TB, what string) {
	t.Helper()
	if testing.Short() {
		t.Skipf("integration tier (skipped under -short): needs %s", what)
	}
}
