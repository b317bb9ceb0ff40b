package httpapi_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/paylinks/paylinks/shared/devkit/seed"
	"github.com/paylinks/paylinks/shared/service"
	"github.com/paylinks/paylinks/shared/testkit/testenv"
)

// TestWebhookEventsGoOnlyToTheEndpointOfTheirTime: events made while no
// endpoint was configured are never delivered, not even when the stream is
// replayed late (a restart of `make dev` reads it from the start) after a
// URL was set; events made after it are delivered once, replays or not;
// after the endpoint changed from A to B, events from A's time are not
// delivered to B.
func TestWebhookEventsGoOnlyToTheEndpointOfTheirTime(t *testing.T) {
	a, b := newReceiver(t, nil), newReceiver(t, nil)
	testenv.NeedStream(t)
	env := testenv.New(t)
	key := env.MerchantWith(t, seed.Demo("late")) // a webhook secret, no URL
	srv := env.ServeWith(t, func(o *service.Options) { o.AllowLoopbackWebhooks, o.MerchantTTL = true, time.Millisecond })
	srv.Consume(t)
	ctx := context.Background()
	live := env.StreamReader() // the stream read as it goes
	replay := func() {         // a restart: the whole stream again, late
		t.Helper()
		if _, err := env.StreamReader().Once(ctx, srv.Service.Stream.Handle); err != nil {
			t.Fatalf("replay: %v", err)
		}
	}
	follow := func() {
		t.Helper()
		if _, err := live.Once(ctx, srv.Service.Stream.Handle); err != nil {
			t.Fatalf("stream: %v", err)
		}
	}
	create := func(what string) string {
		t.Helper()
		st, _, raw := call(t, "POST", srv.URL+"/v1/payment-links", key, `{"amount":{"currency":"EUR","value":"5.00"},"description":"`+what+`","customer":{"company_name":"Acme BV","email":"billing@acme.example"}}`, nil, true)
		if st != 201 {
			t.Fatalf("create %s: %d %s", what, st, raw)
		}
		return decode(t, raw)["id"].(string)
	}
	setURL := func(u string) {
		t.Helper()
		if st, _, raw := call(t, "PUT", srv.URL+"/v1/settings", key, `{"webhook_url":"`+u+`"}`, nil, true); st != 200 {
			t.Fatalf("settings: %d %s", st, raw)
		}
	}

	archive := func(id string) {
		t.Helper()
		if st, _, raw := call(t, "POST", srv.URL+"/v1/payment-links/"+id+"/archive", key, "", nil, true); st != 200 && st != 204 {
			t.Fatalf("archive: %d %s", st, raw)
		}
	}
	for i := 0; i < 3; i++ {
		create("before any endpoint")
	}
	archive(create("deleted before any endpoint")) // never opened: deleted
	follow()                                       // handled in time: no endpoint, nothing to do
	setURL(a.URL + "/a")
	replay()
	replay()
	time.Sleep(1500 * time.Millisecond) // what was queued would be sent by now
	if n := len(a.all()); n != 0 {
		t.Fatalf("%d requests to an endpoint set after the events: %v", n, bodies(a.all()))
	}
	if d := deliveryCount(t, srv.URL, key); d != 0 {
		t.Fatalf("%d deliveries of events made before the endpoint was set", d)
	}

	atA := []string{create("for A"), create("for A too")}
	follow()
	testenv.Eventually(t, 20*time.Second, "A's two events delivered", func() bool { return len(a.delivered()) >= 2 })
	replay()
	setURL(b.URL + "/b")
	replay()
	atB := create("for B")
	follow()
	replay()
	testenv.Eventually(t, 20*time.Second, "B's event delivered", func() bool { return len(b.delivered()) >= 1 })
	time.Sleep(1500 * time.Millisecond) // duplicates and stray events would have arrived by now
	checkLinks(t, "A", a.all(), atA)
	checkLinks(t, "B", b.all(), []string{atB})
}

// checkLinks: got is one request per link of want, in any order.
func checkLinks(t *testing.T, name string, got []received, want []string) {
	t.Helper()
	seen := map[string]int{}
	for _, r := range got {
		var p struct {
			Data struct {
				Link struct {
					ID string `json:"id"`
				} `json:"link"`
			} `json:"data"`
		}
		if err := json.Unmarshal([]byte(r.Body), &p); err != nil {
			t.Fatalf("%s: body %q: %v", name, r.Body, err)
		}
		seen[p.Data.Link.ID]++
	}
	for _, id := range want {
		if seen[id] != 1 {
			t.Errorf("%s: link %s delivered %d times", name, id, seen[id])
		}
		delete(seen, id)
	}
	if len(seen) > 0 {
		t.Errorf("%s received events of other links: %v (%s)", name, seen, strings.Join(bodies(got), "\n"))
	}
}

func bodies(rs []received) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.Body
	}
	return out
}

// deliveryCount is how many deliveries the merchant's listing holds.
func deliveryCount(t *testing.T, base, key string) int {
	t.Helper()
	st, _, raw := call(t, "GET", base+"/v1/webhook-deliveries?limit=100", key, "", nil, true)
	if st != 200 {
		t.Fatalf("deliveries: %d %s", st, raw)
	}
	data, _ := decode(t, raw)["data"].([]any)
	return len(data)
}
