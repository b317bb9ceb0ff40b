package dashboard

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestEveryStringInTheCatalog: every t(...) call of the dashboard's code has
// its English string (a missing one would show its key to a person).
func TestEveryStringInTheCatalog(t *testing.T) {
	files, _ := filepath.Glob("*.go")
	use := regexp.MustCompile(`\bt\("([a-z_]+)"\)`)
	n := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range use.FindAllStringSubmatch(string(src), -1) {
			n++
			if _, ok := catalog["en"][m[1]]; !ok {
				t.Errorf("%s: t(%q) has no English string", f, m[1])
			}
		}
	}
	if n < 20 {
		t.Fatalf("only %d strings found", n)
	}
}
