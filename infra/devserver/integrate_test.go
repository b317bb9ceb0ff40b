package main

// TestIntegrateDoc runs docs/integrate.md, the integrators' walk-through,
// against a make dev of its own, block by block, as a reader would.
//
// Which blocks run: every fenced block whose info string starts with sh, go
// or ts, in the order of the document. Its other words are attributes:
// id=NAME (required: the block's check in integrateChecks is keyed by it),
// background (a program the reader leaves running in a terminal of its
// own), stop=NAME (the background block NAME is stopped, as with Ctrl-C,
// before this one runs). A block marked norun is not run (the set-up only a
// reader does: make dev, go mod init, npm install); a fenced block with
// neither a language that runs nor norun fails the test.
//
// With which environment: PAYLINKS_API_URL and PAYLINKS_API_KEY (the make
// dev's), GOBIN a directory of the test put first on PATH, and
// XDG_CONFIG_HOME a directory of the test (where paylinks listen keeps its
// state). The receivers of the document listen on 127.0.0.1:3000: the test
// fails at once when that port is taken.
//
//   - sh blocks run with bash (set -euo pipefail) in the repository's root;
//     the shell variables a block sets are there for the next ones, as in one
//     terminal; its exported ones are the environment of the go and ts
//     blocks after it.
//   - go blocks are main packages, each in its own directory of one temporary
//     module that requires github.com/paylinks/paylinks/clients/go, replaced
//     by the repository's clients/go; built before make dev starts (go build,
//     what go run does) and run from there.
//   - ts blocks are ES modules compiled with tsc (strict) and run with node;
//     the @paylinks/client they import is the repository's clients/ts (copied,
//     npm ci from its lock file, tsc into dist), linked into their
//     node_modules.
//
// A block's output (stdout and stderr) must pass its check. A foreground
// block must exit 0 within a minute. A background block must print a line
// (it is ready) within a minute; the test then goes on, and when the
// background block is stopped (by stop= or at the end of the document) its
// output must pass its check within 30 s before it is.

import (
	"bufio"
	"context"
	"fmt"
	"maps"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// docBlock is one fenced block of a document.
type docBlock struct {
	lang, id   string
	line       int
	norun      bool
	background bool
	stop       []string
	code       string
}

// parseDocBlocks returns the fenced blocks of markdown, with their
// attributes; a block that neither runs nor says norun is an error.
func parseDocBlocks(markdown string) ([]docBlock, error) {
	var blocks []docBlock
	var cur *docBlock
	var code strings.Builder
	sc := bufio.NewScanner(strings.NewReader(markdown))
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if !strings.HasPrefix(line, "```") {
			if cur != nil {
				code.WriteString(line + "\n")
			}
			continue
		}
		if cur != nil {
			cur.code = code.String()
			blocks = append(blocks, *cur)
			cur = nil
			continue
		}
		f := strings.Fields(strings.TrimPrefix(line, "```"))
		b := docBlock{line: n}
		if len(f) > 0 {
			b.lang = f[0]
		}
		for _, a := range f[min(1, len(f)):] {
			switch k, v, _ := strings.Cut(a, "="); k {
			case "norun":
				b.norun = true
			case "background":
				b.background = true
			case "id":
				b.id = v
			case "stop":
				b.stop = append(b.stop, v)
			default:
				return nil, fmt.Errorf("line %d: unknown attribute %q", n, a)
			}
		}
		switch {
		case b.norun:
		case b.lang != "sh" && b.lang != "go" && b.lang != "ts":
			return nil, fmt.Errorf("line %d: a block in %q neither runs (sh, go, ts) nor is marked norun", n, b.lang)
		case b.id == "":
			return nil, fmt.Errorf("line %d: a block that runs needs an id=", n)
		}
		cur = &b
		code.Reset()
	}
	if cur != nil {
		return nil, fmt.Errorf("line %d: the block is not closed", cur.line)
	}
	return blocks, sc.Err()
}

// docRun is the state of one run of the document.
type docRun struct {
	t        *testing.T
	root     string
	dir      string   // the test's directory: the shell's state, the programs
	env      []string // the environment of the next go or ts block
	outs     map[string]string
	running  map[string]*bgProc
	blockOf  map[string]docBlock
	failures int
}

// bgProc is a background block's process.
type bgProc struct {
	cmd  *exec.Cmd
	out  *syncBuffer
	done chan error
}

// check is what a block's output must show; outs holds the output of every
// block run before it (of background blocks, as far as they are).
type check func(out string, outs map[string]string) error

