// Package httpapi is the integrator API of docs/api.md as a plain http.Handler:
// the same handler serves `make dev`, the tests (httptest) and the Lambda
// (wrapped by httpadapter only in functions/api/main.go).
package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/paylinks/paylinks/shared/authcache"
	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/identity"
	"github.com/paylinks/paylinks/shared/merchant"
	"github.com/paylinks/paylinks/shared/outbound"
	"github.com/paylinks/paylinks/shared/problem"
	"github.com/paylinks/paylinks/shared/queue"
	"github.com/paylinks/paylinks/shared/refund"
	"github.com/paylinks/paylinks/shared/reqlog"
	"github.com/paylinks/paylinks/shared/send"
	"github.com/paylinks/paylinks/shared/session"
	"github.com/paylinks/paylinks/shared/store"
	"github.com/paylinks/paylinks/shared/team"
	"github.com/paylinks/paylinks/shared/unavailable"
)

// maxPathID is the longest id a path may name (ours are about 30
// characters): anything longer is no resource (404), never a store error.
const maxPathID = 128

// MaxBody is the largest request body accepted (413 above).
const MaxBody = 1 << 20

// AuthCacheTTL is how long a verified key, a merchant's settings and a
// person's memberships are kept in memory by a warm function
// (authcache.TTL): the bound within which a change made by another function
// counts. What is changed through this process is dropped at once.
const AuthCacheTTL = authcache.TTL

// Store is every read and write the API makes: the small interfaces its
// handlers declare beside them, and who calls (API keys, merchants and
// people through the auth caches, dashboard sessions). *store.Store, the
// DynamoDB table, is one; the fast tier's tests run on one in memory.
type Store interface {
	CallerStore
	LinkStore
	LinkLister
	LinkSetReader
	ImportStore
	RefundLister
	CustomerStore
	SettingsStore
	BrandStore
	KeyStore
	MemberStore
	DeliveryStore
	ReviewStore
	AuditStore
	IdempotencyStore
	FeedStore
}

// CallerStore is what authenticating a caller reads: keys, merchants and
// people (authcache.Source, behind the caches) and dashboard sessions.
type CallerStore interface {
	authcache.Source
	session.Store
}

var _ Store = (*store.Store)(nil)

// API serves the integrator routes.
type API struct {
	Store         Store
	PublicBaseURL string
	Now           func() time.Time
	// PSPNames are the providers a merchant may choose, each with whether
	// a live merchant may (psp.Live).
	PSPNames map[string]bool
	Refunds  *refund.Service
	Send     *send.Service
	Log      *slog.Logger
	Imports  queue.Enqueuer // the import queue
	Webhooks queue.Enqueuer // the outbound webhooks queue
	// Codes signs the links' public codes.
	Codes domain.CodeKey
	// Limits are the per-merchant and failed-authentication rate limits.
	Limits *Limits
	// WebhookGuard checks endpoint URLs set in the settings.
	WebhookGuard interface{ CheckURL(string) error }

	// Members verifies members' Cognito access tokens (nil: API keys only).
	Members *identity.Verifier
	// Directory invites people into the user pool (the people function;
	// nil where members are not managed).
	Directory team.Inviter
	// Bank takes bank statements in and matches bank payments kept for
	// review (the api function; nil elsewhere: its routes answer 404).
	Bank BankStatements

	keys      *merchant.Cache[string, merchant.Key]
	merchants *merchant.Cache[string, *merchant.Merchant]
	people    *merchant.Cache[string, domain.Person]
}

// New returns the API over a store, authenticating with caches: the ones
// every API of the process shares (boot.Env.AuthCaches); nil makes the
// API its own.
func New(st Store, publicBaseURL string, caches *authcache.Caches) *API {
	a := &API{Store: st, PublicBaseURL: strings.TrimRight(publicBaseURL, "/"), Now: time.Now, PSPNames: map[string]bool{}, Log: slog.Default()}
	a.WebhookGuard = outbound.Guard{}
	a.Limits = NewLimits(0, 0)
	if caches == nil {
		caches = authcache.New(st, func() time.Time { return a.Now() })
	}
	a.keys, a.merchants, a.people = caches.Keys, caches.Merchants, caches.People
	return a
}

