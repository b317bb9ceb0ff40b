// Package boot is what every function starts from: its entry in spec, the
// configuration that entry needs (refusing to start without it), the AWS
// clients, the store, the clock, and the few parts several compositions
// share in one process (queue senders, the members' token check, the API's
// auth caches, the sandbox PSP, the workers' merchant cache), each a typed
// accessor that makes its part once per Env on first use. A function's
// composition asks the Env for what it uses and can get nothing its spec
// entry does not declare; Verify checks the reverse (nothing declared goes
// unused), so the stack's grants, derived from spec, are exactly what the
// code uses. The dev server and the tests compose all the functions on one
// Env (spec.All), its options set before the first composition.
package boot

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/paylinks/paylinks/shared/authcache"
	"github.com/paylinks/paylinks/shared/config"
	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/identity"
	"github.com/paylinks/paylinks/shared/merchant"
	"github.com/paylinks/paylinks/shared/objects"
	"github.com/paylinks/paylinks/shared/psp/sandbox"
	"github.com/paylinks/paylinks/shared/queue"
	"github.com/paylinks/paylinks/shared/seal"
	"github.com/paylinks/paylinks/shared/spec"
	"github.com/paylinks/paylinks/shared/store"
)

// Env is one function's (or, in make dev and tests, all functions')
// configuration and shared parts.
type Env struct {
	Fn     spec.Function
	Config config.Config
	AWS    aws.Config
	Log    *slog.Logger
	SQS    *sqs.Client
	Queues map[string]string // queue name (and name-dlq) -> URL

	// Clock is the time every part composed on the Env reads (the wall
	// clock unless a test sets another).
	Clock Clock

	// Options, the inputs of composition besides the configuration: set
	// before the first compose call, read by the compositions as they
	// build their parts. Zero when deployed unless said otherwise.
	StripeAPI, MollieAPI string        // the PSPs' API bases (the real ones when empty)
	SandboxSync          bool          // the sandbox sends its webhooks before answering (Lambda)
	Deadline             time.Duration // of each HTTP request (8 s when zero)
	MerchantTTL          time.Duration // workers' merchant cache (30 s when zero)
	// AllowLoopbackWebhooks lets outbound webhooks reach loopback over http
	// (and merchants set such endpoints): make dev, the tests, and the
	// LocalStack stack's deliver function (EnvAllowLoopback).
	AllowLoopbackWebhooks bool
	// WebhookSchedule replaces outbound.Schedule, the outbound webhooks'
	// retry delays (tests retry in seconds); nil when deployed.
	WebhookSchedule []time.Duration
	// InviteMail mails invitations (e-mail, temporary password) instead of
	// the user pool: make dev and the tests (moto mails nothing).
	InviteMail func(context.Context, string, string) error

	mu        sync.Mutex
	used      spec.Need
	sent      map[string]bool
	store     *store.Store
	verifier  *identity.Verifier
	auth      *authcache.Caches
	sandbox   *sandbox.Provider
	merchants *merchant.Cache[string, *merchant.Merchant]
	senders   map[string]*queue.Sender
}

// EnvAllowLoopback set to "1" in a function's environment sets
// AllowLoopbackWebhooks. Only the stack deployed into LocalStack sets it, on
// the deliver function (context localstack=true, refused for prod), so its
// tests can run the receiver.
const EnvAllowLoopback = "OUTBOUND_ALLOW_LOOPBACK"

// Clock is a clock every part of an Env reads, so that a test moves the
// time of all of them at once. The zero Clock is the wall clock.
type Clock struct {
	now atomic.Pointer[func() time.Time]
}

// Now is the clock's time.
func (c *Clock) Now() time.Time {
	if f := c.now.Load(); f != nil {
		return (*f)()
	}
	return time.Now()
}

// Set makes now the clock's time (nil: the wall clock again).
func (c *Clock) Set(now func() time.Time) {
	if now == nil {
		c.now.Store(nil)
		return
	}
	c.now.Store(&now)
}

// ErrUndeclared is a composition reaching for something its function's
// spec entry does not declare.
type ErrUndeclared struct{ Fn, What string }

