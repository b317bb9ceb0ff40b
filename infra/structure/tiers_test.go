package structure

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// The fast tier (`go test -short ./...`, make test-short) needs nothing
// outside the test process. A test reaches outside through an AWS client
// (the emulators), Chromium, the CDK (Node.js) or a command other than go
// and git; whatever does so passes the gate first: testkit.Needs, `if
// testing.Short() { t.Skip(...) }`, or a helper that passes it (testenv.New,
// testenv.AWSConfig, testenv.NewPool, browser.New). make test-short proves
// the rest by running with every AWS endpoint on a closed port.

// tierKit is where the shared helpers live: their exported entry points
// must pass the gate themselves, so that tests using them need no edit.
const tierKit = "shared/testkit"

// tierSkipped are the directories the walk does not enter.
var tierSkipped = []string{".git", ".tools", "build", "cdk.out", "node_modules", "testdata"}

// tierPkg is the code of one directory the rule reads: every file under
// tierKit, the test files elsewhere.
type tierPkg struct {
	dir   string
	files []*tierFile
	funcs map[string][]*ast.FuncDecl // by name; methods by their name alone
	// reaches and gated are the functions (by name) that reach outside,
	// and those that pass the gate before they do.
	reaches, gated map[string]bool
	// commands are the functions that run the command one of their
	// parameters names (by the parameter's index): a call of one reaches
	// outside unless it names go or git.
	commands map[string]int
}

type tierFile struct {
	name    string
	ast     *ast.File
	imports map[string]string // local name -> import path
	test    bool
	// commandParams are the uses of a parameter as an exec call's command.
	commandParams map[*ast.Ident]bool
}

// tierRule holds the module's packages and what the helpers' packages
// export: which of their functions reach outside and which pass the gate.
type tierRule struct {
	module   string
	fset     *token.FileSet
	pkgs     []*tierPkg
	exported map[string]*tierPkg // helper packages by import path
}

func TestFastTierNeedsNothingOutsideTheProcess(t *testing.T) {
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	r := loadTierRule(t, root)
	// Three passes: a helper's gate counts in the packages calling it, and
	// a closure's in the function around it.
	for range 3 {
		for _, p := range r.pkgs {
			r.solve(p)
		}
	}
	checked := 0
	for _, p := range r.pkgs {
		for _, fd := range r.entries(p) {
			checked++
			if p.reaches[fd.Name.Name] && !p.gated[fd.Name.Name] {
				t.Errorf("%s: %s reaches outside the process (an AWS client, Chromium, the CDK, a command) without the fast tier's gate first: testkit.Needs(t, ...) (skips under -short)",
					r.fset.Position(fd.Pos()), fd.Name.Name)
			}
		}
	}
	for _, want := range []string{"New", "AWSConfig", "NewPool"} {
		if p := r.exported[r.module+"/"+tierKit+"/testenv"]; p == nil || !p.gated[want] {
			t.Errorf("testenv.%s does not pass the fast tier's gate", want)
		}
	}
	if p := r.exported[r.module+"/"+tierKit+"/browser"]; p == nil || !p.gated["New"] {
		t.Error("browser.New does not pass the fast tier's gate")
	}
	if checked < 100 {
		t.Errorf("the rule read only %d tests and helpers: is the walk broken?", checked)
	}
}

func loadTierRule(t *testing.T, root string) *tierRule {
	t.Helper()
	out, err := command(root, "go", "list", "-m")
	if err != nil {
		t.Fatal(err)
	}
	r := &tierRule{module: strings.TrimSpace(string(out)), fset: token.NewFileSet(), exported: map[string]*tierPkg{}}
	byDir := map[string]*tierPkg{}
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path != root && (slices.Contains(tierSkipped, d.Name()) || strings.HasPrefix(d.Name(), ".")) {
				return filepath.SkipDir
			}
			// A directory with a go.mod of its own (the clients under
			// clients/) is another module, outside this one's go test
			// ./...: its tests gate themselves (they skip under -short).
			if _, err := os.Stat(filepath.Join(path, "go.mod")); path != root && err == nil {
				return filepath.SkipDir
			}
			return nil
		}
		rel, _ := filepath.Rel(root, path)
		return r.read(byDir, filepath.ToSlash(rel), path)
	})
	if err != nil {
		t.Fatal(err)
	}
	for dir, p := range byDir {
		if under(dir, tierKit) {
			r.exported[r.module+"/"+dir] = p
		}
	}
	// The helpers first, so that their gates are known where they are called.
	slices.SortStableFunc(r.pkgs, func(a, b *tierPkg) int {
		if ka, kb := under(a.dir, tierKit), under(b.dir, tierKit); ka != kb {
			if ka {
				return -1
			}
			return 1
		}
		return strings.Compare(a.dir, b.dir)
	})
	return r
}

