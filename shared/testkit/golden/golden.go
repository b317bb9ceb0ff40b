// Package golden compares a test's output with a golden file (testdata),
// or rewrites the file when the test runs with its -update flag.
package golden

import (
	"os"
	"strings"
	"testing"
)

// Check fails t at the first line where got differs from the file at path;
// with update it writes got there instead.
func Check(t testing.TB, path, got string, update bool) {
	t.Helper()
	if update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if got == string(want) {
		return
	}
	g, w := strings.Split(got, "\n"), strings.Split(string(want), "\n")
	for i := 0; i < len(g) || i < len(w); i++ {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			t.Fatalf("%s differs at line %d:\n got  %q\n want %q", path, i+1, gl, wl)
		}
	}
}