// Route is one integrator route.
type Route struct {
	Pattern string // Go ServeMux pattern: "METHOD /path/{param}"
	// Permission is what the caller's key must hold (403 missing_permission
	// otherwise).
	Permission domain.Permission
	// AlsoNeeds are more permissions the route needs (an export of personal
	// data needs the read of what it exports).
	AlsoNeeds []domain.Permission
	// MemberOnly is a route for members only, whatever their role (leaving
	// a merchant): no permission, and no API key.
	MemberOnly bool
	handler    func(*API) http.HandlerFunc
}

// Routes are the integrator API's routes, each with the permission it
// needs; every one is behind auth (Handler). The contract test holds the
// OpenAPI document to exactly these.
var Routes = []Route{
	{Pattern: CreateRoute, Permission: domain.LinksWrite, handler: func(a *API) http.HandlerFunc { return a.idempotent(handle(a.createLink)) }},
	{Pattern: "GET /v1/payment-links", Permission: domain.LinksRead, handler: func(a *API) http.HandlerFunc { return handle(a.listLinks) }},
	{Pattern: "POST /v1/payment-links/import", Permission: domain.LinksWrite, handler: func(a *API) http.HandlerFunc { return a.idempotent(handle(a.importLinks)) }},
	{Pattern: "GET /v1/payment-links/summary", Permission: domain.LinksRead, handler: func(a *API) http.HandlerFunc { return handle(a.summarizeLinks) }},
	{Pattern: "GET /v1/insights", Permission: domain.LinksRead, handler: func(a *API) http.HandlerFunc { return handle(a.insights) }},
	{Pattern: "GET /v1/payment-links/export", Permission: domain.ExportsRead, AlsoNeeds: []domain.Permission{domain.LinksRead}, handler: func(a *API) http.HandlerFunc { return handle(a.exportLinks) }},
	{Pattern: "GET /v1/imports/{id}", Permission: domain.LinksRead, handler: func(a *API) http.HandlerFunc { return handle(a.getImport) }},
	{Pattern: "GET /v1/payment-links/{id}", Permission: domain.LinksRead, handler: func(a *API) http.HandlerFunc { return handle(a.getLink) }},
	{Pattern: "PATCH /v1/payment-links/{id}", Permission: domain.LinksWrite, handler: func(a *API) http.HandlerFunc { return handle(a.patchLink) }},
	{Pattern: "POST /v1/payment-links/{id}/archive", Permission: domain.LinksWrite, handler: func(a *API) http.HandlerFunc { return a.idempotent(handle(a.archiveLink)) }},
	{Pattern: "POST /v1/payment-links/{id}/duplicate", Permission: domain.LinksWrite, handler: func(a *API) http.HandlerFunc { return a.idempotent(handle(a.duplicateLink)) }},
	{Pattern: "GET /v1/payment-links/{id}/preview", Permission: domain.LinksRead, handler: func(a *API) http.HandlerFunc { return handle(a.previewLink) }},
	{Pattern: "GET /v1/payment-links/{id}/preview/email", Permission: domain.LinksRead, handler: func(a *API) http.HandlerFunc { return handle(a.previewEmail) }},
	{Pattern: "GET /v1/payment-links/{id}/events", Permission: domain.LinksRead, handler: func(a *API) http.HandlerFunc { return handle(a.listEvents) }},
	{Pattern: "GET /v1/events", Permission: domain.LinksRead, handler: func(a *API) http.HandlerFunc { return handle(a.listFeed) }},
	{Pattern: "GET /v1/events/{id}", Permission: domain.LinksRead, handler: func(a *API) http.HandlerFunc { return handle(a.getFeedEvent) }},
	{Pattern: "POST /v1/payment-links/{id}/send", Permission: domain.LinksSend, handler: func(a *API) http.HandlerFunc { return a.idempotent(handle(a.sendLink)) }},
	{Pattern: "POST /v1/payment-links/{id}/refunds", Permission: domain.RefundsWrite, handler: func(a *API) http.HandlerFunc { return a.idempotent(handle(a.createRefund)) }},
	{Pattern: "GET /v1/payment-links/{id}/refunds", Permission: domain.LinksRead, handler: func(a *API) http.HandlerFunc { return handle(a.listRefunds) }},
	{Pattern: "GET /v1/payments/review", Permission: domain.PaymentsReview, handler: func(a *API) http.HandlerFunc { return handle(a.listReview) }},
	{Pattern: "POST /v1/payments/review/{id}/refund", Permission: domain.PaymentsReview, handler: func(a *API) http.HandlerFunc { return a.idempotent(handle(a.refundReview)) }},
	{Pattern: "POST /v1/payments/review/{id}/match", Permission: domain.PaymentsReview, handler: func(a *API) http.HandlerFunc { return a.idempotent(handle(a.matchReview)) }},
	{Pattern: "POST /v1/bank-statements", Permission: domain.PaymentsReview, handler: func(a *API) http.HandlerFunc { return a.idempotent(handle(a.uploadStatement)) }},
	{Pattern: "GET /v1/bank-statements", Permission: domain.PaymentsReview, handler: func(a *API) http.HandlerFunc { return handle(a.listStatements) }},
	{Pattern: "GET /v1/bank-statements/{id}", Permission: domain.PaymentsReview, handler: func(a *API) http.HandlerFunc { return handle(a.getStatement) }},
	{Pattern: "GET /v1/bank-statements/{id}/entries", Permission: domain.PaymentsReview, handler: func(a *API) http.HandlerFunc { return handle(a.listEntries) }},
	{Pattern: "POST /v1/bank-refund-files", Permission: domain.PaymentsReview, handler: func(a *API) http.HandlerFunc { return a.idempotent(handle(a.createBankFile)) }},
	{Pattern: "GET /v1/bank-refund-files", Permission: domain.PaymentsReview, handler: func(a *API) http.HandlerFunc { return handle(a.listBankFiles) }},
	{Pattern: "GET /v1/bank-refund-files/next", Permission: domain.PaymentsReview, handler: func(a *API) http.HandlerFunc { return handle(a.nextBankFile) }},
	{Pattern: "GET /v1/bank-refund-files/{id}", Permission: domain.PaymentsReview, handler: func(a *API) http.HandlerFunc { return handle(a.getBankFile) }},
}

