package channel

import (
	"fmt"
	"strings"
	"time"

	"github.com/paylinks/paylinks/shared/brand"
	"github.com/paylinks/paylinks/shared/htmlsafe"
)

// Data fills a template.
type Data struct {
	Name        string
	Merchant    string
	Amount      string // already formatted for the language
	Description string
	URL         string
	Expires     time.Time
	// Bank is how to pay by bank transfer, shown in the e-mail; nil for a
	// link that offers none.
	Bank *Bank
	// Brand is the merchant's logo, colour and support contact, shown in
	// the e-mail; nil for paylinks' own look.
	Brand *Brand
}

// Brand is what an e-mail shows of the merchant's brand; each part is
// shown only when set.
type Brand struct {
	// LogoURL is the logo on the customer pages' host (http or https;
	// anything else is left out).
	LogoURL string
	// Accent is the pay button's colour, "#rrggbb" (anything else: the
	// default colour).
	Accent       string
	SupportEmail string
	SupportPhone string
}

// Bank is a bank transfer's details as the payer copies them.
type Bank struct {
	Beneficiary string
	IBAN        string // grouped by four
	BIC         string
	Reference   string // print form
}

type words struct {
	subject, reminderSubject, greeting, body, reminderBody, pay, until, sms, reminderSMS string
	months                                                                               [12]string
	dateLayout                                                                           string
	// The bank transfer's block of the e-mail.
	bankTitle, bankIntro, beneficiary, reference string
	// bankIntroRF and referenceRF name an ISO 11649 RF reference where the
	// language's usual words (nl, fr) name the Belgian structured
	// communication (OGM).
	bankIntroRF, referenceRF string
	// support introduces the merchant's support contact.
	support string
}

var lang = map[string]words{
	"en": {
		subject: "Payment request from {{.Merchant}}: {{.Amount}}", reminderSubject: "Reminder: your payment to {{.Merchant}} of {{.Amount}}",
		greeting: "Hello {{.Name}},", body: "{{.Merchant}} asks you to pay {{.Amount}} for {{.Description}}.",
		reminderBody: "This is a reminder: {{.Merchant}} still awaits your payment of {{.Amount}} for {{.Description}}.",
		pay:          "Pay now", until: "The link is valid until {{date .Expires}}.",
		sms:         "{{.Merchant}}: please pay {{.Amount}} for {{.Description}}: {{.URL}} (valid until {{date .Expires}})",
		reminderSMS: "Reminder from {{.Merchant}}: {{.Amount}} for {{.Description}} is still open: {{.URL}} (valid until {{date .Expires}})",
		months:      [12]string{"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"},
		dateLayout:  "{month} {day}, {year}",
		bankTitle:   "Pay by bank transfer", bankIntro: "Transfer the exact amount with this structured reference, so that your payment is matched to this request.",
		beneficiary: "Beneficiary", reference: "Structured reference",
		bankIntroRF: "Transfer the exact amount with this structured reference, so that your payment is matched to this request.",
		referenceRF: "Structured reference",
		support:     "Questions? Contact {{.Merchant}}:",
	},
	"nl": {
		subject: "Betaalverzoek van {{.Merchant}}: {{.Amount}}", reminderSubject: "Herinnering: je betaling aan {{.Merchant}} van {{.Amount}}",
		greeting: "Beste {{.Name}},", body: "{{.Merchant}} vraagt je {{.Amount}} te betalen voor {{.Description}}.",
		reminderBody: "Dit is een herinnering: {{.Merchant}} wacht nog op je betaling van {{.Amount}} voor {{.Description}}.",
		pay:          "Nu betalen", until: "De link is geldig tot {{date .Expires}}.",
		sms:         "{{.Merchant}}: betaal {{.Amount}} voor {{.Description}}: {{.URL}} (geldig tot {{date .Expires}})",
		reminderSMS: "Herinnering van {{.Merchant}}: {{.Amount}} voor {{.Description}} staat nog open: {{.URL}} (geldig tot {{date .Expires}})",
		months:      [12]string{"januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober", "november", "december"},
		dateLayout:  "{day} {month} {year}",
		bankTitle:   "Betalen via overschrijving", bankIntro: "Schrijf het exacte bedrag over met deze gestructureerde mededeling, zodat je betaling aan dit verzoek gekoppeld wordt.",
		beneficiary: "Begunstigde", reference: "Gestructureerde mededeling",
		bankIntroRF: "Schrijf het exacte bedrag over met dit betalingskenmerk, zodat je betaling aan dit verzoek gekoppeld wordt.",
		referenceRF: "Betalingskenmerk",
		support:     "Vragen? Neem contact op met {{.Merchant}}:",
	},
	"fr": {
		subject: "Demande de paiement de {{.Merchant}} : {{.Amount}}", reminderSubject: "Rappel : votre paiement de {{.Amount}} à {{.Merchant}}",
		greeting: "Bonjour {{.Name}},", body: "{{.Merchant}} vous demande de payer {{.Amount}} pour {{.Description}}.",
		reminderBody: "Ceci est un rappel : {{.Merchant}} attend toujours votre paiement de {{.Amount}} pour {{.Description}}.",
		pay:          "Payer maintenant", until: "Le lien est valable jusqu'au {{date .Expires}}.",
		sms:         "{{.Merchant}} : merci de payer {{.Amount}} pour {{.Description}} : {{.URL}} (valable jusqu'au {{date .Expires}})",
		reminderSMS: "Rappel de {{.Merchant}} : {{.Amount}} pour {{.Description}} reste à payer : {{.URL}} (valable jusqu'au {{date .Expires}})",
		months:      [12]string{"janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre", "décembre"},
		dateLayout:  "{day} {month} {year}",
		bankTitle:   "Payer par virement", bankIntro: "Virez le montant exact avec cette communication structurée, pour que votre paiement soit relié à cette demande.",
		beneficiary: "Bénéficiaire", reference: "Communication structurée",
		bankIntroRF: "Virez le montant exact avec cette référence structurée, pour que votre paiement soit relié à cette demande.",
		referenceRF: "Référence structurée",
		support:     "Des questions ? Contactez {{.Merchant}} :",
	},
	"de": {
		subject: "Zahlungsaufforderung von {{.Merchant}}: {{.Amount}}", reminderSubject: "Erinnerung: Ihre Zahlung von {{.Amount}} an {{.Merchant}}",
		greeting: "Guten Tag {{.Name}},", body: "{{.Merchant}} bittet Sie, {{.Amount}} für {{.Description}} zu bezahlen.",
		reminderBody: "Dies ist eine Erinnerung: {{.Merchant}} wartet noch auf Ihre Zahlung von {{.Amount}} für {{.Description}}.",
		pay:          "Jetzt bezahlen", until: "Der Link ist gültig bis zum {{date .Expires}}.",
		sms:         "{{.Merchant}}: Bitte zahlen Sie {{.Amount}} für {{.Description}}: {{.URL}} (gültig bis {{date .Expires}})",
		reminderSMS: "Erinnerung von {{.Merchant}}: {{.Amount}} für {{.Description}} ist noch offen: {{.URL}} (gültig bis {{date .Expires}})",
		months:      [12]string{"Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober", "November", "Dezember"},
		dateLayout:  "{day}. {month} {year}",
		bankTitle:   "Per Überweisung bezahlen", bankIntro: "Überweisen Sie den genauen Betrag mit dieser Zahlungsreferenz, damit Ihre Zahlung dieser Anforderung zugeordnet wird.",
		beneficiary: "Empfänger", reference: "Zahlungsreferenz",
		bankIntroRF: "Überweisen Sie den genauen Betrag mit dieser Zahlungsreferenz, damit Ihre Zahlung dieser Anforderung zugeordnet wird.",
		referenceRF: "Zahlungsreferenz",
		support:     "Fragen? Kontaktieren Sie {{.Merchant}}:",
	},
}