// read parses a file the rule reads (any under tierKit, test files
// elsewhere) into its directory's package.
func (r *tierRule) read(byDir map[string]*tierPkg, rel, path string) error {
	test := strings.HasSuffix(rel, "_test.go")
	dir := filepath.ToSlash(filepath.Dir(rel))
	if !strings.HasSuffix(rel, ".go") || (!test && !under(dir, tierKit)) {
		return nil
	}
	f, err := parser.ParseFile(r.fset, path, nil, parser.SkipObjectResolution)
	if err != nil {
		return err
	}
	p := byDir[dir]
	if p == nil {
		p = &tierPkg{dir: dir, funcs: map[string][]*ast.FuncDecl{}, commands: map[string]int{}}
		byDir[dir] = p
		r.pkgs = append(r.pkgs, p)
	}
	tf := &tierFile{name: rel, ast: f, imports: importsOf(f), test: test, commandParams: map[*ast.Ident]bool{}}
	p.files = append(p.files, tf)
	for _, decl := range f.Decls {
		if fd, ok := decl.(*ast.FuncDecl); ok && fd.Body != nil {
			p.funcs[fd.Name.Name] = append(p.funcs[fd.Name.Name], fd)
			if i, ok := commandParam(fd, tf); ok {
				p.commands[fd.Name.Name] = i
			}
		}
	}
	return nil
}

func importsOf(f *ast.File) map[string]string {
	m := map[string]string{}
	for _, s := range f.Imports {
		path, _ := strconv.Unquote(s.Path.Value)
		// The package's name as its path ends (.../awscdk/v2 is awscdk).
		elems := strings.Split(path, "/")
		name := elems[len(elems)-1]
		if len(elems) > 1 && len(name) > 1 && name[0] == 'v' && strings.Trim(name[1:], "0123456789") == "" {
			name = elems[len(elems)-2]
		}
		if s.Name != nil {
			name = s.Name.Name
		}
		m[name] = path
	}
	return m
}

// entries are what a test run calls first: the tests and fuzz targets of
// the test files; the exported functions of the helpers that take a
// testing.TB.
func (r *tierRule) entries(p *tierPkg) []*ast.FuncDecl {
	var out []*ast.FuncDecl
	for _, f := range p.files {
		for _, decl := range f.ast.Decls {
			fd, ok := decl.(*ast.FuncDecl)
			if !ok || fd.Body == nil {
				continue
			}
			name := fd.Name.Name
			if f.test && fd.Recv == nil && (strings.HasPrefix(name, "Test") || strings.HasPrefix(name, "Fuzz")) {
				out = append(out, fd)
			}
			if !f.test && under(p.dir, tierKit) && fd.Name.IsExported() && takesTB(fd, f) {
				out = append(out, fd)
			}
		}
	}
	return out
}

func takesTB(fd *ast.FuncDecl, f *tierFile) bool {
	for _, field := range fd.Type.Params.List {
		x := field.Type
		if s, ok := x.(*ast.StarExpr); ok {
			x = s.X
		}
		if sel, ok := x.(*ast.SelectorExpr); ok {
			if id, ok := sel.X.(*ast.Ident); ok && f.imports[id.Name] == "testing" {
				return true
			}
		}
	}
	return false
}

