package htmlsafe

import (
	"html/template"
	"strings"
	"testing"
)

// reference renders v with html/template in each context these functions
// stand for.
var reference = template.Must(template.New("").Parse(
	`{{define "text"}}{{.}}{{end}}` +
		`{{define "title"}}<title>{{.}}</title>{{end}}` +
		`{{define "attr"}}<meta content="{{.}}">{{end}}` +
		`{{define "url"}}<a href="{{.}}">{{end}}` +
		`{{define "urlpart"}}<form action="/x/{{.}}/pay">{{end}}`))

func render(t *testing.T, name, v string) string {
	t.Helper()
	var b strings.Builder
	if err := reference.ExecuteTemplate(&b, name, v); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// same checks each function against html/template on v.
func same(t *testing.T, v string) {
	t.Helper()
	checks := []struct{ name, got, want string }{
		{"text", Text(v), render(t, "text", v)},
		{"title", "<title>" + Text(v) + "</title>", render(t, "title", v)},
		{"attr", `<meta content="` + Text(v) + `">`, render(t, "attr", v)},
		{"urlpart", `<form action="/x/` + URLPart(v) + `/pay">`, render(t, "urlpart", v)},
	}
	// html/template lets relative and mailto: URLs through too; FilterURL
	// only http(s): those must become Unsafe, all others match.
	want := render(t, "url", v)
	if FilterURL(v) == Unsafe && want != `<a href="#ZgotmplZ">` {
		if l := strings.ToLower(v); strings.HasPrefix(l, "http://") || strings.HasPrefix(l, "https://") {
			t.Errorf("FilterURL(%q) refused an http(s) URL", v)
		}
	} else {
		checks = append(checks, struct{ name, got, want string }{"url", `<a href="` + URL(v) + `">`, want})
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s(%q):\n got  %q\n want %q", c.name, v, c.got, c.want)
		}
	}
}

var hostile = []string{
	"", "plain", "Taart & koffie", `<script>alert("x")</script>`, "it's + 1 > 0 < 2", "\x00nul", "\xff\xfe bad utf-8",
	"\ufdd0\uffff noncharacters", "{{.Lang}} %s %d %!", "&amp; already", "é ü € \u202f\u00a0",
	"https://pay.example/l/demo_0ERd?x=1&y='2'+(3)#frag<é>\"%20 ~._-!$*,;:=@[]", "HTTPS://PAY.EXAMPLE/L", "http://a b",
	"javascript:alert(1)", " javascript:alert(1)", "JavaScript:x", "data:text/html,<b>", "vbscript:x", "mailto:a@b.c",
	"/relative/path", "cs_\"><script> é?x=1&y=2#f", "http:no-slashes", "//host/x", "\thttps://x", "https:", "%", "%4", "%4g", "%41", "https://x/%zz%2F%2f",
}

func TestEscapersMatchHTMLTemplate(t *testing.T) {
	for _, v := range hostile {
		same(t, v)
	}
	// Every single byte, alone and in a URL.
	for c := 0; c < 256; c++ {
		same(t, string(rune(c)))
		same(t, string([]byte{byte(c)}))
		same(t, "https://x/"+string([]byte{byte(c)}))
	}
}

func TestFilterURL(t *testing.T) {
	for u, want := range map[string]string{
		"https://x": "https://x", "HTTP://x": "HTTP://x", "javascript:alert(1)": Unsafe, "/l/x": Unsafe,
		"mailto:a@b.c": Unsafe, "http:x": Unsafe, "": Unsafe, " https://x": Unsafe,
	} {
		if got := FilterURL(u); got != want {
			t.Errorf("FilterURL(%q) = %q, want %q", u, got, want)
		}
	}
}

func FuzzEscapersMatchHTMLTemplate(f *testing.F) {
	for _, v := range hostile {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, v string) { same(t, v) })
}
