package redirect_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/merchant"
	"github.com/paylinks/paylinks/shared/money"
	"github.com/paylinks/paylinks/shared/psp"
	"github.com/paylinks/paylinks/shared/redirect"
)

// fakePSP makes one checkout per attempt on pay.example.
type fakePSP struct{ made int }

func (p *fakePSP) Name() string            { return "fake" }
func (p *fakePSP) CheckoutHosts() []string { return []string{"pay.example"} }
func (p *fakePSP) CreateCheckout(_ context.Context, _ *merchant.Merchant, l *domain.Link, key string) (psp.Checkout, error) {
	p.made++
	return psp.Checkout{ID: key, URL: "https://pay.example/c/" + key, ExpiresAt: l.ExpiresAt, Persist: true}, nil
}
func (p *fakePSP) ParseWebhook(context.Context, *merchant.Merchant, http.Header, []byte, time.Time) ([]domain.PaymentEvent, error) {
	return nil, errors.New("not in these tests")
}
func (p *fakePSP) FetchPayment(context.Context, *merchant.Merchant, string) (psp.Payment, error) {
	return psp.Payment{}, errors.New("not in these tests")
}
func (p *fakePSP) Refund(context.Context, *merchant.Merchant, psp.RefundRequest) (psp.RefundResult, error) {
	return psp.RefundResult{}, errors.New("not in these tests")
}

var unitNow = time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)

var unitKey = domain.CodeKey("0123456789abcdef0123456789abcdef")

type unit struct {
	st  *fakeStore
	psp *fakePSP
	mux *http.ServeMux
}

// newUnit serves the link pages over a store in memory: merchant shop on
// the fake PSP.
func newUnit(t *testing.T) *unit {
	t.Helper()
	st, p := newFakeStore(), &fakePSP{}
	st.merchants["shop"] = &merchant.Merchant{ID: "shop", Name: "Bakkerij Peeters", PSP: "fake"}
	h := redirect.New(st, psp.Registry{"fake": p}, "https://links.example/")
	h.Codes = unitKey
	h.Now = func() time.Time { return unitNow }
	mux := http.NewServeMux()
	h.Routes(mux)
	return &unit{st, p, mux}
}

// link stores a link of shop in status and returns its code.
func (u *unit) link(t *testing.T, status domain.Status) string {
	t.Helper()
	id := domain.NewID(domain.PrefixLink, unitNow.Add(-time.Hour))
	code, err := unitKey.NewCode("shop", id)
	if err != nil {
		t.Fatal(err)
	}
	amt, err := money.Parse("EUR", "12.50")
	if err != nil {
		t.Fatal(err)
	}
	u.st.put(&domain.Link{ID: id, Merchant: "shop", Code: code, Status: status, Amount: amt, Description: "Taart",
		Language: "nl", CreatedAt: unitNow.Add(-time.Hour), ExpiresAt: unitNow.Add(24 * time.Hour)})
	return code
}

func (u *unit) get(t *testing.T, method, path, ua string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, path, nil)
	req.Header.Set("User-Agent", ua)
	rec := httptest.NewRecorder()
	u.mux.ServeHTTP(rec, req)
	return rec
}

const personUA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"

func TestUnitBotPreviewRecordsNoClick(t *testing.T) {
	u := newUnit(t)
	code := u.link(t, domain.StatusCreated)
	for _, c := range []struct{ method, ua string }{
		{"GET", "WhatsApp/2.23.20.0 A"}, {"GET", "Slackbot-LinkExpanding 1.0"}, {"GET", ""}, {"HEAD", personUA},
	} {
		rec := u.get(t, c.method, "/l/"+code, c.ua)
		if rec.Code != http.StatusOK {
			t.Fatalf("%s %q: %d, want the preview (200)", c.method, c.ua, rec.Code)
		}
		if c.method == "GET" && !strings.Contains(rec.Body.String(), "Bakkerij Peeters") {
			t.Fatalf("%q: preview without the merchant's name:\n%s", c.ua, rec.Body)
		}
	}
	if n := u.st.writes(); n != 0 || u.psp.made != 0 {
		t.Fatalf("previews wrote %d times and made %d checkouts, want none", n, u.psp.made)
	}
	if l, _ := u.st.GetByCode(t.Context(), code); l.Status != domain.StatusCreated || l.ClickCount != 0 {
		t.Fatalf("after previews the link is %s with %d clicks, want created with none", l.Status, l.ClickCount)
	}
}