// solve marks the package's functions that reach outside, then those that
// pass the gate before they do (each to its fixed point). A closure that
// passes the gate reaches nothing: the reach is worked out with the gates of
// the previous pass (the test runs three).
func (r *tierRule) solve(p *tierPkg) {
	if p.gated == nil {
		p.gated = map[string]bool{}
	}
	p.reaches = map[string]bool{}
	for changed := true; changed; {
		changed = false
		for name, decls := range p.funcs {
			for _, fd := range decls {
				if !p.reaches[name] && r.reaching(p, r.fileOf(p, fd), fd.Body) {
					p.reaches[name], changed = true, true
				}
			}
		}
	}
	p.gated = map[string]bool{}
	for changed := true; changed; {
		changed = false
		for name, decls := range p.funcs {
			if p.gated[name] {
				continue
			}
			gated := true
			for _, fd := range decls {
				gated = gated && r.gatedBody(p, r.fileOf(p, fd), fd.Body)
			}
			if gated {
				p.gated[name], changed = true, true
			}
		}
	}
}

func (r *tierRule) fileOf(p *tierPkg, fd *ast.FuncDecl) *tierFile {
	for _, f := range p.files {
		if f.ast.Pos() <= fd.Pos() && fd.End() <= f.ast.End() {
			return f
		}
	}
	return p.files[0]
}

// gatedBody: the gate comes at the top level of the body before anything
// that reaches outside.
func (r *tierRule) gatedBody(p *tierPkg, f *tierFile, body *ast.BlockStmt) bool {
	for _, st := range body.List {
		if r.gate(p, f, st) {
			return true
		}
		if r.reaching(p, f, st) {
			return false
		}
	}
	return false
}

// gate: a statement that skips under -short: a call of testkit.Needs or of
// a function that passes the gate, or `if testing.Short() { ...Skip... }`.
func (r *tierRule) gate(p *tierPkg, f *tierFile, st ast.Stmt) bool {
	if is, ok := st.(*ast.IfStmt); ok {
		if c, ok := is.Cond.(*ast.CallExpr); ok && r.pkgCall(f, c) == "testing.Short" {
			return skips(is.Body)
		}
		return false
	}
	found := false
	ast.Inspect(st, func(n ast.Node) bool {
		if _, ok := n.(*ast.FuncLit); ok {
			return false // runs later, if at all
		}
		if c, ok := n.(*ast.CallExpr); ok && r.gateCall(p, f, c) {
			found = true
		}
		return !found
	})
	return found
}

func skips(body *ast.BlockStmt) bool {
	found := false
	ast.Inspect(body, func(n ast.Node) bool {
		if c, ok := n.(*ast.CallExpr); ok {
			if sel, ok := c.Fun.(*ast.SelectorExpr); ok && strings.HasPrefix(sel.Sel.Name, "Skip") {
				found = true
			}
		}
		return !found
	})
	return found
}

func (r *tierRule) gateCall(p *tierPkg, f *tierFile, c *ast.CallExpr) bool {
	if r.pkgCall(f, c) == r.module+"/"+tierKit+".Needs" {
		return true
	}
	if name := localCall(p, f, c); name != "" {
		return p.gated[name]
	}
	if path, name, ok := splitCall(r.pkgCall(f, c)); ok {
		if kit := r.exported[path]; kit != nil && kit.gated != nil {
			return kit.gated[name]
		}
	}
	return false
}

// reaching: the node calls outside the process, or a function that does.
func (r *tierRule) reaching(p *tierPkg, f *tierFile, n ast.Node) bool {
	found := false
	ast.Inspect(n, func(n ast.Node) bool {
		if lit, ok := n.(*ast.FuncLit); ok {
			// A closure (a subtest) that passes the gate itself.
			return !r.gatedBody(p, f, lit.Body)
		}
		c, ok := n.(*ast.CallExpr)
		if !ok || found {
			return !found
		}
		switch {
		case r.outside(f, c):
			found = true
		case localCall(p, f, c) != "":
			name := localCall(p, f, c)
			i, wraps := p.commands[name]
			found = p.reaches[name] || (wraps && len(c.Args) > i && !buildTool(c.Args[i]))
		default:
			if path, name, ok := splitCall(r.pkgCall(f, c)); ok {
				if kit := r.exported[path]; kit != nil && kit.reaches != nil {
					found = kit.reaches[name]
				}
			}
		}
		return !found
	})
	return found
}

