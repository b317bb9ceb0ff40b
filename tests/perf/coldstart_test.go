package perf

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/paylinks/paylinks/shared/spec"
	"github.com/paylinks/paylinks/shared/testkit/testenv"
)

// floor is the cold-start table's first row: a hello-world aws-lambda-go
// handler (testdata/hello) built, run and timed as the functions are, so
// each function's figure reads against what the emulator, the runtime and
// Go's start cost before any paylinks code.
const floor = "hello"

// coldFixture is what the cold-start events name: a link of the merchant
// (its id and public code) and the merchant's API key.
type coldFixture struct{ key, linkID, code string }

// coldEvents are the events of the first invocation of each function
// (spec.Functions), by function name; TestColdStartEveryFunction holds them
// to the spec.
func coldEvents(fx coldFixture) (map[string]any, error) {
	httpEv := func(method, path, query string, headers map[string]string, body string) map[string]any {
		return map[string]any{"version": "2.0", "routeKey": "$default", "rawPath": path, "rawQueryString": query, "headers": headers, "body": body,
			"isBase64Encoded": false, "requestContext": map[string]any{"http": map[string]any{"method": method, "path": path, "sourceIp": "203.0.113.9", "userAgent": browserUA},
				"requestId": "cold", "stage": "$default", "timeEpoch": time.Now().UnixMilli()}}
	}
	sqsEv := func(body string) map[string]any {
		return map[string]any{"Records": []any{map[string]any{"messageId": "cold-1", "receiptHandle": "rh", "body": body,
			"attributes": map[string]string{"ApproximateReceiveCount": "1"}, "eventSource": "aws:sqs"}}}
	}
	stream, err := os.ReadFile("../../events/stream/link-paid.json")
	if err != nil {
		return nil, fmt.Errorf("the stream's event: %w", err)
	}
	var streamEv any
	if err := json.Unmarshal(stream, &streamEv); err != nil {
		return nil, fmt.Errorf("the stream's event: %w", err)
	}
	key := map[string]string{"authorization": "Bearer " + fx.key}
	return map[string]any{
		"api":       httpEv("GET", "/v1/payment-links/"+fx.linkID, "", key, ""),
		"create":    httpEv("POST", "/v1/payment-links", "", map[string]string{"authorization": "Bearer " + fx.key, "content-type": "application/json"}, createBody),
		"account":   httpEv("GET", "/v1/settings", "", key, ""),
		"people":    httpEv("GET", "/v1/members", "", key, ""),
		"customers": httpEv("GET", "/v1/customers", "q=ana&limit=10", key, ""),
		"dashboard": httpEv("GET", "/dashboard/sign-in", "", map[string]string{"user-agent": browserUA, "accept": "text/html"}, ""),
		"redirect":  httpEv("GET", "/l/"+fx.code, "", map[string]string{"user-agent": browserUA}, ""),
		"sandbox":   httpEv("GET", "/sandbox/checkout/cs_unknown", "", map[string]string{"user-agent": browserUA}, ""),
		"webhook":   httpEv("POST", "/webhooks/psp/sandbox/"+merchantID, "", map[string]string{"content-type": "application/json", "sandbox-signature": "t=1,v1=00"}, "{}"),
		"apply": sqsEv(`{"merchant":"perf","provider":"sandbox","event":{"id":"evt_cold","kind":"payment_failed","link_id":"` + fx.linkID +
			`","attempt":7,"at":"2026-11-23T10:00:00Z"}}`),
		"refund":    sqsEv(`{"merchant":"perf","link_id":"` + fx.linkID + `","refund_id":"re_01JD3Q4ZK1W8Y6N0M5C2B7V9XA"}`),
		"send":      sqsEv(`{"merchant":"perf","link_id":"` + fx.linkID + `","channel":"email","send_id":"cold","kind":"link"}`),
		"import":    sqsEv(`{"merchant":"perf","import_id":"im_01JD3Q4ZK1W8Y6N0M5C2B7V9XA","batch":0}`),
		"deliver":   sqsEv(`{"merchant":"perf","delivery_id":"msg_01JD3Q4ZK1W8Y6N0M5C2B7V9XA","gen":0}`),
		"reconcile": sqsEv(`{"merchant":"perf","statement_id":"bs_01JD3Q4ZK1W8Y6N0M5C2B7V9XA"}`),
		"stream":    streamEv,
		"sweep":     map[string]any{"version": "0", "id": "cold", "detail-type": "Scheduled Event", "source": "aws.events", "detail": map[string]any{}},
		"admin":     map[string]any{"action": "list_merchants"},
	}, nil
}

