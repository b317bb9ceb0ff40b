// Command devserver is `make dev`: the whole of paylinks on one port against
// the local emulators, with the sandbox PSP and the demo merchant.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/paylinks/paylinks/shared/boot"
	"github.com/paylinks/paylinks/shared/compose/pool"
	"github.com/paylinks/paylinks/shared/config"
	"github.com/paylinks/paylinks/shared/devkit/devenv"
	"github.com/paylinks/paylinks/shared/devkit/devstack"
	"github.com/paylinks/paylinks/shared/devkit/streamlocal"
	"github.com/paylinks/paylinks/shared/queue"
	"github.com/paylinks/paylinks/shared/reqlog"
	"github.com/paylinks/paylinks/shared/service"
	"github.com/paylinks/paylinks/shared/spec"
	"github.com/paylinks/paylinks/shared/store"
)

// DemoOwner is the demo merchant's owner (docs/api.md, Local run).
const DemoOwner = "owner@demo.example"

// devSecrets checks a chosen dev key, reads (or makes) the state
// directory's secrets and puts them in the environment the functions'
// configuration reads, with the dev table's name and the sandbox on.
func devSecrets(runDir string) (devenv.Secrets, error) {
	if err := devenv.CheckKey(os.Getenv("PAYLINKS_DEV_API_KEY")); err != nil {
		return devenv.Secrets{}, err
	}
	sec, err := devenv.LoadSecrets(runDir)
	if err != nil {
		return devenv.Secrets{}, fmt.Errorf("dev secrets: %w", err)
	}
	if os.Getenv("TABLE_NAME") == "" {
		os.Setenv("TABLE_NAME", "paylinks-dev")
	}
	if os.Getenv("STATEMENTS_BUCKET") == "" {
		os.Setenv("STATEMENTS_BUCKET", os.Getenv("TABLE_NAME")+"-statements")
	}
	os.Setenv("SANDBOX_ENABLED", "1")
	for k, v := range map[string]string{"SANDBOX_SECRET": sec.SandboxSecret, "LINK_CODE_SECRET": sec.LinkCodeSecret, "LOCAL_SEAL_KEY": sec.SealKey} {
		if os.Getenv(k) == "" {
			os.Setenv(k, v)
		}
	}
	return sec, nil
}

// main runs the dev server until Ctrl-C (SIGINT) or SIGTERM, then stops
// it gracefully and exits with status 0: make dev ends quietly (a second
// Ctrl-C ends it at once). -record (make dev) records the stack in the
// state directory for infra/admin.
func main() {
	record := flag.Bool("record", false, "record the stack in the state directory's "+devstack.File+" (make dev), where go run ./infra/admin finds it")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, stop, *record)
	if err == nil {
		return
	}
	if ctx.Err() != nil {
		// Stopped while starting: no failure of its own.
		fmt.Fprintf(os.Stderr, "devserver: stopped while starting (%v)\n", context.Cause(ctx))
		return
	}
	fmt.Fprintln(os.Stderr, "devserver:", err)
	os.Exit(1)
}

