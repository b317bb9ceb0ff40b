package service_test

import (
	"encoding/json"
	"net/http"
	"os"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/paylinks/paylinks/shared/boot"
	"github.com/paylinks/paylinks/shared/config"
	"github.com/paylinks/paylinks/shared/outbound"
)

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
