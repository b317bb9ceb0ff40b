// Package service assembles paylinks' HTTP surface from its parts, so every
// function's main.go, the dev server and the tests build it the same way.
package service

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/aws/aws-lambda-go/events"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"

	"github.com/paylinks/paylinks/shared/config"
	"github.com/paylinks/paylinks/shared/reqlog"

	"github.com/paylinks/paylinks/shared/httpapi"
	"github.com/paylinks/paylinks/shared/psp"
	"github.com/paylinks/paylinks/shared/psp/sandbox"
	"github.com/paylinks/paylinks/shared/redirect"
	"github.com/paylinks/paylinks/shared/store"
)

// Service holds the handlers over one store.
type Service struct {
	Store    *store.Store
	API      *httpapi.API
	Redirect *redirect.Handler
	Sandbox  *sandbox.Provider
	PSPs     psp.Registry
}

// New wires the service. publicBaseURL is where links and the sandbox pages
// are served.
func New(st *store.Store, publicBaseURL string, sandboxSecret []byte) *Service {
	sb := &sandbox.Provider{BaseURL: publicBaseURL, Secret: sandboxSecret}
	psps := psp.Registry{sandbox.Name: sb}
	api := httpapi.New(st, publicBaseURL)
	for name := range psps {
		api.PSPNames[name] = struct{}{}
	}
	return &Service{
		Store:    st,
		API:      api,
		Redirect: redirect.New(st, psps, publicBaseURL),
		Sandbox:  sb,
		PSPs:     psps,
	}
}

// APIHandler is the integrator API (functions/api).
func (s *Service) APIHandler() http.Handler { return s.API.Handler() }

// PublicHandler serves /l/{code} (functions/redirect).
func (s *Service) PublicHandler() http.Handler {
	mux := http.NewServeMux()
	s.Redirect.Routes(mux)
	return mux
}

// SandboxHandler serves the sandbox PSP's pages (functions/sandbox).
func (s *Service) SandboxHandler() http.Handler {
	mux := http.NewServeMux()
	(&sandbox.Pages{Provider: s.Sandbox, Links: s.Store}).Routes(mux)
	return mux
}

// Handler serves everything on one mux, as `make dev` and the tests do.
func (s *Service) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/v1/", s.APIHandler())
	mux.Handle("/l/", s.PublicHandler())
	mux.Handle("/sandbox/", s.SandboxHandler())
	mux.HandleFunc("GET /healthz", Health)
	mux.HandleFunc("GET /openapi.json", httpapi.ServeOpenAPI)
	return mux
}

// Health answers the health check.
func Health(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write([]byte(`{"status":"ok"}` + "\n"))
}

// FromEnv builds the service from the environment (config.FromEnv) with
// clients made once per cold start.
func FromEnv(ctx context.Context) (*Service, *slog.Logger, error) {
	log := config.Logger()
	cfg, err := config.FromEnv()
	if err != nil {
		return nil, log, err
	}
	awsCfg, err := config.AWS(ctx)
	if err != nil {
		return nil, log, err
	}
	st := store.New(config.DynamoDB(awsCfg), cfg.Table)
	return New(st, cfg.PublicBaseURL, []byte(cfg.SandboxSecret)), log, nil
}

// Lambda wraps an HTTP handler for API Gateway HTTP API (payload v2) with
// the request log.
func Lambda(log *slog.Logger, h http.Handler) func(context.Context, events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	return httpadapter.NewV2(reqlog.Middleware(log, h)).ProxyWithContext
}