// has requires every pattern (a regexp, $NAME replaced by the first
// submatch of another block's check: see linkOf) to match out.
func has(patterns ...string) check {
	return func(out string, outs map[string]string) error {
		for _, p := range patterns {
			p = regexp.MustCompile(`\$[a-z-]+`).ReplaceAllStringFunc(p, func(name string) string {
				return regexp.QuoteMeta(linkOf(name[1:], outs))
			})
			if !regexp.MustCompile(p).MatchString(out) {
				return fmt.Errorf("no match for %q", p)
			}
		}
		return nil
	}
}

// linkOf is the link a block created: the first pl_ id of its output.
func linkOf(id string, outs map[string]string) string {
	m := regexp.MustCompile(`pl_[0-9A-Za-z]+`).FindString(outs[id])
	if m == "" {
		return "<no link in the output of " + id + ">"
	}
	return m
}

// integrateChecks: what each block of docs/integrate.md shows.
var integrateChecks = map[string]check{
	"curl-create": has(`\{"id":"pl_\w+","status":"created","url":"http://127\.0\.0\.1:\d+/l/demo_\w+"\}`),
	"curl-pay":    has(`^302 http://127\.0\.0\.1:\d+/sandbox/checkout/cs_\S+\nPay: 303\n`, `$curl-create is paid`),
	"curl-settings": has(
		`\{"webhook_url":"http://127\.0\.0\.1:3000/hooks","webhook_secret_set":true\}`),
	"curl-feed": has(`msg_\w+\tpayment_link\.created\t$curl-create\tcreated`,
		`msg_\w+\tpayment_link\.clicked\t$curl-create\tclicked`, `msg_\w+\tpayment_link\.paid\t$curl-create\tpaid`,
		`\{"paid":\["$curl-create"\],"next_cursor":"msg_\w+","has_more":false\}`),
	"go-hooks": has(`^created pl_\w+ http://127\.0\.0\.1:\d+/l/demo_\w+\n`,
		`verified msg_\w+ payment_link\.created: $go-hooks is created`,
		`verified msg_\w+ payment_link\.paid: $go-hooks is paid`),
	"go-pay": has(`^Pay: 303\n$`),
	"go-feed": has(`^msg_\w+ payment_link\.created $curl-create created\n`,
		`msg_\w+ payment_link\.paid $curl-create paid`, `msg_\w+ payment_link\.paid $go-hooks paid`),
	"ts-hooks": has(`^created pl_\w+ http://127\.0\.0\.1:\d+/l/demo_\w+\n`,
		`verified msg_\w+ payment_link\.paid: $ts-hooks is paid`,
		`verified msg_\w+ payment_link\.paid: $trigger is paid`),
	"ts-pay": has(`^Pay: 303\n$`),
	"ts-feed": has(`^msg_\w+ payment_link\.created $curl-create created\n`,
		`msg_\w+ payment_link\.paid $go-hooks paid`, `msg_\w+ payment_link\.paid $ts-hooks paid`),
	"install": func(out string, _ map[string]string) error {
		if out != "" {
			return fmt.Errorf("go install printed %q", out)
		}
		return nil
	},
	"listen": has(`Forwarding the events of http://127\.0\.0\.1:\d+ to http://localhost:3000/hooks`,
		`payment_link\.paid +$trigger +-> 204`, `payment_link\.paid +$ts-hooks +-> 204`),
	"trigger": has(`^pl_\w+\n$`),
}

// integrateBlocks reads docs/integrate.md's blocks: every block that runs
// has a check in integrateChecks and every check a block; ids are the
// blocks that run by their id.
func integrateBlocks(t *testing.T) (blocks []docBlock, ids map[string]docBlock) {
	t.Helper()
	md, err := os.ReadFile("../../docs/integrate.md")
	if err != nil {
		t.Fatal(err)
	}
	if blocks, err = parseDocBlocks(string(md)); err != nil {
		t.Fatalf("docs/integrate.md: %v", err)
	}
	ids = map[string]docBlock{}
	for _, b := range blocks {
		if b.norun {
			continue
		}
		if _, dup := ids[b.id]; dup {
			t.Fatalf("docs/integrate.md:%d: id=%s twice", b.line, b.id)
		}
		ids[b.id] = b
		if integrateChecks[b.id] == nil {
			t.Errorf("docs/integrate.md:%d: the block id=%s has no check in integrateChecks", b.line, b.id)
		}
	}
	for id := range integrateChecks {
		if _, ok := ids[id]; !ok {
			t.Errorf("integrateChecks has %s, which docs/integrate.md has no block of", id)
		}
	}
	if t.Failed() {
		t.FailNow()
	}
	return blocks, ids
}

