package stripe

import (
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/paylinks/paylinks/shared/psp"
)

// FuzzParseWebhook: any correctly signed body is one event of a known kind
// or ErrPayload, never a panic; its amount, when present, is valid money.
func FuzzParseWebhook(f *testing.F) {
	files, _ := filepath.Glob("../../../testdata/stripe/*.json")
	for _, name := range files {
		if b, err := os.ReadFile(name); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(`{"id":"evt_1","type":"checkout.session.completed","data":{"object":{"amount_total":-5,"currency":"zzz"}}}`))
	m := testMerchant()
	now := time.Unix(1795435260, 0)
	f.Fuzz(func(t *testing.T, body []byte) {
		h := http.Header{}
		h.Set("Stripe-Signature", psp.SignedHeader(whsec, now, body))
		evs, err := (&Provider{}).ParseWebhook(context.Background(), m, h, body, now)
		if err != nil {
			if !errors.Is(err, psp.ErrPayload) {
				t.Fatalf("signed body refused for another reason: %v", err)
			}
			return
		}
		if len(evs) != 1 || evs[0].ID == "" || evs[0].Kind == "" {
			t.Fatalf("events %+v", evs)
		}
		if a := evs[0].Amount; a != nil && (a.Value.IsNegative() || a.Currency == "") {
			t.Fatalf("amount %+v", a)
		}
	})
}
