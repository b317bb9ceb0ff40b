package sandbox

import "github.com/paylinks/paylinks/shared/domain"

// words are the checkout's and the thank-you page's words in each language
// a link may have (domain.Languages, as the customer pages of
// shared/redirect): the link's language, else English. "%s" is the
// merchant's name.
var words = map[string]map[string]string{
	"en": {
		"title":          "Sandbox checkout",
		"badge":          "SANDBOX",
		"heading":        "Checkout",
		"to":             "Payment to %s",
		"test_note":      "This is a test payment: no money is taken.",
		"pay":            "Pay",
		"decline":        "Decline",
		"paid_title":     "Thank you, payment received",
		"paid_body":      "You will receive a confirmation from %s.",
		"declined_title": "Payment declined",
		"declined_body":  "No money was taken. You can try again.",
		"retry":          "Try again",
		"back_to":        "Back to %s",
		"back_to_link":   "Back to the payment request",
	},
	"nl": {
		"title":          "Testbetaling",
		"badge":          "TESTMODUS",
		"heading":        "Afrekenen",
		"to":             "Betaling aan %s",
		"test_note":      "Dit is een testbetaling: er wordt geen geld afgeschreven.",
		"pay":            "Betalen",
		"decline":        "Weigeren",
		"paid_title":     "Bedankt, je betaling is ontvangen",
		"paid_body":      "Je ontvangt een bevestiging van %s.",
		"declined_title": "Betaling geweigerd",
		"declined_body":  "Er is niets afgeschreven. Je kunt het opnieuw proberen.",
		"retry":          "Opnieuw proberen",
		"back_to":        "Terug naar %s",
		"back_to_link":   "Terug naar het betaalverzoek",
	},
	"fr": {
		"title":          "Paiement de test",
		"badge":          "MODE TEST",
		"heading":        "Paiement",
		"to":             "Paiement à %s",
		"test_note":      "Ceci est un paiement de test : aucun montant n'est débité.",
		"pay":            "Payer",
		"decline":        "Refuser",
		"paid_title":     "Merci, votre paiement a bien été reçu",
		"paid_body":      "Vous recevrez une confirmation de %s.",
		"declined_title": "Paiement refusé",
		"declined_body":  "Aucun montant n'a été débité. Vous pouvez réessayer.",
		"retry":          "Réessayer",
		"back_to":        "Retour à %s",
		"back_to_link":   "Retour à la demande de paiement",
	},
	"de": {
		"title":          "Testzahlung",
		"badge":          "TESTMODUS",
		"heading":        "Kasse",
		"to":             "Zahlung an %s",
		"test_note":      "Dies ist eine Testzahlung: Es wird kein Geld abgebucht.",
		"pay":            "Bezahlen",
		"decline":        "Ablehnen",
		"paid_title":     "Vielen Dank, Ihre Zahlung ist eingegangen",
		"paid_body":      "Sie erhalten eine Bestätigung von %s.",
		"declined_title": "Zahlung abgelehnt",
		"declined_body":  "Es wurde nichts abgebucht. Sie können es noch einmal versuchen.",
		"retry":          "Erneut versuchen",
		"back_to":        "Zurück zu %s",
		"back_to_link":   "Zurück zur Zahlungsanforderung",
	},
}

// lang is the pages' language for a link: its own, else English.
func lang(l *domain.Link) string {
	if l != nil && domain.ValidLanguage(l.Language) {
		return l.Language
	}
	return "en"
}
