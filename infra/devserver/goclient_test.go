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

// TestGoClientAgainstMakeDev: the Go client's tests (clients/go, a module
// of its own, so not among go test ./... of this one) run against a make dev
// of their own: go test ./... in clients/go with PAYLINKS_API_URL and
// PAYLINKS_API_KEY set, which turns on its tests of a running paylinks
// (clients/go/devstack_test.go: links, pages, refunds, webhooks, the event
// feed and the paylinks command).
func TestGoClientAgainstMakeDev(t *testing.T) {
	s := newStack(t)
	const key = "sk_test_XAAoVHdymuN8RCnMD4NZf5Bqp1SjFZz61pk0Dc"
	s.makeDev(t, "PAYLINKS_DEV_API_KEY="+key)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	c := exec.CommandContext(ctx, "go", "test", "-count=1", "-v", "./...")
	c.Dir = filepath.Join(s.root, "clients", "go")
	c.Env = append(os.Environ(), "PAYLINKS_API_URL="+s.devURL(), "PAYLINKS_API_KEY="+key)
	out, err := c.CombinedOutput()
	t.Logf("go test ./... in clients/go:\n%s", out)
	if err != nil {
		t.Fatalf("the Go client's tests against make dev failed: %v", err)
	}
	if strings.Contains(string(out), "--- SKIP: TestDev") || !strings.Contains(string(out), "--- PASS: TestDevCommand") {
		t.Errorf("the client's tests of a running paylinks did not run (skipped)")
	}
}