// TestColdStartEveryFunction: BenchmarkColdStart has an event for every
// function of spec.Functions (and none for a function that is not), so
// make bench measures them all. It needs neither the emulators nor
// aws-lambda-rie.
func TestColdStartEveryFunction(t *testing.T) {
	evs, err := coldEvents(coldFixture{key: "sk_test_cold", linkID: "pl_cold", code: "cold"})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range spec.Functions {
		if _, ok := evs[f.Name]; !ok {
			t.Errorf("function %s has no cold-start event (coldEvents)", f.Name)
		}
	}
	for name := range evs {
		if _, ok := spec.Lookup(name); !ok {
			t.Errorf("cold-start event for %s, which is not a function of spec.Functions", name)
		}
	}
	if _, err := os.Stat(filepath.Join("testdata", floor, "main.go")); err != nil {
		t.Errorf("the floor's handler: %v", err)
	}
}

// coldRuns is how many times each is started; the median is reported.
const coldRuns = 3

// coldTarget is one binary of the cold-start table: the floor or a
// function, built, with its first event.
type coldTarget struct {
	name, pkg, bin string
	size           int64
	event          []byte
	runs, warm     []time.Duration // each start's first and second invocation
}

// BenchmarkColdStart builds each function as deployed (-trimpath -s -w,
// lambda.norpc) and times, under AWS's Runtime Interface Emulator
// (aws-lambda-rie, pinned: rieVersion), a fresh emulator and bootstrap from
// exec to the answer of one invocation POSTed to its invoke endpoint (the
// emulator's start, the function's init, its clients and its first
// DynamoDB connection included), then the same invocation on the warm
// process (warm-ms: the invocation's own work, so cold-ms - warm-ms is
// what the start costs); size is the linux/arm64 binary. The floor
// (testdata/hello) comes first, measured the same way. Each is started
// coldRuns times, in rounds over all of them (a burst of the machine's
// other work then lands on several functions once rather than on one
// function's every run), and the median reported. The table is in its
// steady state: the sweep's cursor is at the current hour, as it is after
// the schedule's first run. Run with -benchtime 1x. Without aws-lambda-rie
// (PAYLINKS_RIE, .tools/rie, or a go install that fails) it skips, saying
// so.
func BenchmarkColdStart(b *testing.B) {
	rie := rieBinary(b)
	h := newHarness(b)
	pool := testenv.NewPool(b)
	l := h.link(b, createBody)
	if _, err := h.svc.Sweeper.Run(context.Background()); err != nil {
		b.Fatal(err)
	}
	evs, err := coldEvents(coldFixture{key: h.key, linkID: l.ID, code: l.Code})
	if err != nil {
		b.Fatal(err)
	}
	evs[floor] = map[string]any{"hello": "world"}
	targets := []*coldTarget{{name: floor, pkg: "./testdata/" + floor}}
	for _, f := range spec.Functions {
		if _, ok := evs[f.Name]; !ok {
			b.Fatalf("no cold start event for function %s", f.Name)
		}
		targets = append(targets, &coldTarget{name: f.Name, pkg: "../../functions/" + f.Name})
	}
	dir := b.TempDir()
	for _, tg := range targets {
		if err := tg.build(dir, evs[tg.name]); err != nil {
			b.Fatal(err)
		}
	}
	env := coldEnv(h, pool.ID, pool.ClientID)
	for round := 0; round < coldRuns; round++ {
		for _, tg := range targets {
			cold, warm, err := coldStart(rie, tg.bin, tg.event, env)
			if err != nil {
				b.Fatalf("%s: %v", tg.name, err)
			}
			tg.runs, tg.warm = append(tg.runs, cold), append(tg.warm, warm)
		}
	}
	for _, tg := range targets {
		b.Run(tg.name, func(b *testing.B) {
			b.ReportMetric(ms(percentile(tg.runs, 0.5)), "cold-ms")
			b.ReportMetric(ms(percentile(tg.warm, 0.5)), "warm-ms")
			b.ReportMetric(float64(tg.size)/(1<<20), "size-MB")
		})
	}
}