func (w words) date(t time.Time) string {
	t = t.UTC()
	r := strings.NewReplacer("{day}", fmt.Sprint(t.Day()), "{month}", w.months[t.Month()-1], "{year}", fmt.Sprint(t.Year()))
	return r.Replace(w.dateLayout)
}

// text fills a message's placeholders ({{.Merchant}}, {{date .Expires}},
// ...) with d. Plain replacement, not text/template: the templates only
// name fields, and a template engine's reflection keeps every method of
// every type in the binary (the send function would link all of SES's).
func text(w words, tmpl string, d Data) string {
	return strings.NewReplacer("{{.Name}}", d.Name, "{{.Merchant}}", d.Merchant, "{{.Amount}}", d.Amount, "{{.Description}}", d.Description,
		"{{.URL}}", d.URL, "{{date .Expires}}", w.date(d.Expires)).Replace(tmpl)
}

// escapeHTML and safeURL are html/template's escaping of text and quoted
// attribute values, and its URL filter (http(s) only).
var escapeHTML, safeURL = htmlsafe.Text, htmlsafe.FilterURL

// emailHTML is the e-mail's HTML part; every %s is filled escaped, the
// bank transfer's block (bankHTML) with its values escaped.
const emailHTML = `<!doctype html>
<html lang="%s"><head><meta charset="utf-8"><title>%s</title></head>
<body style="font-family:Arial,sans-serif;color:#1b1f24;max-width:560px;margin:auto;padding:24px">
%s<p>%s</p>
<p>%s</p>
<p style="font-size:24px;font-weight:bold">%s</p>
<p><a href="%s" style="display:inline-block;background:%s;color:#fff;padding:12px 24px;border-radius:6px;text-decoration:none;font-weight:bold">%s</a></p>
%s<p style="color:#57606a">%s</p>
%s<p style="color:#57606a;font-size:12px;word-break:break-all">%s</p>
</body></html>
`