// CreateRoute is the route the create function serves.
const CreateRoute = "POST /v1/payment-links"

// Handler returns the routes.
func (a *API) Handler() http.Handler {
	mux := http.NewServeMux()
	for _, rt := range Routes {
		mux.HandleFunc(rt.Pattern, a.auth(rt, rt.handler(a)))
	}
	mux.HandleFunc("/v1/", noRoute)
	return mux
}

// CreateHandler serves only POST /v1/payment-links, as Handler does (API
// key, rate limit, Idempotency-Key, the send asked for at creation): the
// create function. Any other route is a 404 problem.
func (a *API) CreateHandler() http.Handler {
	var create http.HandlerFunc
	for _, rt := range Routes {
		if rt.Pattern == CreateRoute {
			create = a.auth(rt, rt.handler(a))
		}
	}
	method, path, _ := strings.Cut(CreateRoute, " ")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == method && r.URL.Path == path {
			create(w, r)
			return
		}
		noRoute(w, r)
	})
}

func noRoute(w http.ResponseWriter, _ *http.Request) {
	problem.Write(w, problem.New(http.StatusNotFound, "no such route"))
}

type principalKey struct{}

// principal is who calls: an API key or a member, in one merchant.
type principal struct {
	merchant *merchant.Merchant
	grants   []domain.Permission
	actor    domain.Actor
	member   *domain.Member // a member's membership; nil for an API key
	// behalfOf is the member behind the caller: the member, or the member
	// a key was made on behalf of ("" for none).
	behalfOf string
}

func principalOf(ctx context.Context) principal {
	return ctx.Value(principalKey{}).(principal)
}

func merchantOf(ctx context.Context) *merchant.Merchant { return principalOf(ctx).merchant }