// TestIntegrateDocBlocksHaveChecks: in the fast tier too, the document's
// blocks and the checks of TestIntegrateDoc are the same set.
func TestIntegrateDocBlocksHaveChecks(t *testing.T) {
	integrateBlocks(t)
}

// needIntegrateTools fails the test when what the document uses is missing:
// npm and node, curl, jq, openssl, and port 3000 of 127.0.0.1 (its
// receivers', as a reader's would be).
func needIntegrateTools(t *testing.T) {
	t.Helper()
	for _, tool := range []string{"npm", "node", "curl", "jq", "openssl"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("docs/integrate.md needs %s: %v", tool, err)
		}
	}
	l, err := net.Listen("tcp", "127.0.0.1:3000")
	if err != nil {
		t.Fatalf("docs/integrate.md's receivers need port 3000 of 127.0.0.1: %v", err)
	}
	l.Close()
}

// TestIntegrateDoc: see the top of this file.
func TestIntegrateDoc(t *testing.T) {
	blocks, ids := integrateBlocks(t)
	s := newStack(t)
	needIntegrateTools(t)
	r := &docRun{t: t, root: s.root, dir: t.TempDir(), outs: map[string]string{}, running: map[string]*bgProc{}, blockOf: ids}
	built := make(chan error, 1)
	go func() { built <- r.build(blocks) }() // while make dev starts
	const key = "sk_test_icD0xZKAnWo7CFQwlbFezqHUgxtEmGsD20BeuX"
	s.makeDev(t, "PAYLINKS_DEV_API_KEY="+key)
	if err := <-built; err != nil {
		t.Fatal(err)
	}
	gobin := filepath.Join(r.dir, "bin")
	r.env = append(os.Environ(), "PAYLINKS_API_URL="+s.devURL(), "PAYLINKS_API_KEY="+key, "GOBIN="+gobin,
		"PATH="+gobin+string(os.PathListSeparator)+os.Getenv("PATH"), "XDG_CONFIG_HOME="+filepath.Join(r.dir, "config"))
	t.Cleanup(func() { // after a failure: what still runs
		for id := range r.running {
			r.kill(id)
		}
	})
	for _, b := range blocks {
		if b.norun {
			continue
		}
		r.stop(b.stop...)
		if r.failures > 0 {
			return
		}
		if b.background {
			r.startBackground(b)
		} else {
			r.runForeground(b)
		}
		if r.failures > 0 {
			return // the blocks after a failed one would fail for it
		}
	}
	r.stopAll()
}

// build writes the go blocks into a module and builds them, and the ts
// blocks into a package beside a built copy of clients/ts and compiles
// them.
func (r *docRun) build(blocks []docBlock) error {
	mod := filepath.Join(r.dir, "gomod")
	gomod := "module integrate\n\ngo 1.26\n\nrequire github.com/paylinks/paylinks/clients/go v0.0.0\n\n" +
		"replace github.com/paylinks/paylinks/clients/go => " + filepath.Join(r.root, "clients", "go") + "\n"
	if err := writeFiles(mod, map[string]string{"go.mod": gomod}); err != nil {
		return err
	}
	sum, err := os.ReadFile(filepath.Join(r.root, "clients", "go", "go.sum"))
	if err != nil {
		return err
	}
	app := filepath.Join(r.dir, "ts", "app")
	tsFiles := map[string]string{"package.json": `{"type": "module", "private": true}` + "\n",
		"tsconfig.json": `{"compilerOptions": {"target": "ES2022", "module": "NodeNext", "moduleResolution": "NodeNext",
  "strict": true, "types": ["node"], "skipLibCheck": true, "outDir": "dist"}, "include": ["*.ts"]}` + "\n"}
	var goIDs []string
	for _, b := range blocks {
		switch {
		case b.norun:
		case b.lang == "go":
			goIDs = append(goIDs, b.id)
			if err := writeFiles(filepath.Join(mod, b.id), map[string]string{"main.go": b.code}); err != nil {
				return err
			}
		case b.lang == "ts":
			tsFiles[b.id+".ts"] = b.code
		}
	}
	if err := os.WriteFile(filepath.Join(mod, "go.sum"), sum, 0o644); err != nil {
		return err
	}
	if out, err := r.command(mod, "go", "mod", "tidy"); err != nil {
		return fmt.Errorf("go mod tidy of the Go blocks: %w\n%s", err, out)
	}
	for _, id := range goIDs {
		if out, err := r.command(mod, "go", "build", "-o", filepath.Join(r.dir, "programs", id), "./"+id); err != nil {
			return fmt.Errorf("the Go block id=%s does not build: %w\n%s", id, err, out)
		}
	}
	if err := writeFiles(app, tsFiles); err != nil {
		return err
	}
	return r.buildTS(app)
}

