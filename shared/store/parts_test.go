package store

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"testing"
)

// TestSplitByAggregate keeps the store split: no method is declared on
// Store itself (it only gathers the parts), and no part grows past 30
// exported methods.
func TestSplitByAggregate(t *testing.T) {
	names, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	exported := map[string]int{}
	for _, name := range names {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || fn.Recv == nil {
				continue
			}
			recv := fn.Recv.List[0].Type
			if star, ok := recv.(*ast.StarExpr); ok {
				recv = star.X
			}
			id, ok := recv.(*ast.Ident)
			if !ok {
				continue
			}
			if id.Name == "Store" {
				t.Errorf("%s is declared on Store: put it on the part of the table it belongs to", fn.Name.Name)
			}
			if fn.Name.IsExported() {
				exported[id.Name]++
			}
		}
	}
	for _, part := range []string{"Links", "Customers", "People", "Merchants", "Deliveries", "Payments", "Audit", "Imports", "Requests", "Statements"} {
		if n := exported[part]; n == 0 || n > 30 {
			t.Errorf("part %s has %d exported methods (1 to 30)", part, n)
		}
	}
	t.Logf("exported methods per part: %v", exported)
}
