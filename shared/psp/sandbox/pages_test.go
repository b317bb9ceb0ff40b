package sandbox

import (
	"flag"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	goldenfile "github.com/paylinks/paylinks/shared/testkit/golden"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current renderer")

// TestPagesGolden renders the checkout with real and hostile values
// (markup, quotes, +, &, template actions, NUL, a session with characters a
// URL path must percent-encode) and the done pages, and compares them with
// the golden output, which html/template produced (`-update` rewrites it).
func TestPagesGolden(t *testing.T) {
	views := map[string]checkoutView{
		"normal": {Session: "cs_eyJtIjoiZGVtbyJ9.AbC-_d", Amount: "€5.00", Description: "Taart & koffie", Merchant: "Bakkerij Peeters", Status: "clicked", Attempt: 2},
		"hostile": {Session: "cs_\"><script>alert(1)</script> é?x=1&y=2#f+%41'()", Amount: "<b>5</b> & +",
			Description: "</p><script>alert('x')</script> {{.Session}} javascript:alert(1) \x00 \ufdd0 \xff",
			Merchant:    `Bäckerei "Zum <b>Brot</b>" & Söhne's +1 %s`, Status: "<x>", Attempt: -1},
	}
	var out strings.Builder
	for _, name := range []string{"normal", "hostile"} {
		fmt.Fprintf(&out, "==== checkout %s\n", name)
		writeCheckout(&out, views[name])
	}
	for _, result := range []string{"paid", "declined", "<script>"} {
		fmt.Fprintf(&out, "==== done %s\n", result)
		writeDone(&out, result)
	}
	golden(t, filepath.Join("testdata", "pages.golden"), out.String())
}

func golden(t *testing.T, path, got string) { t.Helper(); goldenfile.Check(t, path, got, *update) }
