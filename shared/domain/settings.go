package domain

import (
	"fmt"
	"slices"
	"strings"

	"github.com/paylinks/paylinks/shared/bank/reference"
	"github.com/paylinks/paylinks/shared/validate"
)

// PaymentMethods are the methods a merchant may enable.
var PaymentMethods = []string{"card", "ideal", "bancontact", "sepa_transfer", "sepa_debit", "paypal", "apple_pay",
	"google_pay", "klarna", "eps", "przelewy24", "kbc", "belfius", "twint", "giropay", "sofort", MethodBankTransfer}

// SettingsInput is a change of a merchant's settings: nil members are kept
// as they are.
type SettingsInput struct {
	Name               *string
	DefaultBeneficiary *Beneficiary
	RedirectDomains    []string
	PaymentMethods     []string
	PSP                *string
	PSPCredentials     map[string]string
	WebhookURL         *string
	WebhookSecret      *string
	RequireMFA         *bool
	BankTransfer       *BankTransferSettings
	TimeZone           *string
}

// SettingsRules is what a change of settings is checked against.
type SettingsRules struct {
	// Live says the merchant moves real money.
	Live bool
	// PSPs are the configured providers, each with whether a live
	// merchant may choose it.
	PSPs map[string]bool
	// CheckWebhookURL refuses an endpoint paylinks may not call.
	CheckWebhookURL func(string) error
	// CheckWebhookSecret refuses a secret that cannot sign.
	CheckWebhookSecret func(string) error
	// WebhookURL and HasWebhookSecret are the merchant's current endpoint
	// and whether it has a signing secret.
	WebhookURL       string
	HasWebhookSecret bool
	// PaymentMethods and DefaultBeneficiary are the merchant's current
	// methods and default beneficiary.
	PaymentMethods     []string
	DefaultBeneficiary *Beneficiary
}

// CheckSettings checks a change of settings and returns every invalid field,
// and the default beneficiary as it is kept (IBAN without spaces) when one
// is given.
func CheckSettings(in *SettingsInput, r *SettingsRules) (*Beneficiary, FieldErrors) {
	var errs FieldErrors
	if in.Name != nil && !validate.PayerText(*in.Name, 100) {
		errs.Add("name", "must be 1 to 100 characters shown to payers: not blank, no control or bidi override characters")
	}
	var b *Beneficiary
	if in.DefaultBeneficiary != nil {
		b = CheckBeneficiary("default_beneficiary", in.DefaultBeneficiary, &errs)
	}
	checkRedirectDomains(in.RedirectDomains, &errs)
	checkMethods(in.PaymentMethods, &errs)
	checkBankTransfer(in, b, r, &errs)
	if in.BankTransfer != nil && !reference.Format(in.BankTransfer.ReferenceFormat).Valid() {
		errs.Add("bank_transfer.reference_format", "must be rf (ISO 11649) or be_ogm (Belgian structured communication)")
	}
	checkPSP(in, r, &errs)
	checkWebhook(in, r, &errs)
	if in.TimeZone != nil {
		if _, err := LoadTimeZone(*in.TimeZone); err != nil || *in.TimeZone == "" {
			errs.Add("time_zone", TimeZoneMessage)
		}
	}
	return b, errs
}

func checkRedirectDomains(domains []string, errs *FieldErrors) {
	if domains == nil {
		return
	}
	if len(domains) > 50 {
		errs.Add("redirect_domains", "has at most 50 domains")
	}
	for i, d := range domains {
		if err := validate.RedirectDomain(d); err != nil {
			errs.Add(fmt.Sprintf("redirect_domains[%d]", i), err.Error())
		}
	}
}

func checkMethods(methods []string, errs *FieldErrors) {
	if methods == nil {
		return
	}
	if len(methods) == 0 {
		errs.Add("payment_methods", "must enable at least one method")
	}
	for i, pm := range methods {
		if !knownMethod(pm) {
			errs.Add(fmt.Sprintf("payment_methods[%d]", i), "must be one of "+strings.Join(PaymentMethods, ", "))
		}
	}
}

func knownMethod(m string) bool {
	for _, x := range PaymentMethods {
		if x == m {
			return true
		}
	}
	return false
}

func checkPSP(in *SettingsInput, r *SettingsRules, errs *FieldErrors) {
	if in.PSP != nil {
		if live, ok := r.PSPs[*in.PSP]; !ok {
			errs.Add("psp", "must be one of the configured providers")
		} else if r.Live && !live {
			errs.Add("psp", "is a test-mode provider: a live merchant cannot choose it")
		}
	}
	if in.PSPCredentials == nil {
		return
	}
	if len(in.PSPCredentials) > 10 {
		errs.Add("psp_credentials", "has at most 10 entries")
	}
	for k, v := range in.PSPCredentials {
		if !validate.Text(k, 40) || !validate.Text(v, 512) {
			errs.Add("psp_credentials."+k, "keys are 1 to 40 and values 1 to 512 characters")
		}
	}
}

func checkWebhook(in *SettingsInput, r *SettingsRules, errs *FieldErrors) {
	url := r.WebhookURL
	if in.WebhookURL != nil {
		url = *in.WebhookURL
		if url != "" && r.CheckWebhookURL != nil {
			if err := r.CheckWebhookURL(url); err != nil {
				errs.Add("webhook_url", err.Error())
			}
		}
	}
	if in.WebhookSecret != nil && r.CheckWebhookSecret != nil {
		if err := r.CheckWebhookSecret(*in.WebhookSecret); err != nil {
			errs.Add("webhook_secret", "must be whsec_ followed by 24 to 64 random bytes in base64")
		}
	}
	if url != "" && in.WebhookSecret == nil && !r.HasWebhookSecret {
		errs.Add("webhook_secret", "is required with webhook_url (whsec_ and 24 to 64 random bytes in base64)")
	}
}

// checkBankTransfer: with bank_transfer among the methods (as changed, or
// as they are), the default beneficiary (as changed, or as it is) has a
// BIC and a name the EPC QR code carries, so that every link made with the
// merchant's defaults can be paid by bank. Checked when the change names
// the methods or the default beneficiary. b is the default beneficiary as
// CheckBeneficiary kept it.
func checkBankTransfer(in *SettingsInput, b *Beneficiary, r *SettingsRules, errs *FieldErrors) {
	if in.PaymentMethods == nil && in.DefaultBeneficiary == nil {
		return
	}
	methods := in.PaymentMethods
	if methods == nil {
		methods = r.PaymentMethods
	}
	if !slices.Contains(methods, MethodBankTransfer) {
		return
	}
	if b == nil {
		b = r.DefaultBeneficiary
	}
	switch {
	case b == nil:
		errs.Add("default_beneficiary", "is required with bank_transfer: a name, iban and bic")
	case b.BIC == "":
		errs.Add("default_beneficiary.bic", "is required with bank_transfer")
	case !BankName(b.Name):
		errs.Add("default_beneficiary.name", "must fit the EPC QR code with bank_transfer: at most 70 characters and 227 bytes of UTF-8, no line or paragraph separator")
	case validate.IBAN(b.IBAN) && !SEPAAccount(b.IBAN):
		errs.Add("default_beneficiary.iban", "must be an account in the SEPA area with bank_transfer ("+ibanCountry(b.IBAN)+" is not in it)")
	}
}
