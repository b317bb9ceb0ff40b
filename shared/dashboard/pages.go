package dashboard

import (
	"context"
	"net/http"
	"strings"

	"github.com/paylinks/paylinks/shared/domain"

	"github.com/paylinks/paylinks/shared/htmlsafe"
)

// e escapes text and attribute values.
var e = htmlsafe.Text

// catalog holds the dashboard's strings by language, one file per
// language in strings/ (the pages' scripts get the same file): English is
// complete and the fallback; nl, fr and de beside it (TestCatalogsComplete
// holds them whole).
var catalog = map[string]map[string]string{}

// catalogJSON is each language's catalog as the pages' scripts read it,
// made once: the language's strings over English's (json.Marshal escapes
// <, > and &: safe inside a script element).
var catalogJSON = map[string]string{}

// words is a language of the dashboard (en, nl, fr, de): the strings of a
// page in it.
type words string

// t is the string of key in the language (English's when its catalog
// lacks it, the key itself when English does too, which a test forbids).
func (l words) t(key string) string {
	if s, ok := catalog[string(l)][key]; ok {
		return s
	}
	if s, ok := catalog["en"][key]; ok {
		return s
	}
	return key
}

// tf is t with its {name} placeholders filled, pairs of name and value.
func (l words) tf(key string, pairs ...string) string {
	s := l.t(key)
	for i := 0; i+1 < len(pairs); i += 2 {
		s = strings.ReplaceAll(s, "{"+pairs[i]+"}", pairs[i+1])
	}
	return s
}

type langKey struct{}

// withLanguage is the request with the language its pages speak.
func withLanguage(r *http.Request, lang string) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), langKey{}, words(lang)))
}

// langOf is the language of the request's pages: the member's choice
// (session), else the browser's (Accept-Language); English when that has
// no catalog.
func langOf(r *http.Request) words {
	l, ok := r.Context().Value(langKey{}).(words)
	if !ok {
		l = browserLanguage(r)
	}
	if _, ok := catalog[string(l)]; !ok {
		return "en"
	}
	return l
}

// browserLanguage is the language the browser asks for, English when it
// names none the dashboard speaks.
func browserLanguage(r *http.Request) words {
	if l := domain.PreferredLanguage(r.Header.Get("Accept-Language")); l != "" {
		return words(l)
	}
	return "en"
}

// chosenLanguage is the language the signed-in person chose in the
// merchant they work in ("" for none: the browser's); one with no
// merchant yet, the first they chose in any.
func chosenLanguage(cur current) string {
	if cur.member.Language != "" || cur.s.Merchant != "" {
		return cur.member.Language
	}
	for _, m := range cur.person.Memberships {
		if m.Language != "" {
			return m.Language
		}
	}
	return ""
}

type page struct {
	Title  string
	Signed *current // the signed-in person (navigation, Sign out), nil before
	// App is the page the script draws in <main> (empty: the body is all).
	App appView
}

// appView is what a page's script reads: which page, about what, and the
// merchant's time zone (the dates it shows).
type appView struct {
	Page, ID, Nav, Zone string
}

// navItems are the main navigation's pages: key and path. A member sees
// an entry exactly when its page opens for them (appPage.opensFor).
var navItems = []struct{ key, path string }{
	{"links", "/dashboard"}, {"customers", "/dashboard/customers"}, {"import", "/dashboard/import"},
	{"review", "/dashboard/review"}, {"bank", "/dashboard/bank-statements"}, {"insights", "/dashboard/insights"},
	{"settings", "/dashboard/settings"},
}

// page writes a whole page around body (HTML already escaped): the header
// (merchant switch, person, Sign out, New payment link), the navigation,
// and for an app page the script with the catalog and the session's CSRF
// token.
func (d *Dashboard) page(w http.ResponseWriter, r *http.Request, status int, p page, body string) {
	l := langOf(r)
	var head, nav, tail string
	if c := p.Signed; c != nil {
		head = header(l, c, p.App.Page != "")
		if c.s.MFASetupToken == "" {
			nav = mainNav(l, c, p.App.Nav)
		}
	}
	if p.App.Page != "" {
		c := p.Signed
		grants := make([]string, 0, len(c.member.Grants()))
		for _, g := range c.member.Grants() {
			grants = append(grants, string(g))
		}
		body += `<div id="app" data-page="` + e(p.App.Page) + `" data-id="` + e(p.App.ID) + `" data-csrf="` + e(c.s.CSRF) +
			`" data-perms="` + e(strings.Join(grants, " ")) + `" data-methods="` + e(strings.Join(domain.PaymentMethods, " ")) +
			`" data-zone="` + e(p.App.Zone) + `" data-links-template="` + e(assetPath["payment-links-template.csv"]) + `" data-customers-template="` + e(assetPath["customers-template.csv"]) +
			`"><noscript><p>` + e(l.t("noscript")) + `</p></noscript></div>`
		tail = `<script type="application/json" id="strings">` + catalogJSON[string(l)] + `</script>
`
		for _, href := range preloads(modules, p.App.Page) {
			tail += `<link rel="modulepreload" href="` + e(href) + `">
`
		}
		tail += `<script type="module" src="` + assetPath["app.js"] + `"></script>
`
	}
	html := `<!doctype html>
<html lang="` + string(l) + `">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>` + e(p.Title) + ` · paylinks</title>
<link rel="icon" href="/favicon.ico" type="image/svg+xml">
<link rel="stylesheet" href="` + assetPath["app.css"] + `">
</head>
<body>
<a class="skip" href="#main">` + e(l.t("skip")) + `</a>
<header><a class="brand" href="/dashboard">paylinks</a>` + head + `</header>
` + nav + `<main id="main" tabindex="-1">
<h1>` + e(p.Title) + `</h1>
<p id="status" class="status" role="status"></p>
` + body + `
</main>
` + tail + `</body>
</html>
`
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(html))
}

