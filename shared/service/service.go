// Package service assembles paylinks from its parts, so every function's
// main.go, the dev server and the tests build it the same way.
package service

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/socialmessaging"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"

	"github.com/paylinks/paylinks/shared/channel"
	"github.com/paylinks/paylinks/shared/config"
	"github.com/paylinks/paylinks/shared/httpapi"
	"github.com/paylinks/paylinks/shared/imports"
	"github.com/paylinks/paylinks/shared/merchant"
	"github.com/paylinks/paylinks/shared/outbound"
	"github.com/paylinks/paylinks/shared/psp"
	"github.com/paylinks/paylinks/shared/psp/mollie"
	"github.com/paylinks/paylinks/shared/psp/sandbox"
	"github.com/paylinks/paylinks/shared/psp/stripe"
	"github.com/paylinks/paylinks/shared/queue"
	"github.com/paylinks/paylinks/shared/redirect"
	"github.com/paylinks/paylinks/shared/refund"
	"github.com/paylinks/paylinks/shared/reqlog"
	"github.com/paylinks/paylinks/shared/seal"
	"github.com/paylinks/paylinks/shared/send"
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
}

// Service holds the handlers over one store.
type Service struct {
	Store    *store.Store
	Opts     Options
	API      *httpapi.API
	Imports  *imports.Worker
	Redirect *redirect.Handler
	Sandbox  *sandbox.Provider
	PSPs     psp.Registry
	Ingest   *webhook.Ingest
	Apply    *webhook.Apply
	Refunds  *refund.Service
	Sweeper  *sweep.Sweeper
	Send     *send.Service
	Outbox   *channel.Outbox // when the local outbox is in use
	Stream   *outbound.Stream
	Webhooks *outbound.Deliverer
}

// New wires the service.
func New(st *store.Store, o Options) *Service {
	if o.Log == nil {
		o.Log = config.Logger()
	}
	sb := &sandbox.Provider{BaseURL: o.PublicBaseURL, Secret: o.SandboxSecret, Sync: o.SandboxSync}
	if o.StripeAPI == "" {
		o.StripeAPI = "https://api.stripe.com"
	}
	if o.MollieAPI == "" {
		o.MollieAPI = "https://api.mollie.com"
	}
	psps := psp.Registry{
		stripe.Name: &stripe.Provider{BaseURL: o.StripeAPI, PublicBaseURL: o.PublicBaseURL},
		mollie.Name: &mollie.Provider{BaseURL: o.MollieAPI, PublicBaseURL: o.PublicBaseURL},
	}
	if !o.DisableSandbox {
		psps[sandbox.Name] = sb
	}
	if o.Deadline == 0 {
		o.Deadline = 8 * time.Second
	}
	api := httpapi.New(st, o.PublicBaseURL)
	api.Codes = o.LinkCodeKey
	api.Limits = httpapi.NewLimits(o.RateLimit, o.RateBurst)
	for name, p := range psps {
		api.PSPNames[name] = psp.Live(p)
	}
	s := &Service{Store: st, Opts: o, API: api, Redirect: redirect.New(st, psps, o.PublicBaseURL), Sandbox: sb, PSPs: psps}
	s.Redirect.Codes = o.LinkCodeKey
	// One merchant cache for the workers (the API keeps its own, keyed with
	// the API keys): a warm worker spends its round trips on the work.
	if o.MerchantTTL == 0 {
		o.MerchantTTL = 30 * time.Second
	}
	merchants := &merchant.Cache[string, *merchant.Merchant]{TTL: o.MerchantTTL, Load: st.GetMerchant}
	s.Ingest = webhook.NewIngest(st, psps, s.Sender(queue.PSPEvents))
	s.Refunds = &refund.Service{Store: st, PSPs: psps, Queue: s.Sender(queue.Refunds), Merchants: merchants.Get, Log: o.Log, Now: time.Now}
	api.Refunds = s.Refunds
	if o.Channels == nil {
		s.Outbox = &channel.Outbox{}
		o.Channels = channel.Registry{channel.Email: s.Outbox, channel.SMS: s.Outbox, channel.WhatsApp: s.Outbox}
		s.Opts.Channels = o.Channels
	}
	s.Send = &send.Service{Store: st, Queue: s.Sender(queue.Send), Channels: o.Channels, Merchants: merchants.Get,
		PublicBaseURL: o.PublicBaseURL, Log: o.Log, Now: time.Now}
	api.Send = s.Send
	api.Imports = s.Sender(queue.Imports)
	s.Imports = &imports.Worker{Store: st, Codes: o.LinkCodeKey, Send: s.Send, Merchants: merchants.Get, Log: o.Log,
		Now: func() time.Time { return api.Now() }}
	api.Log = o.Log
	s.Sweeper = sweep.New(st, o.Log)
	s.Sweeper.Remind = s.Send.Remind
	guard := outbound.Guard{AllowLoopback: o.AllowLoopbackWebhooks}
	api.WebhookGuard = guard
	api.Webhooks = s.Sender(queue.Webhooks)
	// The stream (once per batch) and the delivery worker (per attempt)
	// read the merchant's settings as they are, not through the workers'
	// cache: a webhook endpoint set by a 200 applies to every event made
	// after it.
	s.Stream = &outbound.Stream{Store: st, Merchants: st.GetMerchant, Queue: s.Sender(queue.Webhooks), SendRequested: s.Send.Requested,
		PublicBaseURL: o.PublicBaseURL, Log: o.Log, Now: time.Now}
	schedule := o.WebhookSchedule
	if schedule == nil {
		schedule = outbound.Schedule
	}
	s.Webhooks = &outbound.Deliverer{Store: st, Merchants: st.GetMerchant, Queue: s.Sender(queue.Webhooks), Client: guard.Client(),
		Schedule: schedule, Lease: 2 * outbound.Timeout, Log: o.Log, Now: time.Now}
	s.Apply = &webhook.Apply{Store: st, Log: o.Log, Now: api.Now, Refunds: func(ctx context.Context, msg webhook.Message) (string, error) {
		return s.Refunds.Settle(ctx, msg.Merchant, msg.Event)
	}}
	return s
}