func TestUnitUnknownCodeIsNotFound(t *testing.T) {
	u := newUnit(t)
	signed, err := unitKey.NewCode("shop", domain.NewID(domain.PrefixLink, unitNow))
	if err != nil {
		t.Fatal(err)
	}
	forged, err := domain.CodeKey("another key of thirty-two bytes!!").NewCode("shop", domain.NewID(domain.PrefixLink, unitNow))
	if err != nil {
		t.Fatal(err)
	}
	for _, code := range []string{signed, forged, "nope", "shop_AAAAAAAAAAAAAAAA"} {
		for _, ua := range []string{personUA, "WhatsApp/2.23.20.0 A"} {
			if rec := u.get(t, "GET", "/l/"+code, ua); rec.Code != http.StatusNotFound {
				t.Fatalf("%q by %q: %d, want 404", code, ua, rec.Code)
			}
		}
		if rec := u.get(t, "GET", "/l/"+code+"/done", personUA); rec.Code != http.StatusNotFound {
			t.Fatalf("%q done: %d, want 404", code, rec.Code)
		}
	}
	if u.st.opened != 0 || u.st.checkouts != 0 || u.psp.made != 0 {
		t.Fatalf("unknown codes opened %d links and made %d checkouts", u.st.opened, u.psp.made)
	}
	if u.st.clicks != 1 {
		t.Fatalf("%d click writes, want 1 (the signed code; forged codes are refused before any read)", u.st.clicks)
	}
}

func TestUnitSuspendedMerchantIsNotFound(t *testing.T) {
	u := newUnit(t)
	code := u.link(t, domain.StatusCreated)
	u.st.merchants["shop"].Suspended = true
	if rec := u.get(t, "GET", "/l/"+code, personUA); rec.Code != http.StatusNotFound {
		t.Fatalf("suspended merchant's link: %d, want 404", rec.Code)
	}
	if n := u.st.writes(); n != 0 {
		t.Fatalf("%d writes for a suspended merchant's link", n)
	}
}

func TestUnitPersonOpensOnceThenCounts(t *testing.T) {
	u := newUnit(t)
	code := u.link(t, domain.StatusCreated)
	for i := range 3 {
		rec := u.get(t, "GET", "/l/"+code, personUA)
		if rec.Code != http.StatusFound {
			t.Fatalf("click %d: %d, want 302", i, rec.Code)
		}
		l, _ := u.st.GetByCode(t.Context(), code)
		if want := "https://pay.example/c/" + fmt.Sprintf("%s-attempt-1", l.ID); rec.Header().Get("Location") != want {
			t.Fatalf("click %d: Location %q, want %q", i, rec.Header().Get("Location"), want)
		}
	}
	l, _ := u.st.GetByCode(t.Context(), code)
	if l.Status != domain.StatusClicked || l.ClickCount != 3 || l.Attempt != 1 {
		t.Fatalf("after 3 clicks: %s, %d clicks, attempt %d; want clicked, 3, 1", l.Status, l.ClickCount, l.Attempt)
	}
	if u.st.opened != 1 || u.psp.made != 1 || u.st.checkouts != 1 {
		t.Fatalf("%d transitions, %d checkouts made, %d saved; want one each (the stored session is reused)", u.st.opened, u.psp.made, u.st.checkouts)
	}
}

func TestUnitPaidAndExpiredLinksGetTheirPages(t *testing.T) {
	u := newUnit(t)
	paid, expired := u.link(t, domain.StatusPaid), u.link(t, domain.StatusExpired)
	if rec := u.get(t, "GET", "/l/"+paid, personUA); rec.Code != http.StatusOK {
		t.Fatalf("paid link: %d, want 200", rec.Code)
	}
	if rec := u.get(t, "GET", "/l/"+expired, personUA); rec.Code != http.StatusGone {
		t.Fatalf("expired link: %d, want 410", rec.Code)
	}
	if u.st.opened != 0 || u.psp.made != 0 {
		t.Fatalf("paid and expired links: %d transitions, %d checkouts; want none", u.st.opened, u.psp.made)
	}
}
