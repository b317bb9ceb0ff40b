package sandbox

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/merchant"
	"github.com/paylinks/paylinks/shared/psp"
)

// FuzzParseWebhook: any signed sandbox body is one event on a well-formed
// link id or ErrPayload; a body signed with another secret never parses.
func FuzzParseWebhook(f *testing.F) {
	f.Add([]byte(`{"id":"evt_sb_1","type":"payment.succeeded","created":1795435260,"data":{"link_id":"pl_01JDA3M6ZQ8X2W4T0F3K9P7R5S","attempt":1,"payment_id":"pay_sb_1","amount":{"currency":"EUR","value":"12.00"}}}`))
	f.Add([]byte(`{"id":"evt_sb_2","type":"refund.failed","data":{"link_id":"pl_x","refund_id":"re_1"}}`))
	f.Add([]byte(`{"id":"","data":{}}`))
	m := &merchant.Merchant{ID: "demo", PSPWebhookSecret: "whsec_sandbox_demo"}
	p := &Provider{}
	now := time.Unix(1795435260, 0)
	f.Fuzz(func(t *testing.T, body []byte) {
		h := http.Header{}
		h.Set(SignatureHeader, psp.SignedHeader(m.PSPWebhookSecret, now, body))
		evs, err := p.ParseWebhook(context.Background(), m, h, body, now)
		if err != nil {
			if !errors.Is(err, psp.ErrPayload) {
				t.Fatalf("signed body refused for another reason: %v", err)
			}
		} else if len(evs) != 1 || evs[0].ID == "" || !domain.ValidID(domain.PrefixLink, evs[0].LinkID) {
			t.Fatalf("events %+v", evs)
		}
		h.Set(SignatureHeader, psp.SignedHeader("whsec_someone_else", now, body))
		if _, err := p.ParseWebhook(context.Background(), m, h, body, now); !errors.Is(err, psp.ErrSignature) {
			t.Fatalf("foreign signature: %v", err)
		}
	})
}