// Sender is the sender of a named queue.
func (s *Service) Sender(name string) *queue.Sender {
	return &queue.Sender{SQS: s.Opts.SQS, URL: s.Opts.Queues[name], DLQ: s.Opts.Queues[name+"-dlq"]}
}

// APIHandler is the integrator API.
func (s *Service) APIHandler() http.Handler { return s.API.Handler() }

// APIFunctionHandler is what functions/api serves: the integrator API, the
// OpenAPI document and the health check.
func (s *Service) APIFunctionHandler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/v1/", s.APIHandler())
	mux.HandleFunc("GET /healthz", Health)
	mux.HandleFunc("GET /openapi.json", httpapi.ServeOpenAPI)
	return s.bounded(Canonical(mux))
}

// bounded gives each request the service's deadline: a dependency that
// does not answer in time fails the request with 503 and Retry-After
// instead of holding it for the outage.
func (s *Service) bounded(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), s.Opts.Deadline)
		defer cancel()
		h.ServeHTTP(w, r.WithContext(ctx))
	})
}

// PublicHandler serves /l/{code} (functions/redirect).
func (s *Service) PublicHandler() http.Handler {
	mux := http.NewServeMux()
	s.Redirect.Routes(mux)
	return s.bounded(Canonical(mux))
}

// SandboxHandler serves the sandbox PSP's pages (functions/sandbox).
func (s *Service) SandboxHandler() http.Handler {
	mux := http.NewServeMux()
	if !s.Opts.DisableSandbox {
		(&sandbox.Pages{Provider: s.Sandbox, Links: s.Store, Merchants: s.Store.GetMerchant}).Routes(mux)
	}
	return s.bounded(mux)
}

// WebhookHandler serves PSP webhooks (functions/webhook).
func (s *Service) WebhookHandler() http.Handler {
	mux := http.NewServeMux()
	s.Ingest.Routes(mux)
	return s.bounded(mux)
}