// buildTS copies clients/ts, installs and builds it, links it into app's
// node_modules as @paylinks/client, and compiles app.
func (r *docRun) buildTS(app string) error {
	client := filepath.Join(r.dir, "ts", "client")
	src := filepath.Join(r.root, "clients", "ts")
	if err := os.CopyFS(filepath.Join(client, "src"), os.DirFS(filepath.Join(src, "src"))); err != nil {
		return fmt.Errorf("copy clients/ts/src: %w", err)
	}
	files := map[string]string{}
	for _, f := range []string{"package.json", "package-lock.json", "tsconfig.json"} {
		b, err := os.ReadFile(filepath.Join(src, f))
		if err != nil {
			return err
		}
		files[f] = string(b)
	}
	if err := writeFiles(client, files); err != nil {
		return err
	}
	for _, s := range [][]string{
		{client, "npm", "ci", "--no-audit", "--no-fund", "--prefer-offline", "--loglevel=error"},
		{client, "npm", "run", "build"},
	} {
		if out, err := r.command(s[0], s[1], s[2:]...); err != nil {
			return fmt.Errorf("%s in a copy of clients/ts: %w\n%s", strings.Join(s[1:], " "), err, lastLines(out, 60))
		}
	}
	modules := filepath.Join(app, "node_modules")
	if err := os.MkdirAll(filepath.Join(modules, "@paylinks"), 0o755); err != nil {
		return err
	}
	if err := os.Symlink(client, filepath.Join(modules, "@paylinks", "client")); err != nil {
		return err
	}
	if err := os.Symlink(filepath.Join(client, "node_modules", "@types"), filepath.Join(modules, "@types")); err != nil {
		return err
	}
	if out, err := r.command(app, "node", filepath.Join(client, "node_modules", "typescript", "bin", "tsc"), "-p", "."); err != nil {
		return fmt.Errorf("the TypeScript blocks do not compile: %w\n%s", err, lastLines(out, 60))
	}
	return nil
}

