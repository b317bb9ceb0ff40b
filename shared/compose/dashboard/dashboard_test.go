package dashboard_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	composedashboard "github.com/paylinks/paylinks/shared/compose/dashboard"
	"github.com/paylinks/paylinks/shared/dashboard"
	"github.com/paylinks/paylinks/shared/favicon"
	"github.com/paylinks/paylinks/shared/spec"
)

// The dashboard's function answers the site's root with a redirect to the
// dashboard and serves the favicon; the rest is the dashboard's own.
func TestRootAndFavicon(t *testing.T) {
	h := composedashboard.Handler(&dashboard.Dashboard{})
	cases := []struct {
		method, path string
		status       int
		location     string
		typ          string
	}{
		{"GET", "/", http.StatusFound, "/dashboard", ""},
		{"HEAD", "/", http.StatusFound, "/dashboard", ""},
		{"GET", "/?next=x", http.StatusFound, "/dashboard", ""},
		{"GET", favicon.Path, http.StatusOK, "", "image/svg+xml"},
		{"HEAD", favicon.Path, http.StatusOK, "", "image/svg+xml"},
		{"POST", "/", http.StatusNotFound, "", ""},
		{"GET", "/dashboard/no-such-page", http.StatusNotFound, "", "text/html; charset=utf-8"},
	}
	for _, c := range cases {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(c.method, c.path, nil))
		if rec.Code != c.status || rec.Header().Get("Location") != c.location || (c.typ != "" && rec.Header().Get("Content-Type") != c.typ) {
			t.Errorf("%s %s: %d %v, want %d %q %q", c.method, c.path, rec.Code, rec.Header(), c.status, c.location, c.typ)
		}
	}
}

// The deployed stack routes the root and the favicon to this function
// (the HTTP API's routes are spec's).
func TestSpecRoutesRootAndFaviconHere(t *testing.T) {
	f, ok := spec.Lookup("dashboard")
	if !ok {
		t.Fatal("no dashboard function in spec")
	}
	want := map[string]bool{"GET /": false, "GET " + favicon.Path: false}
	for _, r := range f.Routes {
		for _, m := range r.Methods {
			if _, ok := want[m+" "+r.Path]; ok {
				want[m+" "+r.Path] = true
			}
		}
	}
	for k, routed := range want {
		if !routed {
			t.Errorf("spec routes no %s to the dashboard", k)
		}
	}
}
