package main

// These tests run `make dev` and infra/local/emulators.sh as a developer
// does, each on emulators of its own (free ports, a state directory in the
// test's temp dir), so that they can stop, restart and kill them without
// touching the emulators `make test` started. They need the emulators
// installed under .tools/ and run under `make test` (which installs them and
// sets AWS_ENDPOINT_URL_DYNAMODB).

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/paylinks/paylinks/shared/devkit/devenv"
	"github.com/paylinks/paylinks/shared/store"
	"github.com/paylinks/paylinks/shared/testkit"
	"github.com/paylinks/paylinks/shared/testkit/testenv"
)

// stack is one test's own emulators and dev server settings.
type stack struct {
	root, run                string
	ddbPort, sqsPort, motoPt int
	devPort                  int
	table                    string
	// ownMoto: the stack runs every emulator of make dev on its ports,
	// moto too (the user pool, KMS and Secrets Manager); else the moto of
	// make test answers those.
	ownMoto bool
}

func newStack(t *testing.T) *stack {
	t.Helper()
	testkit.Needs(t, testkit.Emulators)
	if os.Getenv("AWS_ENDPOINT_URL_DYNAMODB") == "" || os.Getenv("AWS_ENDPOINT_URL") != "" {
		t.Skip("runs under make test (emulators installed, AWS_ENDPOINT_URL_DYNAMODB set)")
	}
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("needs /proc to find the dev server's process")
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	var b [4]byte
	_, _ = rand.Read(b[:])
	s := &stack{root: root, run: t.TempDir(), ddbPort: freePort(t), sqsPort: freePort(t), motoPt: freePort(t),
		devPort: freePort(t), table: "devstate-" + hex.EncodeToString(b[:])}
	t.Cleanup(func() {
		if out, err := s.emulators("stop"); err != nil {
			t.Logf("emulators stop: %v\n%s", err, out)
		}
	})
	return s
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

// env is the environment of make and emulators.sh for this stack: its own
// ports, state directory and table, the SQS endpoint of make test replaced.
func (s *stack) env(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL_SQS", "AWS_ENDPOINT_URL_DYNAMODB_STREAMS", "TABLE_NAME",
			"PORT", "DDB_PORT", "SQS_PORT", "DEV_SQS_PORT", "PAYLINKS_RUN_DIR", "PUBLIC_BASE_URL", "SANDBOX_SECRET",
			"PAYLINKS_DEV_API_KEY", "MAKEFLAGS", "MFLAGS", "MAKELEVEL", "EMULATORS":
			continue
		case "AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER", "AWS_ENDPOINT_URL_KMS", "AWS_ENDPOINT_URL_SECRETS_MANAGER", "AWS_ENDPOINT_URL_S3":
			if s.ownMoto {
				continue
			}
		}
		env = append(env, kv)
	}
	env = append(env,
		"DDB_PORT="+strconv.Itoa(s.ddbPort), "SQS_PORT="+strconv.Itoa(s.motoPt), "DEV_SQS_PORT="+strconv.Itoa(s.sqsPort),
		"AWS_ENDPOINT_URL_DYNAMODB="+s.ddbURL(), "PAYLINKS_RUN_DIR="+s.run, "TABLE_NAME="+s.table,
		"PORT="+strconv.Itoa(s.devPort))
	if !s.ownMoto {
		env = append(env, "EMULATORS=ddb elasticmq")
	}
	return append(env, extra...)
}

func (s *stack) ddbURL() string { return fmt.Sprintf("http://127.0.0.1:%d", s.ddbPort) }
func (s *stack) sqsURL() string { return fmt.Sprintf("http://127.0.0.1:%d", s.sqsPort) }
func (s *stack) devURL() string { return fmt.Sprintf("http://127.0.0.1:%d", s.devPort) }

func (s *stack) emulators(cmd string) (string, error) {
	c := exec.Command(filepath.Join(s.root, "infra/local/emulators.sh"), cmd)
	c.Env = s.env()
	out, err := c.CombinedOutput()
	return string(out), err
}

func (s *stack) mustEmulators(t *testing.T, cmd string) {
	t.Helper()
	if out, err := s.emulators(cmd); err != nil {
		t.Fatalf("emulators.sh %s: %v\n%s", cmd, err, out)
	}
}

func (s *stack) clients(t *testing.T) (*dynamodb.Client, *sqs.Client) {
	cfg := testenv.AWSConfig(t)
	db := dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) {
		o.BaseEndpoint = aws.String(s.ddbURL())
		o.DisableValidateResponseChecksum = true
	})
	return db, sqs.NewFromConfig(cfg, func(o *sqs.Options) { o.BaseEndpoint = aws.String(s.sqsURL()) })
}

