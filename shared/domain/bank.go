package domain

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/shopspring/decimal"

	"github.com/paylinks/paylinks/shared/bank/reference"
	"github.com/paylinks/paylinks/shared/validate"
)

// MethodBankTransfer is a payment by a SEPA credit transfer the payer makes
// from their own bank to the link's beneficiary, with the link's structured
// reference: no PSP takes part (unlike sepa_transfer, a PSP's method).
const MethodBankTransfer = "bank_transfer"

// BankCurrency is the one currency a bank transfer is offered in.
const BankCurrency = "EUR"

// BankTransferSettings are a merchant's settings of bank transfers.
type BankTransferSettings struct {
	// ReferenceFormat is the kind of structured reference its links get:
	// "rf" (ISO 11649) or "be_ogm" (Belgian structured communication).
	ReferenceFormat string `json:"reference_format" dynamodbav:"reference_format"`
}

// ReferenceFormatFor is the reference format of a merchant with settings
// bt (nil when never set) and default beneficiary b: the one set, else
// be_ogm for a Belgian account and rf for any other (or none).
func ReferenceFormatFor(bt *BankTransferSettings, b *Beneficiary) reference.Format {
	if bt != nil && reference.Format(bt.ReferenceFormat).Valid() {
		return reference.Format(bt.ReferenceFormat)
	}
	if b != nil && strings.HasPrefix(strings.ToUpper(strings.TrimSpace(b.IBAN)), "BE") {
		return reference.BEOGM
	}
	return reference.RF
}

// OffersBankTransfer reports a link that can be paid by bank transfer: it
// was given its structured reference when it was made.
func (l *Link) OffersBankTransfer() bool { return l.BankReference != "" }

// OnlyBankTransfer reports a link whose one method is the bank transfer:
// its own methods, or the merchant's (merchantMethods) when it names none.
func (l *Link) OnlyBankTransfer(merchantMethods []string) bool {
	methods := l.PaymentMethods
	if methods == nil {
		methods = merchantMethods
	}
	return l.OffersBankTransfer() && len(methods) == 1 && methods[0] == MethodBankTransfer
}

// BankReference is the structured reference of link id at a try (0 first;
// 1, 2, ... when the merchant has the previous one on another link), in
// electronic form (reference.ForLink).
func BankReference(linkID string, try int, f reference.Format) string {
	return reference.ForLink(linkID, try, f)
}

// epcMaxAmount is the largest amount an EPC QR code carries (EPC069-12).
var epcMaxAmount = decimal.New(99999999999, -2)

// bankNameBytes bounds the beneficiary's name in UTF-8 so that the EPC QR
// payload (331 bytes at most) holds it beside the other elements at their
// longest (tag, version, character set, identification, an 11-character
// BIC, a 34-character IBAN, the amount, a 25-character reference and the
// line feeds: 104 bytes).
const bankNameBytes = 331 - 104

// linkBank decides whether the link offers a bank transfer and returns the
// format of its reference ("" when it does not). Asked for by the link's
// methods, it needs an amount in EUR (else payment_methods is refused), an
// amount an EPC QR code carries and a beneficiary with a name, IBAN and
// BIC; offered by the merchant's methods (the link names none), it needs
// the same, and a link in another currency or above that amount simply
// does not offer it.
func linkBank(l *Link, in *LinkInput, s *LinkSettings, errs *FieldErrors) reference.Format {
	explicit := slices.Contains(in.PaymentMethods, MethodBankTransfer)
	if !explicit && (in.PaymentMethods != nil || !s.allowsMethod(MethodBankTransfer)) {
		return ""
	}
	if l.Amount.Currency == "" {
		return "" // the amount is refused already
	}
	if l.Amount.Currency != BankCurrency {
		if explicit {
			errs.Add("payment_methods", "bank_transfer is offered for amounts in EUR only")
		}
		return ""
	}
	if l.Amount.Value.GreaterThan(epcMaxAmount) {
		if explicit {
			errs.Add("amount.value", "is at most 999999999.99 with bank_transfer (the EPC QR code's largest amount)")
		}
		return ""
	}
	checkBankBeneficiary(l.Beneficiary, in.Beneficiary == nil, errs)
	f := s.ReferenceFormat
	if !f.Valid() {
		f = ReferenceFormatFor(nil, s.DefaultBeneficiary)
	}
	return f
}

// checkBankBeneficiary refuses a beneficiary a bank transfer cannot go to:
// none, or one without a BIC or with a name the EPC QR code cannot carry.
// fromDefault names the merchant's default beneficiary in the messages.
func checkBankBeneficiary(b *Beneficiary, fromDefault bool, errs *FieldErrors) {
	whose := "the link's beneficiary"
	if fromDefault {
		whose = "the merchant's default_beneficiary"
	}
	switch {
	case b == nil:
		errs.Add("beneficiary", "is required with bank_transfer: a name, iban and bic (the link's, or the merchant's default_beneficiary)")
	case b.BIC == "":
		errs.Add("beneficiary.bic", "is required with bank_transfer ("+whose+" has none)")
	case !BankName(b.Name):
		errs.Add("beneficiary.name", "must fit the EPC QR code with bank_transfer: at most 70 characters and "+
			"227 bytes of UTF-8, no line or paragraph separator ("+whose+")")
	case validate.IBAN(b.IBAN) && !SEPAAccount(b.IBAN):
		detail := ibanCountry(b.IBAN) + " is not in it"
		if fromDefault {
			detail += "; the merchant's default_beneficiary"
		}
		errs.Add("beneficiary.iban", "must be an account in the SEPA area with bank_transfer ("+detail+")")
	}
}

// SEPAAccount reports an IBAN a SEPA credit transfer reaches (by its
// country; its checksum is CheckBeneficiary's).
func SEPAAccount(iban string) bool { return validate.SEPACountry(ibanCountry(iban)) }

func ibanCountry(iban string) string {
	e := strings.ToUpper(strings.ReplaceAll(iban, " ", ""))
	if len(e) < 2 {
		return e
	}
	return e[:2]
}

// BankName reports a beneficiary name an EPC QR code carries beside the
// longest other elements (PayerText's rules are checked elsewhere).
func BankName(name string) bool {
	return name != "" && len(name) <= bankNameBytes && utf8.RuneCountInString(name) <= 70 &&
		!strings.ContainsFunc(name, func(r rune) bool { return unicode.In(r, unicode.Zl, unicode.Zp) })
}

// PrintIBAN is an IBAN in its print form: its electronic form (no spaces,
// upper case) in groups of four.
func PrintIBAN(iban string) string {
	e := strings.ToUpper(strings.ReplaceAll(iban, " ", ""))
	var b strings.Builder
	for i, r := range e {
		if i > 0 && i%4 == 0 {
			b.WriteByte(' ')
		}
		b.WriteRune(r)
	}
	return b.String()
}
