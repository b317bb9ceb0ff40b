package reqlog_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/paylinks/paylinks/shared/reqlog"
)

type key struct{}

// The route logged is the pattern of the handler that answered: the
// innermost mux's, also when a middleware between two muxes hands the
// inner one a new request (a deadline's context), so the outer mux's
// prefix ("/v1/") is not what is logged; without SetRoute the outer
// pattern is what the request holds.
func TestRouteIsTheInnerPattern(t *testing.T) {
	inner := http.NewServeMux()
	inner.HandleFunc("POST /v1/bank-statements", func(w http.ResponseWriter, r *http.Request) {
		reqlog.SetRoute(r.Context(), r.Pattern)
		w.WriteHeader(http.StatusAccepted)
	})
	inner.HandleFunc("GET /v1/other", func(w http.ResponseWriter, r *http.Request) {})
	outer := http.NewServeMux()
	outer.Handle("/v1/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		inner.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), key{}, 1)))
	}))
	var buf bytes.Buffer
	h := reqlog.Middleware(slog.New(slog.NewJSONHandler(&buf, nil)), outer)
	for _, c := range []struct{ method, path, want string }{
		{"POST", "/v1/bank-statements", "POST /v1/bank-statements"},
		{"GET", "/v1/other", "/v1/"},
	} {
		buf.Reset()
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(c.method, c.path, nil))
		var line map[string]any
		if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
			t.Fatalf("%s: %v %s", c.path, err, buf.String())
		}
		if line["route"] != c.want {
			t.Errorf("%s %s: route %v, want %q", c.method, c.path, line["route"], c.want)
		}
	}
}