func (e ErrUndeclared) Error() string {
	return fmt.Sprintf("function %s uses %s, which its spec entry does not declare", e.Fn, e.What)
}

// Use records that the composition uses n and panics (ErrUndeclared) when
// the function does not declare it: a composition bug, caught by each
// function's Verify test before anything deploys.
func (e *Env) Use(n spec.Need) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if !e.Fn.Uses(n) {
		panic(ErrUndeclared{e.Fn.Name, needNames(n &^ e.Fn.Needs)})
	}
	e.used |= n
}

// Store is the table.
func (e *Env) Store() *store.Store {
	e.Use(spec.NeedTable)
	return e.store
}

// SetStore replaces the store (tests count round trips through their own).
func (e *Env) SetStore(st *store.Store) { e.store = st }

// PublicBaseURL is the base of public URLs.
func (e *Env) PublicBaseURL() string {
	e.Use(spec.NeedPublicBaseURL)
	return e.Config.PublicBaseURL
}

// LinkCodes is the key signing links' public codes.
func (e *Env) LinkCodes() domain.CodeKey {
	e.Use(spec.NeedLinkCodes)
	return e.Config.LinkCodeSecret
}

// RateLimits are the per-merchant API limits (zero: the API's defaults).
func (e *Env) RateLimits() (perSecond float64, burst int) {
	e.Use(spec.NeedRateLimits)
	return e.Config.RateLimit, e.Config.RateBurst
}

// PSPNames are the providers a merchant may pick, each with whether a live
// merchant may (the test-only ones exist outside prod only).
func (e *Env) PSPNames() map[string]bool {
	e.Use(spec.NeedPSPNames)
	names := map[string]bool{}
	for _, p := range spec.PSPs {
		if !p.TestOnly || e.Config.SandboxEnabled {
			names[p.Name] = !p.TestOnly
		}
	}
	return names
}

// Pool is the members' user pool.
func (e *Env) pool() identity.Pool {
	region := e.AWS.Region
	if region == "" {
		region = "us-east-1"
	}
	return identity.Pool{Region: region, ID: e.Config.UserPoolID, ClientID: e.Config.UserPoolClientID, Endpoint: e.Config.CognitoEndpoint}
}

// Identity verifies members' tokens (one verifier, and one copy of the
// pool's keys, per Env).
func (e *Env) Identity() *identity.Verifier {
	e.Use(spec.NeedIdentity)
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.verifier == nil {
		e.verifier = identity.NewVerifier(e.pool())
	}
	return e.verifier
}

// AuthCaches are the caches of verified keys, merchants and memberships
// every API composed on the Env authenticates with: one set per Env, so
// the APIs of one process see each other's changes at once.
func (e *Env) AuthCaches() *authcache.Caches {
	st := e.Store()
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.auth == nil {
		e.auth = authcache.New(st, e.Clock.Now)
	}
	return e.auth
}

// SandboxPSP is the sandbox PSP, the one PSP adapter with state (the
// events it sent, which its FetchPayment reads): one per Env, so that the
// checkout pages, the redirect, the webhook ingest and the refund worker of
// one process see the same. compose/psps puts it in the registry when the
// stage has it (Config.SandboxEnabled).
func (e *Env) SandboxPSP() *sandbox.Provider {
	e.Use(spec.NeedPSPs)
	base := e.PublicBaseURL() // its pages, and the checkouts' return URLs
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.sandbox == nil {
		e.sandbox = &sandbox.Provider{BaseURL: base, Secret: e.Config.SandboxSecret, Sync: e.SandboxSync}
	}
	return e.sandbox
}

// Pool is the user pool the function administers (invitations, sign-in,
// sign-out: package cognito builds on it).
func (e *Env) Pool() identity.Pool {
	e.Use(spec.NeedIdentityAdmin)
	return e.pool()
}

// StatementFiles is the statements bucket, to read the files uploaded and
// dropped (the reconcile worker).
func (e *Env) StatementFiles() *objects.Bucket {
	e.Use(spec.NeedStatementFiles)
	return e.statementsBucket()
}

// StatementUploads is the statements bucket, to keep the files uploaded
// through the API.
func (e *Env) StatementUploads() *objects.Bucket {
	e.Use(spec.NeedStatementUpload)
	return e.statementsBucket()
}

