// Package service is the whole of paylinks in one process, as `make dev`
// and the tests run it: every function composed (shared/compose) on one
// boot.Env that declares everything (spec.All), behind one mux, with the
// local outbox for the channels unless the test brings its own.
package service

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/paylinks/paylinks/shared/boot"
	"github.com/paylinks/paylinks/shared/channel"
	composeaccount "github.com/paylinks/paylinks/shared/compose/account"
	composeapi "github.com/paylinks/paylinks/shared/compose/api"
	composeapply "github.com/paylinks/paylinks/shared/compose/apply"
	composecreate "github.com/paylinks/paylinks/shared/compose/create"
	composecustomers "github.com/paylinks/paylinks/shared/compose/customers"
	composedashboard "github.com/paylinks/paylinks/shared/compose/dashboard"
	composedeliver "github.com/paylinks/paylinks/shared/compose/deliver"
	composeimports "github.com/paylinks/paylinks/shared/compose/imports"
	composepeople "github.com/paylinks/paylinks/shared/compose/people"
	"github.com/paylinks/paylinks/shared/compose/psps"
	composereconcile "github.com/paylinks/paylinks/shared/compose/reconcile"
	composeredirect "github.com/paylinks/paylinks/shared/compose/redirect"
	composerefund "github.com/paylinks/paylinks/shared/compose/refund"
	composesandbox "github.com/paylinks/paylinks/shared/compose/sandbox"
	composesend "github.com/paylinks/paylinks/shared/compose/send"
	composestream "github.com/paylinks/paylinks/shared/compose/stream"
	composesweep "github.com/paylinks/paylinks/shared/compose/sweep"
	composewebhook "github.com/paylinks/paylinks/shared/compose/webhook"
	"github.com/paylinks/paylinks/shared/config"
	"github.com/paylinks/paylinks/shared/dashboard"
	"github.com/paylinks/paylinks/shared/httpapi"
	"github.com/paylinks/paylinks/shared/identity"
	"github.com/paylinks/paylinks/shared/imports"
	"github.com/paylinks/paylinks/shared/openapi"
	"github.com/paylinks/paylinks/shared/outbound"
	"github.com/paylinks/paylinks/shared/psp"
	"github.com/paylinks/paylinks/shared/psp/sandbox"
	"github.com/paylinks/paylinks/shared/queue"
	"github.com/paylinks/paylinks/shared/redirect"
	"github.com/paylinks/paylinks/shared/refund"
	"github.com/paylinks/paylinks/shared/send"
	"github.com/paylinks/paylinks/shared/spec"
	"github.com/paylinks/paylinks/shared/statements"
	"github.com/paylinks/paylinks/shared/store"
	"github.com/paylinks/paylinks/shared/sweep"
	"github.com/paylinks/paylinks/shared/webhook"
)

// Options are what the service needs besides the store.
type Options struct {
	PublicBaseURL string
	// LinkCodeKey signs links' public codes (32 bytes at least).
	LinkCodeKey []byte
	// DisableSandbox leaves the sandbox PSP out (prod stacks: SANDBOX_ENABLED
	// unset); SandboxSecret signs its sessions.
	DisableSandbox bool
	SandboxSecret  []byte
	// RateLimit and RateBurst are the per-merchant API limit (requests per
	// second and burst; 25 and 50 when zero).
	RateLimit float64
	RateBurst int
	// Deadline bounds each HTTP request's calls to AWS and PSPs (8 s when
	// zero): what is not done by then answers 503 with Retry-After.
	Deadline time.Duration
	// SandboxSync makes the sandbox send its webhooks before answering
	// (Lambda); otherwise in the background like a PSP.
	SandboxSync bool
	SQS         *sqs.Client
	Queues      map[string]string // queue name -> URL
	Log         *slog.Logger
	// StripeAPI and MollieAPI are the PSPs' API bases (the real ones when
	// empty; doubles in tests).
	StripeAPI, MollieAPI string
	// Channels deliver messages; nil means the local outbox for every
	// channel (make dev, tests), readable at GET /dev/outbox.
	Channels channel.Registry
	// AllowLoopbackWebhooks lets outbound webhooks reach 127.0.0.1 over
	// http (make dev, tests); never set when deployed.
	AllowLoopbackWebhooks bool
	// WebhookSchedule replaces outbound.Schedule (tests retry in seconds).
	WebhookSchedule []time.Duration
	// MerchantTTL is how long workers cache a merchant's settings (30 s
	// when zero).
	MerchantTTL time.Duration
	// UserPool is the members' user pool (on moto) and AWS the SDK
	// configuration that reaches it; invitations go to the outbox.
	UserPool identity.Pool
	AWS      aws.Config
	// StatementsBucket keeps bank statements' files (on moto's S3 at
	// S3Endpoint; AWS signs its requests).
	StatementsBucket, S3Endpoint string
}