// TestEmulatorsRestartKeepTheirData: `emulators.sh start` after a stop finds
// the table's items and the queued messages as they were; only `reset`
// wipes them.
func TestEmulatorsRestartKeepTheirData(t *testing.T) {
	s := newStack(t)
	ctx := context.Background()
	s.mustEmulators(t, "start")
	db, q := s.clients(t)
	if err := store.CreateTableNoStream(ctx, db, s.table); err != nil {
		t.Fatal(err)
	}
	item := map[string]ddbtypes.AttributeValue{"PK": &ddbtypes.AttributeValueMemberS{Value: "KEEP#1"},
		"SK": &ddbtypes.AttributeValueMemberS{Value: "ITEM"}}
	if _, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.table), Item: item}); err != nil {
		t.Fatal(err)
	}
	qu, err := q.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(s.table + "-keep")})
	if err != nil {
		t.Fatalf("create queue on the dev SQS emulator: %v", err)
	}
	if _, err := q.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: qu.QueueUrl, MessageBody: aws.String("acknowledged")}); err != nil {
		t.Fatal(err)
	}
	s.mustEmulators(t, "start") // already running: nothing changes
	s.mustEmulators(t, "stop")
	s.mustEmulators(t, "start")
	db, q = s.clients(t)
	got, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(s.table), Key: item, ConsistentRead: aws.Bool(true)})
	if err != nil || got.Item == nil {
		t.Errorf("after stop and start the table's item is gone: %v", err)
	}
	msgs, err := q.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: qu.QueueUrl, WaitTimeSeconds: 2})
	if err != nil || len(msgs.Messages) != 1 || aws.ToString(msgs.Messages[0].Body) != "acknowledged" {
		t.Errorf("after stop and start the queued message is gone: %+v %v", msgs, err)
	}
	s.mustEmulators(t, "reset")
	s.mustEmulators(t, "start")
	db, q = s.clients(t)
	if _, err := db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(s.table)}); err == nil {
		t.Errorf("reset kept the table")
	}
	if _, err := q.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(s.table + "-keep")}); err == nil {
		t.Errorf("reset kept the queue")
	}
}

// devServer is one `make dev` run.
type devServer struct {
	cmd *exec.Cmd
	out *bytes.Buffer
	// log is the dev server's JSON log (its stdout), read while it runs.
	log  *syncBuffer
	done chan error
}

// syncBuffer is a buffer written by one goroutine and read by another.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func (s *stack) makeDev(t *testing.T, extra ...string) *devServer {
	t.Helper()
	c := exec.Command("make", "-s", "-C", s.root, "dev")
	c.Env = s.env(extra...)
	c.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	d := &devServer{cmd: c, out: &bytes.Buffer{}, log: &syncBuffer{}, done: make(chan error, 1)}
	c.Stdout, c.Stderr = d.log, d.out
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { d.done <- c.Wait() }()
	t.Cleanup(func() {
		_ = syscall.Kill(-c.Process.Pid, syscall.SIGTERM)
		select {
		case <-d.done:
		case <-time.After(10 * time.Second):
			_ = syscall.Kill(-c.Process.Pid, syscall.SIGKILL)
		}
	})
	deadline := time.Now().Add(90 * time.Second)
	for {
		resp, err := http.Get(s.devURL() + "/openapi.json")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return d
			}
		}
		select {
		case err := <-d.done:
			t.Fatalf("make dev exited before serving: %v\n%s", err, d.out)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("make dev did not serve in 90 s:\n%s", d.out)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// devserverPid finds the dev server's process under make (make -> shell ->
// go run -> devserver).
func devserverPid(t *testing.T, ancestor int) int {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	parent := map[int]int{}
	comm := map[int]string{}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...
		i := bytes.LastIndexByte(stat, ')')
		j := bytes.IndexByte(stat, '(')
		if i < 0 || j < 0 {
			continue
		}
		f := strings.Fields(string(stat[i+1:]))
		if len(f) < 2 {
			continue
		}
		ppid, _ := strconv.Atoi(f[1])
		parent[pid], comm[pid] = ppid, string(stat[j+1:i])
	}
	for pid, name := range comm {
		if name != "devserver" {
			continue
		}
		for p := parent[pid]; p > 1; p = parent[p] {
			if p == ancestor {
				return pid
			}
		}
	}
	t.Fatalf("no devserver process under make (%d)", ancestor)
	return 0
}

func (s *stack) api(t *testing.T, key, method, path string, body any) (int, map[string]any) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, s.devURL()+path, rd)
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

// waitFor polls cond every 100 ms until it holds (true) or timeout passes.
func waitFor(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(100 * time.Millisecond)
	}
	return true
}

var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// TestKilledDevServerLosesNoAcknowledgedPayment: payments acknowledged by
// the PSP webhook ingest (on the psp-events queue, apply consumer held back)
// survive a kill -9 of the dev server and a restart of the emulators, and
// are applied after `make dev` starts again.
func TestKilledDevServerLosesNoAcknowledgedPayment(t *testing.T) {
	s := newStack(t)
	const key, n = "sk_test_devstatekill000010000000000000004QQQXi", 12
	d := s.makeDev(t, "PAYLINKS_DEV_API_KEY="+key, "PAYLINKS_DEV_CONSUMERS_DELAY=1h")
	ids := make([]string, n)
	for i := range ids {
		ids[i] = s.payAtTheSandbox(t, key, i)
	}
	s.checkAcknowledgedNotApplied(t, key, ids)
	s.killDevServer(t, d)
	// And the emulators themselves restart (a reboot, make dev-stop).
	s.mustEmulators(t, "stop")
	s.makeDev(t, "PAYLINKS_DEV_API_KEY="+key)
	paid := 0
	waitFor(30*time.Second, func() bool {
		paid = s.countPaid(t, key, ids)
		return paid == n
	})
	if paid != n {
		t.Fatalf("after the restart %d of the %d acknowledged payments are applied", paid, n)
	}
	s.checkDemoWebhookSecret(t)
}