func (e *Env) statementsBucket() *objects.Bucket {
	region := e.AWS.Region
	if region == "" {
		region = "us-east-1"
	}
	return &objects.Bucket{Name: e.Config.StatementsBucket, Region: region, Endpoint: e.Config.S3Endpoint, Credentials: e.AWS.Credentials}
}

// Deadlines is each HTTP request's deadline.
func (e *Env) Deadlines() time.Duration {
	if e.Deadline == 0 {
		return 8 * time.Second
	}
	return e.Deadline
}

// Sender is the sender of queue q (with its DLQ when the function writes
// that itself).
func (e *Env) Sender(q string) *queue.Sender {
	e.mu.Lock()
	defer e.mu.Unlock()
	if !e.Fn.SendsTo(q) {
		panic(ErrUndeclared{e.Fn.Name, "the queue " + q})
	}
	e.sent[q] = true
	if s, ok := e.senders[q]; ok {
		return s
	}
	s := &queue.Sender{SQS: e.SQS, URL: e.Queues[q]}
	if slices.Contains(e.Fn.DeadLetters, q) {
		s.DLQ = e.Queues[q+"-dlq"]
	}
	e.senders[q] = s
	return s
}

// Merchants is the workers' merchant cache: a warm worker spends its round
// trips on the work, not on settings read a second ago.
func (e *Env) Merchants() func(ctx context.Context, id string) (*merchant.Merchant, error) {
	st := e.Store()
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.merchants == nil {
		ttl := e.MerchantTTL
		if ttl == 0 {
			ttl = 30 * time.Second
		}
		e.merchants = &merchant.Cache[string, *merchant.Merchant]{TTL: ttl, Load: st.GetMerchant}
	}
	return e.merchants.Get
}

// Unused names what the function declares and its composition did not ask
// for ("" when nothing).
func (e *Env) Unused() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []string
	// The table's write access and the sealer's key come with the store;
	// they are checked by the stack's grants, not here.
	checked := e.Fn.Needs &^ (spec.NeedTableWrite | spec.NeedSealer | spec.NeedSeal)
	if u := checked &^ e.used; u != 0 {
		out = append(out, needNames(u))
	}
	for _, q := range e.Fn.Sends {
		if !e.sent[q] {
			out = append(out, "the queue "+q)
		}
	}
	return strings.Join(out, ", ")
}

var needLabels = map[spec.Need]string{
	spec.NeedTable: "the table", spec.NeedTableWrite: "writes to the table", spec.NeedPublicBaseURL: "the public base URL",
	spec.NeedLinkCodes: "the link-code key", spec.NeedSealer: "the sealing key (open)", spec.NeedSeal: "the sealing key (seal)",
	spec.NeedPSPs: "the PSPs", spec.NeedRateLimits: "the rate limits", spec.NeedChannels: "the channels", spec.NeedPSPNames: "the PSPs' names",
	spec.NeedIdentity: "the members' token check", spec.NeedIdentityAdmin: "the user pool",
	spec.NeedStatementFiles: "the statements' files (read)", spec.NeedStatementUpload: "the statements' files (upload)",
}

