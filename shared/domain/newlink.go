package domain

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/paylinks/paylinks/shared/bank/reference"
	"github.com/paylinks/paylinks/shared/money"
	"github.com/paylinks/paylinks/shared/validate"
)

// Metadata limits.
const (
	MaxMetadataPairs = 20
	MaxMetadataKey   = 40
	MaxMetadataValue = 500
)

// LinkInput is what a new link is made of, as given by the API, a CSV row or
// the dashboard: nil (or empty) members were not given.
type LinkInput struct {
	// Amount is the amount's JSON, {"currency", "value"} (money.Amount
	// reads it, so its errors name amount.currency or amount.value);
	// empty or null when not given.
	Amount         []byte
	Description    *string
	Reference      *string
	ExpiresAt      *string // RFC 3339
	ExpiresInDays  *int
	Customer       *Customer
	RedirectURL    *string
	Beneficiary    *Beneficiary
	EndToEndID     *string
	PaymentMethods []string
	Origin         *string
	Metadata       map[string]string
	// SendChannel is the channel the link is sent on when it is made.
	SendChannel *string
	// Reminder asks for a second-chance message before expiry.
	Reminder *ReminderInput
}

// ReminderInput asks for a reminder BeforeExpiryHours before the link
// expires.
type ReminderInput struct {
	BeforeExpiryHours *int
}

// LinkSettings are the merchant's settings a new link is checked against.
type LinkSettings struct {
	Merchant string
	PSP      string
	// PaymentMethods are the methods the merchant enabled.
	PaymentMethods     []string
	DefaultBeneficiary *Beneficiary
	// AllowsRedirectHost reports a host on the redirect allow-list.
	AllowsRedirectHost func(host string) bool
	// ReferenceFormat is the format of a bank transfer's reference
	// (ReferenceFormatFor); "" is the default beneficiary's default.
	ReferenceFormat reference.Format
}

func (s *LinkSettings) allowsMethod(m string) bool {
	for _, x := range s.PaymentMethods {
		if x == m {
			return true
		}
	}
	return false
}

// NewLink checks in against the merchant's settings at now and makes the
// link (without its public code) and its created event. It returns every
// invalid field as FieldErrors.
func NewLink(in *LinkInput, s *LinkSettings, now time.Time) (*Link, Event, error) {
	var errs FieldErrors
	l := &Link{Merchant: s.Merchant, Status: StatusCreated, Origin: OriginAPI, Language: "en",
		CreatedAt: now.UTC(), UpdatedAt: now.UTC(), PSP: s.PSP}
	linkAmount(l, in.Amount, &errs)
	linkTexts(l, in, &errs)
	linkExpiry(l, in, now, &errs)
	linkCustomer(l, in.Customer, &errs)
	linkPayout(l, in, s, &errs)
	linkMethods(l, in, s, &errs)
	bank := linkBank(l, in, s, &errs)
	linkMetadata(l, in.Metadata, &errs)
	linkSend(l, in, now, &errs)
	if len(errs) > 0 {
		return nil, Event{}, errs
	}
	l.ID = NewID(PrefixLink, now)
	if bank != "" {
		l.BankReference = BankReference(l.ID, 0, bank)
	}
	return l, NewEvent(l.ID, EventCreated, "", StatusCreated, now, map[string]string{"origin": string(l.Origin)}), nil
}

func linkAmount(l *Link, raw []byte, errs *FieldErrors) {
	if len(raw) == 0 || string(raw) == "null" {
		errs.Add("amount", "is required")
		return
	}
	if err := json.Unmarshal(raw, &l.Amount); err != nil {
		var fe *money.FieldError
		if errors.As(err, &fe) {
			errs.Add(strings.TrimSuffix("amount."+fe.Field, "."), fe.Msg)
		} else {
			errs.Add("amount", "must be an object {\"currency\", \"value\"}")
		}
		return
	}
	l.AmountRefunded = money.Zero(l.Amount.Currency)
	l.RefundCommitted = money.Zero(l.Amount.Currency)
}