// Service holds every function's handler over one store.
type Service struct {
	Env      *boot.Env
	Store    *store.Store
	Opts     Options
	API      *httpapi.API
	Create   *httpapi.API
	Redirect *redirect.Handler
	Sandbox  *sandbox.Provider
	PSPs     psp.Registry
	Ingest   *webhook.Ingest
	Apply    *webhook.Apply
	Refunds  *refund.Service
	Sweeper  *sweep.Sweeper
	Send     *send.Service
	Imports  *imports.Worker
	// Reconcile is the bank statements' worker.
	Reconcile *statements.Service
	Outbox    *channel.Outbox // when the local outbox is in use
	Stream    *outbound.Stream
	Webhooks  *outbound.Deliverer
	// Account serves httpapi.AccountRoutes, People MemberRoutes, Dashboard
	// /dashboard.
	Account   *httpapi.API
	People    *httpapi.API
	Customers *httpapi.API
	Dashboard *dashboard.Dashboard
}

// New composes every function on one Env, with the same constructors the
// functions' mains call. Everything the compositions read (the options, the
// channels, the invitations' mail) is on the Env before the first of them
// runs, so each builds its part complete: New only stores what they return
// (infra/structure holds it to that). The parts read one clock, the Env's
// (tests move it with s.Env.Clock.Set), and the APIs authenticate through
// one set of caches (Env.AuthCaches).
func New(st *store.Store, o Options) *Service {
	if o.Log == nil {
		o.Log = config.Logger()
	}
	cfg := config.Config{Table: st.Table, PublicBaseURL: o.PublicBaseURL, SandboxEnabled: !o.DisableSandbox, SandboxSecret: o.SandboxSecret,
		LinkCodeSecret: o.LinkCodeKey, RateLimit: o.RateLimit, RateBurst: o.RateBurst,
		UserPoolID: o.UserPool.ID, UserPoolClientID: o.UserPool.ClientID, CognitoEndpoint: o.UserPool.Endpoint,
		StatementsBucket: o.StatementsBucket, S3Endpoint: o.S3Endpoint}
	e := boot.New(spec.All(), cfg, st, o.SQS, o.Queues, o.Log)
	e.AWS = o.AWS
	if e.AWS.Region == "" {
		e.AWS.Region = o.UserPool.Region
	}
	e.StripeAPI, e.MollieAPI, e.SandboxSync, e.Deadline, e.MerchantTTL = o.StripeAPI, o.MollieAPI, o.SandboxSync, o.Deadline, o.MerchantTTL
	e.AllowLoopbackWebhooks, e.WebhookSchedule = o.AllowLoopbackWebhooks, o.WebhookSchedule
	s := &Service{Env: e, Store: st, Opts: o}
	if o.Channels == nil {
		s.Outbox = &channel.Outbox{}
		o.Channels = channel.Registry{channel.Email: s.Outbox, channel.SMS: s.Outbox, channel.WhatsApp: s.Outbox}
		s.Opts.Channels = o.Channels
	}
	e.InviteMail = s.mailInvitation

	s.PSPs, s.Sandbox = psps.New(e), e.SandboxPSP()
	s.API, s.Create = composeapi.New(e), composecreate.New(e)
	s.Refunds = composerefund.New(e)
	s.Redirect = composeredirect.New(e)
	s.Ingest = composewebhook.New(e)
	s.Apply = composeapply.New(e)
	s.Send = composesend.Worker(e, o.Channels)
	s.Imports = composeimports.New(e)
	s.Reconcile = composereconcile.New(e)
	s.Sweeper = composesweep.New(e)
	s.Stream = composestream.New(e)
	s.Webhooks = composedeliver.New(e)
	s.Account = composeaccount.New(e)
	s.People = composepeople.New(e)
	s.Customers = composecustomers.New(e)
	s.Dashboard = composedashboard.New(e)
	return s
}

