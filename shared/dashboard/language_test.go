package dashboard_test

import (
	"encoding/json"
	"html"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
)

// catalogOf is a language's strings as the dashboard shows them: its
// catalog, English where it lacks a key (TestCatalogsComplete holds each
// whole).
func catalogOf(t *testing.T, lang string) map[string]string {
	t.Helper()
	m := map[string]string{}
	for _, file := range []string{"en", lang} {
		raw, err := os.ReadFile("strings/" + file + ".json")
		if err != nil {
			t.Fatalf("catalog %s: %v", file, err)
		}
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatalf("catalog %s: %v", file, err)
		}
	}
	return m
}

// getWith is a GET of a page with the browser's Accept-Language header.
func (b *browser) getWith(path, acceptLanguage string) (int, string) {
	b.t.Helper()
	req, _ := http.NewRequest("GET", b.base+path, nil)
	if acceptLanguage != "" {
		req.Header.Set("Accept-Language", acceptLanguage)
	}
	resp, raw := b.send(req)
	for _, c := range resp.Cookies() {
		b.cookies[c.Name] = c
	}
	return resp.StatusCode, string(raw)
}

var (
	htmlLang   = regexp.MustCompile(`<html lang="([a-z]+)">`)
	stringsTag = regexp.MustCompile(`<script type="application/json" id="strings">([^<]*)</script>`)
	titleTag   = regexp.MustCompile(`<h1>([^<]*)</h1>`)
)

// pageLanguage is a page's <html lang>, its <h1> and its catalog's
// sign_out string (none for a page without a script).
func pageLanguage(t *testing.T, page string) (lang, h1, signOut string) {
	t.Helper()
	if m := htmlLang.FindStringSubmatch(page); m != nil {
		lang = m[1]
	}
	if m := titleTag.FindStringSubmatch(page); m != nil {
		h1 = html.UnescapeString(m[1])
	}
	if m := stringsTag.FindStringSubmatch(page); m != nil {
		var s map[string]string
		if err := json.Unmarshal([]byte(m[1]), &s); err != nil {
			t.Fatalf("#strings: %v", err)
		}
		signOut = s["sign_out"]
	}
	return lang, h1, signOut
}

// TestSignInInTheBrowsersLanguage: before anyone is signed in, the
// browser's Accept-Language decides the page's language (by q-value, the
// first of en, nl, fr, de; English otherwise).
func TestSignInInTheBrowsersLanguage(t *testing.T) {
	p := newPeople(t)
	anon := p.browser(t)
	fr, nl, en := catalogOf(t, "fr"), catalogOf(t, "nl"), catalogOf(t, "en")
	for _, c := range []struct{ header, lang, h1 string }{
		{"", "en", en["sign_in"]},
		{"fr-BE,fr;q=0.9,en;q=0.8", "fr", fr["sign_in"]},
		{"es-ES, en;q=0.3, nl;q=0.7", "nl", nl["sign_in"]},
		{"it, es;q=0.5", "en", en["sign_in"]},
	} {
		st, page := anon.getWith("/dashboard/sign-in", c.header)
		if lang, h1, _ := pageLanguage(t, page); st != 200 || lang != c.lang || h1 != c.h1 {
			t.Errorf("sign-in with Accept-Language %q: %d, lang %q, h1 %q; want %q, %q", c.header, st, lang, h1, c.lang, c.h1)
		}
	}
}

// refusedLanguages: PATCH /v1/members/me refuses a language the dashboard
// does not speak (422 on language) and a change without the session's
// CSRF token (403), writing nothing.
func refusedLanguages(t *testing.T, b *browser, csrf string) {
	t.Helper()
	for _, bad := range []string{`{"language":"es"}`, `{"language":"NL"}`, `{"language":7}`, `{}`} {
		st, pr := b.call("PATCH", "/v1/members/me", bad, csrf)
		errs, _ := pr["errors"].([]any)
		if st != 422 || len(errs) != 1 || errs[0].(map[string]any)["field"] != "language" {
			t.Errorf("PATCH %s: %d %v, want 422 on language", bad, st, pr)
		}
	}
	if st, pr := b.call("PATCH", "/v1/members/me", `{"language":"nl"}`, ""); st != 403 {
		t.Errorf("PATCH without the CSRF token: %d %v", st, pr)
	}
	if _, me := b.call("GET", "/v1/members/me", "", ""); me["language"] != nil {
		t.Fatalf("a refused PATCH wrote %v", me["language"])
	}
}

