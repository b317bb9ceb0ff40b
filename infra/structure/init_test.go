package structure

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// eagerCalls are calls that cost a function's cold start when a package
// makes them as it initialises (a package-level variable's value, an init
// function) rather than at first use: compiling a pattern, decompressing
// an embedded file.
var eagerCalls = map[string][]string{
	"regexp": {"MustCompile", "Compile", "MustCompilePOSIX", "CompilePOSIX"},
	"gzip":   {"NewReader"},
}

// TestFunctionsCompileNothingAtInit: no package of the module that a
// function links compiles a regular expression or gunzips at package
// initialisation; such work waits for its first use (sync.OnceValue), so
// a cold start pays only for what its first invocation needs.
func TestFunctionsCompileNothingAtInit(t *testing.T) {
	g := load(t)
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	linked := map[string]bool{}
	for _, f := range functions(t, g) {
		linked[f] = true
		for _, d := range g.linked(t, f) {
			linked[d] = true
		}
	}
	var pkgs []string
	for p := range linked {
		pkgs = append(pkgs, p)
	}
	slices.Sort(pkgs)
	for _, p := range pkgs {
		for _, found := range eagerInit(t, filepath.Join(root, p)) {
			t.Errorf("%s: %s at package initialisation (make it at first use: sync.OnceValue)", filepath.Join(p, found.file), found.call)
		}
	}
}

type eagerFinding struct{ file, call string }

// eagerInit lists the eager calls in the package-level variables and init
// functions of the package in dir (its non-test files); the bodies of
// function literals are not initialisation and are skipped.
func eagerInit(t *testing.T, dir string) []eagerFinding {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []eagerFinding
	fset := token.NewFileSet()
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, filepath.Join(dir, name), nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		var roots []ast.Node
		for _, d := range file.Decls {
			switch d := d.(type) {
			case *ast.GenDecl:
				if d.Tok == token.VAR {
					roots = append(roots, d)
				}
			case *ast.FuncDecl:
				if d.Recv == nil && d.Name.Name == "init" {
					roots = append(roots, d.Body)
				}
			}
		}
		for _, r := range roots {
			ast.Inspect(r, func(n ast.Node) bool {
				switch n := n.(type) {
				case *ast.FuncLit:
					return false
				case *ast.CallExpr:
					if call := eagerCall(n); call != "" {
						out = append(out, eagerFinding{name, call + " (line " + strconv.Itoa(fset.Position(n.Pos()).Line) + ")"})
					}
				}
				return true
			})
		}
	}
	return out
}

func eagerCall(c *ast.CallExpr) string {
	sel, ok := c.Fun.(*ast.SelectorExpr)
	if !ok {
		return ""
	}
	pkg, ok := sel.X.(*ast.Ident)
	if !ok || !slices.Contains(eagerCalls[pkg.Name], sel.Sel.Name) {
		return ""
	}
	return pkg.Name + "." + sel.Sel.Name
}