// logoHTML is the e-mail's logo block: its URL and its alt text, escaped.
const logoHTML = `<p><img src="%s" alt="%s" style="display:block;max-height:48px;max-width:200px;border:0"></p>
`

// bankHTML is the e-mail's bank transfer block; every %s is filled escaped.
const bankHTML = `<h2 style="font-size:18px;margin:24px 0 8px">%s</h2>
<p>%s</p>
<table role="presentation" style="border-collapse:collapse;margin-bottom:16px">
<tr><td style="color:#57606a;padding:2px 16px 2px 0">%s</td><td>%s</td></tr>
<tr><td style="color:#57606a;padding:2px 16px 2px 0">IBAN</td><td style="font-family:monospace">%s</td></tr>
<tr><td style="color:#57606a;padding:2px 16px 2px 0">BIC</td><td style="font-family:monospace">%s</td></tr>
<tr><td style="color:#57606a;padding:2px 16px 2px 0">%s</td><td style="font-family:monospace;font-weight:bold">%s</td></tr>
</table>
`

// Render builds the message of kind ("link" or "reminder") for a channel
// in a language (en when unknown).
func Render(kind, ch, language string, d Data) (Message, error) {
	w, ok := lang[language]
	if !ok {
		language, w = "en", lang["en"]
	}
	m := Message{Channel: ch, Lang: language, Kind: kind}
	body, subject, short := w.body, w.subject, w.sms
	if kind == "reminder" {
		body, subject, short = w.reminderBody, w.reminderSubject, w.reminderSMS
	}
	switch ch {
	case SMS, WhatsApp:
		m.Text = text(w, short, d)
		return m, nil
	case Email:
	default:
		return m, fmt.Errorf("%w: channel %q", ErrPermanent, ch)
	}
	greeting, body, until := text(w, w.greeting, d), text(w, body, d), text(w, w.until, d)
	m.Subject = text(w, subject, d)
	bankText, bankPart := "", ""
	if b := d.Bank; b != nil {
		intro, label := w.bankIntro, w.reference
		if strings.HasPrefix(b.Reference, "RF") {
			intro, label = w.bankIntroRF, w.referenceRF
		}
		bankText = w.bankTitle + "\n" + intro + "\n" + w.beneficiary + ": " + b.Beneficiary + "\nIBAN: " + b.IBAN + "\nBIC: " + b.BIC +
			"\n" + label + ": " + b.Reference + "\n\n"
		bankPart = fmt.Sprintf(bankHTML, escapeHTML(w.bankTitle), escapeHTML(intro), escapeHTML(w.beneficiary), escapeHTML(b.Beneficiary),
			escapeHTML(b.IBAN), escapeHTML(b.BIC), escapeHTML(label), escapeHTML(b.Reference))
	}
	logoPart, supportText, supportPart := brandParts(w, d)
	m.Text = greeting + "\n\n" + body + "\n\n" + w.pay + ": " + d.URL + "\n\n" + bankText + until + "\n" + supportText
	m.HTML = fmt.Sprintf(emailHTML, escapeHTML(language), escapeHTML(m.Subject), logoPart, escapeHTML(greeting), escapeHTML(body), escapeHTML(d.Amount),
		escapeHTML(safeURL(d.URL)), accentOf(d.Brand), escapeHTML(w.pay), bankPart, escapeHTML(until), supportPart, escapeHTML(d.URL))
	return m, nil
}

// accentOf is the pay button's colour: the brand's when it is "#rrggbb",
// else the default.
func accentOf(b *Brand) string {
	if b != nil {
		if c, ok := brand.ParseColor(b.Accent); ok {
			return c.String()
		}
	}
	return brand.DefaultAccent
}

// brandParts are the e-mail's logo block and its support contact as text
// and as HTML, each "" when the brand has none.
func brandParts(w words, d Data) (logo, supportText, supportHTML string) {
	b := d.Brand
	if b == nil {
		return "", "", ""
	}
	if b.LogoURL != "" && safeURL(b.LogoURL) == b.LogoURL {
		logo = fmt.Sprintf(logoHTML, escapeHTML(b.LogoURL), escapeHTML(d.Merchant))
	}
	var texts, links []string
	if b.SupportEmail != "" {
		texts = append(texts, b.SupportEmail)
		links = append(links, `<a href="mailto:`+escapeHTML(b.SupportEmail)+`" style="color:#1b1f24">`+escapeHTML(b.SupportEmail)+`</a>`)
	}
	if b.SupportPhone != "" {
		texts = append(texts, b.SupportPhone)
		links = append(links, `<a href="tel:`+escapeHTML(b.SupportPhone)+`" style="color:#1b1f24">`+escapeHTML(b.SupportPhone)+`</a>`)
	}
	if len(texts) == 0 {
		return logo, "", ""
	}
	intro := text(w, w.support, d)
	return logo, "\n" + intro + " " + strings.Join(texts, " · ") + "\n",
		`<p style="color:#57606a">` + escapeHTML(intro) + " " + strings.Join(links, " · ") + "</p>\n"
}
