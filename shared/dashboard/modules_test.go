package dashboard

import (
	"fmt"
	"math/rand/v2"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/paylinks/paylinks/shared/domain"
)

// servedSpec finds the module paths a served module imports.
var servedSpec = regexp.MustCompile(`(?:\bfrom\s*|(?m:^import\s*)|\bimport\s*\(\s*)'(/dashboard/assets/[^']+)'`)

// TestModulesServed: every module is served as JavaScript under its hashed
// name, cached for a year; its imports name served modules only (no
// relative specifier is left), and none evaluates text as code.
func TestModulesServed(t *testing.T) {
	if len(modules) < 20 {
		t.Fatalf("%d modules", len(modules))
	}
	h := (&Dashboard{}).Handler()
	for name, m := range modules {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", m.path, nil))
		if rec.Code != 200 || rec.Header().Get("Content-Type") != "text/javascript; charset=utf-8" ||
			rec.Header().Get("Cache-Control") != "public, max-age=31536000, immutable" || rec.Body.String() != string(m.body) {
			t.Errorf("%s at %s: %d %q %q", name, m.path, rec.Code, rec.Header().Get("Content-Type"), rec.Header().Get("Cache-Control"))
		}
		if !strings.HasPrefix(string(m.body), "// @ts-check\n") {
			t.Errorf("%s does not start with // @ts-check", name)
		}
		if rel := importsIn(m.body); len(rel) > 0 {
			t.Errorf("%s still imports %s", name, rel[0].part(m.body, 0))
		}
		// Not even a comment names a module by a relative path: types are
		// imported without .js (import('./dom').Kid), so a missed import
		// cannot hide among them.
		if rel := regexp.MustCompile(`['"]\.\.?/[^'"]*\.js['"]`).Find(m.body); rel != nil {
			t.Errorf("%s names %s", name, rel)
		}
		for _, bad := range []string{"eval(", "new Function(", "innerHTML", "document.write"} {
			if strings.Contains(string(m.body), bad) {
				t.Errorf("%s uses %s", name, bad)
			}
		}
		specs := servedSpec.FindAllSubmatch(m.body, -1)
		if len(specs) != len(m.static)+len(m.dynamic) && name != "app.js" {
			t.Errorf("%s: %d imports served, %d in its source", name, len(specs), len(m.static)+len(m.dynamic))
		}
		for _, s := range specs {
			if _, ok := assets[strings.TrimPrefix(string(s[1]), "/dashboard/assets/")]; !ok {
				t.Errorf("%s imports %s, which is not served", name, s[1])
			}
		}
	}
}

// TestEveryPageHasItsModule: each app page's module is served and the
// entry loads it by its served name.
func TestEveryPageHasItsModule(t *testing.T) {
	entry := string(modules["app.js"].body)
	for _, p := range appPages {
		m, ok := modules["pages/"+p.page+".js"]
		if !ok {
			t.Errorf("page %s has no module pages/%s.js", p.page, p.page)
			continue
		}
		if !strings.Contains(entry, "import('"+m.path+"')") {
			t.Errorf("the entry does not load %s", m.path)
		}
	}
}

// TestAppPageLoadsTheEntryAsModule: an app page carries no script to run
// but the entry (type=module, from the dashboard's own assets), with the
// modules it will import preloaded.
func TestAppPageLoadsTheEntryAsModule(t *testing.T) {
	for _, p := range appPages {
		rec := httptest.NewRecorder()
		cur := current{member: domain.Member{Email: "a@example.be", Role: domain.RoleOwner, Merchant: "demo"}}
		(&Dashboard{}).page(rec, httptest.NewRequest("GET", "/dashboard", nil), 200, page{Title: "x", Signed: &cur, App: appView{Page: p.page, Nav: p.nav}}, "")
		html := rec.Body.String()
		scripts := regexp.MustCompile(`<script[^>]*>`).FindAllString(html, -1)
		want := []string{`<script type="application/json" id="strings">`, `<script type="module" src="` + assetPath["app.js"] + `">`}
		if !slices.Equal(scripts, want) {
			t.Errorf("%s: scripts %q", p.page, scripts)
		}
		pre := regexp.MustCompile(`<link rel="modulepreload" href="([^"]+)">`).FindAllStringSubmatch(html, -1)
		if len(pre) < 5 || !strings.Contains(html, `href="`+modules["pages/"+p.page+".js"].path+`"`) {
			t.Errorf("%s: preloads %q", p.page, pre)
		}
		for _, l := range pre {
			if _, ok := assets[strings.TrimPrefix(l[1], "/dashboard/assets/")]; !ok {
				t.Errorf("%s preloads %s, which is not served", p.page, l[1])
			}
		}
	}
}

