package structure

import (
	"slices"
	"testing"

	"github.com/paylinks/paylinks/shared/spec"
)

// openAPIPackage is the OpenAPI document and its handler: 147 KB of JSON
// that only the function serving GET /openapi.json carries.
const openAPIPackage = "shared/openapi"

// TestOnlyTheOpenAPIServerLinksTheDocument: the functions whose routes
// (shared/spec) include /openapi.json link shared/openapi, and no other
// function does.
func TestOnlyTheOpenAPIServerLinksTheDocument(t *testing.T) {
	g := load(t)
	servers := map[string]bool{}
	for _, f := range spec.Functions {
		if slices.ContainsFunc(f.Routes, func(r spec.Route) bool { return r.Path == "/openapi.json" }) {
			servers["functions/"+f.Name] = true
		}
	}
	if len(servers) == 0 {
		t.Fatal("no function of shared/spec routes /openapi.json")
	}
	for _, f := range functions(t, g) {
		links := slices.Contains(g.linked(t, f), openAPIPackage)
		switch {
		case servers[f] && !links:
			t.Errorf("%s serves /openapi.json but does not link %s", f, openAPIPackage)
		case !servers[f] && links:
			t.Errorf("%s does not serve /openapi.json but links %s: %s", f, openAPIPackage, g.chain(f, openAPIPackage))
		}
	}
}