// pagesIn: the signed-in pages are in lang whatever the browser asks
// (French here): <html lang>, the header's words, the catalog; a page
// not found too.
func pagesIn(t *testing.T, b *browser, lang string) {
	t.Helper()
	words := catalogOf(t, lang)
	for _, path := range []string{"/dashboard", "/dashboard/settings", "/dashboard/customers"} {
		_, page := b.getWith(path, "fr;q=0.9, de;q=0.5")
		if got, _, signOut := pageLanguage(t, page); got != lang || signOut != words["sign_out"] || !strings.Contains(page, ">"+html.EscapeString(words["sign_out"])+"<") {
			t.Errorf("%s after choosing %s: lang %q", path, lang, got)
		}
	}
	_, page := b.getWith("/dashboard", "fr")
	if _, h1, _ := pageLanguage(t, page); h1 != words["title_links"] {
		t.Errorf("the overview's title in %s: %q", lang, h1)
	}
	if st, page := b.getWith("/dashboard/nowhere", "fr"); st != 404 {
		t.Errorf("a page that is not there: %d", st)
	} else if got, h1, _ := pageLanguage(t, page); got != lang || h1 != words["not_found"] {
		t.Errorf("not found after choosing %s: lang %q, h1 %q", lang, got, h1)
	}
}

// TestMemberLanguage: before a choice the browser's language decides the
// signed-in pages too; GET /v1/members/me shows the member's own choice
// (none yet), PATCH sets it (refusedLanguages), and from then on every
// page is in it whatever the browser says (pagesIn); null gives the
// choice back to the browser. An API key is no member: 403.
func TestMemberLanguage(t *testing.T) {
	p := newPeople(t)
	fr := catalogOf(t, "fr")
	key, owner := signedInOwner(t, p, "shop-lang")
	csrf := owner.sessionCSRF()
	_, page := owner.getWith("/dashboard", "fr;q=0.9, de;q=0.5")
	if lang, h1, signOut := pageLanguage(t, page); lang != "fr" || h1 != fr["title_links"] || signOut != fr["sign_out"] {
		t.Fatalf("before a choice, the browser's French: lang %q, h1 %q, sign out %q", lang, h1, signOut)
	}
	if st, me := owner.call("GET", "/v1/members/me", "", ""); st != 200 || me["email"] != "owner@shop-lang.example" || me["language"] != nil {
		t.Fatalf("GET /v1/members/me before a choice: %d %v", st, me)
	}
	refusedLanguages(t, owner, csrf)
	if st, me := owner.call("PATCH", "/v1/members/me", `{"language":"nl"}`, csrf); st != 200 || me["language"] != "nl" {
		t.Fatalf("PATCH nl: %d %v", st, me)
	}
	if st, me := owner.call("GET", "/v1/members/me", "", ""); st != 200 || me["language"] != "nl" {
		t.Fatalf("GET after PATCH nl: %d %v", st, me)
	}
	pagesIn(t, owner, "nl")
	if st, me := owner.call("PATCH", "/v1/members/me", `{"language":null}`, csrf); st != 200 || me["language"] != nil {
		t.Fatalf("PATCH null: %d %v", st, me)
	}
	_, page = owner.getWith("/dashboard", "de-DE,de;q=0.9")
	if lang, _, _ := pageLanguage(t, page); lang != "de" {
		t.Fatalf("after null, the browser's German: %q", lang)
	}
	for _, method := range []string{"GET", "PATCH"} {
		if st, pr := p.api(t, method, "/v1/members/me", key, `{"language":"nl"}`, nil); st != 403 {
			t.Errorf("an API key: %s /v1/members/me: %d %v", method, st, pr)
		}
	}
}

// TestSignInRefusalInTheBrowsersLanguage: the sign-in's refusal (a wrong
// password) is said in the page's language, not in the user pool's
// English.
func TestSignInRefusalInTheBrowsersLanguage(t *testing.T) {
	p := newPeople(t)
	email := demoMember(t, p, "viewer")
	nl := catalogOf(t, "nl")
	b := p.browser(t)
	_, page := b.getWith("/dashboard/sign-in", "nl-BE")
	form := url.Values{"csrf": {field(t, csrfField, page)}, "email": {email}, "password": {"Not-the-password-2026!"}}
	req, _ := http.NewRequest("POST", b.base+"/dashboard/sign-in", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept-Language", "nl-BE")
	resp, raw := b.send(req)
	if want := nl["sign_in_wrong"]; want == "" || resp.StatusCode != http.StatusUnauthorized || !strings.Contains(string(raw), html.EscapeString(want)) ||
		strings.Contains(string(raw), "password is wrong") {
		t.Fatalf("a wrong password, in Dutch: %d\n%s", resp.StatusCode, raw)
	}
}
