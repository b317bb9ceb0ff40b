package guard

// These tests look at the emulators as the network and a web page see them:
// every socket their processes listen on (from /proc, as ss -ltnp does) must
// be bound to a loopback address, and each must answer 403 without CORS
// headers to what a browser sends on a page's behalf. One test checks the
// emulators running for this run (the pid files under PAYLINKS_RUN_DIR:
// make test's DynamoDB Local and moto, or LocalStack's run directory in
// make test-localstack); the other starts a set of its own (DynamoDB Local,
// moto and ElasticMQ, as make dev does) on free ports.

import (
	"bufio"
	"crypto/tls"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/paylinks/paylinks/shared/testkit"
)

// listener is one listening TCP socket of an emulator process.
type listener struct {
	ip   net.IP
	port int
	pid  int
	comm string
}

func (l listener) String() string {
	return fmt.Sprintf("%s (pid %d, %s)", net.JoinHostPort(l.ip.String(), strconv.Itoa(l.port)), l.pid, l.comm)
}

func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("../../..")
	if err != nil {
		t.Fatal(err)
	}
	return root
}

func needProc(t *testing.T) {
	t.Helper()
	for _, p := range []string{"/proc/net/tcp", "/proc/self/fd"} {
		if _, err := os.Stat(p); err != nil {
			t.Skipf("needs Linux's /proc (%s): %v", p, err)
		}
	}
}

// pidFiles reads the *.pid files in dir and in its subdirectories
// (emulators.sh writes one per emulator; localstack.sh's run directory has
// LocalStack's and, under moto/, moto's) and returns the pids whose process
// is alive.
func pidFiles(t *testing.T, dir string) map[int]string {
	t.Helper()
	pids := map[int]string{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if rel, _ := filepath.Rel(dir, path); strings.Count(rel, string(filepath.Separator)) >= 1 {
				return filepath.SkipDir // LocalStack's file system and logs: no pid file of ours
			}
			return nil
		}
		if !strings.HasSuffix(path, ".pid") {
			return nil
		}
		raw, err := os.ReadFile(path)
		if err != nil {
			return fmt.Errorf("read pid file %s: %w", path, err)
		}
		pid, err := strconv.Atoi(strings.TrimSpace(string(raw)))
		if err != nil {
			return fmt.Errorf("pid file %s: %w", path, err)
		}
		if _, err := os.Stat(fmt.Sprintf("/proc/%d", pid)); err == nil {
			pids[pid] = path
		} else {
			t.Logf("%s names pid %d, which is not running", path, pid)
		}
		return nil
	})
	if err != nil && !os.IsNotExist(err) {
		t.Fatalf("pid files under %s: %v", dir, err)
	}
	return pids
}

// parentAndComm reads a process's parent pid and command name from
// /proc/<pid>/stat (the name is in parentheses and may hold any character).
func parentAndComm(pid int) (int, string, error) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, "", fmt.Errorf("read stat of %d: %w", pid, err)
	}
	s := string(raw)
	open, end := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
	if open < 0 || end < open {
		return 0, "", fmt.Errorf("stat of %d: no command name in %q", pid, s)
	}
	fields := strings.Fields(s[end+1:])
	if len(fields) < 2 {
		return 0, "", fmt.Errorf("stat of %d: too short: %q", pid, s)
	}
	ppid, err := strconv.Atoi(fields[1])
	if err != nil {
		return 0, "", fmt.Errorf("stat of %d: parent pid: %w", pid, err)
	}
	return ppid, s[open+1 : end], nil
}

// withDescendants returns the given processes and all their descendants
// (LocalStack's DynamoDB Local and Lambda executors are its children), each
// with its command name.
func withDescendants(t *testing.T, roots map[int]string) map[int]string {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatalf("list /proc: %v", err)
	}
	children := map[int][]int{}
	comms := map[int]string{}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		ppid, comm, err := parentAndComm(pid)
		if err != nil {
			continue // exited meanwhile
		}
		children[ppid] = append(children[ppid], pid)
		comms[pid] = comm
	}
	out := map[int]string{}
	var walk func(int)
	walk = func(pid int) {
		if _, seen := out[pid]; seen {
			return
		}
		out[pid] = comms[pid]
		for _, c := range children[pid] {
			walk(c)
		}
	}
	for pid := range roots {
		walk(pid)
	}
	return out
}

// socketInodes maps the inode of every socket the processes hold to its pid.
func socketInodes(procs map[int]string) map[uint64]int {
	inodes := map[uint64]int{}
	for pid := range procs {
		dir := fmt.Sprintf("/proc/%d/fd", pid)
		fds, err := os.ReadDir(dir)
		if err != nil {
			continue // exited meanwhile
		}
		for _, fd := range fds {
			target, err := os.Readlink(filepath.Join(dir, fd.Name()))
			if err != nil || !strings.HasPrefix(target, "socket:[") {
				continue
			}
			n, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimPrefix(target, "socket:["), "]"), 10, 64)
			if err == nil {
				inodes[n] = pid
			}
		}
	}
	return inodes
}

