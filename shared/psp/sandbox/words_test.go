package sandbox

import (
	"math/rand/v2"
	"net/url"
	"strings"
	"testing"

	"github.com/paylinks/paylinks/shared/domain"
)

// Every language a link may have has every word, none left in English,
// with the same "%s" as English's.
func TestWordsInEveryLanguage(t *testing.T) {
	en := words["en"]
	if len(words) != len(domain.Languages) {
		t.Errorf("words in %d languages, links have %d (%v)", len(words), len(domain.Languages), domain.Languages)
	}
	for _, lang := range domain.Languages {
		w, ok := words[lang]
		if !ok {
			t.Errorf("no words in %s", lang)
			continue
		}
		if len(w) != len(en) {
			t.Errorf("%s has %d words, en %d", lang, len(w), len(en))
		}
		for k, v := range en {
			got, ok := w[k]
			switch {
			case !ok || strings.TrimSpace(got) == "":
				t.Errorf("%s: no %q", lang, k)
			case lang != "en" && got == v:
				t.Errorf("%s: %q is still English (%q)", lang, k, got)
			case strings.Count(got, "%s") != strings.Count(v, "%s") || strings.Count(got, "%") != strings.Count(v, "%"):
				t.Errorf("%s: %q has other placeholders than English: %q", lang, k, got)
			}
		}
	}
}

// The pages' language is the link's when it is one of the languages, else
// English, over generated languages.
func TestLangOfLink(t *testing.T) {
	r := rand.New(rand.NewPCG(32, 5))
	cands := append([]string{"", "EN", "nl-BE", "xx", "<x>", "fr ", "d"}, domain.Languages...)
	for range 1000 {
		l := cands[r.IntN(len(cands))]
		want := "en"
		if domain.ValidLanguage(l) {
			want = l
		}
		if got := lang(&domain.Link{Language: l}); got != want || words[got] == nil {
			t.Fatalf("lang(%q) = %q, want %q", l, got, want)
		}
	}
	if lang(nil) != "en" {
		t.Fatal("no link: not English")
	}
}

// back, over generated links and merchants: after a payment with a
// redirect URL, that URL; otherwise an https origin of the redirect URL's
// host or of the merchant's first redirect domain, and only when there is
// none the link's own page. It never leads to a host neither names, never
// to anything but https or the link's page.
func TestWayBack(t *testing.T) {
	r := rand.New(rand.NewPCG(32, 6))
	redirects := []string{"", "https://shop.example/thanks?o=1", "https://pay.shop.example:8443/x", "http://shop.example/x",
		"javascript:alert(1)", "https://user@evil.example/", "https:///nohost", "::bad", "https://shop.example"}
	domainSets := [][]string{nil, {}, {"shop.example"}, {"www.bakkerij.example", "shop.example"}, {""}, {"evil.example/path"}, {"a@b.example"}}
	for range 2000 {
		l := &domain.Link{Code: "demo_" + strings.Repeat("x", r.IntN(5)), RedirectURL: redirects[r.IntN(len(redirects))]}
		domains := domainSets[r.IntN(len(domainSets))]
		paid := r.IntN(2) == 0
		w, toMerchant := back(l, domains, paid)
		if why := wrongWay(l, domains, paid, w, toMerchant); why != "" {
			t.Fatalf("redirect URL %q, domains %q, paid %v: back to %+v (merchant %v): %s", l.RedirectURL, domains, paid, w, toMerchant, why)
		}
	}
}

// allowedHosts are the hosts the link and its merchant name: the redirect
// URL's (https, no user) and the first redirect domain.
func allowedHosts(l *domain.Link, domains []string) map[string]bool {
	allowed := map[string]bool{}
	if u, err := url.Parse(l.RedirectURL); err == nil && u.Scheme == "https" && u.Host != "" && u.User == nil {
		allowed[u.Host] = true
	}
	if len(domains) > 0 && domains[0] != "" {
		allowed[domains[0]] = true
	}
	return allowed
}

// isOrigin reports href is "https://<an allowed host>/".
func isOrigin(href string, allowed map[string]bool) bool {
	u, err := url.Parse(href)
	return err == nil && u.Scheme == "https" && u.Path == "/" && u.RawQuery == "" && u.User == nil && allowed[u.Host]
}

// wrongWay says what is wrong with the way back w, "" when nothing is.
func wrongWay(l *domain.Link, domains []string, paid bool, w way, toMerchant bool) string {
	allowed := allowedHosts(l, domains)
	switch {
	case w.Href == "" && (toMerchant || w.Code != l.Code):
		return "the link's page, said to be the merchant's, or another link's"
	case w.Href == "" && (site(l.RedirectURL, domains) != "" || (paid && allowed[hostOf(l.RedirectURL)])):
		return "the link's page though the merchant's site is known"
	case w.Href == "":
		return ""
	case paid && w.Href == l.RedirectURL:
		if !toMerchant || !allowed[hostOf(l.RedirectURL)] {
			return "a redirect URL of no allowed host"
		}
	case !toMerchant || !isOrigin(w.Href, allowed):
		return "not the https origin of an allowed host"
	}
	return ""
}

func hostOf(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return ""
	}
	return u.Host
}
