package sandbox

import (
	"context"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/htmlsafe"
	"github.com/paylinks/paylinks/shared/merchant"
	"github.com/paylinks/paylinks/shared/reqlog"
)

// LinkReader finds the link a session is for. The sandbox is built in, so it
// reads paylinks' own store instead of keeping a copy as a real PSP would.
type LinkReader interface {
	Get(ctx context.Context, merchant, id string) (*domain.Link, error)
}

// Pages serves the hosted checkout.
type Pages struct {
	Provider  *Provider
	Links     LinkReader
	Merchants func(ctx context.Context, id string) (*merchant.Merchant, error)
	Now       func() time.Time
}

// Routes registers the sandbox checkout routes.
func (p *Pages) Routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /sandbox/checkout/{session}", p.checkout)
	mux.HandleFunc("POST /sandbox/checkout/{session}/pay", p.result(true))
	mux.HandleFunc("POST /sandbox/checkout/{session}/decline", p.result(false))
	mux.HandleFunc("GET /sandbox/checkout/{session}/done", p.done)
	mux.HandleFunc("POST /sandbox/merchants/{merchant}/events/{event}/redeliver", p.redeliver)
}

// result is the customer pressing Pay or Decline: the signed webhook goes to
// paylinks as a PSP's would, and the customer goes to the link's redirect
// URL (or the sandbox's thank-you page) with 303.
func (p *Pages) result(pay bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s, l, ok := p.session(w, r)
		if !ok {
			return
		}
		m, err := p.Merchants(r.Context(), s.Merchant)
		if err != nil || TestMode(m) != nil {
			http.Error(w, "unknown merchant", http.StatusNotFound)
			return
		}
		session := r.PathValue("session")
		now := time.Now()
		if p.Now != nil {
			now = p.Now()
		}
		ev := WebhookEvent{ID: domain.NewID("evt_sb_", now), Created: now.Unix(), Data: WebhookData{
			LinkID: l.ID, Attempt: s.Attempt, PaymentID: PaymentID(session), Amount: &l.Amount}}
		outcome := "paid"
		if pay {
			ev.Type = "payment.succeeded"
		} else {
			ev.Type = "payment.failed"
			ev.Data.FailureReason = "card_declined"
			outcome = "declined"
		}
		if err := p.Provider.Emit(r.Context(), m, ev); err != nil {
			reqlog.Set(r.Context(), "error", err.Error())
			http.Error(w, "the sandbox could not notify paylinks; try again", http.StatusBadGateway)
			return
		}
		reqlog.Set(r.Context(), "outcome", "sandbox_"+outcome)
		target := "/sandbox/checkout/" + session + "/done?result=" + outcome
		if pay && l.RedirectURL != "" {
			target = l.RedirectURL
		}
		http.Redirect(w, r, target, http.StatusSeeOther)
	}
}

func (p *Pages) done(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	result := "paid"
	if r.URL.Query().Get("result") == "declined" {
		result = "declined"
	}
	writeDone(w, result)
}

