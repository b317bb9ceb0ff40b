package structure

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// parseDir parses the non-test Go files of the module's directory dir.
func parseDir(t *testing.T, dir string) (*token.FileSet, []*ast.File) {
	t.Helper()
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	paths, err := filepath.Glob(filepath.Join(root, dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	var files []*ast.File
	for _, p := range paths {
		if strings.HasSuffix(p, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, p, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatalf("parse %s: %v", p, err)
		}
		files = append(files, f)
	}
	if len(files) == 0 {
		t.Fatalf("no Go file in %s", dir)
	}
	return fset, files
}

// untyped reports whether the type expression x holds any or interface{}:
// a part handed out without its type, to be asserted by its user.
func untyped(x ast.Expr) bool {
	found := false
	ast.Inspect(x, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.Ident:
			found = found || n.Name == "any"
		case *ast.InterfaceType:
			found = found || n.Methods == nil || len(n.Methods.List) == 0
		}
		return !found
	})
	return found
}

func receiverName(fd *ast.FuncDecl) string {
	if fd.Recv == nil || len(fd.Recv.List) == 0 {
		return ""
	}
	x := fd.Recv.List[0].Type
	if star, ok := x.(*ast.StarExpr); ok {
		x = star.X
	}
	if id, ok := x.(*ast.Ident); ok {
		return id.Name
	}
	return ""
}

// TestBootEnvHandsOutTypedParts: what a composition gets from its boot.Env
// it gets with its type (a field or an accessor per part), never through a
// locator that hands out any under a name.
func TestBootEnvHandsOutTypedParts(t *testing.T) {
	fset, files := parseDir(t, "shared/boot")
	sawEnv := false
	for _, f := range files {
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.TypeSpec:
				if n.Name.Name != "Env" {
					return true
				}
				sawEnv = true
				st, ok := n.Type.(*ast.StructType)
				if !ok {
					t.Fatalf("boot.Env is not a struct")
				}
				for _, fld := range st.Fields.List {
					if untyped(fld.Type) {
						t.Errorf("%s: a field of boot.Env holds any", fset.Position(fld.Pos()))
					}
				}
			case *ast.FuncDecl:
				if receiverName(n) != "Env" {
					return false
				}
				for _, list := range []*ast.FieldList{n.Type.Params, n.Type.Results} {
					if list == nil {
						continue
					}
					for _, fld := range list.List {
						if untyped(fld.Type) {
							t.Errorf("%s: boot.Env.%s takes or returns any", fset.Position(fld.Pos()), n.Name.Name)
						}
					}
				}
				return false
			}
			return true
		})
	}
	if !sawEnv {
		t.Fatal("no type Env in shared/boot")
	}
}

// TestServiceComposesWithoutPatching: shared/service's New puts every input
// of the composition (the clock, the webhook guard and schedule, the
// channels, the invitations' mail) on the Env before the first compose
// call, and afterwards only stores what each compose constructor returned:
// no field of a composed part or of the Env is set after composition, and
// no part is made to share another's caches.
func TestServiceComposesWithoutPatching(t *testing.T) {
	fset, newFn, composeNames := serviceNew(t)
	service := serviceVar(newFn)
	if service == "" {
		t.Fatal("service.New declares no *Service variable (s := &Service{...})")
	}
	composed := firstCall(newFn.Body, composeNames)
	if composed == token.NoPos {
		t.Fatal("service.New calls no compose constructor")
	}
	ast.Inspect(newFn.Body, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.CallExpr:
			path := selectorPath(n.Fun)
			if len(path) > 0 && path[len(path)-1] == "ShareAuthCaches" {
				t.Errorf("%s: service.New makes parts share caches (ShareAuthCaches); the Env's caches are an input of composition", fset.Position(n.Pos()))
			} else if n.Pos() > composed && len(path) > 2 && path[0] == service {
				t.Errorf("%s: service.New calls %s on a composed part after composition", fset.Position(n.Pos()), strings.Join(path, "."))
			}
		case *ast.AssignStmt:
			if n.Pos() < composed {
				return true
			}
			for _, lhs := range n.Lhs {
				if path := selectorPath(lhs); len(path) > 1 && !(len(path) == 2 && path[0] == service) {
					t.Errorf("%s: service.New sets %s after composition: make it an input of composition (on the Env, before the first compose call)",
						fset.Position(lhs.Pos()), strings.Join(path, "."))
				}
			}
		}
		return true
	})
}

