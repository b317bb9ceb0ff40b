package domain_test

import (
	"errors"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/paylinks/paylinks/shared/domain"
)

var linkNow = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

func shopSettings() *domain.LinkSettings {
	return &domain.LinkSettings{Merchant: "shop", PSP: "sandbox", PaymentMethods: []string{"card", "ideal"},
		AllowsRedirectHost: func(h string) bool { return h == "shop.example" || strings.HasSuffix(h, ".shop.example") }}
}

func sp(s string) *string { return &s }
func ip(n int) *int       { return &n }

// validInput is a link every rule accepts; each case breaks it.
func validInput() *domain.LinkInput {
	return &domain.LinkInput{Amount: []byte(`{"currency":"EUR","value":"12.50"}`), Description: sp("Invoice 1"),
		Customer: &domain.Customer{FirstName: "Ana", LastName: "Peeters", Email: "ana@example.be"}}
}

func fieldsOf(t *testing.T, err error) []string {
	t.Helper()
	var fe domain.FieldErrors
	if !errors.As(err, &fe) {
		t.Fatalf("error %v is not field errors", err)
	}
	out := make([]string, len(fe))
	for i, e := range fe {
		out[i] = e.Field + ": " + e.Message
	}
	sort.Strings(out)
	return out
}

func TestNewLinkValid(t *testing.T) {
	in := validInput()
	in.SendChannel = sp("email")
	in.Reminder = &domain.ReminderInput{BeforeExpiryHours: ip(24)}
	in.Beneficiary = &domain.Beneficiary{Name: "Shop", IBAN: "BE71 0961 2345 6769"}
	l, ev, err := domain.NewLink(in, shopSettings(), linkNow)
	if err != nil {
		t.Fatal(err)
	}
	if l.Merchant != "shop" || l.Status != domain.StatusCreated || l.Origin != domain.OriginAPI || l.Amount.String() != "12.50" ||
		l.Language != "en" || l.PSP != "sandbox" || !domain.ValidID(domain.PrefixLink, l.ID) {
		t.Errorf("link %+v", l)
	}
	if !l.ExpiresAt.Equal(linkNow.Add(domain.DefaultExpiry)) {
		t.Errorf("expires %v", l.ExpiresAt)
	}
	if l.ReminderAt == nil || !l.ReminderAt.Equal(l.ExpiresAt.Add(-24*time.Hour)) || l.ReminderChannel != "email" {
		t.Errorf("reminder %v %q", l.ReminderAt, l.ReminderChannel)
	}
	if l.Beneficiary.IBAN != "BE71096123456769" {
		t.Errorf("IBAN kept as %q", l.Beneficiary.IBAN)
	}
	if ev.Type != domain.EventCreated || ev.LinkID != l.ID || ev.To != domain.StatusCreated || ev.Data["origin"] != "api" {
		t.Errorf("event %+v", ev)
	}
}