// MerchantHeader names the merchant a member acts in when they belong to
// several (API keys belong to one).
const MerchantHeader = "Paylinks-Merchant"

// auth resolves the bearer credential (an API key, or a member's Cognito
// access token) to its merchant (401 otherwise) and lets through only a
// caller that holds needed (403 naming it otherwise).
func (a *API) auth(rt Route, next http.HandlerFunc) http.HandlerFunc {
	return handle(func(w http.ResponseWriter, r *http.Request) error {
		// The route on the log line is this route's pattern, whatever mux
		// (and middleware) the request came through.
		reqlog.SetRoute(r.Context(), rt.Pattern)
		now := time.Now()
		addr := clientAddr(r)
		// A well-formed key found unknown a moment ago is refused again
		// without a lookup; any other credential is authenticated, even
		// from a blocked address (a forged key is refused from its text).
		key := bearerKey(r)
		p, err := principal{}, errUnauthenticated
		if key == "" || !a.Limits.knownUnknown(key, now) {
			p, err = a.authenticate(r)
		}
		if errors.Is(err, errUnauthenticated) {
			a.refuseUnknown(w, r, addr, key, now)
			return nil
		}
		if err != nil {
			return err
		}
		m := p.merchant
		reqlog.Set(r.Context(), "merchant", m.ID)
		reqlog.Set(r.Context(), "actor", p.actor.ID)
		if m.Suspended {
			problem.Write(w, problem.New(http.StatusForbidden, "this merchant is suspended by the operator; contact them"))
			return nil
		}
		allowed, remaining, retry := a.Limits.take(m.ID, now)
		a.Limits.rateHeaders(w, remaining, retry)
		if !allowed {
			tooMany(w, r, retry, "the merchant's API rate limit is reached; retry after the Retry-After seconds")
			return nil
		}
		if pr := refusal(rt, p); pr != nil {
			// Refused before the endpoint: nothing reserved, nothing written.
			reqlog.Set(r.Context(), "outcome", "missing_permission")
			problem.Write(w, pr)
			return nil
		}
		if len(r.PathValue("id")) > maxPathID {
			// No id of ours is that long, and the store could not even
			// look it up (its keys hold 1 KB at most).
			problem.Write(w, problem.New(http.StatusNotFound, "no such resource"))
			return nil
		}
		p.actor.IP, p.actor.UserAgent = addr, truncate(r.UserAgent(), 256)
		ctx := context.WithValue(r.Context(), principalKey{}, p)
		r = r.WithContext(domain.WithActor(ctx, p.actor))
		if rights := rightsOf(p.grants); !rights.All() {
			if p.member != nil {
				rights.Self = p.member.ID
			}
			// Short of the right to people's data: the answer is kept and
			// written without it.
			x := &redacting{w: w, header: http.Header{}}
			next(x, r)
			x.finish(r, rights)
			return nil
		}
		next(w, r)
		return nil
	})
}

// refusal is the 403 of a caller the route is not for (nil when it is).
func refusal(rt Route, p principal) *problem.Problem {
	if rt.MemberOnly {
		if p.member == nil {
			return problem.New(http.StatusForbidden, "only a member, signed in, may do this; an API key may not")
		}
		return nil
	}
	if missing, ok := domain.Missing(p.grants, append([]domain.Permission{rt.Permission}, rt.AlsoNeeds...)); ok {
		return problem.Forbidden(missing)
	}
	return nil
}

// errUnauthenticated is a missing, malformed, unknown or expired credential.
var errUnauthenticated = errors.New("unauthenticated")

