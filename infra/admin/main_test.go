package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/paylinks/paylinks/shared/config"
	"github.com/paylinks/paylinks/shared/devkit/devenv"
	"github.com/paylinks/paylinks/shared/devkit/devstack"
	"github.com/paylinks/paylinks/shared/testkit"
	"github.com/paylinks/paylinks/shared/testkit/testenv"
)

// adminEnv is every variable the command reads or sets: each test starts
// from none of them (an operator's plain shell) and gets the process's back.
var adminEnv = []string{"PAYLINKS_ADMIN_FUNCTION", "PAYLINKS_RUN_DIR", "DDB_PORT", "SQS_PORT", "TABLE_NAME", "AWS_REGION",
	"AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER", "AWS_ENDPOINT_URL_SQS",
	"AWS_ENDPOINT_URL_KMS", "AWS_ENDPOINT_URL_SECRETS_MANAGER", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
	"SANDBOX_ENABLED", "KMS_KEY_ID", "LOCAL_SEAL_KEY", "COGNITO_USER_POOL_ID", "COGNITO_CLIENT_ID"}

// plainShell empties the command's variables for the test, and returns
// those of the process (the emulators' endpoints under make test).
func plainShell(t *testing.T) map[string]string {
	t.Helper()
	was := map[string]string{}
	for _, k := range adminEnv {
		was[k] = os.Getenv(k)
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	return was
}

func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	return strconv.Itoa(port)
}

// runAdmin runs the command with args; its answer, what it told the
// operator (stderr) and its error.
func runAdmin(args ...string) ([]byte, string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var stderr bytes.Buffer
	out, err := run(ctx, args, &stderr)
	return out, stderr.String(), err
}

// With nothing naming a stack (no -function, no make dev stack recorded in
// the state directory) the command refuses and says where it looked; it
// talks to no emulator on a default port.
func TestRefusesWithoutAStack(t *testing.T) {
	plainShell(t)
	dir := t.TempDir()
	t.Setenv("PAYLINKS_RUN_DIR", dir)
	// A DynamoDB Local that would answer on the default port is not tried.
	t.Setenv("DDB_PORT", closedPort(t))
	_, _, err := runAdmin("list-merchants")
	if err == nil {
		t.Fatal("list-merchants without a stack: no error")
	}
	for _, want := range []string{filepath.Join(dir, devstack.File), "-function", "PAYLINKS_RUN_DIR", "make dev"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the refusal does not name %q: %v", want, err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, devenv.SecretsFile)); err == nil {
		t.Errorf("the refusal made dev secrets in %s", dir)
	}
}

// A recorded stack whose emulator does not answer: the command refuses,
// naming the endpoint and the table it tried.
func TestRefusesAnUnreachableStack(t *testing.T) {
	plainShell(t)
	dir := t.TempDir()
	t.Setenv("PAYLINKS_RUN_DIR", dir)
	endpoint := "http://127.0.0.1:" + closedPort(t)
	if err := devstack.Write(dir, devstack.Stack{Table: "paylinks-gone", Region: "us-east-1", DynamoDB: endpoint,
		Cognito: "http://127.0.0.1:" + closedPort(t), RunDir: dir}); err != nil {
		t.Fatal(err)
	}
	_, _, err := runAdmin("list-merchants")
	if err == nil {
		t.Fatal("list-merchants on a stack that does not answer: no error")
	}
	for _, want := range []string{"paylinks-gone", endpoint, filepath.Join(dir, devstack.File), "not reachable"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the refusal does not name %q: %v", want, err)
		}
	}
}

// A recorded stack whose emulator answers without its table (another
// stack's emulator on those ports, or wiped): the command refuses.
func TestRefusesAStackWithoutItsTable(t *testing.T) {
	testkit.Needs(t, testkit.Emulators)
	was := plainShell(t)
	ddb := was["AWS_ENDPOINT_URL_DYNAMODB"]
	if ddb == "" {
		ddb = "http://127.0.0.1:18000"
	}
	dir := t.TempDir()
	t.Setenv("PAYLINKS_RUN_DIR", dir)
	if err := devstack.Write(dir, devstack.Stack{Table: "paylinks-never-made", Region: "us-east-1", DynamoDB: ddb, RunDir: dir}); err != nil {
		t.Fatal(err)
	}
	_, _, err := runAdmin("list-merchants")
	if err == nil {
		t.Fatal("list-merchants on a stack without its table: no error")
	}
	for _, want := range []string{"paylinks-never-made", ddb, "does not exist"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the refusal does not name %q: %v", want, err)
		}
	}
}

// The recorded stack is the one acted on, whatever the shell's endpoint,
// table and ports say (here: nothing answers there).
func TestActsOnTheRecordedStack(t *testing.T) {
	cfg := testenv.AWSConfig(t)
	was := plainShell(t)
	ctx := context.Background()
	db := config.DynamoDB(cfg, func(o *dynamodb.Options) { o.BaseEndpoint = aws.String(was["AWS_ENDPOINT_URL_DYNAMODB"]) })
	var b [4]byte
	_, _ = rand.Read(b[:])
	table := "admin-stack-" + hex.EncodeToString(b[:])
	dir := t.TempDir()
	sec, err := devenv.LoadSecrets(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := devenv.Bootstrap(ctx, db, table, "demo", sec, ""); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = db.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: aws.String(table)}) })
	rec := devstack.Stack{Table: table, Region: cfg.Region, DynamoDB: was["AWS_ENDPOINT_URL_DYNAMODB"],
		Cognito: was["AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER"], RunDir: dir}
	if err := devstack.Write(dir, rec); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PAYLINKS_RUN_DIR", dir)
	t.Setenv("AWS_ENDPOINT_URL_DYNAMODB", "http://127.0.0.1:"+closedPort(t))
	t.Setenv("TABLE_NAME", "paylinks-dev")
	t.Setenv("DDB_PORT", closedPort(t))
	out, told, err := runAdmin("list-merchants")
	if err != nil {
		t.Fatalf("list-merchants on the recorded stack: %v", err)
	}
	var got struct {
		Merchants []struct {
			ID string `json:"id"`
		} `json:"merchants"`
	}
	if err := json.Unmarshal(out, &got); err != nil || len(got.Merchants) != 1 || got.Merchants[0].ID != "demo" {
		t.Fatalf("list-merchants: %s %v", out, err)
	}
	if !strings.Contains(told, rec.String()) {
		t.Errorf("the command did not say which stack it acts on (%s): %q", rec, told)
	}
}
