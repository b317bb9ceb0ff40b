package dashboard

import (
	"net/http"
	"strings"

	"github.com/paylinks/paylinks/shared/domain"

	"github.com/paylinks/paylinks/shared/htmlsafe"
)

// e escapes text and attribute values.
var e = htmlsafe.Text

// catalog holds the dashboard's strings by language, one file per
// language in strings/ (the pages' scripts get the same file): English is
// complete and the fallback; nl, fr and de are added beside it.
var catalog = map[string]map[string]string{}

// catalogJSON is each catalog as the pages' scripts read it, made once
// (json.Marshal escapes <, > and &: safe inside a script element).
var catalogJSON = map[string]string{}

// t is the English string of key (the key itself when missing, which a
// test forbids).
func t(key string) string {
	if s, ok := catalog["en"][key]; ok {
		return s
	}
	return key
}

// tf is t with its {name} placeholders filled, pairs of name and value.
func tf(key string, pairs ...string) string {
	s := t(key)
	for i := 0; i+1 < len(pairs); i += 2 {
		s = strings.ReplaceAll(s, "{"+pairs[i]+"}", pairs[i+1])
	}
	return s
}

type page struct {
	Title  string
	Signed *current // the signed-in person (navigation, Sign out), nil before
	// App is the page the script draws in <main> (empty: the body is all).
	App appView
}

// appView is what a page's script reads: which page, about what.
type appView struct {
	Page, ID, Nav string
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
func (d *Dashboard) page(w http.ResponseWriter, status int, p page, body string) {
	var head, nav, tail string
	if c := p.Signed; c != nil {
		head = d.header(c)
		if c.s.MFASetupToken == "" {
			nav = mainNav(c, p.App.Nav)
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
			`" data-links-template="` + e(assetPath["payment-links-template.csv"]) + `" data-customers-template="` + e(assetPath["customers-template.csv"]) +
			`"><noscript><p>` + e(t("noscript")) + `</p></noscript></div>`
		tail = `<script type="application/json" id="strings">` + catalogJSON["en"] + `</script>
`
		for _, href := range preloads(modules, p.App.Page) {
			tail += `<link rel="modulepreload" href="` + e(href) + `">
`
		}
		tail += `<script type="module" src="` + assetPath["app.js"] + `"></script>
`
	}
	html := `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>` + e(p.Title) + ` · paylinks</title>
<link rel="icon" href="/favicon.ico" type="image/svg+xml">
<link rel="stylesheet" href="` + assetPath["app.css"] + `">
</head>
<body>
<a class="skip" href="#main">` + e(t("skip")) + `</a>
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

// header is the signed-in person's part of the header.
func (d *Dashboard) header(c *current) string {
	var b strings.Builder
	if c.s.MFASetupToken == "" && domain.Allows(c.member.Grants(), domain.LinksWrite) {
		b.WriteString(`<form method="get" action="/dashboard/links/new"><button type="submit">` + e(t("new_payment_link")) + `</button></form>`)
	}
	if len(c.all) > 1 {
		var opts strings.Builder
		for _, m := range c.all {
			sel := ""
			if m.Merchant == c.member.Merchant {
				sel = " selected"
			}
			opts.WriteString(`<option value="` + e(m.Merchant) + `"` + sel + `>` + e(m.Merchant) + ` (` + e(string(m.Role)) + `)</option>`)
		}
		b.WriteString(`<form method="post" action="/dashboard/merchant">` + hidden("csrf", c.s.CSRF) +
			`<label for="merchant">` + e(t("merchant")) + `</label><select id="merchant" name="merchant">` + opts.String() + `</select>` +
			`<button type="submit">` + e(t("switch")) + `</button></form>`)
	}
	b.WriteString(`<span class="who">` + e(c.member.Email) + ` · ` + e(string(c.member.Role)) + ` ` + e(t("of")) + ` <strong>` + e(c.member.Merchant) + `</strong></span>`)
	b.WriteString(`<form method="post" action="/dashboard/sign-out">` + hidden("csrf", c.s.CSRF) + `<button type="submit">` + e(t("sign_out")) + `</button></form>`)
	return b.String()
}

// mainNav lists the pages the member's role opens.
func mainNav(c *current, active string) string {
	var b strings.Builder
	b.WriteString(`<nav class="main" aria-label="` + e(t("main_nav")) + `"><ul>`)
	for _, it := range navItems {
		if p := pageAt(it.path); p == nil || !p.opensFor(c.member.Grants()) {
			continue
		}
		cur := ""
		if it.key == active {
			cur = ` aria-current="page"`
		}
		b.WriteString(`<li><a href="` + it.path + `"` + cur + `>` + e(t("nav_"+it.key)) + `</a></li>`)
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