func needNames(n spec.Need) string {
	var out []string
	for bit, name := range needLabels {
		if n&bit != 0 {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return strings.Join(out, ", ")
}

// New is an Env over given parts: the dev server's and the tests' (one
// Env for every function: spec.All), and Verify's.
func New(fn spec.Function, cfg config.Config, st *store.Store, sqsc *sqs.Client, queues map[string]string, log *slog.Logger) *Env {
	if log == nil {
		log = config.Logger()
	}
	return &Env{Fn: fn, Config: cfg, Log: log, SQS: sqsc, Queues: queues, store: st,
		sent: map[string]bool{}, senders: map[string]*queue.Sender{}}
}

// FromEnvironment builds function name's Env from the process environment
// with clients made once per cold start; it fails, naming what is missing,
// when the environment lacks anything the function needs.
func FromEnvironment(ctx context.Context, name string) (*Env, error) {
	log := config.Logger()
	fn, ok := spec.Lookup(name)
	if !ok {
		return nil, fmt.Errorf("unknown function %q", name)
	}
	awsCfg, err := config.Function()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	cfg, err := config.Load(ctx, fn.Needs, config.SecretsManager(awsCfg))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	queues := map[string]string{}
	for _, q := range fn.Sends {
		queues[q] = os.Getenv(spec.QueueEnv(q))
	}
	for _, q := range fn.DeadLetters {
		queues[q+"-dlq"] = os.Getenv(spec.QueueEnv(q + "-dlq"))
	}
	var st *store.Store
	if fn.Uses(spec.NeedTable) {
		st = store.New(config.DynamoDB(awsCfg), cfg.Table)
		st.Sealer = Sealer(cfg, awsCfg)
		// Refuse a table whose keys follow another layout (docs/data-model.md,
		// Layout versions): one GetItem per cold start.
		check := st.CheckLayout
		if fn.Uses(spec.NeedTableWrite) {
			check = st.EnsureLayout
		}
		if err := check(ctx); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
	}
	var sqsc *sqs.Client
	if len(fn.Sends) > 0 {
		sqsc = sqs.NewFromConfig(awsCfg)
	}
	e := New(fn, cfg, st, sqsc, queues, log)
	e.AWS = awsCfg
	e.SandboxSync = true
	fromProcess(e, os.Getenv)
	return e, nil
}

// fromProcess sets the options a deployed function reads from its
// environment (getenv): the PSPs' API bases (doubles in the stack deployed
// into LocalStack) and whether outbound webhooks may reach loopback.
func fromProcess(e *Env, getenv func(string) string) {
	e.StripeAPI, e.MollieAPI = getenv("STRIPE_API_BASE"), getenv("MOLLIE_API_BASE")
	e.AllowLoopbackWebhooks = getenv(EnvAllowLoopback) == "1"
}

// Sealer is the sealer the configuration names: KMS when deployed, the
// local key in make dev.
func Sealer(cfg config.Config, awsCfg aws.Config) seal.Sealer {
	if cfg.KMSKeyID != "" {
		return &seal.KMS{Client: kms.NewFromConfig(awsCfg), KeyID: cfg.KMSKeyID}
	}
	if len(cfg.LocalSealKey) == 32 {
		return seal.Local{Key: cfg.LocalSealKey}
	}
	return nil
}

// Start is the first line of a function's main: its Env, or a logged
// refusal and exit 1 when its configuration is incomplete.
func Start(name string) *Env {
	e, err := FromEnvironment(context.Background(), name)
	if err != nil {
		config.Logger().Error("start", "function", name, "error", err.Error())
		os.Exit(1)
	}
	return e
}

// Verify composes function name on an Env whose configuration has
// everything, with compose, and reports what the composition uses without
// declaring it, or declares without using it.
func Verify(name string, compose func(*Env)) error {
	fn, ok := spec.Lookup(name)
	if !ok {
		return fmt.Errorf("unknown function %q", name)
	}
	return verify(fn, compose)
}

func verify(fn spec.Function, compose func(*Env)) (err error) {
	cfg := config.Config{Table: "verify", UserPoolID: "us-east-1_verify", UserPoolClientID: "verify", PublicBaseURL: "https://pay.example", SandboxEnabled: true,
		StatementsBucket: "verify-statements",
		SandboxSecret:    []byte(strings.Repeat("s", 32)), LinkCodeSecret: []byte(strings.Repeat("c", 32)), LocalSealKey: make([]byte, 32)}
	queues := map[string]string{}
	for _, q := range spec.All().Sends {
		queues[q], queues[q+"-dlq"] = "https://sqs.verify/"+q, "https://sqs.verify/"+q+"-dlq"
	}
	st := store.New(nil, cfg.Table)
	e := New(fn, cfg, st, nil, queues, slog.New(slog.DiscardHandler))
	defer func() {
		if r := recover(); r != nil {
			u, ok := r.(ErrUndeclared)
			if !ok {
				panic(r)
			}
			err = u
		}
	}()
	compose(e)
	if u := e.Unused(); u != "" {
		return fmt.Errorf("function %s declares %s but its composition does not use it", fn.Name, u)
	}
	return nil
}