func linkTexts(l *Link, in *LinkInput, errs *FieldErrors) {
	switch {
	case in.Description == nil:
		errs.Add("description", "is required")
	case !validate.PayerText(*in.Description, 140):
		errs.Add("description", "must be 1 to 140 characters shown to payers: not blank, no control or bidi override characters")
	default:
		l.Description = *in.Description
	}
	if in.Reference != nil {
		if !validate.Text(*in.Reference, 64) {
			errs.Add("reference", "must be 1 to 64 characters, no control characters")
		}
		l.Reference = *in.Reference
	}
}

func linkExpiry(l *Link, in *LinkInput, now time.Time, errs *FieldErrors) {
	var at *time.Time
	if in.ExpiresAt != nil {
		t, err := time.Parse(time.RFC3339, *in.ExpiresAt)
		if err != nil {
			errs.Add("expires_at", "must be an RFC 3339 time such as 2026-12-24T22:00:00Z")
			return
		}
		at = &t
	}
	exp, err := ResolveExpiry(now, at, in.ExpiresInDays)
	switch {
	case errors.Is(err, ErrExpiryDaysZero), errors.Is(err, ErrExpiryBoth):
		errs.Add("expires_in_days", err.Error())
	case err != nil:
		errs.Add("expires_at", err.Error())
	}
	l.ExpiresAt = exp.Truncate(time.Millisecond)
}

func linkCustomer(l *Link, c *Customer, errs *FieldErrors) {
	if c == nil {
		errs.Add("customer", "is required")
		return
	}
	CheckCustomer("customer", c, errs)
	l.Customer = *c
	if c.Language != "" {
		l.Language = c.Language
	}
}

// CheckCustomer checks who pays, naming fields under prefix.
func CheckCustomer(prefix string, c *Customer, errs *FieldErrors) {
	hasPerson := c.FirstName != "" || c.LastName != ""
	switch {
	case c.CompanyName == "" && !hasPerson:
		errs.Add(prefix, "needs first_name and last_name, or company_name")
	case hasPerson && c.FirstName == "":
		errs.Add(prefix+".first_name", "is required with last_name")
	case hasPerson && c.LastName == "":
		errs.Add(prefix+".last_name", "is required with first_name")
	}
	for field, v := range map[string]string{"first_name": c.FirstName, "last_name": c.LastName, "company_name": c.CompanyName} {
		if v != "" && !validate.PayerText(v, 100) {
			errs.Add(prefix+"."+field, "must be 1 to 100 characters shown to payers: not blank, no control or bidi override characters")
		}
	}
	checks := []struct {
		field, value string
		ok           func(string) bool
		msg          string
	}{
		{"email", c.Email, validate.Email, "must be an e-mail address such as ana@example.be"},
		{"phone", c.Phone, validate.Phone, "must be an E.164 number such as +32470123456"},
		{"language", c.Language, ValidLanguage, "must be one of en, nl, fr, de"},
		{"country", c.Country, validate.Country, "must be an assigned ISO 3166-1 alpha-2 code such as BE (GB for the United Kingdom)"},
	}
	for _, k := range checks {
		if k.value != "" && !k.ok(k.value) {
			errs.Add(prefix+"."+k.field, k.msg)
		}
	}
}

func linkPayout(l *Link, in *LinkInput, s *LinkSettings, errs *FieldErrors) {
	if in.RedirectURL != nil {
		if err := validate.RedirectURL(*in.RedirectURL, s.AllowsRedirectHost); err != nil {
			errs.Add("redirect_url", err.Error())
		}
		l.RedirectURL = *in.RedirectURL
	}
	if b := in.Beneficiary; b != nil {
		l.Beneficiary = CheckBeneficiary("beneficiary", b, errs)
	} else if s.DefaultBeneficiary != nil {
		nb := *s.DefaultBeneficiary
		l.Beneficiary = &nb
	}
	if in.EndToEndID != nil {
		if !validate.EndToEndID(*in.EndToEndID) {
			errs.Add("end_to_end_id", "must be 1 to 35 characters of the SEPA character set")
		}
		l.EndToEndID = *in.EndToEndID
	}
}

