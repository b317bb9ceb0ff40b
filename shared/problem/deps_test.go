package problem_test

import (
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/paylinks/paylinks/shared/"

// projectDeps lists the project's packages pkg depends on, directly or not.
func projectDeps(t *testing.T, pkg string) []string {
	t.Helper()
	out, err := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}}", module+pkg).Output()
	if err != nil {
		t.Fatalf("go list -deps %s: %v", pkg, err)
	}
	var deps []string
	for _, p := range strings.Fields(string(out)) {
		if strings.HasPrefix(p, module) && p != module+pkg {
			deps = append(deps, strings.TrimPrefix(p, module))
		}
	}
	return deps
}

// TestProblemDependsOnDomainOnly: the error writer links no adapter (store,
// send and through them the AWS SDKs): only domain and what domain uses.
func TestProblemDependsOnDomainOnly(t *testing.T) {
	allowed := map[string]bool{"domain": true}
	for _, d := range projectDeps(t, "domain") {
		allowed[d] = true
	}
	for _, d := range projectDeps(t, "problem") {
		if !allowed[d] {
			t.Errorf("problem depends on %s; it may depend on domain only", d)
		}
	}
}

// TestAdaptersDependDownward: the store does not know the PSP port, and one
// PSP adapter does not link another.
func TestAdaptersDependDownward(t *testing.T) {
	forbidden := map[string][]string{
		"store":       {"psp", "psp/stripe", "psp/mollie", "psp/sandbox"},
		"psp/sandbox": {"psp/stripe", "psp/mollie"},
		"psp/stripe":  {"psp/sandbox", "psp/mollie"},
		"psp/mollie":  {"psp/sandbox", "psp/stripe"},
		"domain":      {"store", "send", "merchant", "psp", "httpapi", "problem", "channel"},
	}
	for pkg, bad := range forbidden {
		deps := map[string]bool{}
		for _, d := range projectDeps(t, pkg) {
			deps[d] = true
		}
		for _, b := range bad {
			if deps[b] {
				t.Errorf("%s depends on %s", pkg, b)
			}
		}
	}
}
