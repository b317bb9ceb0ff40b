package sandbox

import (
	"context"
	"embed"
	"html/template"
	"net/http"

	"github.com/paylinks/paylinks/shared/domain"
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
	Provider *Provider
	Links    LinkReader
}

// Routes registers the sandbox checkout routes.
func (p *Pages) Routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /sandbox/checkout/{session}", p.checkout)
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
	reqlog.Set(r.Context(), "outcome", "checkout_shown")
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'")
	_ = pages.ExecuteTemplate(w, "checkout.html", checkoutView{
		Session: r.PathValue("session"), Amount: l.Amount.Display("en"), Description: l.Description,
		Merchant: s.Merchant, Status: string(l.Status), Attempt: s.Attempt,
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
