package httpapi_test

import (
	"encoding/json"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/paylinks/paylinks/shared/reqlog"
	"github.com/paylinks/paylinks/shared/service"
	"github.com/paylinks/paylinks/shared/testkit/testenv"
)

// Every bank route's request is logged with its own pattern as the route
// (through the whole service's mux, as make dev and the functions serve
// it), never the "/v1/" prefix.
func TestBankRoutesLogTheirPattern(t *testing.T) {
	env := testenv.New(t)
	key := env.Merchant(t, "routes")
	bkt := testenv.NewBucket(t)
	var sink testenv.LogBuffer
	log := slog.New(slog.NewJSONHandler(&sink, nil))
	svc := service.New(env.Store, service.Options{PublicBaseURL: "http://127.0.0.1:1", LinkCodeKey: testenv.CodeKey, SandboxSecret: []byte("s"), SQS: env.SQS,
		Queues: env.Queues, Log: log, StatementsBucket: bkt.Name, S3Endpoint: bkt.Endpoint, AWS: testenv.AWSConfig(t)})
	srv := httptest.NewServer(reqlog.Middleware(log, svc.Handler()))
	defer srv.Close()
	const id = "01JD3Q7A1B2C3D4E5F6G7H8J9K"
	for i, c := range []struct{ method, path, body, route string }{
		{"POST", "/v1/bank-statements", camtFile(), "POST /v1/bank-statements"},
		{"GET", "/v1/bank-statements", "", "GET /v1/bank-statements"},
		{"GET", "/v1/bank-statements/bs_" + id, "", "GET /v1/bank-statements/{id}"},
		{"GET", "/v1/bank-statements/bs_" + id + "/entries", "", "GET /v1/bank-statements/{id}/entries"},
		{"POST", "/v1/payments/review/py_" + id + "/match", `{"link_id":"pl_` + id + `"}`, "POST /v1/payments/review/{id}/match"},
		{"POST", "/v1/bank-refund-files", "", "POST /v1/bank-refund-files"},
		{"GET", "/v1/bank-refund-files", "", "GET /v1/bank-refund-files"},
		{"GET", "/v1/bank-refund-files/next", "", "GET /v1/bank-refund-files/next"},
		{"GET", "/v1/bank-refund-files/bf_" + id, "", "GET /v1/bank-refund-files/{id}"},
	} {
		hdr := map[string]string{}
		if strings.HasPrefix(c.body, "<") {
			hdr["Content-Type"] = "application/xml"
		}
		call(t, c.method, srv.URL+c.path, key, c.body, hdr, false)
		var lines []string
		testenv.Eventually(t, 5*time.Second, "the request's log line", func() bool {
			lines = lines[:0]
			for _, l := range strings.Split(sink.String(), "\n") {
				if strings.Contains(l, `"msg":"request"`) {
					lines = append(lines, l)
				}
			}
			return len(lines) == i+1
		})
		var line map[string]any
		_ = json.Unmarshal([]byte(lines[i]), &line)
		if line["route"] != c.route {
			t.Errorf("%s %s: logged route %v, want %q", c.method, c.path, line["route"], c.route)
		}
	}
}