// build builds the target for this machine (the binary timed) and for
// linux/arm64 (the size, as deployed), and encodes its event.
func (tg *coldTarget) build(dir string, event any) error {
	tg.bin = filepath.Join(dir, tg.name, "bootstrap")
	if err := build(tg.pkg, tg.bin, runtime.GOOS, runtime.GOARCH); err != nil {
		return err
	}
	arm := filepath.Join(dir, tg.name+".arm64")
	if err := build(tg.pkg, arm, "linux", "arm64"); err != nil {
		return err
	}
	st, err := os.Stat(arm)
	if err != nil {
		return fmt.Errorf("size of %s: %w", tg.name, err)
	}
	tg.size = st.Size()
	if tg.event, err = json.Marshal(event); err != nil {
		return fmt.Errorf("event of %s: %w", tg.name, err)
	}
	return nil
}

// coldEnv is the functions' environment as Lambda and the stack set it,
// pointed at the harness's table, queues and user pool, with every secret
// given by value (no Secrets Manager call at init). It inherits from this
// process only the SDK's region, credentials and endpoints (lambdaEnv):
// anything else (a developer's AWS_CA_BUNDLE, whose PEM the SDK would parse
// at every start, or AWS_PROFILE) is not what a function gets on Lambda.
func coldEnv(h *harness, poolID, clientID string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if lambdaEnv(kv[:max(0, strings.IndexByte(kv, '='))]) {
			env = append(env, kv)
		}
	}
	env = append(env, "TABLE_NAME="+h.env.Table, "PUBLIC_BASE_URL=http://127.0.0.1:1", "SANDBOX_ENABLED=1",
		"SANDBOX_SECRET=perf-cold-start-sandbox-secret-0123456789", "LINK_CODE_SECRET=perf-cold-start-link-code-secret-0123456789",
		"LOCAL_SEAL_KEY="+base64.StdEncoding.EncodeToString(testenv.Sealer.Key), "AWS_LAMBDA_FUNCTION_NAME=paylinks-cold", "LOG_LEVEL=error",
		"COGNITO_USER_POOL_ID="+poolID, "COGNITO_CLIENT_ID="+clientID, "STATEMENTS_BUCKET=paylinks-cold-statements")
	for name, url := range h.env.Queues {
		env = append(env, spec.QueueEnv(name)+"="+url)
	}
	return env
}

// lambdaEnv reports whether the variable name is one a function gets on
// Lambda that this process sets for the emulators: the region, the
// credentials, the endpoints, the clock's zone and PATH.
func lambdaEnv(name string) bool {
	switch name {
	case "PATH", "TZ", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_EC2_METADATA_DISABLED":
		return true
	}
	return strings.HasPrefix(name, "AWS_ENDPOINT_URL")
}

// rieVersion is the aws-lambda-rie the cold starts run under (the one the
// LocalStack executor uses, infra/local/localstack.sh).
const rieVersion = "v0.0.0-20261030222936-bef5c4ba774d"

