package redirect

import (
	"flag"
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	goldenfile "github.com/paylinks/paylinks/shared/testkit/golden"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current renderer")

// pageData are the values a page shows: what a real link shows, and hostile
// values (markup, quotes, +, &, template actions, format verbs, NUL and
// noncharacters, URLs that are not http(s) or need percent-encoding).
var pageData = map[string]Page{
	"normal": {Merchant: "Bakkerij Peeters", Amount: "1.234,50\u00a0€", Description: "Taart & koffie",
		URL: "https://pay.example/l/demo_0ERdX4", QRURL: "https://pay.example/l/demo_0ERdX4/qr.png"},
	"hostile": {Merchant: `Bäckerei "Zum <b>Brot</b>" & Söhne's +1 {{.Lang}} %s %d %!`,
		Amount:      `1 234,50 € <script>alert(1)</script>`,
		Description: "</p><script>alert('x')</script> &amp; + {{index .T \"pay\"}} javascript:alert(1) \x00 \ufdd0 \xff",
		URL:         "javascript:alert(1)//https://x", QRURL: `https://evil.example/"onerror="alert(1)`},
	"urls": {Merchant: "", Amount: "", Description: "",
		URL:   "HTTPS://pay.example/l/a b?x=1&y='2'+(3)#frag<é>\"%20",
		QRURL: "data:text/html,<script>alert(1)</script>"},
	"schemes": {Merchant: "M", Amount: "1", Description: "d",
		URL: " javascript:alert(1)", QRURL: "vbscript:x"},
}

// TestPagesGolden renders every page kind in every language with each data
// set and compares it with the golden output, which html/template produced
// (`go test -run PagesGolden -update` rewrites it).
func TestPagesGolden(t *testing.T) {
	for name, d := range pageData {
		langs := []string{"en"}
		if name == "normal" {
			langs = []string{"en", "nl", "fr", "de", "xx"}
		}
		var out strings.Builder
		for _, lang := range langs {
			for _, kind := range []string{"preview", "paid", "expired", "done", "notfound", "error", "other"} {
				p := d
				p.Lang, p.Kind = lang, kind
				rec := httptest.NewRecorder()
				render(rec, 200, p)
				fmt.Fprintf(&out, "==== %s %s %s\n%s", name, lang, kind, rec.Body.String())
			}
		}
		golden(t, filepath.Join("testdata", "pages-"+name+".golden"), out.String())
	}
}

func golden(t *testing.T, path, got string) { t.Helper(); goldenfile.Check(t, path, got, *update) }
