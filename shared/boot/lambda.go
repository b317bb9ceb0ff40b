package boot

import (
	"context"
	"log/slog"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/awslabs/aws-lambda-go-api-proxy/httpadapter"

	"github.com/paylinks/paylinks/shared/queue"
	"github.com/paylinks/paylinks/shared/reqlog"
)

// ServeHTTP is the rest of an HTTP function's main: h behind API Gateway
// (payload v2), with the request log, the request deadline and clean paths.
func ServeHTTP(e *Env, h http.Handler) {
	lambda.Start(Lambda(e.Log, Bounded(e.Deadlines(), Canonical(h))))
}

// ServeQueue is the rest of a queue consumer's main: the batches of the
// function's queue through h, failed messages reported
// (ReportBatchItemFailures).
func ServeQueue(e *Env, h queue.Handler) {
	lambda.Start(SQSLambda(e.Log, e.Fn.Consumes, h))
}

// Bounded gives each request a deadline: a dependency that does not answer
// in time fails the request with 503 and Retry-After instead of holding it
// for the outage.
func Bounded(d time.Duration, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), d)
		defer cancel()
		h.ServeHTTP(w, r.WithContext(ctx))
	})
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

// Health answers the health check.
func Health(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write([]byte(`{"status":"ok"}` + "\n"))
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
	return func(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
		return queue.Batch(ctx, log, name, h, ev), nil
	}
}