// procAddr decodes an address of /proc/net/tcp{,6}: the IP in hex, in
// 32-bit words of the host's byte order (little-endian here), then the port.
func procAddr(s string) (net.IP, int, error) {
	host, port, ok := strings.Cut(s, ":")
	if !ok {
		return nil, 0, fmt.Errorf("address %q: no port", s)
	}
	raw, err := hex.DecodeString(host)
	if err != nil || (len(raw) != 4 && len(raw) != 16) {
		return nil, 0, fmt.Errorf("address %q: bad IP", s)
	}
	ip := make(net.IP, len(raw))
	for w := 0; w < len(raw); w += 4 {
		for i := range 4 {
			ip[w+i] = raw[w+3-i]
		}
	}
	p, err := strconv.ParseUint(port, 16, 16)
	if err != nil {
		return nil, 0, fmt.Errorf("address %q: bad port: %w", s, err)
	}
	return ip, int(p), nil
}

// listeners lists the listening TCP sockets (IPv4 and IPv6) of the processes.
func listeners(t *testing.T, procs map[int]string) []listener {
	t.Helper()
	inodes := socketInodes(procs)
	var out []listener
	for _, table := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		f, err := os.Open(table)
		if err != nil {
			t.Fatalf("open %s: %v", table, err)
		}
		sc := bufio.NewScanner(f)
		sc.Scan() // the header
		for sc.Scan() {
			fields := strings.Fields(sc.Text())
			if len(fields) < 10 || fields[3] != "0A" { // 0A: LISTEN
				continue
			}
			inode, err := strconv.ParseUint(fields[9], 10, 64)
			if err != nil {
				t.Fatalf("%s: inode %q: %v", table, fields[9], err)
			}
			pid, ours := inodes[inode]
			if !ours {
				continue
			}
			ip, port, err := procAddr(fields[1])
			if err != nil {
				t.Fatalf("%s: %v", table, err)
			}
			out = append(out, listener{ip: ip, port: port, pid: pid, comm: procs[pid]})
		}
		if err := sc.Err(); err != nil {
			t.Fatalf("read %s: %v", table, err)
		}
		_ = f.Close()
	}
	return out
}

// browserRequest is one request a web page on another origin makes a
// browser send.
type browserRequest struct {
	name   string
	method string
	body   string
	header map[string]string
	host   string // "" keeps the address dialled
}