// authenticate reads the bearer credential: an API key (sk_...) or, when
// the API verifies member tokens, a Cognito access token; without one, the
// dashboard's session cookie (its pages call these routes).
func (a *API) authenticate(r *http.Request) (principal, error) {
	auth := r.Header.Get("Authorization")
	secret, ok := strings.CutPrefix(auth, "Bearer ")
	cookie := session.Secret(r)
	switch {
	case ok && merchant.LookedUp(secret):
		k, m, err := a.merchantForKey(r.Context(), secret)
		if errors.Is(err, domain.ErrNotFound) {
			return principal{}, errUnauthenticated
		}
		if err != nil {
			return principal{}, err
		}
		return principal{merchant: m, grants: k.Grants(), actor: domain.Actor{Type: domain.ActorAPIKey, ID: k.ID(), Name: keyName(k)}, behalfOf: k.Member}, nil
	case ok && a.Members != nil && strings.Count(secret, ".") == 2:
		return a.memberPrincipal(r, secret)
	case auth == "" && cookie != "":
		return a.sessionPrincipal(r, cookie)
	}
	return principal{}, errUnauthenticated
}

// keyName is how the audit log names a key: its label, else its prefix
// and last four.
func keyName(k merchant.Key) string {
	if k.Name != "" {
		return k.Name
	}
	return k.Prefix + "..." + k.Last4
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

func (a *API) unauthorized(w http.ResponseWriter) {
	w.Header().Set("WWW-Authenticate", `Bearer realm="paylinks"`)
	problem.Write(w, problem.New(http.StatusUnauthorized, "a valid API key is required: Authorization: Bearer sk_..."))
}

func (a *API) merchantForKey(ctx context.Context, secret string) (merchant.Key, *merchant.Merchant, error) {
	k, err := a.keys.Get(ctx, secret)
	if err != nil {
		return merchant.Key{}, nil, err
	}
	m, err := a.merchants.Get(ctx, k.Merchant)
	return k, m, err
}

// handlerFunc is an endpoint: it writes its answer, or returns the error
// that handle writes as a problem.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// handle is the one adapter from endpoints to HTTP: an error an endpoint
// returns is written as a problem (fail).
func handle(h handlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			fail(w, r, err)
		}
	}
}

// fail writes err as a problem and logs its cause.
func fail(w http.ResponseWriter, r *http.Request, err error) {
	p := problem.From(Classify(err))
	if p.Status >= 500 {
		reqlog.Set(r.Context(), "error", err.Error())
	}
	reqlog.Set(r.Context(), "outcome", "error")
	problem.Write(w, p)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// readBody reads at most MaxBody bytes; 413 above.
func readBody(r *http.Request) ([]byte, error) { return readBodyMax(r, MaxBody) }

// readJSON reads the body (1 MiB at most) and decodes it strictly into v
// (see decodeStrict); an empty body leaves v as it is when emptyOK, whatever
// its Content-Type. Any other body must be application/json: 415 otherwise.
func readJSON(r *http.Request, v any, emptyOK bool) error {
	body, err := readBody(r)
	if err != nil {
		return err
	}
	if emptyOK && len(body) == 0 {
		return nil
	}
	if !isJSON(r.Header.Get("Content-Type")) {
		return problem.New(http.StatusUnsupportedMediaType, "send the body as application/json")
	}
	return decodeStrict(body, v)
}

// isJSON reports a Content-Type of application/json, with no parameters or
// parameters such as charset=utf-8 (JSON is UTF-8: another charset is not).
func isJSON(contentType string) bool {
	mt, params, err := mime.ParseMediaType(contentType)
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
		return false
	}
	return err == nil && mt == "application/json"
}

func readBodyMax(r *http.Request, max int64) ([]byte, error) {
	if r.ContentLength > max {
		return nil, problem.New(http.StatusRequestEntityTooLarge, fmt.Sprintf("the body is over %d MiB", max>>20))
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, max+1))
	if err != nil {
		return nil, problem.New(http.StatusBadRequest, "could not read the body")
	}
	if int64(len(b)) > max {
		return nil, problem.New(http.StatusRequestEntityTooLarge, fmt.Sprintf("the body is over %d MiB", max>>20))
	}
	return b, nil
}

// Classify marks a dependency that is down, slow or throttling (an AWS
// service, a PSP, the network) as domain.ErrUnavailable, so that problem
// answers 503 with Retry-After; any other error is returned as it is.
func Classify(err error) error {
	if err != nil && !errors.Is(err, domain.ErrUnavailable) && unavailable.Is(err) {
		return fmt.Errorf("%w: %w", domain.ErrUnavailable, err)
	}
	return err
}
