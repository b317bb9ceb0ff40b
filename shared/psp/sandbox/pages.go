package sandbox

import (
	"context"
	"embed"
	"html/template"
	"io"
	"net/http"
	"time"

	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/merchant"
	"github.com/paylinks/paylinks/shared/reqlog"
)

//go:embed templates/*.html
var templateFS embed.FS

var pages = template.Must(template.ParseFS(templateFS, "templates/*.html"))

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

// writeDone writes the thank-you or declined page.
func writeDone(w io.Writer, result string) {
	_ = pages.ExecuteTemplate(w, "done.html", map[string]string{"Result": result})
}

// writeCheckout writes the hosted checkout page.
func writeCheckout(w io.Writer, v checkoutView) {
	_ = pages.ExecuteTemplate(w, "checkout.html", v)
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
