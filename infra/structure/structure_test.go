package structure

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// The parameters of the rules.
var (
	// specPackages are the only shared/ packages the CDK app may link: plain
	// data describing the deployment, no runtime code.
	specPackages = []string{"shared/spec"}
	// leanFunctions link neither the HTTP API, the channels nor another
	// function's code.
	leanFunctions = []string{"functions/redirect", "functions/apply"}
	// leanForbidden are the packages (and everything under them) that
	// leanFunctions must not link.
	leanForbidden = []string{"shared/httpapi", "shared/channel"}
	// cdkApp are the packages of the CDK app.
	cdkApp = []string{"infra/cdk", "infra/stack"}
	// maxTrackedBytes is the largest tracked file allowed outside testdata/.
	maxTrackedBytes int64 = 1 << 20
)

// pkg is the part of `go list -json` the rules read.
type pkg struct {
	ImportPath string
	Imports    []string
	Deps       []string
	Error      *struct{ Err string }
}

// graph is every package of the module and its dependencies, as the
// functions are built (linux/arm64, tag lambda.norpc), by paths relative to
// the module (shared/store), standard and third-party packages by their
// full path.
type graph struct {
	module string
	pkgs   map[string]*pkg
	own    map[string]bool // the module's own packages
}

var loaded struct {
	g   *graph
	err error
}

func load(t *testing.T) *graph {
	t.Helper()
	if loaded.g == nil && loaded.err == nil {
		loaded.g, loaded.err = goList()
	}
	if loaded.err != nil {
		t.Fatal(loaded.err)
	}
	return loaded.g
}

func goList() (*graph, error) {
	root, err := moduleRoot()
	if err != nil {
		return nil, err
	}
	modOut, err := command(root, "go", "list", "-m")
	if err != nil {
		return nil, err
	}
	g := &graph{module: strings.TrimSpace(string(modOut)), pkgs: map[string]*pkg{}, own: map[string]bool{}}
	cmd := exec.Command("go", "list", "-e", "-deps", "-json", "-tags", "lambda.norpc", "./...")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "GOOS=linux", "GOARCH=arm64", "CGO_ENABLED=0")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go list -deps -json ./...: %w: %s", err, stderr.String())
	}
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p pkg
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return nil, fmt.Errorf("decode go list output: %w", err)
		}
		if p.Error != nil {
			return nil, fmt.Errorf("go list %s: %s", p.ImportPath, p.Error.Err)
		}
		if strings.HasPrefix(p.ImportPath, g.module+"/") {
			g.own[g.short(p.ImportPath)] = true
		}
		p.ImportPath = g.short(p.ImportPath)
		for i := range p.Imports {
			p.Imports[i] = g.short(p.Imports[i])
		}
		for i := range p.Deps {
			p.Deps[i] = g.short(p.Deps[i])
		}
		g.pkgs[p.ImportPath] = &p
	}
	return g, nil
}

func moduleRoot() (string, error) {
	out, err := command(".", "go", "env", "GOMOD")
	if err != nil {
		return "", err
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", errors.New("go env GOMOD: not inside the module")
	}
	return filepath.Dir(gomod), nil
}

func command(dir, name string, args ...string) ([]byte, error) {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, stderr.String())
	}
	return out, nil
}

// short strips the module path: github.com/paylinks/paylinks/shared/store
// becomes shared/store.
func (g *graph) short(path string) string {
	if rest, ok := strings.CutPrefix(path, g.module+"/"); ok {
		return rest
	}
	return path
}

func (g *graph) get(t *testing.T, path string) *pkg {
	t.Helper()
	p := g.pkgs[path]
	if p == nil {
		t.Fatalf("package %s not found by go list ./...", path)
	}
	return p
}

// linked lists the packages of this module that from links (its transitive
// dependencies, without itself), sorted.
func (g *graph) linked(t *testing.T, from string) []string {
	t.Helper()
	var out []string
	for _, d := range g.get(t, from).Deps {
		if g.own[d] {
			out = append(out, d)
		}
	}
	slices.Sort(out)
	return out
}

// chain is the shortest import path from one package to another, written
// "a -> b -> c", so a failure says through which package a dependency comes.
func (g *graph) chain(from, to string) string {
	prev := map[string]string{from: ""}
	queue := []string{from}
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		if cur == to {
			var path []string
			for p := to; p != ""; p = prev[p] {
				path = append(path, p)
			}
			slices.Reverse(path)
			return strings.Join(path, " -> ")
		}
		p := g.pkgs[cur]
		if p == nil {
			continue
		}
		for _, next := range p.Imports {
			if _, seen := prev[next]; !seen {
				prev[next] = cur
				queue = append(queue, next)
			}
		}
	}
	return from + " -> ... -> " + to
}

// under reports whether path is prefix or a package below it.
func under(path, prefix string) bool {
	return path == prefix || strings.HasPrefix(path, prefix+"/")
}

func functions(t *testing.T, g *graph) []string {
	t.Helper()
	var fs []string
	for path := range g.pkgs {
		if strings.HasPrefix(path, "functions/") {
			fs = append(fs, path)
		}
	}
	slices.Sort(fs)
	if len(fs) == 0 {
		t.Fatal("no package under functions/")
	}
	return fs
}