// payAtTheSandbox creates link i, clicks it and pays at the sandbox
// checkout, and returns the link's id.
func (s *stack) payAtTheSandbox(t *testing.T, key string, i int) string {
	t.Helper()
	code, l := s.api(t, key, "POST", "/v1/payment-links", map[string]any{
		"amount": map[string]string{"currency": "EUR", "value": fmt.Sprintf("%d.50", 10+i)}, "description": fmt.Sprintf("kill test %d", i),
		"customer": map[string]string{"first_name": "Ana", "last_name": "Peeters"}})
	if code != 201 {
		t.Fatalf("create link: %d %v", code, l)
	}
	resp, err := noRedirect.Get(l["url"].(string))
	if err != nil || resp.StatusCode != http.StatusFound {
		t.Fatalf("click: %v %v", resp, err)
	}
	resp.Body.Close()
	resp, err = noRedirect.Post(resp.Header.Get("Location")+"/pay", "", nil)
	if err != nil || resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("pay at the sandbox: %v %v", resp, err)
	}
	resp.Body.Close()
	return l["id"].(string)
}

// checkAcknowledgedNotApplied: the sandbox posts its webhooks in the
// background; the ingest answers 2xx once the event is on the psp-events
// queue, where it stays (the apply consumer is held back): every link is
// still only clicked.
func (s *stack) checkAcknowledgedNotApplied(t *testing.T, key string, ids []string) {
	t.Helper()
	ctx := context.Background()
	_, q := s.clients(t)
	qu, err := q.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String(s.table + "-psp-events")})
	if err != nil {
		t.Fatalf("psp-events queue on the dev SQS emulator: %v", err)
	}
	// (Errorf, not Fatal: what follows shows what a crash loses either way.)
	if !waitFor(20*time.Second, func() bool {
		a, err := q.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: qu.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameApproximateNumberOfMessages}})
		return err == nil && a.Attributes[string(sqstypes.QueueAttributeNameApproximateNumberOfMessages)] == strconv.Itoa(len(ids))
	}) {
		t.Errorf("after 20 s the psp-events queue does not hold the %d acknowledged payments", len(ids))
	}
	for _, id := range ids {
		if _, l := s.api(t, key, "GET", "/v1/payment-links/"+id, nil); l["status"] != "clicked" {
			t.Errorf("%s is %v before the apply consumer ran", id, l["status"])
		}
	}
}

// killDevServer kills the dev server under d with SIGKILL: make dev ends,
// and both emulators keep answering.
func (s *stack) killDevServer(t *testing.T, d *devServer) {
	t.Helper()
	ctx := context.Background()
	if err := syscall.Kill(devserverPid(t, d.cmd.Process.Pid), syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	select {
	case <-d.done:
	case <-time.After(20 * time.Second):
		t.Fatalf("make dev still running 20 s after its dev server was killed:\n%s", d.out)
	}
	db, q := s.clients(t)
	if _, err := db.ListTables(ctx, &dynamodb.ListTablesInput{}); err != nil {
		t.Errorf("the DynamoDB emulator went with the dev server: %v", err)
	}
	if _, err := q.ListQueues(ctx, &sqs.ListQueuesInput{}); err != nil {
		t.Errorf("the SQS emulator went with the dev server: %v", err)
	}
}

// countPaid is how many of the links ids are paid.
func (s *stack) countPaid(t *testing.T, key string, ids []string) int {
	t.Helper()
	paid := 0
	for _, id := range ids {
		if _, l := s.api(t, key, "GET", "/v1/payment-links/"+id, nil); l["status"] == "paid" {
			paid++
		}
	}
	return paid
}

// checkDemoWebhookSecret: the demo merchant signs its sandbox webhooks with
// the generated secret of the state directory.
func (s *stack) checkDemoWebhookSecret(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	sec, err := devenv.LoadSecrets(s.run)
	if err != nil {
		t.Fatal(err)
	}
	db, _ := s.clients(t)
	st := store.New(db, s.table)
	if st.Sealer, err = sec.Sealer(); err != nil {
		t.Fatal(err)
	}
	m, err := st.GetMerchant(ctx, "demo")
	if err != nil {
		t.Fatal(err)
	}
	if m.PSPWebhookSecret != sec.PSPWebhookSecret {
		t.Errorf("the demo merchant's PSP webhook secret is not the state file's")
	}
}