// outside: an AWS client or configuration, Chromium, the CDK (Node.js), a
// command other than go and git.
func (r *tierRule) outside(f *tierFile, c *ast.CallExpr) bool {
	call := r.pkgCall(f, c)
	path, name, _ := splitCall(call)
	switch {
	case call == "github.com/aws/aws-sdk-go-v2/config.LoadDefaultConfig",
		strings.HasPrefix(path, "github.com/aws/aws-sdk-go-v2/service/") && name == "NewFromConfig",
		call == "github.com/chromedp/chromedp.NewExecAllocator",
		call == "github.com/aws/aws-cdk-go/awscdk/v2.NewApp": // the CDK's jsii kernel on Node.js
		return true
	}
	if x := commandArg(call, c); x != nil {
		if id, ok := x.(*ast.Ident); ok && f.commandParams[id] {
			return false // a wrapper: its callers name the command
		}
		return !buildTool(x)
	}
	return false
}

// commandArg is the argument that names the command of an exec call (nil
// for any other call).
func commandArg(call string, c *ast.CallExpr) ast.Expr {
	switch {
	case call == "os/exec.Command" && len(c.Args) > 0:
		return c.Args[0]
	case call == "os/exec.CommandContext" && len(c.Args) > 1:
		return c.Args[1]
	}
	return nil
}

// commandParam finds a function that runs the command its parameter names,
// and marks that parameter's uses in exec calls (commandParams).
func commandParam(fd *ast.FuncDecl, f *tierFile) (int, bool) {
	params := map[string]int{}
	i := 0
	for _, field := range fd.Type.Params.List {
		for _, n := range field.Names {
			params[n.Name] = i
			i++
		}
		if len(field.Names) == 0 {
			i++
		}
	}
	index, found := 0, false
	ast.Inspect(fd.Body, func(n ast.Node) bool {
		c, ok := n.(*ast.CallExpr)
		if !ok {
			return true
		}
		sel, ok := c.Fun.(*ast.SelectorExpr)
		if !ok {
			return true
		}
		pkg, ok := sel.X.(*ast.Ident)
		if !ok || f.imports[pkg.Name] != "os/exec" {
			return true
		}
		if id, ok := commandArg("os/exec."+sel.Sel.Name, c).(*ast.Ident); ok {
			if j, ok := params[id.Name]; ok {
				f.commandParams[id], index, found = true, j, true
			}
		}
		return true
	})
	return index, found
}

func buildTool(x ast.Expr) bool {
	lit, ok := x.(*ast.BasicLit)
	if !ok {
		return false
	}
	s, _ := strconv.Unquote(lit.Value)
	return s == "go" || s == "git"
}

// pkgCall names a call of another package's function as "path.Name" ("" for
// anything else).
func (r *tierRule) pkgCall(f *tierFile, c *ast.CallExpr) string {
	sel, ok := c.Fun.(*ast.SelectorExpr)
	if !ok {
		return ""
	}
	id, ok := sel.X.(*ast.Ident)
	if !ok {
		return ""
	}
	path, ok := f.imports[id.Name]
	if !ok {
		return ""
	}
	return path + "." + sel.Sel.Name
}

// splitCall splits "path.Name" into the package's path and the name.
func splitCall(call string) (path, name string, ok bool) {
	i := strings.LastIndex(call, ".")
	if i < 0 {
		return "", "", false
	}
	return call[:i], call[i+1:], true
}

// localCall names a call of the package's own function or method ("" for
// anything else); methods are known by their name alone.
func localCall(p *tierPkg, f *tierFile, c *ast.CallExpr) string {
	var name string
	switch fn := c.Fun.(type) {
	case *ast.Ident:
		name = fn.Name
	case *ast.SelectorExpr:
		if id, ok := fn.X.(*ast.Ident); ok {
			if _, imported := f.imports[id.Name]; imported {
				return ""
			}
		}
		name = fn.Sel.Name
	default:
		return ""
	}
	if _, ok := p.funcs[name]; !ok {
		return ""
	}
	return name
}
