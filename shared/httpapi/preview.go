package httpapi

import (
	"net/http"
	"net/url"

	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/send"
)

// PreviewMessage is one message of a link as its customer would get it.
type PreviewMessage struct {
	Channel string `json:"channel"`
	// To is the customer's address on the channel ("" when the link's
	// customer has none: the send would be refused).
	To      string `json:"to"`
	Subject string `json:"subject,omitempty"`
	Text    string `json:"text"`
	HTML    string `json:"html,omitempty"`
	Lang    string `json:"language"`
}

// Preview is a link as its payer will see it: the messages on every
// channel, rendered as the send worker renders them, and the link itself.
type Preview struct {
	Object   string           `json:"object"`
	Link     LinkView         `json:"link"`
	Merchant string           `json:"merchant_name"`
	Messages []PreviewMessage `json:"messages"`
}

// previewLink answers GET /v1/payment-links/{id}/preview: nothing is sent,
// nothing recorded.
func (a *API) previewLink(w http.ResponseWriter, r *http.Request) error {
	m := merchantOf(r.Context())
	l, err := a.pathLink(r)
	if err != nil {
		return err
	}
	p := Preview{Object: "payment_link_preview", Link: a.view(l), Merchant: m.Name, Messages: []PreviewMessage{}}
	for _, ch := range []string{domain.ChannelEmail, domain.ChannelSMS, domain.ChannelWhatsApp} {
		msg, err := send.Render(l, m, a.PublicBaseURL, "link", ch)
		if err != nil {
			return err
		}
		p.Messages = append(p.Messages, PreviewMessage{Channel: ch, To: msg.To, Subject: msg.Subject, Text: msg.Text, HTML: msg.HTML, Lang: msg.Lang})
	}
	writeJSON(w, http.StatusOK, p)
	return nil
}

// previewEmail answers GET /v1/payment-links/{id}/preview/email: the
// e-mail's HTML as the customer's mail program shows it, for the
// dashboard's preview frame. Its own policy: nothing loads but images of
// the customer pages' origin (the merchant's logo), nothing runs
// (sandbox), only the e-mail's inline styles apply, framed by this origin
// only.
func (a *API) previewEmail(w http.ResponseWriter, r *http.Request) error {
	m := merchantOf(r.Context())
	l, err := a.pathLink(r)
	if err != nil {
		return err
	}
	msg, err := send.Render(l, m, a.PublicBaseURL, "link", domain.ChannelEmail)
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src data:"+a.logoSource()+"; sandbox; frame-ancestors 'self'")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte(msg.HTML))
	return nil
}

// logoSource is " " and the customer pages' origin, which serves the
// merchant's logo that a branded e-mail shows ("" when unknown).
func (a *API) logoSource() string {
	u, err := url.Parse(a.PublicBaseURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return ""
	}
	return " " + u.Scheme + "://" + u.Host
}