// rieBinary is aws-lambda-rie: $PAYLINKS_RIE, else .tools/rie/aws-lambda-rie,
// installed there from the Go module proxy when missing.
func rieBinary(b *testing.B) string {
	if p := os.Getenv("PAYLINKS_RIE"); p != "" {
		return p
	}
	gobin, err := filepath.Abs("../../.tools/rie")
	if err != nil {
		b.Fatal(err)
	}
	bin := filepath.Join(gobin, "aws-lambda-rie")
	if _, err := os.Stat(bin); err == nil {
		return bin
	}
	cmd := exec.Command("go", "install", "github.com/aws/aws-lambda-runtime-interface-emulator/cmd/aws-lambda-rie@"+rieVersion)
	cmd.Env = append(os.Environ(), "GOBIN="+gobin, "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Skipf("aws-lambda-rie@%s could not be installed into %s (set PAYLINKS_RIE to one): %v: %s", rieVersion, gobin, err, out)
	}
	return bin
}

// build builds the command pkg (a path from this directory) as deployed.
func build(pkg, out, goos, goarch string) error {
	cmd := exec.Command("go", "build", "-trimpath", "-tags", "lambda.norpc", "-ldflags", "-s -w", "-o", out, pkg)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+goos, "GOARCH="+goarch)
	if o, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("build %s: %v: %s", pkg, err, o)
	}
	return nil
}

// coldStart runs bin under aws-lambda-rie with env and times exec to the
// answer of one invocation POSTed to the emulator's invoke endpoint, as
// soon as it listens (cold), then the same invocation again on the same
// process (warm: the work of the invocation without the start).
func coldStart(rie, bin string, event []byte, env []string) (cold, warm time.Duration, err error) {
	port, apiPort := freePort(), freePort()
	if port == "" || apiPort == "" {
		return 0, 0, fmt.Errorf("no free port on loopback")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, rie, "--runtime-interface-emulator-address", "127.0.0.1:"+port, "--runtime-api-address", "127.0.0.1:"+apiPort, bin)
	cmd.Dir = filepath.Dir(bin)
	cmd.Env = env
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	url := "http://127.0.0.1:" + port + "/2015-03-31/functions/function/invocations"
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, 0, fmt.Errorf("start %s: %w", rie, err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	for {
		c, err := net.DialTimeout("tcp", "127.0.0.1:"+port, 100*time.Millisecond)
		if err == nil {
			c.Close()
			break
		}
		if ctx.Err() != nil {
			return 0, 0, fmt.Errorf("aws-lambda-rie did not listen in 60 s: %s", logs.String())
		}
		time.Sleep(2 * time.Millisecond)
	}
	if err := invoke(url, event); err != nil {
		return 0, 0, fmt.Errorf("%w: %s", err, logs.String())
	}
	cold = time.Since(start)
	start = time.Now()
	if err := invoke(url, event); err != nil {
		return 0, 0, fmt.Errorf("warm %w: %s", err, logs.String())
	}
	return cold, time.Since(start), nil
}

// invoke POSTs event to the emulator's invoke endpoint and checks the
// answer: no error, and for an HTTP function no 5xx in API Gateway's
// response (a failed start as much as an error is).
func invoke(url string, event []byte) error {
	client := &http.Client{Timeout: 60 * time.Second}
	resp, err := client.Post(url, "application/json", bytes.NewReader(event))
	if err != nil {
		return fmt.Errorf("invoke: %w", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || bytes.Contains(body, []byte(`"errorType"`)) {
		return fmt.Errorf("invoke: %d %s", resp.StatusCode, body)
	}
	var answer struct {
		StatusCode int `json:"statusCode"`
	}
	if json.Unmarshal(body, &answer) == nil && answer.StatusCode >= 500 {
		return fmt.Errorf("invoke: the function answered %d: %.500s", answer.StatusCode, body)
	}
	return nil
}

// freePort is a TCP port free on loopback now.
func freePort() string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return ""
	}
	defer l.Close()
	return strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
}
