package deliver

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/paylinks/paylinks/shared/boot"
	"github.com/paylinks/paylinks/shared/outbound"
)

// The worker is built complete from its Env: it reaches a receiver on
// loopback only when the Env allows it (the LocalStack stack's deliver, make
// dev, the tests), retries on the Env's schedule when it has one, and reads
// the Env's clock.
func TestWorkerFromItsEnv(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	defer srv.Close()
	at := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, c := range []struct {
		loopback bool
		schedule []time.Duration
	}{{false, nil}, {true, []time.Duration{time.Second}}} {
		err := boot.Verify("deliver", func(e *boot.Env) {
			e.AllowLoopbackWebhooks, e.WebhookSchedule = c.loopback, c.schedule
			e.Clock.Set(func() time.Time { return at })
			d := New(e)
			resp, err := d.Client.Get(srv.URL)
			if err == nil {
				resp.Body.Close()
			}
			if (err == nil) != c.loopback {
				t.Errorf("loopback allowed %v: reached %s: %v (err %v)", c.loopback, srv.URL, err == nil, err)
			}
			want := c.schedule
			if want == nil {
				want = outbound.Schedule
			}
			if len(d.Schedule) != len(want) || d.Schedule[0] != want[0] {
				t.Errorf("schedule %v, want %v", d.Schedule, want)
			}
			if !d.Now().Equal(at) {
				t.Errorf("clock %v, want the Env's %v", d.Now(), at)
			}
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}
