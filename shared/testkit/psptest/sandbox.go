package psptest

import (
	"bytes"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/paylinks/paylinks/shared/devkit/seed"
	"github.com/paylinks/paylinks/shared/psp"
	"github.com/paylinks/paylinks/shared/psp/sandbox"
)

// PostSandbox posts a sandbox PSP webhook for merchant mid (a merchant
// seeded as seed.Demo makes it) to the service at base, signed as the
// sandbox signs it, and fails the test unless it is recorded (200).
func PostSandbox(t testing.TB, base, mid string, ev sandbox.WebhookEvent) {
	t.Helper()
	raw, _ := json.Marshal(ev)
	req, _ := http.NewRequest("POST", base+"/webhooks/psp/sandbox/"+mid, bytes.NewReader(raw))
	req.Header.Set(sandbox.SignatureHeader, psp.SignedHeader(seed.Demo(mid).PSPWebhookSecret, time.Now(), raw))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("sandbox webhook %s answered %d", ev.ID, resp.StatusCode)
	}
}