// TestModuleNamesFollowTheirImports: over generated module graphs (each
// module imports only modules before it, statically or dynamically), a
// change to one module's text renames exactly it and the modules that
// import it, directly or through others; the rest keep their names.
func TestModuleNamesFollowTheirImports(t *testing.T) {
	r := rand.New(rand.NewPCG(32, 1))
	for c := 0; c < 200; c++ {
		n := 2 + r.IntN(12)
		src := map[string][]byte{}
		deps := make([][]int, n)
		name := func(i int) string {
			if i%3 == 0 {
				return fmt.Sprintf("pages/m%d.js", i)
			}
			return fmt.Sprintf("m%d.js", i)
		}
		spec := func(from, to int) string {
			rel := "./" + strings.TrimPrefix(name(to), "pages/")
			if strings.HasPrefix(name(from), "pages/") != strings.HasPrefix(name(to), "pages/") {
				if strings.HasPrefix(name(from), "pages/") {
					rel = "../" + name(to)
				} else {
					rel = "./" + name(to)
				}
			}
			return rel
		}
		for i := 0; i < n; i++ {
			var b strings.Builder
			b.WriteString("// @ts-check\n")
			for j := 0; j < i; j++ {
				if r.IntN(3) == 0 {
					deps[i] = append(deps[i], j)
					if r.IntN(2) == 0 {
						fmt.Fprintf(&b, "import { x%d } from '%s';\n", j, spec(i, j))
					} else {
						fmt.Fprintf(&b, "const p%d = () => import('%s');\n", j, spec(i, j))
					}
				}
			}
			fmt.Fprintf(&b, "export const x%d = %d;\n", i, r.IntN(1000))
			src[name(i)] = []byte(b.String())
		}
		before, err := buildModules(src)
		if err != nil {
			t.Fatal(err)
		}
		changed := r.IntN(n)
		src[name(changed)] = append(src[name(changed)], "// changed\n"...)
		after, err := buildModules(src)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < n; i++ {
			want := reaches(deps, i, changed)
			if got := before[name(i)].path != after[name(i)].path; got != want {
				t.Fatalf("case %d: %s renamed %v after a change to %s; imports %v", c, name(i), got, name(changed), deps)
			}
		}
	}
}

// reaches reports whether module from imports to, directly or not (or is it).
func reaches(deps [][]int, from, to int) bool {
	if from == to {
		return true
	}
	for _, d := range deps[from] {
		if reaches(deps, d, to) {
			return true
		}
	}
	return false
}

// TestModulesRefuseCyclesAndMissing: an import cycle, or an import of a
// module that is not there, stops the build with the modules named.
func TestModulesRefuseCyclesAndMissing(t *testing.T) {
	_, err := buildModules(map[string][]byte{
		"a.js": []byte("import { b } from './b.js';\n"), "b.js": []byte("import { c } from './pages/c.js';\n"),
		"pages/c.js": []byte("export const c = () => import('../a.js');\n"),
	})
	if err == nil || !strings.Contains(err.Error(), "cycle a.js -> b.js -> pages/c.js -> a.js") {
		t.Errorf("cycle: %v", err)
	}
	_, err = buildModules(map[string][]byte{"a.js": []byte("import { b } from './b.js';\n")})
	if err == nil || !strings.Contains(err.Error(), "a.js imports b.js") {
		t.Errorf("missing: %v", err)
	}
	// A type named in a comment imports nothing, and is left as written.
	src := "// @ts-check\n/** @param {import('./openapi').PaymentLink} l */\n/**\n * @typedef {import('./b.js').B} B\n */\n// see import('./c.js')\n" +
		"export const a = /** @type {import('./d.js').D} */ (1);\n"
	mods, err := buildModules(map[string][]byte{"a.js": []byte(src)})
	if err != nil || string(mods["a.js"].body) != src || len(mods["a.js"].static)+len(mods["a.js"].dynamic) != 0 {
		t.Errorf("types in comments: %v %+v", err, mods["a.js"])
	}
}