// Handler serves everything on one mux, as `make dev` and the tests do.
func (s *Service) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/v1/", s.bounded(s.APIHandler()))
	mux.Handle("/l/", s.PublicHandler())
	mux.Handle("/sandbox/", s.SandboxHandler())
	mux.Handle("/webhooks/", s.WebhookHandler())
	mux.HandleFunc("GET /healthz", Health)
	mux.HandleFunc("GET /openapi.json", httpapi.ServeOpenAPI)
	if s.Outbox != nil {
		mux.Handle("GET /dev/outbox", s.Outbox)
	}
	return Canonical(mux)
}

// Canonical answers 404 to paths that are not clean (//, /./, /../) instead
// of letting ServeMux redirect them: paylinks sends no Location but the PSP
// checkout's.
func Canonical(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.Path
		if p == "" || p[0] != '/' || (p != "/" && path.Clean(p) != strings.TrimSuffix(p, "/")) || strings.HasSuffix(p, "//") {
			http.NotFound(w, r)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// Consumers are the SQS handlers by queue name.
func (s *Service) Consumers() map[string]queue.Handler {
	return map[string]queue.Handler{queue.PSPEvents: s.Apply.Handle, queue.Refunds: s.Refunds.Handle, queue.Send: s.Send.Handle, queue.Imports: s.Imports.Handle,
		queue.Webhooks: s.Webhooks.Handle}
}

// Health answers the health check.
func Health(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write([]byte(`{"status":"ok"}` + "\n"))
}

// QueueEnv is the environment variable holding a queue's URL.
func QueueEnv(name string) string {
	return "QUEUE_URL_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
}

// Needs is what each function cannot start without; it refuses to start
// when any of it is missing (config.Load).
var Needs = map[string]config.Need{
	"api":      config.NeedTable | config.NeedPublicBaseURL | config.NeedLinkCodes | config.NeedSealer | config.NeedSandboxSecret,
	"redirect": config.NeedTable | config.NeedPublicBaseURL | config.NeedLinkCodes | config.NeedSealer | config.NeedSandboxSecret,
	"sandbox":  config.NeedTable | config.NeedPublicBaseURL | config.NeedSealer | config.NeedSandboxSecret,
	"webhook":  config.NeedTable | config.NeedPublicBaseURL | config.NeedSealer | config.NeedSandboxSecret,
	"refund":   config.NeedTable | config.NeedPublicBaseURL | config.NeedSealer | config.NeedSandboxSecret,
	"import":   config.NeedTable | config.NeedPublicBaseURL | config.NeedLinkCodes | config.NeedSealer,
	"apply":    config.NeedTable | config.NeedPublicBaseURL | config.NeedSealer,
	"send":     config.NeedTable | config.NeedPublicBaseURL | config.NeedSealer,
	"sweep":    config.NeedTable | config.NeedPublicBaseURL | config.NeedSealer,
	"stream":   config.NeedTable | config.NeedPublicBaseURL | config.NeedSealer,
	"deliver":  config.NeedTable | config.NeedPublicBaseURL | config.NeedSealer,
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

// FromEnv builds function fn's service from the environment with clients
// made once per cold start; it fails, naming what is missing, when the
// environment lacks anything fn needs.
func FromEnv(ctx context.Context, fn string) (*Service, *slog.Logger, error) {
	log := config.Logger()
	need, ok := Needs[fn]
	if !ok {
		return nil, log, fmt.Errorf("unknown function %q", fn)
	}
	awsCfg, err := config.AWS(ctx)
	if err != nil {
		return nil, log, err
	}
	cfg, err := config.Load(ctx, need, config.SecretsManager(awsCfg))
	if err != nil {
		return nil, log, fmt.Errorf("%s: %w", fn, err)
	}
	queues := map[string]string{}
	for _, d := range queue.Defs {
		queues[d.Name] = os.Getenv(QueueEnv(d.Name))
		if u := os.Getenv(QueueEnv(d.Name + "-dlq")); u != "" {
			queues[d.Name+"-dlq"] = u
		}
	}
	st := store.New(config.DynamoDB(awsCfg), cfg.Table)
	st.Sealer = Sealer(cfg, awsCfg)
	return New(st, Options{Channels: Channels(awsCfg), PublicBaseURL: cfg.PublicBaseURL, LinkCodeKey: cfg.LinkCodeSecret,
		DisableSandbox: !cfg.SandboxEnabled, SandboxSecret: cfg.SandboxSecret, SandboxSync: true,
		RateLimit: cfg.RateLimit, RateBurst: cfg.RateBurst,
		SQS: sqs.NewFromConfig(awsCfg), Queues: queues, Log: log, StripeAPI: os.Getenv("STRIPE_API_BASE"), MollieAPI: os.Getenv("MOLLIE_API_BASE")}), log, nil
}

// Channels builds the AWS senders the environment configures: EMAIL_FROM
// (SES v2), SMS_ENABLED=1 (SNS, SMS_SENDER_ID optional),
// WHATSAPP_PHONE_NUMBER_ID (End User Messaging Social). A channel left out
// fails its messages permanently ("not configured"), on the timeline.
func Channels(cfg aws.Config) channel.Registry {
	r := channel.Registry{}
	if from := os.Getenv("EMAIL_FROM"); from != "" {
		r[channel.Email] = &channel.SESSender{Client: sesv2.NewFromConfig(cfg), From: from}
	}
	if os.Getenv("SMS_ENABLED") == "1" {
		r[channel.SMS] = &channel.SNSSender{Client: sns.NewFromConfig(cfg), SenderID: os.Getenv("SMS_SENDER_ID")}
	}
	if id := os.Getenv("WHATSAPP_PHONE_NUMBER_ID"); id != "" {
		r[channel.WhatsApp] = &channel.WhatsAppSender{Client: socialmessaging.NewFromConfig(cfg), PhoneNumberID: id, MetaAPI: "v20.0"}
	}
	return r
}

// Lambda wraps an HTTP handler for API Gateway HTTP API (payload v2) with
// the request log.
func Lambda(log *slog.Logger, h http.Handler) func(context.Context, events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	proxy := httpadapter.NewV2(reqlog.Middleware(log, wholeHeaders(h))).ProxyWithContext
	return func(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		return proxy(context.WithValue(ctx, rawHeadersKey{}, req.Headers), req)
	}
}

type rawHeadersKey struct{}

// wholeHeaders puts back the header values the API Gateway adapter split at
// commas ("t=..,v1=.." signatures, Idempotency-Keys with commas): API
// Gateway already joined repeated headers with commas, so its value is the
// one on the wire.
func wholeHeaders(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if raw, ok := r.Context().Value(rawHeadersKey{}).(map[string]string); ok {
			for k, v := range raw {
				if !strings.EqualFold(k, "cookie") {
					r.Header.Set(k, v)
				}
			}
		}
		h.ServeHTTP(w, r)
	})
}

// SQSLambda wraps a queue's consumer for an SQS event source mapping with
// ReportBatchItemFailures.
func SQSLambda(log *slog.Logger, name string, h queue.Handler) func(context.Context, events.SQSEvent) (events.SQSEventResponse, error) {
	if h == nil {
		panic(fmt.Sprintf("no consumer for queue %s", name))
	}
	return func(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
		return queue.Batch(ctx, log, name, h, ev), nil
	}
}

// StreamLambda adapts the stream handler to Lambda's DynamoDB stream event.
func StreamLambda(st *outbound.Stream) func(context.Context, events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
	return func(ctx context.Context, ev events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
		recs, err := outbound.FromLambda(ev)
		if err != nil {
			return events.DynamoDBEventResponse{}, fmt.Errorf("stream records: %w", err)
		}
		var resp events.DynamoDBEventResponse
		if seq := st.Handle(ctx, recs); seq != "" {
			resp.BatchItemFailures = []events.DynamoDBBatchItemFailure{{ItemIdentifier: seq}}
		}
		return resp, nil
	}
}
