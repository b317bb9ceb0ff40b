package redirect_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/paylinks/paylinks/shared/boot"
	"github.com/paylinks/paylinks/shared/psp"
	"github.com/paylinks/paylinks/shared/psp/sandbox"
	"github.com/paylinks/paylinks/shared/redirect"
	"github.com/paylinks/paylinks/shared/store"
)

// FuzzRedirectPath sends any path and User-Agent to the customer pages (a
// store that cannot be reached, so a code that parses costs one failed
// call): the answer is a page or a redirect to the sandbox checkout, never
// a redirect anywhere else, never a 5xx but the 503 page, and never the
// request's own markup echoed back.
func FuzzRedirectPath(f *testing.F) {
	for _, s := range []string{"/l/demo_0ERdOSLRfJqWZqcGYm4D0RMmMAn", "/l/demo_0ERdOSLRfJqWZqcGYm4D0RMmMAn/qr.png", "/l/x/qr.svg",
		"/l//evil.example", "/l/%2F%2Fevil.example", "/l/<script>alert(1)</script>", "/l/demo_..%2F..", "/l/demo_0ERdOSLRfJqWZqcGYm4D0RMmMAn/done",
		"/l/demo_0ERdOSLRfJqWZqcGYm4D0RMmMAn/epc.png", "/l/x/epc.svg", "/l/<b>/epc.png"} {
		f.Add(s, "Mozilla/5.0")
		f.Add(s, "WhatsApp/2.23")
	}
	db := dynamodb.New(dynamodb.Options{Region: "us-east-1", BaseEndpoint: aws.String("http://127.0.0.1:1"), RetryMaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider("x", "x", "")})
	sb := &sandbox.Provider{BaseURL: "https://pay.example", Secret: []byte("s")}
	h := redirect.New(store.New(db, "none"), psp.Registry{sandbox.Name: sb}, "https://pay.example")
	mux := http.NewServeMux()
	h.Routes(mux)
	srv := boot.Canonical(mux)
	f.Fuzz(func(t *testing.T, path, ua string) {
		u, err := url.Parse("https://pay.example" + path)
		if err != nil || !strings.HasPrefix(path, "/") {
			return
		}
		req := httptest.NewRequest("GET", "https://pay.example/", nil)
		req.URL = u
		req.RequestURI = u.RequestURI()
		req.Header.Set("User-Agent", ua)
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		switch {
		case rec.Code >= 500 && rec.Code != 503:
			t.Fatalf("%q: %d", path, rec.Code)
		case rec.Code >= 300 && rec.Code < 400:
			if loc := rec.Header().Get("Location"); !strings.HasPrefix(loc, "https://pay.example/sandbox/checkout/") {
				t.Fatalf("%q redirected to %q", path, loc)
			}
		}
		if strings.Contains(path, "<") && strings.Contains(rec.Body.String(), path) {
			t.Fatalf("%q echoed unescaped", path)
		}
	})
}
