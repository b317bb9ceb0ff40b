package service_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/paylinks/paylinks/shared/config"
	"github.com/paylinks/paylinks/shared/seed"
	"github.com/paylinks/paylinks/shared/service"
	"github.com/paylinks/paylinks/shared/testenv"
)

// TestSampleEvents feeds every sample API Gateway event in events/ through
// the very adapter the functions use (service.Lambda), against the emulator.
func TestSampleEvents(t *testing.T) {
	env := testenv.New(t)
	if _, err := seed.Merchant(t.Context(), env.Store, seed.Demo("demo"), "sk_test_devkey123456"); err != nil {
		t.Fatal(err)
	}
	svc := service.New(env.Store, service.Options{PublicBaseURL: "https://pay.example", SandboxSecret: []byte("secret"), SQS: env.SQS, Queues: env.Queues})
	handlers := map[string]func(context.Context, events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error){
		"api":      service.Lambda(config.Logger(), svc.APIHandler()),
		"redirect": service.Lambda(config.Logger(), svc.PublicHandler()),
		"sandbox":  service.Lambda(config.Logger(), svc.SandboxHandler()),
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