// languageNames are the dashboard's languages in their own words, as a
// language picker names them.
var languageNames = map[string]string{"en": "English", "nl": "Nederlands", "fr": "Français", "de": "Deutsch"}

// header is the signed-in person's part of the header; on a page with its
// script, the language picker too (the script saves the choice through
// PATCH /v1/members/me).
func header(l words, c *current, scripted bool) string {
	var b strings.Builder
	if c.s.MFASetupToken == "" && domain.Allows(c.member.Grants(), domain.LinksWrite) {
		b.WriteString(`<form method="get" action="/dashboard/links/new"><button type="submit">` + e(l.t("new_payment_link")) + `</button></form>`)
	}
	if len(c.all) > 1 {
		var opts strings.Builder
		for _, m := range c.all {
			sel := ""
			if m.Merchant == c.member.Merchant {
				sel = " selected"
			}
			opts.WriteString(`<option value="` + e(m.Merchant) + `"` + sel + `>` + e(m.Merchant) + ` (` + e(l.t("role_"+string(m.Role))) + `)</option>`)
		}
		b.WriteString(`<form method="post" action="/dashboard/merchant">` + hidden("csrf", c.s.CSRF) +
			`<label for="merchant">` + e(l.t("merchant")) + `</label><select id="merchant" name="merchant">` + opts.String() + `</select>` +
			`<button type="submit">` + e(l.t("switch")) + `</button></form>`)
	}
	if scripted {
		b.WriteString(languagePicker(l, c.member.Language))
	}
	b.WriteString(`<span class="who">` + e(c.member.Email) + ` · ` + e(l.t("role_"+string(c.member.Role))) + ` ` + e(l.t("of")) + ` <strong>` + e(c.member.Merchant) + `</strong></span>`)
	b.WriteString(`<form method="post" action="/dashboard/sign-out">` + hidden("csrf", c.s.CSRF) + `<button type="submit">` + e(l.t("sign_out")) + `</button></form>`)
	return b.String()
}

// languagePicker is the form that sets the member's language: each
// language by its own name, or the browser's (chosen: the member's
// choice, "" for none).
func languagePicker(l words, chosen string) string {
	opt := func(value, label, lang string) string {
		sel, attr := "", ""
		if value == chosen {
			sel = " selected"
		}
		if lang != "" {
			attr = ` lang="` + lang + `"`
		}
		return `<option value="` + e(value) + `"` + attr + sel + `>` + e(label) + `</option>`
	}
	var opts strings.Builder
	opts.WriteString(opt("", l.t("language_browser"), ""))
	for _, lang := range domain.Languages {
		opts.WriteString(opt(lang, languageNames[lang], lang))
	}
	return `<form id="language-form" class="language"><label for="language-pick">` + e(l.t("dashboard_language")) + `</label>` +
		`<select id="language-pick" name="language">` + opts.String() + `</select><button type="submit">` + e(l.t("language_save")) + `</button></form>`
}

// mainNav lists the pages the member's role opens.
func mainNav(l words, c *current, active string) string {
	var b strings.Builder
	b.WriteString(`<nav class="main" aria-label="` + e(l.t("main_nav")) + `"><ul>`)
	for _, it := range navItems {
		if p := pageAt(it.path); p == nil || !p.opensFor(c.member.Grants()) {
			continue
		}
		cur := ""
		if it.key == active {
			cur = ` aria-current="page"`
		}
		b.WriteString(`<li><a href="` + it.path + `"` + cur + `>` + e(l.t("nav_"+it.key)) + `</a></li>`)
	}
	b.WriteString(`</ul></nav>
`)
	return b.String()
}

func hidden(name, value string) string {
	return `<input type="hidden" name="` + e(name) + `" value="` + e(value) + `">`
}

// field is a labelled input; invalid marks it for assistive technology.
func field(name, label, typ, value, autocomplete string, invalid bool) string {
	aria := ""
	if invalid {
		aria = ` aria-invalid="true" aria-describedby="form-error"`
	}
	return `<label for="` + e(name) + `">` + e(label) + `</label><input id="` + e(name) + `" name="` + e(name) + `" type="` + e(typ) +
		`" value="` + e(value) + `" autocomplete="` + e(autocomplete) + `" required` + aria + `>`
}

func errorBox(problem string) string {
	if problem == "" {
		return ""
	}
	return `<p class="error" id="form-error" role="alert">` + e(problem) + `</p>`
}
