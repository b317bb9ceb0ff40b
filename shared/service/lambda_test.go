package service_test

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/paylinks/paylinks/shared/boot"
	composecreate "github.com/paylinks/paylinks/shared/compose/create"
	"github.com/paylinks/paylinks/shared/config"
	"github.com/paylinks/paylinks/shared/devkit/seed"
	"github.com/paylinks/paylinks/shared/outbound"
	"github.com/paylinks/paylinks/shared/service"
	"github.com/paylinks/paylinks/shared/testkit/testenv"
)

// TestSampleEvents feeds every sample API Gateway event in events/ through
// the very adapter the functions use (service.Lambda), against the emulator.
func TestSampleEvents(t *testing.T) {
	env := testenv.New(t)
	if _, err := seed.Merchant(t.Context(), env.Store, seed.Demo("demo"), "sk_test_devkey123456"); err != nil {
		t.Fatal(err)
	}
	svc := service.New(env.Store, service.Options{PublicBaseURL: "https://pay.example", LinkCodeKey: testenv.CodeKey, SandboxSecret: []byte("secret"), SQS: env.SQS, Queues: env.Queues})
	handlers := map[string]func(context.Context, events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error){
		"api":      boot.Lambda(config.Logger(), svc.APIHandler()),
		"create":   boot.Lambda(config.Logger(), composecreate.Handler(svc.Create)),
		"redirect": boot.Lambda(config.Logger(), svc.PublicHandler()),
		"sandbox":  boot.Lambda(config.Logger(), svc.SandboxHandler()),
	}
	want := map[string]int{"create-link.json": 201, "list-links.json": 200, "preview-bot.json": 404, "click.json": 404, "checkout.json": 404}
	files, _ := filepath.Glob("../../events/*/*.json")
	if len(files) < len(want) {
		t.Fatalf("found %d sample events", len(files))
	}
	for _, f := range files {
		fn := filepath.Base(filepath.Dir(f))
		h, ok := handlers[fn]
		if !ok {
			continue
		}
		raw, _ := os.ReadFile(f)
		var ev events.APIGatewayV2HTTPRequest
		if err := json.Unmarshal(raw, &ev); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		resp, err := h(t.Context(), ev)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if w := want[filepath.Base(f)]; resp.StatusCode != w {
			t.Errorf("%s: status %d want %d: %s", f, resp.StatusCode, w, resp.Body)
		}
		if filepath.Base(f) == "create-link.json" && !strings.Contains(resp.Body, `"url":"https://pay.example/l/demo_`) {
			t.Errorf("create via Lambda: %s", resp.Body)
		}
	}
}

// TestLambdaKeepsWholeHeaders: the adapter splits header values at commas;
// the handler still sees each header as it was on the wire.
func TestLambdaKeepsWholeHeaders(t *testing.T) {
	seen := map[string][]string{}
	h := boot.Lambda(config.Logger(), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for _, k := range []string{"Stripe-Signature", "Idempotency-Key", "Accept-Language"} {
			seen[k] = r.Header.Values(k)
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	want := map[string]string{"stripe-signature": "t=1795435260,v1=abc,v1=def", "idempotency-key": "order,8812", "accept-language": "nl-BE, nl;q=0.9"}
	req := events.APIGatewayV2HTTPRequest{Version: "2.0", RawPath: "/x", Headers: want,
		RequestContext: events.APIGatewayV2HTTPRequestContext{HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: "GET", Path: "/x"}}}
	if _, err := h(t.Context(), req); err != nil {
		t.Fatal(err)
	}
	for k, v := range want {
		got := seen[http.CanonicalHeaderKey(k)]
		if len(got) != 1 || got[0] != v {
			t.Errorf("%s: %q, want %q", k, got, v)
		}
	}
}

// A DynamoDB stream event as Lambda delivers it (events/stream) becomes
// the payment_link.paid event with the link after the change.
func TestStreamLambdaEventParses(t *testing.T) {
	raw, err := os.ReadFile("../../events/stream/link-paid.json")
	if err != nil {
		t.Fatal(err)
	}
	var ev events.DynamoDBEvent
	if err := json.Unmarshal(raw, &ev); err != nil {
		t.Fatal(err)
	}
	recs, err := outbound.FromLambda(ev)
	if err != nil || len(recs) != 1 {
		t.Fatalf("records %v %v", recs, err)
	}
	out, ok, err := outbound.FromRecord(recs[0])
	if err != nil || !ok || out.Type != "payment_link.paid" || out.Sequence != 2 || out.Link.Status != "paid" || out.Link.Customer.LastName != "Peeters" ||
		out.Data["psp_event_id"] != "evt_sb_1" || recs[0].Sequence != "111" {
		t.Fatalf("event %+v %v %v", out, ok, err)
	}
}
