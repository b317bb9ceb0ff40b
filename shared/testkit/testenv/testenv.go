// Package testenv gives integration tests a fresh table on the DynamoDB
// emulator (started by `make test`), a call counter on the client, seeded
// merchants, and the whole HTTP service on an httptest server.
package testenv

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	smithymw "github.com/aws/smithy-go/middleware"

	"github.com/paylinks/paylinks/shared/config"
	"github.com/paylinks/paylinks/shared/devkit/seed"
	"github.com/paylinks/paylinks/shared/devkit/streamlocal"
	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/merchant"
	"github.com/paylinks/paylinks/shared/queue"
	"github.com/paylinks/paylinks/shared/seal"
	"github.com/paylinks/paylinks/shared/service"
	"github.com/paylinks/paylinks/shared/spec"
	"github.com/paylinks/paylinks/shared/store"
	"github.com/paylinks/paylinks/shared/testkit"
	"github.com/paylinks/paylinks/shared/testkit/ddbcount"
	"github.com/paylinks/paylinks/shared/testkit/faults"
)

// CodeKey signs the links of every test of the process (made at random, as
// a deployment's is).
var CodeKey = func() domain.CodeKey {
	k := make([]byte, 32)
	_, _ = rand.Read(k)
	return k
}()

// Sealer seals the merchants' secrets of every test's store (the local
// sealer with a random key; the KMS sealer has its own test on moto).
var Sealer = func() seal.Local {
	k := make([]byte, 32)
	_, _ = rand.Read(k)
	return seal.Local{Key: k}
}()

// Env is one test's table, queues and clients.
type Env struct {
	DB     *dynamodb.Client
	Count  *ddbcount.Counter
	Table  string
	Store  *store.Store
	SQS    *sqs.Client
	Queues map[string]string
	// Faults injects failures into DB and SQS calls (none until Set).
	Faults *faults.Injector
	// SQSCount counts the SQS calls made through SQS.
	SQSCount *ddbcount.Counter
	// Streams reads the table's stream (tests that called NeedStream).
	Streams *dynamodbstreams.Client
	// Heat attributes the DB client's capacity to partition keys (tests
	// that called NeedHeat; nil otherwise).
	Heat *ddbcount.Heat
}

func setDefault(k, v string) {
	if os.Getenv(k) == "" {
		os.Setenv(k, v)
	}
}

// AWSConfig is the SDK configuration pointed at the local emulators.
func AWSConfig(t testing.TB) aws.Config {
	testkit.Needs(t, testkit.Emulators) // the fast tier's gate: every table, queue and pool maker comes here first
	setDefault("AWS_REGION", "us-east-1")
	setDefault("AWS_ACCESS_KEY_ID", "local")
	setDefault("AWS_SECRET_ACCESS_KEY", "local")
	setDefault("AWS_EC2_METADATA_DISABLED", "true")
	if os.Getenv("AWS_ENDPOINT_URL") == "" { // LocalStack and friends set only this one
		setDefault("AWS_ENDPOINT_URL_DYNAMODB", "http://127.0.0.1:18000")
		setDefault("AWS_ENDPOINT_URL_SQS", "http://127.0.0.1:19324")
		// moto also serves KMS and Secrets Manager (the sealer's and the
		// configuration's tests).
		setDefault("AWS_ENDPOINT_URL_KMS", os.Getenv("AWS_ENDPOINT_URL_SQS"))
		setDefault("AWS_ENDPOINT_URL_SECRETS_MANAGER", os.Getenv("AWS_ENDPOINT_URL_SQS"))
		// and cognito-idp (the people tests), and S3 (the statements' files).
		setDefault("AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER", os.Getenv("AWS_ENDPOINT_URL_SQS"))
		setDefault("AWS_ENDPOINT_URL_S3", os.Getenv("AWS_ENDPOINT_URL_SQS"))
	}
	// A busy emulator on 2 cores answers late now and then: the tests' clients
	// retry without the SDK's retry quota (which a burst of timeouts empties,
	// failing every call after it without trying).
	opts := append(config.LoadOptions(), awsconfig.WithRetryer(func() aws.Retryer {
		return retry.NewStandard(func(o *retry.StandardOptions) {
			o.MaxAttempts, o.RateLimiter = config.MaxAttempts, ratelimit.None
		})
	}))
	cfg, err := awsconfig.LoadDefaultConfig(context.Background(), opts...)
	if err != nil {
		t.Fatalf("aws config: %v", err)
	}
	return cfg
}

var streamTests sync.Map

// NeedStream marks a test whose table must have the stream (call before New).
func NeedStream(t testing.TB) { streamTests.Store(t.Name(), true) }

// WithStream reports whether the test asked for the stream.
func WithStream(t testing.TB) bool { _, ok := streamTests.Load(t.Name()); return ok }

var heatTests sync.Map

// NeedHeat marks a test whose DB client records key heat (call before New):
// Env.Heat, its middleware ahead of the counter's.
func NeedHeat(t testing.TB) { heatTests.Store(t.Name(), true) }