// CheckBeneficiary checks an account (name, IBAN checksum, BIC, bank) under field
// and returns it with the IBAN's spaces removed.
func CheckBeneficiary(field string, b *Beneficiary, errs *FieldErrors) *Beneficiary {
	if !validate.PayerText(b.Name, 70) {
		errs.Add(field+".name", "is required, at most 70 characters shown to payers: not blank, no control or bidi override characters")
	}
	if !validate.IBAN(b.IBAN) {
		errs.Add(field+".iban", "must be a valid IBAN (checksum checked)")
	}
	if b.BIC != "" && !validate.BIC(b.BIC) {
		errs.Add(field+".bic", "must be an 8 or 11 character BIC")
	}
	if b.Bank != "" && !validate.PayerText(b.Bank, 70) {
		errs.Add(field+".bank", "at most 70 characters shown to payers: not blank, no control or bidi override characters")
	}
	nb := *b
	nb.IBAN = strings.ReplaceAll(nb.IBAN, " ", "")
	return &nb
}

func linkMethods(l *Link, in *LinkInput, s *LinkSettings, errs *FieldErrors) {
	if in.PaymentMethods != nil {
		seen := map[string]bool{}
		if len(in.PaymentMethods) == 0 {
			errs.Add("payment_methods", "must not be empty when given")
		}
		for i, pm := range in.PaymentMethods {
			switch {
			case seen[pm]:
				errs.Add(fmt.Sprintf("payment_methods[%d]", i), "is listed twice")
			case !s.allowsMethod(pm):
				errs.Add(fmt.Sprintf("payment_methods[%d]", i), fmt.Sprintf("%q is not enabled for this merchant (enabled: %s)", pm, strings.Join(s.PaymentMethods, ", ")))
			}
			seen[pm] = true
		}
		l.PaymentMethods = in.PaymentMethods
	}
	if in.Origin != nil {
		if !Origin(*in.Origin).Valid() {
			errs.Add("origin", OriginMessage)
		}
		l.Origin = Origin(*in.Origin)
	}
}

func linkMetadata(l *Link, meta map[string]string, errs *FieldErrors) {
	if len(meta) > MaxMetadataPairs {
		errs.Add("metadata", fmt.Sprintf("has at most %d pairs", MaxMetadataPairs))
	}
	CheckMetadata(meta, errs)
	if len(meta) > 0 {
		l.Metadata = meta
	}
}

// CheckMetadata checks each metadata pair's key and value.
func CheckMetadata(meta map[string]string, errs *FieldErrors) {
	for k, v := range meta {
		if !validate.Text(k, MaxMetadataKey) {
			errs.Add("metadata."+k, fmt.Sprintf("keys are 1 to %d characters", MaxMetadataKey))
		} else if len(v) > MaxMetadataValue {
			errs.Add("metadata."+k, fmt.Sprintf("values are at most %d characters", MaxMetadataValue))
		}
	}
}

func linkSend(l *Link, in *LinkInput, now time.Time, errs *FieldErrors) {
	if in.SendChannel != nil {
		switch {
		case !ValidChannel(*in.SendChannel):
			errs.Add("send.channel", ChannelMessage)
		case l.Customer.Address(*in.SendChannel) == "":
			errs.Add("send.channel", "the customer has no address for this channel")
		}
	}
	if in.Reminder == nil {
		return
	}
	h := in.Reminder.BeforeExpiryHours
	switch {
	case h == nil:
		errs.Add("reminder.before_expiry_hours", "is required")
	case *h < 1 || *h > MaxExpiryDays*24:
		errs.Add("reminder.before_expiry_hours", "must be between 1 and 2160")
	case !l.ExpiresAt.IsZero() && !l.ExpiresAt.Add(-time.Duration(*h)*time.Hour).After(now):
		errs.Add("reminder.before_expiry_hours", "puts the reminder in the past: the link expires sooner")
	default:
		at := l.ExpiresAt.Add(-time.Duration(*h) * time.Hour)
		l.ReminderAt = &at
		l.ReminderChannel = l.Customer.DefaultChannel()
		if in.SendChannel != nil {
			l.ReminderChannel = *in.SendChannel
		}
		if l.ReminderChannel == "" {
			errs.Add("reminder", "the customer has no email or phone to remind")
		}
	}
}
