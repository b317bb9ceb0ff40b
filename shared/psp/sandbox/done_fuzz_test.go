package sandbox

import (
	"html"
	"regexp"
	"strings"
	"testing"

	"github.com/paylinks/paylinks/shared/domain"
)

// hrefs finds the page's links.
var hrefs = regexp.MustCompile(`<a [^>]*href="([^"]*)"`)

// FuzzDonePage: whatever the link's code, redirect URL and language and the
// merchant's name and domains, the page after Pay or Decline is one
// document with no markup a value made (as many tags and quotes as with
// plain values), and one or two links that go only to https URLs or the
// link's own page.
func FuzzDonePage(f *testing.F) {
	f.Add("demo_0ERdK7vQ2mZ4xP9sV1bN6cT3h", "https://shop.example/thanks?o=1", "nl", "Bakkerij Peeters", "shop.example", true)
	f.Add(`a"><script>`, "javascript:alert(1)", "<x>", `</p><script>alert(1)</script>`, "evil.example/x", false)
	f.Add("../../x?y#z", "https://user@evil.example/", "fr", "%s %d &amp;", "", false)
	f.Fuzz(func(t *testing.T, code, redirectURL, language, merchant, dom string, paid bool) {
		l := &domain.Link{Code: code, RedirectURL: redirectURL, Language: language}
		v := doneView{Lang: lang(l), Paid: paid, Merchant: merchant}
		v.Back, v.ToMerchant = back(l, []string{dom}, paid)
		if !paid {
			v.Retry = code
		}
		var out strings.Builder
		writeDone(&out, v)
		// The same page with plain values has as many tags: no value made one.
		plain := v
		plain.Merchant, plain.Retry = "m", "c"
		if plain.Back.Href != "" {
			plain.Back.Href = "https://m.example/"
		} else {
			plain.Back.Code = "c"
		}
		var ref strings.Builder
		writeDone(&ref, plain)
		if strings.Count(out.String(), "<") != strings.Count(ref.String(), "<") || strings.Count(out.String(), `"`) != strings.Count(ref.String(), `"`) {
			t.Fatalf("a value made markup:\n%s", out.String())
		}
		links := hrefs.FindAllStringSubmatch(out.String(), -1)
		want := 1
		if !paid && v.ToMerchant {
			want = 2
		}
		if len(links) != want {
			t.Fatalf("%d links, want %d:\n%s", len(links), want, out.String())
		}
		for _, m := range links {
			switch h := html.UnescapeString(m[1]); {
			case strings.HasPrefix(h, "/l/"):
				if strings.ContainsAny(h[3:], "/?#") {
					t.Fatalf("the link's page %q leaves its path", h)
				}
			case !strings.HasPrefix(h, "https://") && h != "#ZgotmplZ":
				t.Fatalf("a link to %q", h)
			}
		}
	})
}