func TestLeanFunctionsLinkNeitherTheAPINorTheChannels(t *testing.T) {
	g := load(t)
	for _, f := range leanFunctions {
		for _, d := range g.linked(t, f) {
			for _, bad := range leanForbidden {
				if under(d, bad) {
					t.Errorf("%s links %s: %s", f, d, g.chain(f, d))
				}
			}
		}
	}
}

func TestNoFunctionLinksAnotherFunction(t *testing.T) {
	g := load(t)
	for _, f := range functions(t, g) {
		for _, d := range g.linked(t, f) {
			if strings.HasPrefix(d, "functions/") && !under(d, f) {
				t.Errorf("%s links another function's package %s: %s", f, d, g.chain(f, d))
			}
		}
	}
}

func TestCDKAppLinksNoRuntimeCode(t *testing.T) {
	g := load(t)
	for _, app := range cdkApp {
		for _, d := range g.linked(t, app) {
			if strings.HasPrefix(d, "shared/") && !slices.Contains(specPackages, d) {
				t.Errorf("%s links the runtime package %s (only %s allowed): %s", app, d, strings.Join(specPackages, ", "), g.chain(app, d))
			}
		}
	}
}

func TestProblemDependsOnDomainOnly(t *testing.T) {
	g := load(t)
	allowed := append([]string{"shared/domain"}, g.linked(t, "shared/domain")...)
	for _, d := range g.linked(t, "shared/problem") {
		if !slices.Contains(allowed, d) {
			t.Errorf("shared/problem links %s (only shared/domain and what it links allowed): %s", d, g.chain("shared/problem", d))
		}
	}
}

func TestComponentsDoNotLinkEachOther(t *testing.T) {
	g := load(t)
	for _, rule := range []struct{ from, not string }{
		{"shared/store", "shared/psp"},
		{"shared/psp/sandbox", "shared/psp/stripe"},
	} {
		for _, d := range g.linked(t, rule.from) {
			if under(d, rule.not) {
				t.Errorf("%s links %s: %s", rule.from, d, g.chain(rule.from, d))
			}
		}
	}
}

func TestNoLargeTrackedFileOutsideTestdata(t *testing.T) {
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := command(root, "git", "rev-parse", "--show-toplevel"); err != nil {
		t.Skipf("not a git checkout, no tracked files to check: %v", err)
	}
	files, err := trackedSizes(root)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("git ls-files listed no file")
	}
	for path, size := range files {
		if size > maxTrackedBytes && !inTestdata(path) {
			t.Errorf("%s is tracked and has %d bytes (over %d); only fixtures under testdata/ may", path, size, maxTrackedBytes)
		}
	}
}

func inTestdata(path string) bool {
	return strings.HasPrefix(path, "testdata/") || strings.Contains(path, "/testdata/")
}

// trackedSizes maps every file in git's index under root to its size in
// bytes (the blob's, so a file deleted or rewritten in the working tree still
// counts as tracked).
func trackedSizes(root string) (map[string]int64, error) {
	out, err := command(root, "git", "ls-files", "-s", "-z", "--full-name", ".")
	if err != nil {
		return nil, err
	}
	var in bytes.Buffer
	for _, entry := range strings.Split(strings.TrimSuffix(string(out), "\x00"), "\x00") {
		meta, path, ok := strings.Cut(entry, "\t")
		fields := strings.Fields(meta)
		if !ok || len(fields) != 3 {
			return nil, fmt.Errorf("git ls-files -s: unexpected entry %q", entry)
		}
		if fields[0] == "160000" { // a submodule's commit, not a blob
			continue
		}
		fmt.Fprintf(&in, "%s %s\n", fields[1], path)
	}
	cmd := exec.Command("git", "cat-file", "--batch-check=%(objectsize) %(rest)")
	cmd.Dir = root
	cmd.Stdin = &in
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	sizes, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("git cat-file --batch-check: %w: %s", err, stderr.String())
	}
	files := map[string]int64{}
	sc := bufio.NewScanner(bytes.NewReader(sizes))
	for sc.Scan() {
		n, path, ok := strings.Cut(sc.Text(), " ")
		size, err := strconv.ParseInt(n, 10, 64)
		if !ok || err != nil {
			return nil, fmt.Errorf("git cat-file: unexpected line %q", sc.Text())
		}
		files[path] = size
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read git cat-file output: %w", err)
	}
	return files, nil
}

// templateEngines call reflect.Value.MethodByName with names known only at
// run time, which makes the linker keep every exported method of every
// reachable type (every operation of every AWS client linked): no function
// may link one.
var templateEngines = []string{"text/template", "html/template"}

func TestNoFunctionLinksATemplateEngine(t *testing.T) {
	g := load(t)
	for _, f := range functions(t, g) {
		for _, d := range g.get(t, f).Deps {
			if slices.Contains(templateEngines, d) {
				t.Errorf("%s links %s: %s", f, d, g.chain(f, d))
			}
		}
	}
}

// tooling are the packages of make dev and the tests: no function links
// them, and no runtime package imports them.
var tooling = []string{"shared/testkit", "shared/devkit", "tests"}

func TestNoFunctionLinksDevOrTestTooling(t *testing.T) {
	g := load(t)
	for _, f := range functions(t, g) {
		for _, d := range g.linked(t, f) {
			for _, tool := range tooling {
				if under(d, tool) {
					t.Errorf("%s links %s: %s", f, d, g.chain(f, d))
				}
			}
		}
	}
}