func TestNewLinkFieldErrors(t *testing.T) {
	cases := []struct {
		name   string
		change func(*domain.LinkInput)
		want   []string
	}{
		{"no amount", func(in *domain.LinkInput) { in.Amount = nil }, []string{"amount: is required"}},
		{"null amount", func(in *domain.LinkInput) { in.Amount = []byte("null") }, []string{"amount: is required"}},
		{"amount not an object", func(in *domain.LinkInput) { in.Amount = []byte(`"12"`) }, []string{`amount: must be an object {"currency", "value"}`}},
		{"unknown currency", func(in *domain.LinkInput) { in.Amount = []byte(`{"currency":"XXY","value":"1"}`) },
			[]string{`amount.currency: "XXY" is not an ISO 4217 currency code`}},
		{"too many decimals", func(in *domain.LinkInput) { in.Amount = []byte(`{"currency":"JPY","value":"1.5"}`) },
			[]string{"amount.value: JPY allows at most 0 decimals"}},
		{"no description", func(in *domain.LinkInput) { in.Description = nil }, []string{"description: is required"}},
		{"blank description", func(in *domain.LinkInput) { in.Description = sp("  ") },
			[]string{"description: must be 1 to 140 characters shown to payers: not blank, no control or bidi override characters"}},
		{"reference with a control character", func(in *domain.LinkInput) { in.Reference = sp("a\x01") },
			[]string{"reference: must be 1 to 64 characters, no control characters"}},
		{"expires_at not RFC 3339", func(in *domain.LinkInput) { in.ExpiresAt = sp("tomorrow") },
			[]string{"expires_at: must be an RFC 3339 time such as 2026-12-24T22:00:00Z"}},
		{"expires_at too soon", func(in *domain.LinkInput) { in.ExpiresAt = sp(linkNow.Add(time.Minute).Format(time.RFC3339)) },
			[]string{"expires_at: " + domain.ErrExpiryTooSoon.Error()}},
		{"both expiries", func(in *domain.LinkInput) {
			in.ExpiresAt, in.ExpiresInDays = sp(linkNow.Add(48*time.Hour).Format(time.RFC3339)), ip(3)
		}, []string{"expires_in_days: " + domain.ErrExpiryBoth.Error()}},
		{"zero days", func(in *domain.LinkInput) { in.ExpiresInDays = ip(0) }, []string{"expires_in_days: " + domain.ErrExpiryDaysZero.Error()}},
		{"no customer", func(in *domain.LinkInput) { in.Customer = nil }, []string{"customer: is required"}},
		{"nameless customer", func(in *domain.LinkInput) { in.Customer = &domain.Customer{Email: "a@b.be"} },
			[]string{"customer: needs first_name and last_name, or company_name"}},
		{"first name only", func(in *domain.LinkInput) { in.Customer.LastName = "" }, []string{"customer.last_name: is required with first_name"}},
		{"last name only", func(in *domain.LinkInput) { in.Customer.FirstName = "" }, []string{"customer.first_name: is required with last_name"}},
		{"bad contact", func(in *domain.LinkInput) {
			in.Customer.Email, in.Customer.Phone, in.Customer.Language, in.Customer.Country = "ana", "0470", "es", "UK"
		}, []string{"customer.country: must be an assigned ISO 3166-1 alpha-2 code such as BE (GB for the United Kingdom)",
			"customer.email: must be an e-mail address such as ana@example.be", "customer.language: must be one of en, nl, fr, de",
			"customer.phone: must be an E.164 number such as +32470123456"}},
		{"redirect off the allow-list", func(in *domain.LinkInput) { in.RedirectURL = sp("https://evil.example/x") },
			[]string{"redirect_url: host is not on the merchant's redirect allow-list"}},
		{"bad beneficiary", func(in *domain.LinkInput) {
			in.Beneficiary = &domain.Beneficiary{Name: "", IBAN: "BE00", BIC: "X", Bank: "\u202eknaB"}
		},
			[]string{"beneficiary.bank: at most 70 characters shown to payers: not blank, no control or bidi override characters",
				"beneficiary.bic: must be an 8 or 11 character BIC",
				"beneficiary.iban: must be a valid IBAN (checksum checked)",
				"beneficiary.name: is required, at most 70 characters shown to payers: not blank, no control or bidi override characters"}},
		{"bad end_to_end_id", func(in *domain.LinkInput) { in.EndToEndID = sp(strings.Repeat("x", 36)) },
			[]string{"end_to_end_id: must be 1 to 35 characters of the SEPA character set"}},
		{"empty methods", func(in *domain.LinkInput) { in.PaymentMethods = []string{} }, []string{"payment_methods: must not be empty when given"}},
		{"methods twice and not enabled", func(in *domain.LinkInput) { in.PaymentMethods = []string{"card", "card", "klarna"} },
			[]string{"payment_methods[1]: is listed twice", `payment_methods[2]: "klarna" is not enabled for this merchant (enabled: card, ideal)`}},
		{"unknown origin", func(in *domain.LinkInput) { in.Origin = sp("fax") },
			[]string{"origin: must be one of api, import, dashboard, dunning, invoice, first_payment, card_renewal"}},
		{"metadata", func(in *domain.LinkInput) {
			in.Metadata = map[string]string{"": "x", "k": strings.Repeat("v", 501)}
		}, []string{"metadata.: keys are 1 to 40 characters", "metadata.k: values are at most 500 characters"}},
		{"unknown channel", func(in *domain.LinkInput) { in.SendChannel = sp("fax") }, []string{"send.channel: must be one of email, sms, whatsapp"}},
		{"channel without address", func(in *domain.LinkInput) { in.SendChannel = sp("sms") },
			[]string{"send.channel: the customer has no address for this channel"}},
		{"reminder without hours", func(in *domain.LinkInput) { in.Reminder = &domain.ReminderInput{} },
			[]string{"reminder.before_expiry_hours: is required"}},
		{"reminder out of range", func(in *domain.LinkInput) { in.Reminder = &domain.ReminderInput{BeforeExpiryHours: ip(2161)} },
			[]string{"reminder.before_expiry_hours: must be between 1 and 2160"}},
		{"reminder in the past", func(in *domain.LinkInput) {
			in.ExpiresInDays, in.Reminder = ip(1), &domain.ReminderInput{BeforeExpiryHours: ip(24)}
		}, []string{"reminder.before_expiry_hours: puts the reminder in the past: the link expires sooner"}},
		{"reminder without an address", func(in *domain.LinkInput) {
			in.Customer.Email, in.Reminder = "", &domain.ReminderInput{BeforeExpiryHours: ip(24)}
		}, []string{"reminder: the customer has no email or phone to remind"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := validInput()
			c.change(in)
			l, _, err := domain.NewLink(in, shopSettings(), linkNow)
			if l != nil {
				t.Fatalf("made a link: %+v", l)
			}
			got := fieldsOf(t, err)
			sort.Strings(c.want)
			if strings.Join(got, "\n") != strings.Join(c.want, "\n") {
				t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(c.want, "\n"))
			}
		})
	}
}

// TestNewLinkReportsEveryField: one input wrong everywhere names every field
// at once.
func TestNewLinkReportsEveryField(t *testing.T) {
	in := &domain.LinkInput{Reference: sp(""), Origin: sp("x"), SendChannel: sp("fax")}
	_, _, err := domain.NewLink(in, shopSettings(), linkNow)
	got := strings.Join(fieldsOf(t, err), "\n")
	for _, f := range []string{"amount:", "description:", "reference:", "customer:", "origin:", "send.channel:"} {
		if !strings.Contains(got, f) {
			t.Errorf("no %s in\n%s", f, got)
		}
	}
}
