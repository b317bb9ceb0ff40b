package browser_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/paylinks/paylinks/shared/testkit/browser"
)

// strictCSP is the dashboard's kind of policy: no script of the page's own
// at all, inline styles only where a test page needs them.
const strictCSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

// site serves the test pages, each under the strict policy.
func site(t *testing.T, pages map[string]string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", strictCSP)
		switch r.URL.Path {
		case "/done":
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			_ = r.ParseForm()
			fmt.Fprintf(w, `<!doctype html><html lang="en"><head><meta name="viewport" content="width=device-width"><title>Done</title></head>
<body><main><h1>Done</h1><p id="got">name=%s colour=%s</p></main></body></html>`, htmlEscape(r.Form.Get("name")), htmlEscape(r.Form.Get("colour")))
		case "/export.csv":
			w.Header().Set("Content-Type", "text/csv")
			w.Header().Set("Content-Disposition", `attachment; filename="links.csv"`)
			fmt.Fprint(w, "id,amount\nlnk_1,10.00\n")
		default:
			page, ok := pages[r.URL.Path]
			if !ok {
				http.NotFound(w, r)
				return
			}
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprint(w, page)
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func htmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;").Replace(s)
}

func doc(title, body string) string {
	return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>` +
		title + `</title></head><body><main><h1>` + title + `</h1>` + body + `</main></body></html>`
}

var formPage = doc("Form", `<form method="post" action="/done">
<label for="name">Your name</label><input id="name" name="name" value="old">
<label for="colour">Colour</label><select id="colour" name="colour"><option value="r">Red</option><option value="g">Green</option></select>
<button type="submit">Send "Ana's" form</button></form>
<p><a href="/done">Skip the form</a></p><p><a id="export" href="/export.csv">Export</a></p>`)

// badPage has an image without a text alternative (critical) and grey on
// white text (serious), under a policy that forbids every script.
var badPage = doc("Bad", `<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" width="20" height="20">
<p style="color:#ccc;background:#fff">Hard to read</p>`)

// recorder is a testing.TB whose failures are recorded, not reported: it
// shows that a check fails.
type recorder struct {
	testing.TB
	failures []string
}

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, a ...any) {
	r.failures = append(r.failures, fmt.Sprintf(format, a...))
}
func (r *recorder) Fatalf(format string, a ...any) {
	r.failures = append(r.failures, fmt.Sprintf(format, a...))
}
func (r *recorder) Error(a ...any) { r.failures = append(r.failures, fmt.Sprint(a...)) }
func (r *recorder) Fatal(a ...any) { r.failures = append(r.failures, fmt.Sprint(a...)) }

func TestBrowserAxeFailsOnViolations(t *testing.T) {
	b := browser.New(t)
	base := site(t, map[string]string{"/bad": badPage, "/good": formPage})
	b.Go(base + "/bad")
	vs, err := b.Violations()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, v := range vs {
		got[v.ID] = v.Impact
	}
	if got["image-alt"] != "critical" || got["color-contrast"] != "serious" {
		t.Fatalf("axe under a no-script policy: want image-alt (critical) and color-contrast (serious), got %v", vs)
	}
	r := &recorder{TB: t}
	b.Axe(r, "the bad page")
	if len(r.failures) != 2 || !strings.Contains(strings.Join(r.failures, "\n"), "image-alt (critical)") {
		t.Fatalf("Axe on the bad page reported %q", r.failures)
	}
	b.Go(base + "/good")
	r = &recorder{TB: t}
	b.Axe(r, "the form")
	if len(r.failures) != 0 {
		t.Fatalf("Axe on an accessible page: %q", r.failures)
	}
}

func TestBrowserActsAsAPerson(t *testing.T) {
	b := browser.New(t)
	base := site(t, map[string]string{"/form": formPage})
	b.Go(base + "/form")
	b.Fill("Your name", `Ana "A" <López>`)
	b.Select("Colour", "Green")
	b.ClickButton(`Send "Ana's" form`) // both quotes: an XPath concat()
	b.WaitURL("/done")
	if got := b.Text("#got"); got != `name=Ana "A" <López> colour=g` {
		t.Fatalf("the form posted %q", got)
	}
	b.Go(base + "/form")
	b.ClickLink("Skip the form")
	b.WaitText("Done")
	if !strings.HasSuffix(b.URL(), "/done") {
		t.Fatalf("after the link: %s", b.URL())
	}
	// Keyboard only: Tab to the name, type, Enter submits the form.
	b.Go(base + "/form")
	b.Press("Tab")
	b.Press("Enter")
	b.WaitURL("/done")
	if got := b.Text("#got"); got != "name=old colour=r" {
		t.Fatalf("the form posted %q", got)
	}
	b.Go(base + "/form")
	name, body := b.Download(t, "#export")
	if name != "links.csv" || string(body) != "id,amount\nlnk_1,10.00\n" {
		t.Fatalf("download: %q %q", name, body)
	}
	b.Shot("form")
	b.NoErrors(t)
}

func TestBrowserMobileFailsOnSidewaysScroll(t *testing.T) {
	b := browser.New(t)
	base := site(t, map[string]string{
		"/narrow": formPage,
		"/wide":   doc("Wide", `<table style="width:900px"><tr><td>A wide table</td></tr></table>`),
	})
	b.Go(base + "/narrow")
	b.Mobile(t)
	b.Go(base + "/wide")
	r := &recorder{TB: t}
	b.Mobile(r)
	if len(r.failures) != 1 || !strings.Contains(r.failures[0], "sideways") {
		t.Fatalf("Mobile on a 900 px page: %q", r.failures)
	}
}

func TestBrowserNoErrorsCatchesCSPViolations(t *testing.T) {
	b := browser.New(t)
	base := site(t, map[string]string{
		"/clean":  formPage,
		"/inline": doc("Inline", `<script>document.title = "ran"</script>`),
	})
	b.Go(base + "/clean")
	b.NoErrors(t)
	b.Go(base + "/inline")
	r := &recorder{TB: t}
	b.NoErrors(r)
	if len(r.failures) != 1 || !strings.Contains(r.failures[0], "inline script violates the following Content Security Policy directive") {
		t.Fatalf("NoErrors after an inline script under the policy: %q %v", r.failures, b.Errors())
	}
}

// TestBrowserUploadsAFile: Upload picks the file in the input its label
// names; the page sees its name, size and content through the File API
// (the change event fired).
func TestBrowserUploadsAFile(t *testing.T) {
	// The page's script reads the file: a policy of its own that lets the
	// test's one script run (the strict one has none).
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/read.js" {
			w.Header().Set("Content-Type", "text/javascript")
			fmt.Fprint(w, `document.getElementById('csv').addEventListener('change', async (e) => {
  const f = e.target.files[0];
  document.getElementById('got').textContent = f.name + ' ' + f.size + ' ' + (await f.text()).trim();
});`)
			return
		}
		w.Header().Set("Content-Security-Policy", "default-src 'none'; script-src 'self'")
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, doc("Upload", `<label for="csv">CSV file</label><input id="csv" type="file"><p id="got"></p><script src="/read.js"></script>`))
	}))
	t.Cleanup(srv.Close)
	path := t.TempDir() + "/rows.csv"
	if err := os.WriteFile(path, []byte("amount,currency\n10.00,EUR\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	b := browser.New(t)
	b.Go(srv.URL + "/")
	b.Upload("CSV file", path)
	b.WaitText("rows.csv 26 amount,currency")
	if got := b.Attr("#csv", "type"); got != "file" {
		t.Fatalf("Attr: the input's type is %q", got)
	}
	if n, none := b.Count("input[type=file]"), b.Count("dialog"); n != 1 || none != 0 {
		t.Fatalf("Count: %d file input(s), %d dialog(s)", n, none)
	}
	b.NoErrors(t)

}
