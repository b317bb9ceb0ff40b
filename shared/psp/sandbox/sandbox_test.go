package sandbox

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/merchant"
	"github.com/paylinks/paylinks/shared/money"
	"github.com/paylinks/paylinks/shared/psp"
)

func TestSessionsAndFetchPayment(t *testing.T) {
	got := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got++ }))
	defer srv.Close()
	p := &Provider{BaseURL: srv.URL, Secret: []byte("s"), Sync: true}
	s := Session{Merchant: "demo", LinkID: "pl_01JDA3M6ZQ8X2W4T0F3K9P7R5S", Attempt: 2}
	tok := p.Token(s)
	if back, err := p.ParseToken(tok); err != nil || back != s {
		t.Fatalf("%+v %v", back, err)
	}
	for _, bad := range []string{"", "cs_", tok + "x", "cs_" + tok[3:len(tok)-2] + "AA", (&Provider{Secret: []byte("other")}).Token(s)} {
		if _, err := p.ParseToken(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
	m := &merchant.Merchant{ID: "demo", PSPWebhookSecret: "whsec_x"}
	amt := money.MustParse("EUR", "5.00")
	ref := PaymentID(tok)
	if _, err := p.FetchPayment(context.Background(), m, ref); !errors.Is(err, psp.ErrUnknownPayment) {
		t.Fatalf("before: %v", err)
	}
	for _, typ := range []string{"payment.failed", "payment.succeeded"} {
		ev := WebhookEvent{ID: "evt_" + typ, Type: typ, Created: time.Now().Unix(), Data: WebhookData{LinkID: s.LinkID, Attempt: 2, PaymentID: ref, Amount: &amt}}
		if err := p.Emit(context.Background(), m, ev); err != nil {
			t.Fatal(err)
		}
	}
	pay, err := p.FetchPayment(context.Background(), m, ref)
	if err != nil || pay.Status != domain.PaymentSucceeded || pay.Amount.String() != "5.00" || got != 2 {
		t.Fatalf("%+v %v, %d posts", pay, err, got)
	}
	if _, err := p.FetchPayment(context.Background(), &merchant.Merchant{ID: "other"}, ref); !errors.Is(err, psp.ErrUnknownPayment) {
		t.Fatal("another merchant sees the payment")
	}
	r, _ := p.Refund(context.Background(), m, psp.RefundRequest{RefundID: "re_1", Reason: "please FAIL"})
	if r.Status != domain.RefundFailed {
		t.Fatalf("%+v", r)
	}
}

// TestParseWebhookAmounts: each event carries the amount the sandbox
// reported, exactly; one that is not money is carried as none (kept for
// review), never refused.
func TestParseWebhookAmounts(t *testing.T) {
	p := &Provider{}
	m := &merchant.Merchant{ID: "demo", PSPWebhookSecret: "whsec_x"}
	now := time.Now()
	for amount, want := range map[string]string{
		`{"currency":"USD","value":"0.01"}`:   "USD 0.01",
		`{"currency":"JPY","value":1}`:        "JPY 1",
		`{"currency":"EUR","value":"55.001"}`: "none",
		`{"currency":"XXQ","value":"1.00"}`:   "none",
		`{"currency":"EUR","value":"0"}`:      "none",
		`null`:                                "none",
	} {
		body := []byte(`{"id":"evt_1","type":"payment.succeeded","created":1,"data":{"link_id":"pl_01JDA3M6ZQ8X2W4T0F3K9P7R5S","payment_id":"pay_sb_1","amount":` + amount + `}}`)
		h := http.Header{}
		h.Set(SignatureHeader, psp.SignedHeader("whsec_x", now, body))
		evs, err := p.ParseWebhook(context.Background(), m, h, body, now)
		if err != nil || len(evs) != 1 || evs[0].Kind != domain.PaymentSucceeded || evs[0].PaymentRef != "pay_sb_1" {
			t.Fatalf("%s: %+v %v", amount, evs, err)
		}
		got := "none"
		if a := evs[0].Amount; a != nil {
			got = a.Currency + " " + a.String()
		}
		if got != want {
			t.Errorf("%s: amount %s, want %s", amount, got, want)
		}
	}
}
