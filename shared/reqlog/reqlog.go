// Package reqlog writes one JSON log line per HTTP request (log/slog) with
// the link, the merchant and the outcome that handlers attach on the way.
// It never logs headers, so API keys and signatures never reach the logs.
package reqlog

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
	"time"
)

type fieldsKey struct{}

type fields struct {
	mu    sync.Mutex
	attrs []slog.Attr
	route string
}

// Set attaches an attribute (link_id, merchant, outcome...) to the request's
// log line.
func Set(ctx context.Context, key, value string) {
	if f, ok := ctx.Value(fieldsKey{}).(*fields); ok {
		f.mu.Lock()
		f.attrs = append(f.attrs, slog.String(key, value))
		f.mu.Unlock()
	}
}

// SetRoute names the route that answers the request (its ServeMux
// pattern, "METHOD /path/{param}"): the log line's route. A mux reached
// through a middleware that hands it a new request (a deadline's context)
// sets its pattern on that request only, so the line would show the outer
// mux's ("/v1/"); the innermost handler says which route it is.
func SetRoute(ctx context.Context, pattern string) {
	if f, ok := ctx.Value(fieldsKey{}).(*fields); ok && pattern != "" {
		f.mu.Lock()
		f.route = pattern
		f.mu.Unlock()
	}
}

type recorder struct {
	http.ResponseWriter
	status int
}

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

// Middleware logs each request once it is answered.
func Middleware(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		f := &fields{}
		rec := &recorder{ResponseWriter: w}
		r2 := r.WithContext(context.WithValue(r.Context(), fieldsKey{}, f))
		next.ServeHTTP(rec, r2)
		f.mu.Lock()
		route := f.route
		if route == "" {
			route = r2.Pattern
		}
		attrs := []slog.Attr{
			slog.String("method", r.Method), slog.String("route", route), slog.Int("status", rec.status),
			slog.Duration("duration", time.Since(start)),
		}
		attrs = append(attrs, f.attrs...)
		f.mu.Unlock()
		level := slog.LevelInfo
		if rec.status >= 500 {
			level = slog.LevelError
		}
		log.LogAttrs(r.Context(), level, "request", attrs...)
	})
}
