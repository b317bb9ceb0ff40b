package webhook_test

import (
	"bytes"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/merchant"
	"github.com/paylinks/paylinks/shared/psp"
	"github.com/paylinks/paylinks/shared/psp/mollie"
	"github.com/paylinks/paylinks/shared/psp/stripe"
	"github.com/paylinks/paylinks/shared/service"
	"github.com/paylinks/paylinks/shared/testkit/psptest"
	"github.com/paylinks/paylinks/shared/testkit/testenv"
)

func pspWorld(t *testing.T, m *merchant.Merchant, tweak func(*service.Options)) *world {
	env := testenv.New(t)
	key := env.MerchantWith(t, m)
	srv := env.ServeWith(t, tweak)
	srv.Consume(t)
	return &world{t, env, srv, key}
}

func TestStripeEndToEnd(t *testing.T) {
	d := psptest.NewStripe(t, "sk_test_shop")
	m := &merchant.Merchant{ID: "shop", Name: "Shop", PSP: stripe.Name, PaymentMethods: []string{"card"}, RedirectDomains: []string{"shop.example"},
		PSPCredentials: map[string]string{stripe.CredSecretKey: "sk_test_shop", stripe.CredWebhookSecret: "whsec_stripe_shop"}}
	w := pspWorld(t, m, func(o *service.Options) { o.StripeAPI = d.URL })
	id, url := w.create(body)
	c1 := w.click(url)
	c2 := w.click(url)
	if !strings.HasPrefix(c1, "https://checkout.stripe.com/c/pay/cs_test_") || c1 != c2 || d.Calls.Count("POST /v1/checkout/sessions") != 1 {
		t.Fatalf("checkout %q %q, %d sessions", c1, c2, d.Calls.Count("POST /v1/checkout/sessions"))
	}
	raw, _ := os.ReadFile("../../testdata/stripe/checkout.session.completed.json")
	raw = bytes.ReplaceAll(raw, []byte("pl_01JDA3M6ZQ8X2W4T0F3K9P7R5S"), []byte(id))
	post := func(secret string, at time.Time) int {
		req, _ := http.NewRequest("POST", w.srv.URL+"/webhooks/psp/stripe/shop", bytes.NewReader(raw))
		req.Header.Set("Stripe-Signature", psp.SignedHeader(secret, at, raw))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if st := post("whsec_wrong", time.Now()); st != 401 {
		t.Fatalf("forged: %d", st)
	}
	if st := post("whsec_stripe_shop", time.Now().Add(-10*time.Minute)); st != 401 {
		t.Fatalf("stale: %d", st)
	}
	if st := post("whsec_stripe_shop", time.Now()); st != 200 {
		t.Fatalf("valid: %d", st)
	}
	l := w.waitStatus(id, domain.StatusPaid)
	if l.PSP != "stripe" || l.PSPReference != "pi_3OaBcDeFgHiJkLmN1a2b3c4d" {
		t.Fatalf("paid via stripe: %+v", l)
	}
	// The sandbox's webhook route refuses a merchant on another PSP.
	req, _ := http.NewRequest("POST", w.srv.URL+"/webhooks/psp/sandbox/shop", bytes.NewReader(raw))
	if resp, _ := http.DefaultClient.Do(req); resp.StatusCode != 404 {
		t.Fatalf("wrong provider route: %d", resp.StatusCode)
	}
}

func TestMollieEndToEnd(t *testing.T) {
	d := psptest.NewMollie(t, "test_shop_key")
	m := &merchant.Merchant{ID: "shop", Name: "Shop", PSP: mollie.Name, PaymentMethods: []string{"bancontact"}, RedirectDomains: []string{"shop.example"},
		PSPCredentials: map[string]string{mollie.CredAPIKey: "test_shop_key"}}
	w := pspWorld(t, m, func(o *service.Options) { o.MollieAPI = d.URL })
	id, url := w.create(body)
	checkout := w.click(url)
	if !strings.HasPrefix(checkout, "https://www.mollie.com/checkout/") || len(d.Payments()) != 1 {
		t.Fatalf("checkout %q", checkout)
	}
	pay := d.Payments()[0]
	hook := func(b string) int {
		resp, err := http.Post(w.srv.URL+"/webhooks/psp/mollie/shop", "application/x-www-form-urlencoded", strings.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode >= 500 && resp.Header.Get("Retry-After") == "" {
			t.Errorf("%d without Retry-After", resp.StatusCode)
		}
		return resp.StatusCode
	}
	// Mollie calls while the payment is still open: nothing changes.
	if st := hook("id=" + pay); st != 200 {
		t.Fatal(st)
	}
	d.SetStatus(pay, "paid")
	// A forged call with an id the merchant's key cannot see: refused.
	if st := hook("id=tr_forged123"); st != 400 {
		t.Fatalf("forged id: %d", st)
	}
	d.Fail = 1 // Mollie's API down while we fetch back: 503, so Mollie retries
	if st := hook("id=" + pay); st != 503 {
		t.Fatalf("api down: %d", st)
	}
	if st := hook("id=" + pay); st != 200 {
		t.Fatal(st)
	}
	l := w.waitStatus(id, domain.StatusPaid)
	if l.PSP != "mollie" || l.PSPReference != pay {
		t.Fatalf("paid via mollie: %+v", l)
	}
}
