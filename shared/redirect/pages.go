package redirect

import (
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/paylinks/paylinks/shared/brand"
	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/htmlsafe"
)

// messages are the pages' words, per language.
var messages = map[string]map[string]string{
	"en": {
		"pay":           "Pay",
		"to":            "Payment to %s",
		"preview":       "Payment request",
		"paid_title":    "Already paid",
		"paid_body":     "This payment request has been paid. Thank you!",
		"expired":       "This payment link has expired",
		"expired_body":  "It can no longer be paid. Please ask %s for a new link.",
		"notfound":      "Payment link not found",
		"nf_body":       "This link does not exist or is no longer available.",
		"error":         "Something went wrong",
		"error_body":    "We could not open the payment page. Please try again in a moment.",
		"open":          "Open to pay",
		"done_title":    "Thank you",
		"done_body":     "Your payment is being confirmed. You will receive a confirmation from %s.",
		"bank_title":    "Pay by bank transfer",
		"bank_intro":    "Transfer the exact amount from your own bank, with the structured reference below: that is how your payment is matched to this request.",
		"beneficiary":   "Beneficiary",
		"amount":        "Amount",
		"reference":     "Structured reference",
		"reference_rf":  "Structured reference",
		"bank_intro_rf": "Transfer the exact amount from your own bank, with the structured reference below: that is how your payment is matched to this request.",
		"copy":          "Copy",
		"copied":        "Copied",
		"qr_alt":        "EPC QR code of this transfer",
		"qr_caption":    "Scan this code with your banking app to fill in the transfer.",
		"pay_online":    "Pay online",
		"online_down":   "Online payment is not available right now. Try again in a moment, or pay by bank transfer below.",
		"support":       "Questions? Contact %s:",
	},
	"nl": {
		"pay":           "Betalen",
		"to":            "Betaling aan %s",
		"preview":       "Betaalverzoek",
		"paid_title":    "Al betaald",
		"paid_body":     "Dit betaalverzoek is betaald. Bedankt!",
		"expired":       "Deze betaallink is verlopen",
		"expired_body":  "Er kan niet meer mee betaald worden. Vraag %s om een nieuwe link.",
		"notfound":      "Betaallink niet gevonden",
		"nf_body":       "Deze link bestaat niet of is niet meer beschikbaar.",
		"error":         "Er ging iets mis",
		"error_body":    "We konden de betaalpagina niet openen. Probeer het zo opnieuw.",
		"open":          "Openen om te betalen",
		"done_title":    "Bedankt",
		"done_body":     "Je betaling wordt bevestigd. Je ontvangt een bevestiging van %s.",
		"bank_title":    "Betalen via overschrijving",
		"bank_intro":    "Schrijf het exacte bedrag over vanuit je eigen bank, met de gestructureerde mededeling hieronder: zo wordt je betaling aan dit verzoek gekoppeld.",
		"beneficiary":   "Begunstigde",
		"amount":        "Bedrag",
		"reference":     "Gestructureerde mededeling",
		"reference_rf":  "Betalingskenmerk",
		"bank_intro_rf": "Schrijf het exacte bedrag over vanuit je eigen bank, met het betalingskenmerk hieronder: zo wordt je betaling aan dit verzoek gekoppeld.",
		"copy":          "Kopiëren",
		"copied":        "Gekopieerd",
		"qr_alt":        "EPC-QR-code van deze overschrijving",
		"qr_caption":    "Scan deze code met je bankapp om de overschrijving in te vullen.",
		"pay_online":    "Online betalen",
		"online_down":   "Online betalen lukt nu even niet. Probeer het zo opnieuw, of betaal hieronder via overschrijving.",
		"support":       "Vragen? Neem contact op met %s:",
	},
	"fr": {
		"pay":           "Payer",
		"to":            "Paiement à %s",
		"preview":       "Demande de paiement",
		"paid_title":    "Déjà payé",
		"paid_body":     "Cette demande de paiement a été réglée. Merci !",
		"expired":       "Ce lien de paiement a expiré",
		"expired_body":  "Il ne peut plus être payé. Demandez un nouveau lien à %s.",
		"notfound":      "Lien de paiement introuvable",
		"nf_body":       "Ce lien n'existe pas ou n'est plus disponible.",
		"error":         "Une erreur est survenue",
		"error_body":    "La page de paiement n'a pas pu être ouverte. Réessayez dans un instant.",
		"open":          "Ouvrir pour payer",
		"done_title":    "Merci",
		"done_body":     "Votre paiement est en cours de confirmation. Vous recevrez une confirmation de %s.",
		"bank_title":    "Payer par virement",
		"bank_intro":    "Virez le montant exact depuis votre propre banque, avec la communication structurée ci-dessous : c'est elle qui relie votre paiement à cette demande.",
		"beneficiary":   "Bénéficiaire",
		"amount":        "Montant",
		"reference":     "Communication structurée",
		"reference_rf":  "Référence structurée",
		"bank_intro_rf": "Virez le montant exact depuis votre propre banque, avec la référence structurée ci-dessous : c'est elle qui relie votre paiement à cette demande.",
		"copy":          "Copier",
		"copied":        "Copié",
		"qr_alt":        "Code QR EPC de ce virement",
		"qr_caption":    "Scannez ce code avec l'app de votre banque pour remplir le virement.",
		"pay_online":    "Payer en ligne",
		"online_down":   "Le paiement en ligne est momentanément indisponible. Réessayez dans un instant, ou payez par virement ci-dessous.",
		"support":       "Des questions ? Contactez %s :",
	},
	"de": {
		"pay":           "Bezahlen",
		"to":            "Zahlung an %s",
		"preview":       "Zahlungsanforderung",
		"paid_title":    "Bereits bezahlt",
		"paid_body":     "Diese Zahlungsanforderung wurde bezahlt. Vielen Dank!",
		"expired":       "Dieser Zahlungslink ist abgelaufen",
		"expired_body":  "Er kann nicht mehr bezahlt werden. Bitte fordern Sie bei %s einen neuen Link an.",
		"notfound":      "Zahlungslink nicht gefunden",
		"nf_body":       "Dieser Link existiert nicht oder ist nicht mehr verfügbar.",
		"error":         "Etwas ist schiefgelaufen",
		"error_body":    "Die Zahlungsseite konnte nicht geöffnet werden. Bitte versuchen Sie es gleich noch einmal.",
		"open":          "Zum Bezahlen öffnen",
		"done_title":    "Vielen Dank",
		"done_body":     "Ihre Zahlung wird bestätigt. Sie erhalten eine Bestätigung von %s.",
		"bank_title":    "Per Überweisung bezahlen",
		"bank_intro":    "Überweisen Sie den genauen Betrag von Ihrer eigenen Bank mit der unten stehenden Zahlungsreferenz: Daran wird Ihre Zahlung dieser Anforderung zugeordnet.",
		"beneficiary":   "Empfänger",
		"amount":        "Betrag",
		"reference":     "Zahlungsreferenz",
		"reference_rf":  "Zahlungsreferenz",
		"bank_intro_rf": "Überweisen Sie den genauen Betrag von Ihrer eigenen Bank mit der unten stehenden Zahlungsreferenz: Daran wird Ihre Zahlung dieser Anforderung zugeordnet.",
		"copy":          "Kopieren",
		"copied":        "Kopiert",
		"qr_alt":        "EPC-QR-Code dieser Überweisung",
		"qr_caption":    "Scannen Sie diesen Code mit Ihrer Banking-App, um die Überweisung auszufüllen.",
		"pay_online":    "Online bezahlen",
		"online_down":   "Die Online-Zahlung ist gerade nicht möglich. Versuchen Sie es gleich noch einmal oder bezahlen Sie unten per Überweisung.",
		"support":       "Fragen? Kontaktieren Sie %s:",
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
	// Bank, on the bank transfer page (kind bank), is how to pay by
	// transfer; Checkout is the PSP checkout beside it ("" when the link
	// has no other method), CheckoutDown says it could not be made now.
	Bank         *BankDetails
	Checkout     string
	CheckoutDown bool
	// Brand is the merchant's brand (nil: paylinks' own look); LogoPath
	// is where this page's logo is served ("" for none).
	Brand    *brand.Settings
	LogoPath string
	T        map[string]string
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
	csp := "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; form-action 'self'; frame-ancestors 'none'"
	if p.Kind == "bank" && p.Bank != nil {
		csp += "; script-src " + copyScriptHash()
	}
	w.Header().Set("Content-Security-Policy", csp)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Referrer-Policy", "no-referrer")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, pageHTML(p))
}

// pageLayout is every page: {og} the preview's Open Graph tags, {body}
// what follows the heading, {style} and {script} the bank transfer page's
// own. Filled in one pass (strings.Replacer does not
// look into what it puts in), so values cannot inject placeholders.
const pageLayout = `<!doctype html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">{og}
<title>{title}</title>
<link rel="icon" href="/favicon.ico" type="image/svg+xml">
<style>
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;background:#f5f6f8;color:#1b1f24}
main{max-width:28rem;margin:3rem auto;padding:2rem;background:#fff;border-radius:12px;box-shadow:0 1px 4px rgba(0,0,0,.08)}
h1{font-size:1.4rem;margin:0 0 1rem}
.amount{font-size:2rem;font-weight:600;margin:.5rem 0}
.muted{color:#57606a}
a.button{display:inline-block;margin-top:1rem;padding:.75rem 1.5rem;background:{accent};color:#fff;border-radius:8px;text-decoration:none;font-weight:600}
a.button:focus{outline:3px solid #1b1f24;outline-offset:2px}{style}
</style>
</head>
<body>
<main>{logo}
<h1>{title}</h1>{body}{support}
</main>{script}
</body>
</html>

`

// titleKey is the message that titles and heads a page of kind (an
// unknown kind is the error page).
func titleKey(kind string) string {
	switch kind {
	case "preview", "bank":
		return "preview"
	case "paid":
		return "paid_title"
	case "expired":
		return "expired"
	case "done":
		return "done_title"
	case "notfound":
		return "notfound"
	}
	return "error"
}

// pageHTML is the page p, every value escaped for where it stands
// (htmlsafe: as html/template would). p.T holds its language's messages.
func pageHTML(p Page) string {
	e, t := htmlsafe.Text, p.T
	to := e(fmt.Sprintf(t["to"], p.Merchant))
	amount := `<p class="amount">` + e(p.Amount) + `</p>`
	description := `<p>` + e(p.Description) + `</p>`
	muted := ""
	if p.Merchant != "" {
		muted = `<p class="muted">` + to + `</p>`
	}
	var og, body, style, script string
	switch p.Kind {
	case "preview":
		og = "\n" + `<meta property="og:type" content="website">` +
			"\n" + `<meta property="og:title" content="` + to + `: ` + e(p.Amount) + `">` +
			"\n" + `<meta property="og:description" content="` + e(p.Description) + `">` +
			"\n" + `<meta property="og:url" content="` + e(p.URL) + `">` +
			"\n" + `<meta property="og:image" content="` + e(p.QRURL) + `">` +
			"\n" + `<meta name="robots" content="noindex, nofollow">`
		body = muted + "\n" + amount + "\n" + description +
			"\n" + `<a class="button" href="` + htmlsafe.URL(p.URL) + `">` + e(t["open"]) + `</a>`
	case "bank":
		if p.Bank == nil {
			body = "<p>" + e(t["error_body"]) + "</p>"
			break
		}
		style, script = bankCSS, "\n<script>"+copyScript+"</script>"
		body = muted + "\n" + amount + "\n" + description + bankHTML(p)
	case "paid":
		body = muted + "\n" + amount + "\n" + description + "\n<p>" + e(t["paid_body"]) + "</p>"
	case "expired":
		if p.Amount != "" {
			body = amount + description
		}
		body += "\n<p>" + e(fmt.Sprintf(t["expired_body"], p.Merchant)) + "</p>"
	case "done":
		body = amount + "\n" + description + "\n<p>" + e(fmt.Sprintf(t["done_body"], p.Merchant)) + "</p>"
	case "notfound":
		body = "<p>" + e(t["nf_body"]) + "</p>"
	default:
		body = "<p>" + e(t["error_body"]) + "</p>"
	}
	logo, support, brandStyle := brandHTML(p)
	return strings.NewReplacer("{lang}", e(p.Lang), "{og}", og, "{style}", style+brandStyle, "{title}", e(t[titleKey(p.Kind)]), "{body}", "\n"+body,
		"{script}", script, "{accent}", p.Brand.Accent(), "{logo}", logo, "{support}", support).Replace(pageLayout)
}