// serviceNew is shared/service's func New and the names its file imports
// shared/compose packages by.
func serviceNew(t *testing.T) (*token.FileSet, *ast.FuncDecl, map[string]bool) {
	t.Helper()
	fset, files := parseDir(t, "shared/service")
	for _, f := range files {
		for _, d := range f.Decls {
			if fd, ok := d.(*ast.FuncDecl); ok && fd.Recv == nil && fd.Name.Name == "New" {
				names := composeImports(f)
				if len(names) == 0 {
					t.Fatal("shared/service imports no shared/compose package")
				}
				return fset, fd, names
			}
		}
	}
	t.Fatal("no func New in shared/service")
	return nil, nil, nil
}

// firstCall is where body first calls a function of a package imported by
// one of names (token.NoPos when it does not).
func firstCall(body *ast.BlockStmt, names map[string]bool) token.Pos {
	first := token.NoPos
	ast.Inspect(body, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok {
			return true
		}
		if sel, ok := call.Fun.(*ast.SelectorExpr); ok {
			if pkg, ok := sel.X.(*ast.Ident); ok && names[pkg.Name] && (first == token.NoPos || call.Pos() < first) {
				first = call.Pos()
			}
		}
		return true
	})
	return first
}

// composeImports are the names file f imports shared/compose/... packages
// by.
func composeImports(f *ast.File) map[string]bool {
	names := map[string]bool{}
	for _, imp := range f.Imports {
		path, err := strconv.Unquote(imp.Path.Value)
		if err != nil || !strings.Contains(path, "/shared/compose/") {
			continue
		}
		name := path[strings.LastIndex(path, "/")+1:]
		if imp.Name != nil {
			name = imp.Name.Name
		}
		names[name] = true
	}
	return names
}

// serviceVar is the name of the variable fd declares as &Service{...}.
func serviceVar(fd *ast.FuncDecl) string {
	name := ""
	ast.Inspect(fd.Body, func(n ast.Node) bool {
		as, ok := n.(*ast.AssignStmt)
		if !ok || as.Tok != token.DEFINE {
			return name == ""
		}
		for i, rhs := range as.Rhs {
			u, ok := rhs.(*ast.UnaryExpr)
			if !ok || u.Op != token.AND || i >= len(as.Lhs) {
				continue
			}
			if lit, ok := u.X.(*ast.CompositeLit); ok {
				if id, ok := lit.Type.(*ast.Ident); ok && id.Name == "Service" {
					name = as.Lhs[i].(*ast.Ident).Name
				}
			}
		}
		return name == ""
	})
	return name
}

// selectorPath is x written as names (s.API.Now: s, API, Now); nil when x is
// not a chain of selectors on an identifier.
func selectorPath(x ast.Expr) []string {
	var path []string
	for {
		switch v := x.(type) {
		case *ast.Ident:
			return append([]string{v.Name}, path...)
		case *ast.SelectorExpr:
			path = append([]string{v.Sel.Name}, path...)
			x = v.X
		case *ast.IndexExpr:
			x = v.X
		case *ast.StarExpr:
			x = v.X
		case *ast.ParenExpr:
			x = v.X
		default:
			return nil
		}
	}
}

// bootLight are the packages shared/boot may not link: every function links
// boot, so a part boot names is in every binary. The user pool's directory,
// the API, the channels, the outbound webhooks and the stateless PSP
// adapters are made by the compose packages of the functions that use them.
var bootLight = []string{"shared/cognito", "shared/httpapi", "shared/channel", "shared/outbound", "shared/psp/stripe", "shared/psp/mollie"}

func TestBootNamesNoHeavyPart(t *testing.T) {
	g := load(t)
	for _, d := range g.linked(t, "shared/boot") {
		for _, bad := range bootLight {
			if under(d, bad) {
				t.Errorf("shared/boot links %s: %s", d, g.chain("shared/boot", d))
			}
		}
	}
}