// mailInvitation puts an invitation in the e-mail channel (the outbox in
// make dev): what the deployed pool mails itself.
func (s *Service) mailInvitation(ctx context.Context, email, temporaryPassword string) error {
	text := "You are invited to the paylinks dashboard. Sign in at " + s.Opts.PublicBaseURL + "/dashboard/sign-in with " + email
	if temporaryPassword != "" {
		text += " and the temporary password " + temporaryPassword + " (valid 7 days); you will choose your own."
	} else {
		text += " and your password."
	}
	_, err := s.Opts.Channels[channel.Email].Send(ctx, channel.Message{Channel: channel.Email, To: email, Subject: "Your paylinks invitation",
		Text: text, Lang: "en", Kind: "invitation"})
	return err
}

// Sender is the sender of a named queue.
func (s *Service) Sender(name string) *queue.Sender { return s.Env.Sender(name) }

// APIHandler is the integrator API (every /v1 route).
func (s *Service) APIHandler() http.Handler { return s.API.Handler() }

func (s *Service) bounded(h http.Handler) http.Handler { return boot.Bounded(s.Env.Deadlines(), h) }

// PublicHandler serves /l/{code} (functions/redirect).
func (s *Service) PublicHandler() http.Handler {
	return s.bounded(boot.Canonical(composeredirect.Handler(s.Redirect)))
}

// SandboxHandler serves the sandbox PSP's pages (functions/sandbox).
func (s *Service) SandboxHandler() http.Handler { return s.bounded(composesandbox.Handler(s.Env)) }

// WebhookHandler serves PSP webhooks (functions/webhook).
func (s *Service) WebhookHandler() http.Handler { return s.bounded(composewebhook.Handler(s.Ingest)) }

// Handler serves everything on one mux, as `make dev` and the tests do.
func (s *Service) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/v1/", s.bounded(s.APIHandler()))
	for _, p := range httpapi.AccountPaths {
		mux.Handle(p, s.bounded(composeaccount.Handler(s.Account)))
		mux.Handle(p+"/", s.bounded(composeaccount.Handler(s.Account)))
	}
	mux.Handle(httpapi.CustomersPath, s.bounded(composecustomers.Handler(s.Customers)))
	mux.Handle(httpapi.CustomersPath+"/", s.bounded(composecustomers.Handler(s.Customers)))
	mux.Handle(httpapi.MembersPath, s.bounded(composepeople.Handler(s.People)))
	mux.Handle(httpapi.MembersPath+"/", s.bounded(composepeople.Handler(s.People)))
	mux.Handle("/dashboard", s.bounded(composedashboard.Handler(s.Dashboard)))
	mux.Handle("/dashboard/", s.bounded(composedashboard.Handler(s.Dashboard)))
	// The site's root and favicon: the dashboard's function's, as deployed.
	mux.Handle("GET /{$}", s.bounded(composedashboard.Handler(s.Dashboard)))
	mux.Handle("GET /favicon.ico", s.bounded(composedashboard.Handler(s.Dashboard)))
	mux.Handle("/l/", s.PublicHandler())
	mux.Handle("/sandbox/", s.SandboxHandler())
	mux.Handle("/webhooks/", s.WebhookHandler())
	mux.HandleFunc("GET /healthz", boot.Health)
	mux.HandleFunc("GET /openapi.json", openapi.Handler(s.API.PublicBaseURL))
	if s.Outbox != nil {
		mux.Handle("GET /dev/outbox", s.Outbox)
	}
	return boot.Canonical(mux)
}

// Consumers are the SQS handlers by queue name.
func (s *Service) Consumers() map[string]queue.Handler {
	return map[string]queue.Handler{queue.PSPEvents: s.Apply.Handle, queue.Refunds: s.Refunds.Handle, queue.Send: s.Send.Handle, queue.Imports: s.Imports.Handle,
		queue.Webhooks: s.Webhooks.Handle, queue.Statements: composereconcile.Handler(s.Reconcile)}
}