// New makes a fresh table for the test and drops it afterwards.
func New(t testing.TB) *Env {
	t.Helper()
	cfg := AWSConfig(t)
	count := ddbcount.New()
	inj := faults.New()
	mw := []func(*smithymw.Stack) error{count.Attach, inj.Attach}
	var heat *ddbcount.Heat
	if _, ok := heatTests.Load(t.Name()); ok {
		// Its images come through a client of its own, counted nowhere.
		heat = ddbcount.NewHeat(config.DynamoDB(cfg), spec.Table)
		mw = append([]func(*smithymw.Stack) error{heat.Attach}, mw...)
	}
	db := config.DynamoDB(cfg, func(o *dynamodb.Options) { o.APIOptions = append(o.APIOptions, mw...) })
	var b [6]byte
	_, _ = rand.Read(b[:])
	table := "test-" + hex.EncodeToString(b[:])
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	create := store.CreateTableNoStream
	if WithStream(t) {
		create = store.CreateTable
	}
	if err := create(ctx, db, table); err != nil {
		t.Fatalf("create table on the DynamoDB emulator (run `make test`, which starts it): %v", err)
	}
	t.Cleanup(func() {
		_, _ = db.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: aws.String(table)})
	})
	sqsCount := ddbcount.New()
	sqsc := sqs.NewFromConfig(cfg, func(o *sqs.Options) { o.APIOptions = append(o.APIOptions, sqsCount.Attach, inj.Attach) })
	queues := map[string]string{}
	for _, d := range queue.Defs {
		u, err := queue.Create(ctx, sqsc, table, d, 2*time.Second)
		if err != nil {
			t.Fatalf("create queue on the SQS emulator (run `make test`, which starts it): %v", err)
		}
		queues[d.Name] = u
	}
	t.Cleanup(func() {
		out, err := sqsc.ListQueues(context.Background(), &sqs.ListQueuesInput{QueueNamePrefix: aws.String(table)})
		if err == nil {
			for _, u := range out.QueueUrls {
				_, _ = sqsc.DeleteQueue(context.Background(), &sqs.DeleteQueueInput{QueueUrl: aws.String(u)})
			}
		}
	})
	count.Reset()
	st := store.New(db, table)
	st.Sealer = Sealer
	return &Env{DB: db, Count: count, Table: table, Store: st, SQS: sqsc, SQSCount: sqsCount, Faults: inj, Queues: queues, Streams: streamlocal.Client(cfg), Heat: heat}
}

// Merchant seeds a sandbox merchant and returns its API key.
func (e *Env) Merchant(t testing.TB, id string) string {
	t.Helper()
	key, err := seed.Merchant(context.Background(), e.Store, seed.Demo(id), "")
	if err != nil {
		t.Fatal(err)
	}
	return key
}

// MerchantWith seeds a merchant with the given settings.
func (e *Env) MerchantWith(t testing.TB, m *merchant.Merchant) string {
	t.Helper()
	key, err := seed.Merchant(context.Background(), e.Store, m, "")
	if err != nil {
		t.Fatal(err)
	}
	return key
}

// Server is the whole HTTP service on an httptest server, its links and
// sandbox pages under the server's own URL.
type Server struct {
	*httptest.Server
	Service *service.Service
}

// Serve starts the service over the env's table.
func (e *Env) Serve(t testing.TB) *Server { return e.ServeWith(t, nil) }

// ServeWith starts the service with options changed by tweak.
func (e *Env) ServeWith(t testing.TB, tweak func(*service.Options)) *Server {
	t.Helper()
	var h http.Handler
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) }))
	t.Cleanup(ts.Close)
	// The service's warnings and errors (a 5xx request's line names its
	// cause) are kept and shown when the test fails.
	kept := &LogBuffer{}
	t.Cleanup(func() {
		if logged := kept.String(); t.Failed() && logged != "" {
			t.Logf("the service's warnings and errors:\n%s", logged)
		}
	})
	opts := service.Options{PublicBaseURL: ts.URL, SandboxSecret: []byte("test-sandbox-secret"), LinkCodeKey: CodeKey,
		SQS: e.SQS, Queues: e.Queues, Log: slog.New(slog.NewJSONHandler(kept, &slog.HandlerOptions{Level: slog.LevelWarn}))}
	if tweak != nil {
		tweak(&opts)
	}
	svc := service.New(e.Store, opts)
	h = svc.Handler()
	return &Server{Server: ts, Service: svc}
}

// Consume runs the service's queue consumers until the test ends.
func (s *Server) Consume(t testing.TB) {
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	for name, h := range s.Service.Consumers() {
		go queue.Poll(ctx, s.Service.Opts.Log, s.Service.Opts.SQS, name, s.Service.Opts.Queues[name], h)
	}
}

// StreamReader reads the env's table stream (NeedStream before New).
func (e *Env) StreamReader() *streamlocal.Reader {
	return &streamlocal.Reader{DB: e.DB, Streams: e.Streams, Table: e.Table}
}

// Tail feeds the table's stream to the service's stream handler until the
// test ends, as the deployed event source mapping does.
func (s *Server) Tail(t testing.TB, e *Env) {
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go e.StreamReader().Run(ctx, s.Service.Opts.Log, 100*time.Millisecond, s.Service.Stream.Handle)
}

// Eventually polls cond every 50 ms until it holds or the timeout passes.
func Eventually(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after %s: %s", timeout, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

var figuresMu sync.Mutex

// Figure records a measured figure: in the test's log, and appended to the
// file PAYLINKS_FIGURES names (make test and make soak print it at the end).
func Figure(t testing.TB, format string, args ...any) {
	t.Helper()
	line := fmt.Sprintf(format, args...)
	t.Log("figure: " + line)
	path := os.Getenv("PAYLINKS_FIGURES")
	if path == "" {
		return
	}
	figuresMu.Lock()
	defer figuresMu.Unlock()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		t.Logf("figures file: %v", err)
		return
	}
	defer f.Close()
	fmt.Fprintf(f, "%-28s %s\n", t.Name(), line)
}

// Soak reports a long run (make soak sets PAYLINKS_SOAK=1): tests scale their
// rounds up.
func Soak() bool { return os.Getenv("PAYLINKS_SOAK") == "1" }

// LogBuffer is a log sink several goroutines write (a service's handlers
// and consumers); its zero value is ready.
type LogBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *LogBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// String is what was written.
func (l *LogBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
