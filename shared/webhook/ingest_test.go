package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/merchant"
	"github.com/paylinks/paylinks/shared/psp"
	"github.com/paylinks/paylinks/shared/psp/sandbox"
	"github.com/paylinks/paylinks/shared/reqlog"
)

// brokenPSP cannot verify anything (its verifier is down).
type brokenPSP struct{ psp.Provider }

func (brokenPSP) ParseWebhook(context.Context, *merchant.Merchant, http.Header, []byte, time.Time) ([]domain.PaymentEvent, error) {
	return nil, errors.New("verifier down")
}

// TestIngestRefusals pins each refusal of the ingest before anything is
// recorded: status, body, Retry-After and the request log's outcome and
// error, in that order.
func TestIngestRefusals(t *testing.T) {
	in := &Ingest{PSPs: psp.Registry{sandbox.Name: &sandbox.Provider{}, "broken": brokenPSP{}}, Now: time.Now,
		merchants: &merchant.Cache[string, *merchant.Merchant]{TTL: time.Minute, Load: func(_ context.Context, id string) (*merchant.Merchant, error) {
			switch id {
			case "shop":
				return &merchant.Merchant{ID: "shop", PSP: sandbox.Name, PSPWebhookSecret: "whsec_x"}, nil
			case "brokenshop":
				return &merchant.Merchant{ID: "brokenshop", PSP: "broken"}, nil
			case "down":
				return nil, errors.New("table unavailable")
			}
			return nil, domain.ErrNotFound
		}}}
	mux := http.NewServeMux()
	in.Routes(mux)
	var logs bytes.Buffer
	h := reqlog.Middleware(slog.New(slog.NewJSONHandler(&logs, nil)), mux)
	signed := []byte(`{"id":"evt","type":"payment.succeeded"}`)
	cases := []struct {
		name, path, sig string
		body            []byte
		status          int
		message, err    string
	}{
		{"unknown provider", "/webhooks/psp/paypal/shop", "", nil, 404, "unknown provider", ""},
		{"unknown merchant", "/webhooks/psp/sandbox/nobody", "", nil, 404, "unknown merchant", ""},
		{"merchant of another PSP", "/webhooks/psp/sandbox/brokenshop", "", nil, 404, "unknown merchant", ""},
		{"merchant unreadable", "/webhooks/psp/sandbox/down", "", nil, 503, "could not record; retry", "table unavailable"},
		{"body over 1 MiB", "/webhooks/psp/sandbox/shop", "", bytes.Repeat([]byte("x"), MaxBody+1), 413, "body over 1 MiB", ""},
		{"no signature", "/webhooks/psp/sandbox/shop", "", signed, 401, "signature invalid", ""},
		{"signed garbage", "/webhooks/psp/sandbox/shop", psp.SignedHeader("whsec_x", time.Now(), signed), signed, 400, "payload invalid", ""},
		{"verifier down", "/webhooks/psp/broken/brokenshop", "", signed, 503, "could not verify; retry", "verifier down"},
	}
	for _, c := range cases {
		logs.Reset()
		req := httptest.NewRequest("POST", c.path, bytes.NewReader(c.body))
		if c.sig != "" {
			req.Header.Set(sandbox.SignatureHeader, c.sig)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		body, _ := io.ReadAll(rec.Body)
		msg, _ := json.Marshal(c.message)
		want := `{"status":` + strconv.Itoa(c.status) + `,"message":` + string(msg) + "}\n"
		if rec.Code != c.status || string(body) != want || rec.Header().Get("Content-Type") != "application/json" {
			t.Errorf("%s: %d %s %q", c.name, rec.Code, body, rec.Header().Get("Content-Type"))
		}
		if ra := rec.Header().Get("Retry-After"); (c.status >= 500) != (ra != "") {
			t.Errorf("%s: Retry-After %q", c.name, ra)
		}
		line := logs.String()
		fields := `"outcome":"refused"`
		if c.err != "" {
			fields = `"error":"` + c.err + `","outcome":"refused"`
		}
		if !strings.Contains(line, fields) {
			t.Errorf("%s: log %s lacks %s", c.name, line, fields)
		}
	}
}
