package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestTypeScriptClient runs the TypeScript client's tests (clients/ts, npm
// test: its unit tests and those against a running paylinks) against a
// make dev of its own: npm ci from the lock file, then npm test with
// PAYLINKS_API_URL and PAYLINKS_API_KEY set. It fails when they fail, and
// when the tests against the server were skipped.
func TestTypeScriptClient(t *testing.T) {
	s := newStack(t)
	if _, err := exec.LookPath("npm"); err != nil {
		t.Fatalf("the TypeScript client's tests need node 20 and npm: %v", err)
	}
	const key = "sk_test_tsclient0000000000000000000000003fHjj3"
	s.makeDev(t, "PAYLINKS_DEV_API_KEY="+key)
	dir := filepath.Join(s.root, "clients", "ts")
	npmRun(t, dir, nil, "ci", "--no-audit", "--no-fund", "--loglevel=error")
	out := npmRun(t, dir, []string{"PAYLINKS_API_URL=" + s.devURL(), "PAYLINKS_API_KEY=" + key}, "test")
	// node:test counts no test of a skipped suite: the live ones must show
	// as passed by name, first and last, and nothing as skipped.
	for _, want := range []string{"\n# fail 0\n", "ok 1 - creates a link and reads it back", "ok 7 - reads the event feed"} {
		if !strings.Contains(out, want) {
			t.Errorf("npm test's report has no %q:\n%s", strings.TrimSpace(want), lastLines(out, 60))
		}
	}
	if strings.Contains(out, "# SKIP") {
		t.Errorf("npm test skipped tests:\n%s", lastLines(out, 60))
	}
}

// npmRun runs npm in dir with extra environment and returns its output; a
// failure fails the test with the output's end.
func npmRun(t *testing.T, dir string, env []string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	c := exec.CommandContext(ctx, "npm", args...)
	c.Dir = dir
	c.Env = append(os.Environ(), env...)
	out, err := c.CombinedOutput()
	if err != nil {
		t.Fatalf("npm %s in %s: %v\n%s", strings.Join(args, " "), dir, err, lastLines(string(out), 120))
	}
	return string(out)
}

// lastLines is the last n lines of s.
func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
