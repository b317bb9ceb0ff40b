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
// URL path must percent-encode), in each language and one unknown, and the
// done pages with each way back, and compares them with the golden output
// (`-update` rewrites it; the checkout's escaping was first html/template's).
func TestPagesGolden(t *testing.T) {
	views := map[string]checkoutView{
		"normal": {Session: "cs_eyJtIjoiZGVtbyJ9.AbC-_d", Amount: "€5.00", Description: "Taart & koffie", Merchant: "Bakkerij Peeters", Status: "clicked", Attempt: 2},
		"hostile": {Session: "cs_\"><script>alert(1)</script> é?x=1&y=2#f+%41'()", Amount: "<b>5</b> & +",
			Description: "</p><script>alert('x')</script> {{.Session}} javascript:alert(1) \x00 \ufdd0 \xff",
			Merchant:    `Bäckerei "Zum <b>Brot</b>" & Söhne's +1 %s`, Status: "<x>", Attempt: -1},
	}
	views["dutch"] = checkoutView{Lang: "nl", Session: "cs_nl", Amount: "€ 1.234,50", Description: "Taart & koffie", Merchant: "Bakkerij Peeters"}
	views["unknown language"] = checkoutView{Lang: "<x>", Session: "cs_x", Amount: "€5.00", Description: "d", Merchant: "m"}
	var out strings.Builder
	for _, name := range []string{"normal", "hostile", "dutch", "unknown language"} {
		fmt.Fprintf(&out, "==== checkout %s\n", name)
		writeCheckout(&out, views[name])
	}
	hostile := `Bäckerei "Zum <b>Brot</b>" & Söhne's +1 %s`
	done := map[string]doneView{
		"paid, back to the redirect URL": {Lang: "en", Paid: true, Merchant: "Demo Shop", Back: way{Href: "https://shop.example/thanks?order=1&x=\"<"}, ToMerchant: true},
		"paid nl, back to the link":      {Lang: "nl", Paid: true, Merchant: "Bakkerij Peeters", Back: way{Code: "bakkerij_0ERdK7vQ2mZ4xP9sV1bN6cT3h"}},
		"declined fr, back to the site":  {Lang: "fr", Merchant: hostile, Back: way{Href: "https://shop.example/"}, ToMerchant: true, Retry: "demo_x"},
		"declined de, no site":           {Lang: "de", Merchant: "m", Back: way{Code: "demo_x"}, Retry: "demo_x"},
		"hostile":                        {Lang: "<script>", Paid: true, Merchant: hostile, Back: way{Href: "javascript:alert(1)"}, ToMerchant: true},
		"hostile code":                   {Lang: "en", Merchant: hostile, Back: way{Code: "a\"><script>"}, Retry: "../../x?y#z"},
	}
	for _, name := range []string{"paid, back to the redirect URL", "paid nl, back to the link", "declined fr, back to the site", "declined de, no site", "hostile", "hostile code"} {
		fmt.Fprintf(&out, "==== done %s\n", name)
		writeDone(&out, done[name])
	}
	golden(t, filepath.Join("testdata", "pages.golden"), out.String())
}

func golden(t *testing.T, path, got string) { t.Helper(); goldenfile.Check(t, path, got, *update) }