func run(ctx context.Context, stop context.CancelFunc, record bool) error {
	port := env("PORT", "8080")
	addr := "127.0.0.1:" + port
	if os.Getenv("PUBLIC_BASE_URL") == "" {
		os.Setenv("PUBLIC_BASE_URL", "http://"+addr)
	}
	// Secrets made at the first start and kept in the state directory, so
	// that sessions, link codes and sealed settings made before a restart
	// still verify after it.
	runDir := env("PAYLINKS_RUN_DIR", ".tools/run")
	sec, err := devSecrets(runDir)
	if err != nil {
		return err
	}
	log := config.Logger()
	awsCfg, err := config.AWS(ctx)
	if err != nil {
		return err
	}
	// The user pool is make dev's own on moto (devenv.UserPool), not the
	// environment's.
	cfg, err := config.Load(ctx, spec.All().Needs&^(spec.NeedIdentity|spec.NeedIdentityAdmin), nil)
	if err != nil {
		return err
	}
	db := config.DynamoDB(awsCfg)
	key, err := devenv.Bootstrap(ctx, db, cfg.Table, "demo", sec, os.Getenv("PAYLINKS_DEV_API_KEY"))
	if err != nil {
		return fmt.Errorf("bootstrap (are the emulators running? make emulators-start): %w", err)
	}
	sqsc := sqs.NewFromConfig(awsCfg)
	urls, err := devenv.Queues(ctx, sqsc, cfg.Table)
	if err != nil {
		return fmt.Errorf("bootstrap queues: %w", err)
	}
	if _, err := devenv.StatementsBucket(ctx, awsCfg, cfg.StatementsBucket, cfg.S3Endpoint); err != nil {
		return err
	}
	drops := &devenv.DropWatch{S3: devenv.S3Client(awsCfg, cfg.S3Endpoint), Bucket: cfg.StatementsBucket, Region: awsCfg.Region,
		Queue: &queue.Sender{SQS: sqsc, URL: urls[queue.Statements]}, Dir: runDir, Log: log}
	st := store.New(db, cfg.Table)
	st.Sealer = boot.Sealer(cfg, awsCfg)
	userPool, err := devenv.UserPool(ctx, awsCfg)
	if err != nil {
		return err
	}
	svc := service.New(st, service.Options{PublicBaseURL: cfg.PublicBaseURL, SandboxSecret: cfg.SandboxSecret, LinkCodeKey: cfg.LinkCodeSecret,
		SQS: sqsc, Queues: urls, Log: log, AllowLoopbackWebhooks: true, RateLimit: cfg.RateLimit, RateBurst: cfg.RateBurst,
		UserPool: userPool, AWS: awsCfg, StatementsBucket: cfg.StatementsBucket, S3Endpoint: cfg.S3Endpoint})
	password, err := devenv.DevPassword(runDir)
	if err != nil {
		return err
	}
	if err := devenv.SeedOwner(ctx, st, pool.Directory(svc.Env), "demo", DemoOwner, password); err != nil {
		return fmt.Errorf("seed the demo owner: %w", err)
	}
	// PAYLINKS_DEV_CONSUMERS_DELAY holds the queue pollers back (tests kill
	// the server while messages wait on the queues).
	go func() {
		if d := consumersDelay(); d > 0 {
			fmt.Fprintf(os.Stderr, "queue consumers start in %s\n", d)
			select {
			case <-ctx.Done():
				return
			case <-time.After(d):
			}
		}
		devenv.Consume(ctx, log, sqsc, urls, svc.Consumers())
	}()
	// Files dropped in the statements bucket, announced on the statements
	// queue as S3's notification does when deployed (moto's S3 cannot
	// notify ElasticMQ).
	go drops.Run(ctx, dropEvery())
	// The table's stream into the outbound webhooks, as Lambda's event
	// source mapping does when deployed.
	tail := &streamlocal.Reader{DB: db, Streams: streamlocal.Client(awsCfg), Table: cfg.Table}
	go tail.Run(ctx, log, 500*time.Millisecond, svc.Stream.Handle)
	go devenv.Every(ctx, sweepEvery(), func(ctx context.Context) { _, _ = svc.Sweeper.Run(ctx) })
	if record {
		if err := recordStack(runDir, cfg.Table, awsCfg.Region, cfg.PublicBaseURL); err != nil {
			return err
		}
	}
	srv := &http.Server{Addr: addr, Handler: reqlog.Middleware(log, svc.Handler()), ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(os.Stderr, "\npaylinks dev server on %s\n  merchant:  demo\n  API key:   %s\n  dashboard: %s/dashboard  (%s, password %s)\n  state:     %s (make dev-reset wipes it)\n\n",
		cfg.PublicBaseURL, key, cfg.PublicBaseURL, DemoOwner, password, runDir)
	return serve(ctx, stop, log, srv)
}

// serve serves srv until it fails or ctx ends (Ctrl-C, SIGTERM); then it
// lets the requests in flight finish (5 s at most), logs the stop and
// returns nil. stop hands the signals back to their defaults, so a second
// Ctrl-C ends the process at once.
func serve(ctx context.Context, stop context.CancelFunc, log *slog.Logger, srv *http.Server) error {
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve on %s: %w", srv.Addr, err)
	case <-ctx.Done():
	}
	stop()
	began := time.Now()
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("shut down: %w", err)
	}
	log.Info("dev server stopped", "cause", context.Cause(ctx).Error(), "shutdown_ms", time.Since(began).Milliseconds())
	return nil
}

// recordStack records the stack this server runs (its table, region and
// endpoints, the state directory) in the state directory, where go run
// ./infra/admin finds it.
func recordStack(runDir, table, region, url string) error {
	abs, err := filepath.Abs(runDir)
	if err != nil {
		return fmt.Errorf("record the stack: %w", err)
	}
	return devstack.Write(runDir, devstack.Stack{Table: table, Region: region, DynamoDB: endpoint("DYNAMODB"), SQS: endpoint("SQS"),
		Cognito: endpoint("COGNITO_IDENTITY_PROVIDER"), URL: url, RunDir: abs})
}

// endpoint is the SDK's endpoint for the service (AWS_ENDPOINT_URL_<SERVICE>,
// else AWS_ENDPOINT_URL); "" is AWS's own.
func endpoint(service string) string {
	return env("AWS_ENDPOINT_URL_"+service, os.Getenv("AWS_ENDPOINT_URL"))
}

// sweepEvery is SWEEP_INTERVAL (a Go duration), one minute by default as
// the EventBridge schedule.
func sweepEvery() time.Duration {
	d, err := time.ParseDuration(os.Getenv("SWEEP_INTERVAL"))
	if err != nil || d <= 0 {
		return time.Minute
	}
	return d
}

// dropEvery is DROP_INTERVAL (a Go duration): how often the statements
// bucket's drop/ prefix is looked at, every 3 s by default.
func dropEvery() time.Duration {
	d, err := time.ParseDuration(os.Getenv("DROP_INTERVAL"))
	if err != nil || d <= 0 {
		return devenv.DefaultDropInterval
	}
	return d
}

// consumersDelay is PAYLINKS_DEV_CONSUMERS_DELAY (a Go duration), none by
// default.
func consumersDelay() time.Duration {
	d, err := time.ParseDuration(os.Getenv("PAYLINKS_DEV_CONSUMERS_DELAY"))
	if err != nil || d < 0 {
		return 0
	}
	return d
}

func env(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}
