package sandbox

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/favicon"
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

// done is the page after Pay or Decline (when the link has no redirect
// URL to go to), in the link's language, with a way back to the merchant.
func (p *Pages) done(w http.ResponseWriter, r *http.Request) {
	s, l, ok := p.session(w, r)
	if !ok {
		return
	}
	v := doneView{Lang: lang(l), Paid: r.URL.Query().Get("result") != "declined", Merchant: s.Merchant}
	var domains []string
	if m, err := p.Merchants(r.Context(), s.Merchant); err == nil {
		if m.Name != "" {
			v.Merchant = m.Name
		}
		domains = m.RedirectDomains
	}
	v.Back, v.ToMerchant = back(l, domains, v.Paid)
	if !v.Paid {
		v.Retry = l.Code
	}
	pageHeaders(w)
	writeDone(w, v)
}

// pageHeaders are the sandbox pages' headers: HTML, never cached, a CSP
// that lets in only their inline style and the favicon, no referrer (the
// session token is in the URL) and no sniffing.
func pageHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; form-action 'self'; frame-ancestors 'none'")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Content-Type-Options", "nosniff")
}

// pageStyle is both pages' style.
const pageStyle = `body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;background:#eef1f5;color:#1b1f24}
main{max-width:28rem;margin:3rem auto;padding:2rem;background:#fff;border-radius:12px;box-shadow:0 1px 4px rgba(0,0,0,.08)}
@media (max-width:30rem){main{margin:1rem;padding:1.25rem}}
.badge{display:inline-block;background:#ffe08a;border-radius:4px;padding:.1rem .5rem;font-size:.8rem;font-weight:600}
.amount{font-size:2rem;font-weight:600;margin:.5rem 0}
.muted{color:#57606a}
form{display:inline}
button,a.button{display:inline-block;font:inherit;font-weight:600;padding:.75rem 1.5rem;border-radius:8px;border:0;margin:1rem .5rem 0 0;cursor:pointer;text-decoration:none}
button:focus,a.button:focus{outline:3px solid #1b1f24;outline-offset:2px}
.pay{background:#0a7d32;color:#fff}.decline{background:#b3261e;color:#fff}
a.button{background:#0b5cff;color:#fff}a.button.secondary{background:#fff;color:#0b5cff;box-shadow:inset 0 0 0 2px #0b5cff}`

// pageTop is the start of both pages, up to the test-mode badge: its
// placeholders {lang}, {title}, {style} and {badge} are filled with theirs.
const pageTop = `<!doctype html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow">
<title>{title}</title>
` + favicon.Link + `
<style>
{style}
</style>
</head>
<body>
<main>
<span class="badge">{badge}</span>
`

// donePage is the page after Pay or Decline; its placeholders are filled
// escaped in one pass.
const donePage = pageTop + `<h1 id="result" data-result="{result}">{heading}</h1>
<p>{body}</p>
<p>{links}</p>
</main>
</body>
</html>
`

// doneView is what the page after Pay or Decline shows.
type doneView struct {
	Lang       string
	Paid       bool
	Merchant   string
	Back       way
	ToMerchant bool   // Back reaches the merchant (else the link's page)
	Retry      string // the link's code: a declined link is paid again there
}

// wayHref is a way's href, escaped for a double-quoted attribute.
func wayHref(w way) string {
	if w.Href != "" {
		return htmlsafe.URL(w.Href)
	}
	return "/l/" + htmlsafe.Text(url.PathEscape(w.Code))
}

// writeDone writes the thank-you or declined page.
func writeDone(w io.Writer, v doneView) {
	t := words[v.Lang]
	if t == nil {
		v.Lang, t = "en", words["en"]
	}
	result, heading, body := "paid", t["paid_title"], fmt.Sprintf(t["paid_body"], v.Merchant)
	if !v.Paid {
		result, heading, body = "declined", t["declined_title"], t["declined_body"]
	}
	backLabel := t["back_to_link"]
	if v.ToMerchant {
		backLabel = fmt.Sprintf(t["back_to"], v.Merchant)
	}
	var links string
	switch {
	case v.Paid:
		links = `<a class="button" id="back" href="` + wayHref(v.Back) + `">` + htmlsafe.Text(backLabel) + `</a>`
	default:
		links = `<a class="button" id="retry" href="` + wayHref(way{Code: v.Retry}) + `">` + htmlsafe.Text(t["retry"]) + `</a>`
		if v.ToMerchant {
			links += "\n" + `<a class="button secondary" id="back" href="` + wayHref(v.Back) + `">` + htmlsafe.Text(backLabel) + `</a>`
		}
	}
	_, _ = strings.NewReplacer("{lang}", v.Lang, "{style}", pageStyle, "{badge}", htmlsafe.Text(t["badge"]), "{result}", result,
		"{title}", htmlsafe.Text(heading), "{heading}", htmlsafe.Text(heading), "{body}", htmlsafe.Text(body), "{links}", links).WriteString(w, donePage)
}

// checkoutPage is the hosted checkout; its placeholders are filled escaped
// in one pass (values cannot inject placeholders).
const checkoutPage = pageTop + `<h1>{heading}</h1>
<p>{to}</p>
<p class="amount" id="amount">{amount}</p>
<p id="description">{description}</p>
<p class="muted">{note}</p>
<form method="post" action="/sandbox/checkout/{session}/pay"><button class="pay" id="pay" type="submit">{pay}</button></form>
<form method="post" action="/sandbox/checkout/{session}/decline"><button class="decline" id="decline" type="submit">{decline}</button></form>
</main>
</body>
</html>
`

// writeCheckout writes the hosted checkout page in the view's language.
func writeCheckout(w io.Writer, v checkoutView) {
	t := words[v.Lang]
	if t == nil {
		v.Lang, t = "en", words["en"]
	}
	e := htmlsafe.Text
	_, _ = strings.NewReplacer("{lang}", v.Lang, "{style}", pageStyle, "{title}", e(t["title"]), "{badge}", e(t["badge"]),
		"{heading}", e(t["heading"]), "{to}", e(fmt.Sprintf(t["to"], v.Merchant)), "{amount}", e(v.Amount),
		"{description}", e(v.Description), "{note}", e(t["test_note"]), "{pay}", e(t["pay"]), "{decline}", e(t["decline"]),
		"{session}", htmlsafe.URLPart(v.Session)).WriteString(w, checkoutPage)
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
	Lang        string
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
	pageHeaders(w)
	writeCheckout(w, checkoutView{
		Lang: lang(l), Session: r.PathValue("session"), Amount: l.Amount.Display(lang(l)), Description: l.Description,
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