// donePage is the page after Pay or Decline; {result} is escaped.
const donePage = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Sandbox: {result}</title>
<style>body{font-family:system-ui,sans-serif;background:#eef1f5}main{max-width:28rem;margin:3rem auto;padding:2rem;background:#fff;border-radius:12px}</style></head>
<body><main><h1 id="result">{heading}</h1>
<p>{next}</p></main></body>
</html>
`

// writeDone writes the thank-you or declined page.
func writeDone(w io.Writer, result string) {
	heading, next := "Payment declined", "Open the payment link again to retry."
	if result == "paid" {
		heading, next = "Thank you, payment received", "You may close this page."
	}
	_, _ = strings.NewReplacer("{result}", htmlsafe.Text(result), "{heading}", heading, "{next}", next).WriteString(w, donePage)
}

// checkoutPage is the hosted checkout; its placeholders are filled escaped
// in one pass (values cannot inject placeholders).
const checkoutPage = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow">
<title>Sandbox checkout</title>
<style>
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;background:#eef1f5;color:#1b1f24}
main{max-width:28rem;margin:3rem auto;padding:2rem;background:#fff;border-radius:12px;box-shadow:0 1px 4px rgba(0,0,0,.08)}
.badge{display:inline-block;background:#ffe08a;border-radius:4px;padding:.1rem .5rem;font-size:.8rem;font-weight:600}
.amount{font-size:2rem;font-weight:600;margin:.5rem 0}
form{display:inline}
button{font:inherit;font-weight:600;padding:.75rem 1.5rem;border-radius:8px;border:0;margin:1rem .5rem 0 0;cursor:pointer}
button:focus{outline:3px solid #1b1f24;outline-offset:2px}
.pay{background:#0a7d32;color:#fff}.decline{background:#b3261e;color:#fff}
</style>
</head>
<body>
<main>
<span class="badge">SANDBOX</span>
<h1>Checkout</h1>
<p>Payment to {merchant}</p>
<p class="amount" id="amount">{amount}</p>
<p id="description">{description}</p>
<form method="post" action="/sandbox/checkout/{session}/pay"><button class="pay" id="pay" type="submit">Pay</button></form>
<form method="post" action="/sandbox/checkout/{session}/decline"><button class="decline" id="decline" type="submit">Decline</button></form>
</main>
</body>
</html>
`

// writeCheckout writes the hosted checkout page.
func writeCheckout(w io.Writer, v checkoutView) {
	_, _ = strings.NewReplacer("{merchant}", htmlsafe.Text(v.Merchant), "{amount}", htmlsafe.Text(v.Amount),
		"{description}", htmlsafe.Text(v.Description), "{session}", htmlsafe.URLPart(v.Session)).WriteString(w, checkoutPage)
}

// redeliver sends a webhook the sandbox sent before again (tests, demos).
func (p *Pages) redeliver(w http.ResponseWriter, r *http.Request) {
	m, err := p.Merchants(r.Context(), r.PathValue("merchant"))
	if err != nil {
		http.Error(w, "unknown merchant", http.StatusNotFound)
		return
	}
	if err := p.Provider.Redeliver(r.Context(), m, r.PathValue("event")); err != nil {
		http.Error(w, err.Error(), http.StatusNotFound)
		return
	}
	w.WriteHeader(http.StatusAccepted)
}

type checkoutView struct {
	Session     string
	Amount      string
	Description string
	Merchant    string
	Status      string
	Attempt     int
}

func (p *Pages) checkout(w http.ResponseWriter, r *http.Request) {
	s, l, ok := p.session(w, r)
	if !ok {
		return
	}
	name := s.Merchant
	if m, err := p.Merchants(r.Context(), s.Merchant); err == nil && m.Name != "" {
		name = m.Name
	}
	reqlog.Set(r.Context(), "outcome", "checkout_shown")
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'")
	writeCheckout(w, checkoutView{
		Session: r.PathValue("session"), Amount: l.Amount.Display("en"), Description: l.Description,
		Merchant: name, Status: string(l.Status), Attempt: s.Attempt,
	})
}

// session verifies the token and loads its link; it answers 404 itself.
func (p *Pages) session(w http.ResponseWriter, r *http.Request) (Session, *domain.Link, bool) {
	s, err := p.Provider.ParseToken(r.PathValue("session"))
	if err != nil {
		http.Error(w, "unknown checkout session", http.StatusNotFound)
		return s, nil, false
	}
	reqlog.Set(r.Context(), "merchant", s.Merchant)
	reqlog.Set(r.Context(), "link_id", s.LinkID)
	l, err := p.Links.Get(r.Context(), s.Merchant, s.LinkID)
	if err != nil {
		http.Error(w, "unknown checkout session", http.StatusNotFound)
		return s, nil, false
	}
	return s, l, true
}
