// Package redirect serves the customer's side of a link: GET /l/{code}
// records a person's click and sends them to the PSP checkout, or, for a
// link that offers a bank transfer, shows the transfer's details and EPC QR
// code (/l/{code}/epc.png, .svg) beside a button to the checkout; bots and
// HEAD get a preview; paid, expired and unknown links get their pages, in
// the link's language.
package redirect

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/links"
	"github.com/paylinks/paylinks/shared/merchant"
	"github.com/paylinks/paylinks/shared/psp"
	"github.com/paylinks/paylinks/shared/reqlog"
)

// Store is what the link pages need of the table: a person's click
// (links.ClickStore), the link behind a code (previews and the thank-you
// page), the PSP checkout of a link's attempt, and the link's merchant.
// *store.Store is one.
type Store interface {
	links.ClickStore
	GetByCode(ctx context.Context, code string) (*domain.Link, error)
	SaveCheckout(ctx context.Context, l *domain.Link, url string, expires time.Time) error
	GetMerchant(ctx context.Context, id string) (*merchant.Merchant, error)
	// GetLogo is the merchant's cleaned logo and its ETag.
	GetLogo(ctx context.Context, merchantID string) ([]byte, string, error)
}

// Handler serves /l/{code}.
type Handler struct {
	Store         Store
	PSPs          psp.Registry
	PublicBaseURL string
	// Codes verifies the public codes: anything it did not sign is a 404
	// page before any table read.
	Codes     domain.CodeKey
	Now       func() time.Time
	merchants *merchant.Cache[string, *merchant.Merchant]
	qrs       qrCache
	logos     logoCache
}

// verify refuses a code this deployment did not sign: the not-found page.
func (h *Handler) verify(code string) error {
	_, err := h.serving(context.Background(), code, false)
	return err
}

// serving checks a code's signature and, with withMerchant, that its
// merchant is not suspended (an operator's decision: its links answer 404).
// The merchant comes from the code, before anything is read or written.
func (h *Handler) serving(ctx context.Context, code string, withMerchant bool) (*merchant.Merchant, error) {
	c, err := h.Codes.Verify(code)
	if err != nil {
		return nil, &notFound{outcome: "bad_code"}
	}
	if !withMerchant {
		return nil, nil
	}
	m, err := h.merchants.Get(ctx, c.Merchant)
	if errors.Is(err, domain.ErrNotFound) {
		return nil, &notFound{outcome: "not_found"}
	}
	if err != nil {
		return nil, err
	}
	if m.Suspended {
		return nil, &notFound{outcome: "merchant_suspended"}
	}
	return m, nil
}

// New returns the handler.
func New(st Store, psps psp.Registry, publicBaseURL string) *Handler {
	return &Handler{Store: st, PSPs: psps, PublicBaseURL: strings.TrimRight(publicBaseURL, "/"), Now: time.Now,
		merchants: &merchant.Cache[string, *merchant.Merchant]{TTL: 30 * time.Second, Load: st.GetMerchant}}
}

// Routes registers the public link routes on mux.
func (h *Handler) Routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /l/{code}", handle(h.open))
	mux.HandleFunc("GET /l/{code}/done", handle(h.done))
	mux.HandleFunc("GET /l/{code}/qr.png", handle(h.qr("png")))
	mux.HandleFunc("GET /l/{code}/qr.svg", handle(h.qr("svg")))
	mux.HandleFunc("GET /l/{code}/epc.png", handle(h.epcImage("png")))
	mux.HandleFunc("GET /l/{code}/epc.svg", handle(h.epcImage("svg")))
	mux.HandleFunc("GET /l/{code}/logo.png", handle(h.logo))
}

// handlerFunc serves a page, or returns the error that handle answers.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// handle is the one adapter from the link pages to HTTP: an error a
// handler returns is answered by fail.
func handle(h handlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			fail(w, r, err)
		}
	}
}

// notFound is the not-found page in the browser's language (plain: a text
// answer, for images); outcome, when set, goes to the request log.
type notFound struct {
	outcome string
	plain   bool
}

func (e *notFound) Error() string { return "not found" }

// failed is an error while serving a known link: the error page is in the
// link's language.
type failed struct {
	link *domain.Link
	err  error
}

func (e *failed) Error() string { return e.err.Error() }
func (e *failed) Unwrap() error { return e.err }

// fail answers err: the not-found page (or text), else the error page with
// 503 and Retry-After, its cause in the request log.
func fail(w http.ResponseWriter, r *http.Request, err error) {
	var nf *notFound
	if errors.As(err, &nf) {
		if nf.outcome != "" {
			reqlog.Set(r.Context(), "outcome", nf.outcome)
		}
		if nf.plain {
			http.Error(w, "not found", http.StatusNotFound)
			return
		}
		render(w, http.StatusNotFound, Page{Lang: langHint(r), Kind: "notfound"})
		return
	}
	var l *domain.Link
	var f *failed
	if errors.As(err, &f) {
		l = f.link
	}
	reqlog.Set(r.Context(), "outcome", "error")
	reqlog.Set(r.Context(), "error", err.Error())
	w.Header().Set("Retry-After", "2")
	render(w, http.StatusServiceUnavailable, Page{Lang: Lang(l), Kind: "error"})
}

