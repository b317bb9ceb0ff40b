package main

import (
	"bytes"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestCtrlCStopsMakeDevQuietly: Ctrl-C in the terminal (SIGINT to make
// dev's foreground process group) stops make dev quietly and completely.
// make exits with status 0 or dies of the interrupt itself (what a shell
// prints nothing for), prints no "*** ... Error" line, the dev server logs
// its shutdown, and of everything the run started only the three emulators
// remain (DynamoDB Local, moto, ElasticMQ keep running by design): no shell
// of emulators.sh, no go run, no dev server. Every emulator is this run's own
// (its ports and state directory), so the emulators of make test go on.
func TestCtrlCStopsMakeDevQuietly(t *testing.T) {
	s := newStack(t)
	s.ownMoto = true
	c := exec.Command("make", "dev")
	c.Dir, c.Env = s.root, s.env()
	c.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var out lockedBuffer
	c.Stdout, c.Stderr = &out, &out
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	var waitErr error
	exited := make(chan struct{})
	go func() { waitErr = c.Wait(); close(exited) }()
	t.Cleanup(func() {
		select {
		case <-exited:
		default:
			_ = syscall.Kill(-c.Process.Pid, syscall.SIGKILL)
			<-exited
		}
		// What the run left beside its emulators is stopped here, so
		// that a failure leaves nothing behind either.
		for _, p := range s.leftovers(t) {
			_ = syscall.Kill(p.pid, syscall.SIGKILL)
		}
	})
	if !waitFor(120*time.Second, func() bool {
		select {
		case <-exited:
			t.Fatalf("make dev exited before serving: %v\n%s", waitErr, out.String())
		default:
		}
		resp, err := http.Get(s.devURL() + "/healthz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 200
	}) {
		t.Fatalf("make dev did not answer /healthz in 120 s:\n%s", out.String())
	}
	if err := syscall.Kill(-c.Process.Pid, syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case <-exited:
	case <-time.After(30 * time.Second):
		t.Fatalf("make dev still running 30 s after Ctrl-C:\n%s", out.String())
	}
	if !quietExit(waitErr) {
		t.Errorf("make dev after Ctrl-C: %v (want status 0 or death by the interrupt)", waitErr)
	}
	if m := regexp.MustCompile(`(?m)^.*(\*\*\*|\bError\b).*$`).FindString(out.String()); m != "" {
		t.Errorf("make dev printed %q after Ctrl-C:\n%s", m, out.String())
	}
	if !strings.Contains(out.String(), `"msg":"dev server stopped"`) {
		t.Errorf("the dev server did not log its shutdown:\n%s", out.String())
	}
	// Processes orphaned by the run may take a moment to go.
	var left []proc
	waitFor(5*time.Second, func() bool {
		left = s.leftovers(t)
		return len(left) == 0
	})
	for _, p := range left {
		t.Errorf("left behind by make dev after Ctrl-C: %d %s", p.pid, p.args)
	}
	for _, name := range []string{"dynamodb", "moto", "elasticmq"} {
		if _, err := s.emulatorPid(name); err != nil {
			t.Errorf("the %s emulator went with make dev: %v", name, err)
		}
	}
}

// quietExit: the run ended with status 0, or by SIGINT itself (make
// re-raises the interrupt after its recipe ended; a shell prints nothing).
func quietExit(err error) bool {
	if err == nil {
		return true
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		return false
	}
	ws, ok := ee.Sys().(syscall.WaitStatus)
	return ok && ws.Signaled() && ws.Signal() == syscall.SIGINT
}

// lockedBuffer is make's output, written by exec's copying goroutine while
// the test reads it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// proc is a process on this machine.
type proc struct {
	pid  int
	args string
}

// emulatorPid is the process of the emulator name (its pid file in the
// state directory) when it runs.
func (s *stack) emulatorPid(name string) (int, error) {
	b, err := os.ReadFile(filepath.Join(s.run, name+".pid"))
	if err != nil {
		return 0, err
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		return 0, err
	}
	return pid, syscall.Kill(pid, 0)
}

// leftovers are the processes whose environment names this stack's state
// directory (every process make dev started has it), except its emulators.
func (s *stack) leftovers(t *testing.T) []proc {
	t.Helper()
	emulators := map[int]bool{}
	for _, name := range []string{"dynamodb", "moto", "elasticmq"} {
		if pid, err := s.emulatorPid(name); err == nil {
			emulators[pid] = true
		}
	}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	marker := []byte("\x00PAYLINKS_RUN_DIR=" + s.run + "\x00")
	var left []proc
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() || emulators[pid] {
			continue
		}
		env, err := os.ReadFile(filepath.Join("/proc", e.Name(), "environ"))
		if err != nil || !bytes.Contains(append([]byte{0}, env...), marker) {
			continue
		}
		args, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		left = append(left, proc{pid: pid, args: strings.TrimSpace(string(bytes.ReplaceAll(args, []byte{0}, []byte{' '})))})
	}
	return left
}
