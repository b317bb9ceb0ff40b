package dashboard

import (
	"bytes"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strings"
	"sync"
)

// The dashboard's script is ES modules without a bundler (assets/*.js, the
// entry app.js, and one module per page in assets/pages/). Each is served
// under a name carrying its hash, cached for a year: a module's imports are
// rewritten to the served names of the modules it imports, so a change to
// one module renames it and every module that imports it, directly or not.

// module is a module as served: its path under /dashboard/assets/, its
// body with the imports rewritten, and the modules it imports statically
// and dynamically (source names).
type module struct {
	path    string
	body    []byte
	static  []string
	dynamic []string
}

// modules by source name (app.js, pages/links.js), made at init.
var modules map[string]module

// importRe finds a relative import specifier: import ... from './x.js',
// import './x.js', export ... from './x.js' and import('./x.js').
// Made at first use (infra/structure: nothing compiled at package
// initialisation).
var importRe = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`(\bfrom\s*|(?m:^import\s*)|\bimport\s*\(\s*)(['"])(\.\.?/[^'"\s]+)(['"])`)
})

// importAt is an import in a module's text: the byte offsets of the
// match and of its parts (importRe's submatches).
type importAt []int

func (m importAt) part(body []byte, i int) string { return string(body[m[2*i]:m[2*i+1]]) }

// importsIn are the imports of body that are code: one in a comment (a
// line that starts with // or *, or after a /* not closed yet) names
// types, as {import('./openapi').PaymentLink} does, and imports nothing.
func importsIn(body []byte) []importAt {
	var out []importAt
	for _, m := range importRe().FindAllSubmatchIndex(body, -1) {
		before := body[:m[0]]
		line := bytes.TrimSpace(before[bytes.LastIndexByte(before, '\n')+1:])
		if bytes.HasPrefix(line, []byte("//")) || bytes.HasPrefix(line, []byte("*")) ||
			bytes.LastIndex(before, []byte("/*")) > bytes.LastIndex(before, []byte("*/")) {
			continue
		}
		out = append(out, m)
	}
	return out
}

// moduleSources reads the .js files under dir of fsys by their names
// relative to dir.
func moduleSources(fsys fs.FS, dir string) (map[string][]byte, error) {
	src := map[string][]byte{}
	err := fs.WalkDir(fsys, dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".js") {
			return err
		}
		b, err := fs.ReadFile(fsys, p)
		if err != nil {
			return fmt.Errorf("dashboard module %s: %w", p, err)
		}
		src[strings.TrimPrefix(p, dir+"/")] = b
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("dashboard modules: %w", err)
	}
	return src, nil
}

// importsOf lists the source names a module imports (resolved against its
// own directory), statically and dynamically, each once.
func importsOf(name string, body []byte) (static, dynamic []string, err error) {
	seen := map[string]bool{}
	for _, m := range importsIn(body) {
		if m.part(body, 2) != m.part(body, 4) {
			return nil, nil, fmt.Errorf("dashboard module %s: unbalanced quotes in import %s", name, m.part(body, 0))
		}
		dep := path.Join(path.Dir(name), m.part(body, 3))
		if seen[dep] {
			continue
		}
		seen[dep] = true
		if p := m.part(body, 1); strings.HasPrefix(p, "import") && strings.Contains(p, "(") {
			dynamic = append(dynamic, dep)
		} else {
			static = append(static, dep)
		}
	}
	return static, dynamic, nil
}

// buildModules serves the sources: each module's relative imports become
// the absolute served paths of the modules they name, whose names carry the
// hash of the rewritten body. An import of a module that is not there, or a
// cycle, is an error.
func buildModules(src map[string][]byte) (map[string]module, error) {
	out := map[string]module{}
	state := map[string]int{} // 1 while its imports are built, 2 when built
	var build func(name string, chain []string) error
	build = func(name string, chain []string) error {
		switch state[name] {
		case 2:
			return nil
		case 1:
			return fmt.Errorf("dashboard modules: import cycle %s", strings.Join(append(chain, name), " -> "))
		}
		body, ok := src[name]
		if !ok {
			return fmt.Errorf("dashboard modules: %s imports %s, which is not there", chain[len(chain)-1], name)
		}
		state[name] = 1
		static, dynamic, err := importsOf(name, body)
		if err != nil {
			return err
		}
		for _, dep := range append(append([]string{}, static...), dynamic...) {
			if err := build(dep, append(chain, name)); err != nil {
				return err
			}
		}
		var rewritten []byte
		last := 0
		for _, m := range importsIn(body) {
			dep := path.Join(path.Dir(name), m.part(body, 3))
			rewritten = append(append(rewritten, body[last:m[6]]...), out[dep].path...)
			last = m[7]
		}
		rewritten = append(rewritten, body[last:]...)
		out[name] = module{path: "/dashboard/assets/" + servedName(name, rewritten), body: rewritten, static: static, dynamic: dynamic}
		state[name] = 2
		return nil
	}
	names := make([]string, 0, len(src))
	for n := range src {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if err := build(n, nil); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// preloads are the served paths a page's browser may fetch at once (link
// rel=modulepreload): the entry's and the page module's static imports,
// each closed over its own, in a fixed order; the entry itself is the
// page's script.
func preloads(mods map[string]module, page string) []string {
	seen := map[string]bool{"app.js": true}
	var out []string
	var walk func(name string)
	walk = func(name string) {
		m, ok := mods[name]
		if !ok {
			return
		}
		for _, dep := range m.static {
			if !seen[dep] {
				seen[dep] = true
				out = append(out, mods[dep].path)
				walk(dep)
			}
		}
	}
	walk("app.js")
	if p := "pages/" + page + ".js"; mods[p].path != "" && !seen[p] {
		seen[p] = true
		out = append(out, mods[p].path)
		walk(p)
	}
	return out
}