func (h *Handler) open(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	code := r.PathValue("code")
	m, err := h.serving(ctx, code, true)
	if err != nil {
		return err
	}
	if r.Method == http.MethodHead || IsBot(r.UserAgent()) {
		return h.preview(w, r, code, m)
	}
	l, outcome, err := links.Click(ctx, h.Store, code, h.Now())
	if errors.Is(err, domain.ErrNotFound) {
		return &notFound{outcome: "not_found"}
	}
	if err != nil {
		return err
	}
	reqlog.Set(ctx, "link_id", l.ID)
	reqlog.Set(ctx, "merchant", l.Merchant)
	switch outcome {
	case domain.ClickPaid:
		reqlog.Set(ctx, "outcome", "already_paid")
		render(w, http.StatusOK, h.page(l, m, "paid"))
		return nil
	case domain.ClickExpired:
		reqlog.Set(ctx, "outcome", "expired")
		render(w, http.StatusGone, h.page(l, m, "expired"))
		return nil
	}
	if l.OffersBankTransfer() {
		h.bankPage(ctx, w, m, l)
		return nil
	}
	target, err := h.checkout(ctx, m, l)
	if err != nil {
		return &failed{l, err}
	}
	reqlog.Set(ctx, "outcome", "redirected")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	http.Redirect(w, r, target, http.StatusFound)
	return nil
}

// checkout returns the PSP checkout for the link's attempt: the stored one
// while it is valid, else a new one made with the attempt's idempotency key.
// The URL is checked against the provider's hosts before it is used.
func (h *Handler) checkout(ctx context.Context, m *merchant.Merchant, l *domain.Link) (string, error) {
	p, err := h.PSPs.Get(m.PSP)
	if err != nil {
		return "", err
	}
	now := h.Now()
	if l.CheckoutURL != "" && l.CheckoutExpiresAt != nil && now.Add(time.Minute).Before(*l.CheckoutExpiresAt) {
		return l.CheckoutURL, psp.CheckCheckoutURL(p, l.CheckoutURL)
	}
	c, err := p.CreateCheckout(ctx, m, l, psp.IdempotencyKey(l))
	if err != nil {
		return "", err
	}
	if err := psp.CheckCheckoutURL(p, c.URL); err != nil {
		return "", err
	}
	if c.Persist {
		if err := h.Store.SaveCheckout(ctx, l, c.URL, c.ExpiresAt); err != nil {
			return "", err
		}
	}
	return c.URL, nil
}

// done is where the PSP sends the customer back when the link has no
// redirect URL: a thank-you while the PSP's webhook confirms the payment.
func (h *Handler) done(w http.ResponseWriter, r *http.Request) error {
	if err := h.verify(r.PathValue("code")); err != nil {
		return err
	}
	l, err := h.Store.GetByCode(r.Context(), r.PathValue("code"))
	if err != nil || l.Archived {
		return &notFound{}
	}
	m, err := h.merchants.Get(r.Context(), l.Merchant)
	if err != nil {
		return &failed{l, err}
	}
	reqlog.Set(r.Context(), "link_id", l.ID)
	render(w, http.StatusOK, h.page(l, m, "done"))
	return nil
}

func (h *Handler) preview(w http.ResponseWriter, r *http.Request, code string, m *merchant.Merchant) error {
	ctx := r.Context()
	reqlog.Set(ctx, "outcome", "preview")
	l, err := h.Store.GetByCode(ctx, code)
	if errors.Is(err, domain.ErrNotFound) || (err == nil && l.Archived) {
		return &notFound{}
	}
	if err != nil {
		return err
	}
	reqlog.Set(ctx, "link_id", l.ID)
	render(w, http.StatusOK, h.page(l, m, "preview"))
	return nil
}

func (h *Handler) page(l *domain.Link, m *merchant.Merchant, kind string) Page {
	lang := Lang(l)
	return Page{Lang: lang, Kind: kind, Merchant: m.Name, Amount: l.Amount.Display(lang), Description: l.Description,
		URL: h.PublicBaseURL + "/l/" + l.Code, QRURL: h.PublicBaseURL + "/l/" + l.Code + "/qr.png", Brand: m.Brand, LogoPath: m.Brand.LogoPath(l.Code)}
}

// langHint picks a page language from Accept-Language when no link is known.
func langHint(r *http.Request) string {
	for _, part := range strings.Split(r.Header.Get("Accept-Language"), ",") {
		tag := strings.ToLower(strings.TrimSpace(strings.SplitN(part, ";", 2)[0]))
		if len(tag) >= 2 && domain.ValidLanguage(tag[:2]) {
			return tag[:2]
		}
	}
	return "en"
}