func writeFiles(dir string, files map[string]string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// command runs name in dir with the environment of the test, within 3
// minutes, and returns its output.
func (r *docRun) command(dir, name string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	c := exec.CommandContext(ctx, name, args...)
	c.Dir = dir
	out, err := c.CombinedOutput()
	return string(out), err
}

// cmd is the command of a block: bash with the shell's state for sh, the
// built program for go, node for ts.
func (r *docRun) cmd(ctx context.Context, b docBlock) *exec.Cmd {
	var c *exec.Cmd
	switch b.lang {
	case "sh":
		c = exec.CommandContext(ctx, "bash", "-c", r.shellScript(b))
		c.Dir = r.root
	case "go":
		c = exec.CommandContext(ctx, filepath.Join(r.dir, "programs", b.id))
		c.Dir = r.dir
	default:
		c = exec.CommandContext(ctx, "node", filepath.Join(r.dir, "ts", "app", "dist", b.id+".js"))
		c.Dir = filepath.Join(r.dir, "ts", "app")
	}
	c.Env = r.env
	c.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	c.Cancel = func() error { return syscall.Kill(-c.Process.Pid, syscall.SIGKILL) }
	return c
}

// shellScript is an sh block as bash runs it: with the variables the blocks
// before it set, and, when it is not a background one, saving its own for
// the next ones (declare -p of every variable bash did not start with) and
// its environment for the go and ts blocks.
func (r *docRun) shellScript(b docBlock) string {
	state := filepath.Join(r.dir, "shell-state")
	q := func(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
	script := "set -euo pipefail\n__base=$(compgen -v)\nif [ -f " + q(state) + " ]; then source " + q(state) + "; fi\n" + b.code
	if !b.background {
		script += "\nfor __v in $(compgen -v); do\n" +
			"  [[ $__v == __* ]] || grep -qxF -- \"$__v\" <<<\"$__base\" || declare -p \"$__v\"\n" +
			"done > " + q(state+".next") + "\nmv " + q(state+".next") + " " + q(state) + "\nenv -0 > " + q(state+".env") + "\n"
	}
	return script
}

func (r *docRun) fail(b docBlock, format string, args ...any) {
	r.t.Helper()
	r.failures++
	r.t.Errorf("docs/integrate.md:%d (%s id=%s): %s", b.line, b.lang, b.id, fmt.Sprintf(format, args...))
}

// runForeground runs a block to its end and checks its output.
func (r *docRun) runForeground(b docBlock) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c := r.cmd(ctx, b)
	out, err := c.CombinedOutput()
	r.outs[b.id] = string(out)
	r.t.Logf("docs/integrate.md id=%s:\n%s", b.id, out)
	if err != nil {
		r.fail(b, "it failed: %v\n%s", err, out)
		return
	}
	if err := integrateChecks[b.id](string(out), r.outs); err != nil {
		r.fail(b, "its output does not show what the document says: %v\n%s", err, out)
	}
	if b.lang == "sh" {
		env, err := os.ReadFile(filepath.Join(r.dir, "shell-state.env"))
		if err != nil {
			r.fail(b, "the shell's environment: %v", err)
			return
		}
		r.env = strings.Split(strings.TrimSuffix(string(env), "\x00"), "\x00")
	}
}

// startBackground starts a block and waits for its first line.
func (r *docRun) startBackground(b docBlock) {
	c := r.cmd(context.Background(), b)
	p := &bgProc{cmd: c, out: &syncBuffer{}, done: make(chan error, 1)}
	c.Stdout, c.Stderr = p.out, p.out
	if err := c.Start(); err != nil {
		r.fail(b, "start: %v", err)
		return
	}
	go func() { p.done <- c.Wait() }()
	r.running[b.id] = p
	if !waitFor(time.Minute, func() bool {
		select {
		case err := <-p.done:
			p.done <- err
			return true
		default:
		}
		return strings.Contains(p.out.String(), "\n")
	}) || p.exited() {
		r.fail(b, "it printed no line in a minute, or exited:\n%s", p.out)
	}
	r.outs[b.id] = p.out.String()
}

func (p *bgProc) exited() bool {
	select {
	case err := <-p.done:
		p.done <- err
		return true
	default:
		return false
	}
}

// awaitCheck waits up to 30 s for a background block's output to pass its
// check (or for it to exit), and reports it when it does not.
func (r *docRun) awaitCheck(id string) {
	p, b := r.running[id], r.blockOf[id]
	var err error
	waitFor(30*time.Second, func() bool {
		r.outs[id] = p.out.String()
		err = integrateChecks[id](r.outs[id], r.outs)
		return err == nil || p.exited()
	})
	if err != nil {
		r.fail(b, "its output does not show what the document says: %v\n%s", err, p.out)
	}
}

// kill stops a background block as Ctrl-C does (SIGTERM to its process
// group; SIGKILL 10 s later).
func (r *docRun) kill(id string) {
	p := r.running[id]
	delete(r.running, id)
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.done
	}
	r.t.Logf("docs/integrate.md id=%s (background):\n%s", id, p.out)
}

// stop checks and stops the background blocks ids that are running; all
// are checked before any is stopped (a receiver and what forwards to it
// run together to the end of the document).
func (r *docRun) stop(ids ...string) {
	ids = slices.DeleteFunc(slices.Clone(ids), func(id string) bool { return r.running[id] == nil })
	for _, id := range ids {
		r.awaitCheck(id)
	}
	for _, id := range ids {
		r.kill(id)
	}
}

// stopAll checks and stops every background block still running.
func (r *docRun) stopAll() {
	r.stop(slices.Sorted(maps.Keys(r.running))...)
}

// TestParseDocBlocks: the convention of TestIntegrateDoc as parseDocBlocks
// reads it; a block that neither runs nor says norun, a running block
// without an id, an unknown attribute and an unclosed block are refused.
func TestParseDocBlocks(t *testing.T) {
	md := "# T\n\n```sh norun\nmake dev\n```\n\ntext\n\n```go id=hooks background\npackage main\n```\n\n" +
		"```ts id=feed stop=hooks stop=other\nconsole.log(1);\n```\n"
	got, err := parseDocBlocks(md)
	if err != nil {
		t.Fatal(err)
	}
	want := []docBlock{
		{lang: "sh", line: 3, norun: true, code: "make dev\n"},
		{lang: "go", id: "hooks", line: 9, background: true, code: "package main\n"},
		{lang: "ts", id: "feed", line: 13, stop: []string{"hooks", "other"}, code: "console.log(1);\n"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("parseDocBlocks:\n got %+v\nwant %+v", got, want)
	}
	for _, bad := range []string{
		"```\nplain\n```\n",             // no language, not norun
		"```json id=x\n{}\n```\n",       // a language that does not run
		"```sh\necho\n```\n",            // runs, no id
		"```sh id=x later\necho\n```\n", // unknown attribute
		"```sh id=x\necho\n",            // not closed
	} {
		if _, err := parseDocBlocks(bad); err == nil {
			t.Errorf("parseDocBlocks accepted %q", bad)
		}
	}
}