func browserRequests(port int) []browserRequest {
	form := "application/x-www-form-urlencoded"
	return []browserRequest{
		{name: "a form post (SQS query protocol, no preflight)", method: http.MethodPost,
			body: "Action=ListQueues&Version=2012-11-05",
			header: map[string]string{"Origin": "https://evil.example", "Content-Type": form,
				"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate"}},
		{name: "a text/plain fetch() from a sandboxed frame (Origin: null)", method: http.MethodPost,
			body:   `{"TableName":"paylinks-dev"}`,
			header: map[string]string{"Origin": "null", "Content-Type": "text/plain;charset=UTF-8"}},
		{name: "a CORS preflight", method: http.MethodOptions,
			header: map[string]string{"Origin": "https://evil.example", "Access-Control-Request-Method": "POST",
				"Access-Control-Request-Headers": "content-type,x-amz-target,authorization"}},
		{name: "a cross-site GET without Origin (an image)", method: http.MethodGet,
			header: map[string]string{"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "no-cors", "Sec-Fetch-Dest": "image"}},
		{name: "a same-origin GET from a page whose name was rebound to 127.0.0.1", method: http.MethodGet,
			header: map[string]string{"Sec-Fetch-Site": "same-origin", "Sec-Fetch-Mode": "cors"},
			host:   "evil.example:" + strconv.Itoa(port)},
	}
}

var client = &http.Client{
	Timeout:   10 * time.Second,
	Transport: &http.Transport{Proxy: nil, DisableKeepAlives: true},
}

func send(base, method, body, host string, header map[string]string) (*http.Response, string, error) {
	req, err := http.NewRequest(method, base+"/?Action=ListQueues&Version=2012-11-05", strings.NewReader(body))
	if err != nil {
		return nil, "", fmt.Errorf("new request: %w", err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	if host != "" {
		req.Host = host
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, "", fmt.Errorf("%s %s: %w", method, base, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	return resp, string(b), nil
}

// probe sends the listener a program's request (which must not be refused:
// the port is an emulator that answers) and each browserRequest (which must
// be refused with 403 and no CORS header).
func probe(t *testing.T, l listener) {
	t.Helper()
	ip := l.ip
	if ip.IsUnspecified() {
		ip = net.IPv4(127, 0, 0, 1)
	}
	base := "http://" + net.JoinHostPort(ip.String(), strconv.Itoa(l.port))
	resp, body, err := send(base, http.MethodPost, "Action=ListQueues&Version=2012-11-05", "",
		map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
	if err != nil {
		if speaksTLS(l) {
			// kinesis-mock's TLS port: a browser refuses its self-signed
			// certificate before any request.
			t.Logf("%s speaks TLS only, with a certificate no browser trusts", l)
			return
		}
		t.Errorf("%s: a program's request: %v", l, err)
		return
	}
	if resp.StatusCode == http.StatusForbidden {
		t.Errorf("%s refuses a program's request too (403 %q): the browser probes below prove nothing", l, body)
	}
	for _, br := range browserRequests(l.port) {
		resp, body, err := send(base, br.method, br.body, br.host, br.header)
		if err != nil {
			t.Errorf("%s: %s: %v", l, br.name, err)
			continue
		}
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("%s answers %s with %d, want 403: %.200q", l, br.name, resp.StatusCode, body)
		}
		for k, v := range resp.Header {
			if strings.HasPrefix(strings.ToLower(k), "access-control-") {
				t.Errorf("%s answers %s with the CORS header %s: %s", l, br.name, k, strings.Join(v, ", "))
			}
		}
	}
}

// speaksTLS: the listener completes a TLS handshake (any certificate).
func speaksTLS(l listener) bool {
	d := &net.Dialer{Timeout: 5 * time.Second}
	c, err := tls.DialWithDialer(d, "tcp", net.JoinHostPort(l.ip.String(), strconv.Itoa(l.port)),
		&tls.Config{InsecureSkipVerify: true}) //nolint:gosec // only asks whether the port speaks TLS
	if err != nil {
		return false
	}
	_ = c.Close()
	return true
}

// checkEmulators asserts that the processes (and their descendants) listen
// on loopback only and refuse a web page's requests on every port; it
// returns the listeners.
func checkEmulators(t *testing.T, roots map[int]string) []listener {
	t.Helper()
	procs := withDescendants(t, roots)
	ls := listeners(t, procs)
	for _, l := range ls {
		t.Logf("listening: %s", l)
		if !l.ip.IsLoopback() {
			t.Errorf("%s listens beyond loopback: another machine can connect", l)
		}
		// aws-lambda-rie (LocalStack's Lambda environments, started lazily
		// after a deploy) serves Lambda's invoke API as AWS built it, on
		// random loopback ports; there is no guard in front of it.
		if strings.HasPrefix(l.comm, "aws-lambda-rie") {
			continue
		}
		probe(t, l)
	}
	return ls
}

// TestRunningEmulatorsAreGuarded checks the emulators whose pid files are in
// the run directory (PAYLINKS_RUN_DIR, .tools/run by default): under make
// test, DynamoDB Local and moto; under localstack.sh, LocalStack, the
// DynamoDB Local it started and moto beside it.
func TestRunningEmulatorsAreGuarded(t *testing.T) {
	testkit.Needs(t, testkit.Emulators)
	needProc(t)
	dir := os.Getenv("PAYLINKS_RUN_DIR")
	if dir == "" {
		dir = filepath.Join(repoRoot(t), ".tools", "run")
	}
	roots := pidFiles(t, dir)
	if len(roots) == 0 {
		t.Skipf("no emulator running (no live pid file under %s)", dir)
	}
	if ls := checkEmulators(t, roots); len(ls) == 0 {
		t.Errorf("the emulators of %s (%v) listen on no TCP port", dir, roots)
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// TestEmulatorsStartGuarded starts DynamoDB Local, moto and ElasticMQ as
// make dev does, in a state directory and on ports of its own, and checks
// them.
func TestEmulatorsStartGuarded(t *testing.T) {
	testkit.Needs(t, testkit.Emulators)
	needProc(t)
	if os.Getenv("AWS_ENDPOINT_URL_DYNAMODB") == "" || os.Getenv("AWS_ENDPOINT_URL") != "" {
		t.Skip("runs under make test (emulators installed, AWS_ENDPOINT_URL_DYNAMODB set)")
	}
	root, run := repoRoot(t), t.TempDir()
	ports := map[string]int{"DDB_PORT": freePort(t), "SQS_PORT": freePort(t), "DEV_SQS_PORT": freePort(t)}
	env := append(os.Environ(), "PAYLINKS_RUN_DIR="+run, "EMULATORS=ddb moto elasticmq")
	for k, v := range ports {
		env = append(env, k+"="+strconv.Itoa(v))
	}
	emulators := func(cmd string) error {
		c := exec.Command(filepath.Join(root, "infra/local/emulators.sh"), cmd)
		c.Env = env
		out, err := c.CombinedOutput()
		if err != nil {
			return fmt.Errorf("emulators.sh %s: %w\n%s", cmd, err, out)
		}
		return nil
	}
	t.Cleanup(func() {
		if err := emulators("stop"); err != nil {
			t.Log(err)
		}
	})
	if err := emulators("start"); err != nil {
		t.Fatal(err)
	}
	roots := pidFiles(t, run)
	if len(roots) != 3 {
		t.Fatalf("want 3 emulators' pid files in %s, found %v", run, roots)
	}
	seen := map[int]bool{}
	for _, l := range checkEmulators(t, roots) {
		seen[l.port] = true
	}
	for k, p := range ports {
		if !seen[p] {
			t.Errorf("no emulator listens on %s=%d", k, p)
		}
	}
}
