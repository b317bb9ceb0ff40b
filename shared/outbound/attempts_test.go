package outbound_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/paylinks/paylinks/shared/devkit/seed"
	"github.com/paylinks/paylinks/shared/outbound"
	"github.com/paylinks/paylinks/shared/queue"
	"github.com/paylinks/paylinks/shared/service"
	"github.com/paylinks/paylinks/shared/store"
	"github.com/paylinks/paylinks/shared/testkit/testenv"
)

// closedPort is a loopback port nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	_ = ln.Close()
	return fmt.Sprint(port)
}

// leaky matches what an attempt's text must never hold: an address, a
// port, a resolver, a raw error of the dialer or of crypto/tls.
var leaky = regexp.MustCompile(`\d+\.\d+|:\d|\[|dial|lookup|tcp|read |write |tls:|x509|127|::|Post|http://`)

// A failed delivery's recorded attempt, as the merchant reads it on
// GET /v1/webhook-deliveries/{id}, holds a category only: never the raw
// network error (a port-probe oracle naming addresses and the resolver).
// The service allows loopback (as in make dev) so endpoints can be aimed at
// closed and plain-http ports here; the records are written straight to the
// store as endpoints saved before the guard refused them, or re-resolved.
func TestFailedAttemptRecordsACategoryOnly(t *testing.T) {
	env := testenv.New(t)
	srv := env.ServeWith(t, func(o *service.Options) {
		o.AllowLoopbackWebhooks, o.MerchantTTL, o.WebhookSchedule = true, time.Millisecond, []time.Duration{time.Hour}
	})
	srv.Consume(t)
	status := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(503) }))
	t.Cleanup(status.Close)
	plain := strings.TrimPrefix(status.URL, "http://")
	cases := []struct{ merchant, url, want string }{
		{"closedport", "http://127.0.0.1:" + closedPort(t) + "/hook", "connection refused"},
		{"zoned", "http://[::1%25lo]:" + closedPort(t) + "/hook", "refused address"},
		{"mapped", "http://[::ffff:169.254.169.254]/latest/meta-data/", "refused address"},
		{"private", "https://10.0.0.1:8443/hook", "refused address"},
		{"nxdomain", "https://hooks.invalid/hook?token=s3cret", "DNS"},
		{"tlsplain", "https://" + plain + "/hook", "TLS"},
		{"answers503", status.URL + "/hook", "HTTP 503"},
	}
	ids := map[string]string{}
	keys := map[string]string{}
	for i, c := range cases {
		m := seed.Demo(c.merchant)
		m.WebhookURL = c.url
		keys[c.merchant] = env.MerchantWith(t, m)
		ev := fmt.Sprintf("ev_01JD3Q4ZK1W8Y6N0M5C2B7V9X%d", i)
		d := &store.Delivery{ID: store.DeliveryIDFor(ev), Merchant: c.merchant, EventID: ev, EventType: "payment_link.created",
			LinkID: "pl_01JD3Q4ZK1W8Y6N0M5C2B7V9XA", Sequence: 1, Body: `{"type":"payment_link.created"}`}
		if _, err := env.Store.PutDelivery(context.Background(), d, time.Now()); err != nil {
			t.Fatal(err)
		}
		if err := srv.Service.Sender(queue.Webhooks).Send(context.Background(), outbound.Message{Merchant: c.merchant, DeliveryID: d.ID}, 0); err != nil {
			t.Fatal(err)
		}
		ids[c.merchant] = d.ID
	}
	for _, c := range cases {
		var got []store.Attempt
		testenv.Eventually(t, 30*time.Second, c.merchant+"'s attempt recorded", func() bool {
			got = attemptLog(t, srv.URL, keys[c.merchant], ids[c.merchant])
			return len(got) > 0
		})
		a := got[0]
		if a.Error != c.want || leaky.MatchString(strings.TrimPrefix(a.Error, "HTTP 503")) || strings.Contains(a.Error, "s3cret") {
			t.Errorf("%s (%s): recorded %q, want %q", c.merchant, c.url, a.Error, c.want)
		}
		if c.want == "HTTP 503" && a.StatusCode != 503 {
			t.Errorf("%s: status %d", c.merchant, a.StatusCode)
		}
	}
}

// attemptLog is a delivery's attempts as the merchant reads them.
func attemptLog(t *testing.T, base, key, id string) []store.Attempt {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, base+"/v1/webhook-deliveries/"+id, nil)
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var d struct {
		AttemptLog []store.Attempt `json:"attempt_log"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&d); err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET delivery %s: %d %v", id, resp.StatusCode, err)
	}
	return d.AttemptLog
}
