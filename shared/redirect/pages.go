package redirect

import (
	"embed"
	"html/template"
	"net/http"

	"github.com/paylinks/paylinks/shared/domain"
)

//go:embed templates/*.html
var templateFS embed.FS

var pages = template.Must(template.ParseFS(templateFS, "templates/*.html"))

// messages are the pages' words, per language.
var messages = map[string]map[string]string{
	"en": {
		"pay":          "Pay",
		"to":           "Payment to %s",
		"preview":      "Payment request",
		"paid_title":   "Already paid",
		"paid_body":    "This payment request has been paid. Thank you!",
		"expired":      "This payment link has expired",
		"expired_body": "It can no longer be paid. Please ask %s for a new link.",
		"notfound":     "Payment link not found",
		"nf_body":      "This link does not exist or is no longer available.",
		"error":        "Something went wrong",
		"error_body":   "We could not open the payment page. Please try again in a moment.",
		"open":         "Open to pay",
		"done_title":   "Thank you",
		"done_body":    "Your payment is being confirmed. You will receive a confirmation from %s.",
	},
	"nl": {
		"pay":          "Betalen",
		"to":           "Betaling aan %s",
		"preview":      "Betaalverzoek",
		"paid_title":   "Al betaald",
		"paid_body":    "Dit betaalverzoek is betaald. Bedankt!",
		"expired":      "Deze betaallink is verlopen",
		"expired_body": "Er kan niet meer mee betaald worden. Vraag %s om een nieuwe link.",
		"notfound":     "Betaallink niet gevonden",
		"nf_body":      "Deze link bestaat niet of is niet meer beschikbaar.",
		"error":        "Er ging iets mis",
		"error_body":   "We konden de betaalpagina niet openen. Probeer het zo opnieuw.",
		"open":         "Openen om te betalen",
		"done_title":   "Bedankt",
		"done_body":    "Je betaling wordt bevestigd. Je ontvangt een bevestiging van %s.",
	},
	"fr": {
		"pay":          "Payer",
		"to":           "Paiement à %s",
		"preview":      "Demande de paiement",
		"paid_title":   "Déjà payé",
		"paid_body":    "Cette demande de paiement a été réglée. Merci !",
		"expired":      "Ce lien de paiement a expiré",
		"expired_body": "Il ne peut plus être payé. Demandez un nouveau lien à %s.",
		"notfound":     "Lien de paiement introuvable",
		"nf_body":      "Ce lien n'existe pas ou n'est plus disponible.",
		"error":        "Une erreur est survenue",
		"error_body":   "La page de paiement n'a pas pu être ouverte. Réessayez dans un instant.",
		"open":         "Ouvrir pour payer",
		"done_title":   "Merci",
		"done_body":    "Votre paiement est en cours de confirmation. Vous recevrez une confirmation de %s.",
	},
	"de": {
		"pay":          "Bezahlen",
		"to":           "Zahlung an %s",
		"preview":      "Zahlungsanforderung",
		"paid_title":   "Bereits bezahlt",
		"paid_body":    "Diese Zahlungsanforderung wurde bezahlt. Vielen Dank!",
		"expired":      "Dieser Zahlungslink ist abgelaufen",
		"expired_body": "Er kann nicht mehr bezahlt werden. Bitte fordern Sie bei %s einen neuen Link an.",
		"notfound":     "Zahlungslink nicht gefunden",
		"nf_body":      "Dieser Link existiert nicht oder ist nicht mehr verfügbar.",
		"error":        "Etwas ist schiefgelaufen",
		"error_body":   "Die Zahlungsseite konnte nicht geöffnet werden. Bitte versuchen Sie es gleich noch einmal.",
		"open":         "Zum Bezahlen öffnen",
		"done_title":   "Vielen Dank",
		"done_body":    "Ihre Zahlung wird bestätigt. Sie erhalten eine Bestätigung von %s.",
	},
}

// Page is what a customer page shows.
type Page struct {
	Lang        string
	Kind        string // preview, paid, expired, notfound, done, error
	Merchant    string
	Amount      string
	Description string
	URL         string
	QRURL       string
	T           map[string]string
}

// Lang picks the page language: the link's, else en.
func Lang(l *domain.Link) string {
	if l != nil && domain.ValidLanguage(l.Language) {
		return l.Language
	}
	return "en"
}

func render(w http.ResponseWriter, status int, p Page) {
	if !domain.ValidLanguage(p.Lang) {
		p.Lang = "en"
	}
	p.T = messages[p.Lang]
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; form-action 'self'; frame-ancestors 'none'")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Referrer-Policy", "no-referrer")
	w.WriteHeader(status)
	_ = pages.ExecuteTemplate(w, "page.html", p)
}
