// Package linkview is a payment link as integrators see it: in API answers
// and in outbound webhooks alike.
package linkview

import (
	"slices"
	"time"

	"github.com/paylinks/paylinks/shared/bank/reference"
	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/money"
)

// View is a link as the API shows it.
type View struct {
	ID             string              `json:"id"`
	Object         string              `json:"object"`
	URL            string              `json:"url"`
	QRURL          string              `json:"qr_url"`
	Status         domain.Status       `json:"status"`
	Amount         money.Amount        `json:"amount"`
	AmountRefunded money.Amount        `json:"amount_refunded"`
	RefundState    string              `json:"refund_state"`
	Description    string              `json:"description"`
	Reference      *string             `json:"reference"`
	Customer       domain.Customer     `json:"customer"`
	Language       string              `json:"language"`
	RedirectURL    *string             `json:"redirect_url"`
	Beneficiary    *domain.Beneficiary `json:"beneficiary"`
	EndToEndID     *string             `json:"end_to_end_id"`
	PaymentMethods []string            `json:"payment_methods"`
	// BankTransfer is how to pay the link by bank transfer; left out for
	// a link that offers none.
	BankTransfer    *BankTransfer     `json:"bank_transfer,omitempty"`
	Origin          domain.Origin     `json:"origin"`
	Metadata        map[string]string `json:"metadata"`
	ExpiresAt       string            `json:"expires_at"`
	CreatedAt       string            `json:"created_at"`
	UpdatedAt       string            `json:"updated_at"`
	ClickedAt       *string           `json:"clicked_at"`
	ClickCount      int               `json:"click_count"`
	PaidAt          *string           `json:"paid_at"`
	PaidAfterExpiry bool              `json:"paid_after_expiry"`
	// PaymentMethod is how a paid link was paid (domain.Link.PaymentMethod:
	// "bank_transfer" for the bank), null when unknown or not paid.
	PaymentMethod *string  `json:"payment_method"`
	PSP           *string  `json:"psp"`
	PSPReference  *string  `json:"psp_reference"`
	FailureReason *string  `json:"failure_reason"`
	Archived      bool     `json:"archived"`
	ReminderAt    *string  `json:"reminder_at"`
	SentChannels  []string `json:"sent_channels"`
	LastSentAt    *string  `json:"last_sent_at"`
}

// BankTransfer is what a payer needs to pay a link by bank transfer.
type BankTransfer struct {
	// Reference is the structured reference in its print form ("RF18 5390
	// 0754 7034", "+++090/9337/55493+++").
	Reference   string          `json:"reference"`
	Beneficiary BankBeneficiary `json:"beneficiary"`
	// QRURL is the link's EPC QR code (also .svg).
	QRURL string `json:"qr_url"`
}

// BankBeneficiary is the account a bank transfer goes to.
type BankBeneficiary struct {
	Name string `json:"name"`
	IBAN string `json:"iban"`
	BIC  string `json:"bic"`
}

// BankTransferOf is how to pay l by bank transfer (nil when l offers
// none); baseURL is the public base of its QR code.
func BankTransferOf(l *domain.Link, baseURL string) *BankTransfer {
	if !l.OffersBankTransfer() || l.Beneficiary == nil {
		return nil
	}
	printed, err := reference.Print(l.BankReference)
	if err != nil {
		printed = l.BankReference // never: the reference was made valid
	}
	b := l.Beneficiary
	return &BankTransfer{Reference: printed, Beneficiary: BankBeneficiary{Name: b.Name, IBAN: b.IBAN, BIC: b.BIC},
		QRURL: baseURL + "/l/" + l.Code + "/epc.png"}
}

// RFC3339 formats a time as the API does (UTC, seconds).
func RFC3339(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func rfcp(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := RFC3339(*t)
	return &s
}

func strp(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// Of is the view of l; baseURL is the public base of its url and qr_url.
func Of(l *domain.Link, baseURL string) View {
	meta := l.Metadata
	if meta == nil {
		meta = map[string]string{}
	}
	methods := l.PaymentMethods
	if methods == nil {
		methods = []string{}
	}
	return View{
		ID: l.ID, Object: "payment_link", URL: baseURL + "/l/" + l.Code, QRURL: baseURL + "/l/" + l.Code + "/qr.png",
		Status: l.Status, Amount: l.Amount, AmountRefunded: l.AmountRefunded, RefundState: l.RefundState(), Description: l.Description,
		Reference: strp(l.Reference), Customer: l.Customer, Language: l.Language, RedirectURL: strp(l.RedirectURL),
		Beneficiary: l.Beneficiary, EndToEndID: strp(l.EndToEndID), PaymentMethods: methods, BankTransfer: BankTransferOf(l, baseURL), Origin: l.Origin,
		Metadata: meta, ExpiresAt: RFC3339(l.ExpiresAt), CreatedAt: RFC3339(l.CreatedAt), UpdatedAt: RFC3339(l.UpdatedAt),
		ClickedAt: rfcp(l.ClickedAt), ClickCount: l.ClickCount, PaidAt: rfcp(l.PaidAt), PaidAfterExpiry: l.PaidAfterExpiry, PaymentMethod: strp(l.PaymentMethod()),
		PSP: strp(l.PSP), PSPReference: strp(l.PSPReference), FailureReason: strp(l.FailureReason), Archived: l.Archived, ReminderAt: rfcp(l.ReminderAt),
		SentChannels: sentChannels(l), LastSentAt: rfcp(l.LastSentAt),
	}
}

// sentChannels is the link's channels, sorted, never null.
func sentChannels(l *domain.Link) []string {
	out := append([]string{}, l.SentChannels...)
	slices.Sort(out)
	return out
}
