package httpapi_test

import (
	"flag"
	"os"
	"strings"
	"testing"

	"github.com/paylinks/paylinks/shared/httpapi"
)

var updateDocs = flag.Bool("update-docs", false, "write docs/permissions.md's table from the route table")

const permDoc = "../../docs/permissions.md"

// TestPermissionsDocument holds docs/permissions.md's table to the route
// table (go test ./shared/httpapi -run TestPermissionsDocument -update-docs
// writes it).
func TestPermissionsDocument(t *testing.T) {
	raw, err := os.ReadFile(permDoc)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(raw)
	const begin, end = "<!-- routes: generated from the route table -->\n", "<!-- end of routes -->"
	i, j := strings.Index(doc, begin), strings.Index(doc, end)
	if i < 0 || j < i {
		t.Fatalf("%s lacks the markers %q and %q", permDoc, begin, end)
	}
	want := doc[:i+len(begin)] + httpapi.PermissionTable() + doc[j:]
	if *updateDocs {
		if err := os.WriteFile(permDoc, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if doc != want {
		t.Fatalf("%s is not the route table's: run go test ./shared/httpapi -run TestPermissionsDocument -update-docs", permDoc)
	}
}
