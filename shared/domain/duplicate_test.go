package domain_test

import (
	"slices"
	"testing"
	"time"

	"github.com/paylinks/paylinks/shared/domain"
)

// original is a paid link made by NewLink with every option, its language
// changed apart from its customer's and its reminder on SMS.
func original(t *testing.T) *domain.Link {
	t.Helper()
	in := validInput()
	in.Reference, in.EndToEndID, in.RedirectURL = sp("ORDER-1"), sp("E2E-1"), sp("https://shop.example/thanks")
	in.Customer.Phone, in.Customer.Language = "+32470123456", "fr"
	in.PaymentMethods, in.Metadata = []string{"ideal"}, map[string]string{"order": "1"}
	in.Beneficiary = &domain.Beneficiary{Name: "Shop", IBAN: "BE71 0961 2345 6769"}
	in.SendChannel, in.Reminder = sp("sms"), &domain.ReminderInput{BeforeExpiryHours: ip(48)}
	l, _, err := domain.NewLink(in, shopSettings(), linkNow.Add(-60*24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	paid := linkNow.Add(-50 * 24 * time.Hour)
	l.Code, l.Status, l.PaidAt, l.Language, l.Origin, l.Version = "code", domain.StatusPaid, &paid, "de", domain.OriginInvoice, 3
	return l
}

func TestDuplicateCopiesTheLink(t *testing.T) {
	o := original(t)
	n, ev, err := domain.Duplicate(o, domain.DuplicateInput{Reference: sp("ORDER-2"), ExpiresInDays: ip(7)}, shopSettings(), linkNow)
	if err != nil {
		t.Fatal(err)
	}
	checkDupIsNew(t, n, o)
	checkDupCopiedFields(t, n, o)
	checkDupReminder(t, n)
	checkDupEvent(t, ev, n, o)
	checkDupSharesNothing(t, n, o) // last: it changes n
}

// checkDupIsNew: the duplicate is a new created link, from the API, with
// its own id, reference and expiry, never paid, nothing of the original's
// code, version or end-to-end id.
func checkDupIsNew(t *testing.T, n, o *domain.Link) {
	t.Helper()
	if n.ID == o.ID || n.Code != "" || n.Status != domain.StatusCreated || n.PaidAt != nil || n.Version != 0 || n.Origin != domain.OriginAPI ||
		n.Reference != "ORDER-2" || n.EndToEndID != "" || !n.CreatedAt.Equal(linkNow) || !n.ExpiresAt.Equal(linkNow.Add(7*24*time.Hour)) {
		t.Fatalf("new link %+v", n)
	}
}

// checkDupCopiedFields: amount, description, customer, language,
// beneficiary (a copy, not the same pointer), methods, redirect URL and
// metadata come from the original.
func checkDupCopiedFields(t *testing.T, n, o *domain.Link) {
	t.Helper()
	if n.Amount.String() != o.Amount.String() || n.Amount.Currency != o.Amount.Currency || n.Description != o.Description || n.Customer != o.Customer || n.Language != "de" ||
		*n.Beneficiary != *o.Beneficiary || n.Beneficiary == o.Beneficiary || !slices.Equal(n.PaymentMethods, o.PaymentMethods) ||
		n.RedirectURL != o.RedirectURL || n.Metadata["order"] != "1" {
		t.Fatalf("copied fields %+v\noriginal %+v", n, o)
	}
}

// checkDupReminder: the reminder keeps its hours before the new expiry
// and its channel.
func checkDupReminder(t *testing.T, n *domain.Link) {
	t.Helper()
	if n.ReminderAt == nil || !n.ReminderAt.Equal(n.ExpiresAt.Add(-48*time.Hour)) || n.ReminderChannel != "sms" {
		t.Fatalf("reminder %v %q", n.ReminderAt, n.ReminderChannel)
	}
}

// checkDupEvent: the creation event is on the new link and names the
// original and the origin.
func checkDupEvent(t *testing.T, ev domain.Event, n, o *domain.Link) {
	t.Helper()
	if ev.Type != domain.EventCreated || ev.LinkID != n.ID || ev.Data["duplicated_from"] != o.ID || ev.Data["origin"] != "api" {
		t.Fatalf("event %+v", ev)
	}
}

// checkDupSharesNothing: the copy shares nothing mutable with the
// original. It changes n's metadata and methods.
func checkDupSharesNothing(t *testing.T, n, o *domain.Link) {
	t.Helper()
	n.Metadata["order"], n.PaymentMethods[0] = "2", "card"
	if o.Metadata["order"] != "1" || o.PaymentMethods[0] != "ideal" {
		t.Fatalf("original changed through its duplicate: %+v", o)
	}
}

// The duplicate passes the create's checks against today's settings: a
// method since disabled, a reused reference's format, an expiry the
// reminder no longer fits, each names its field.
func TestDuplicateChecksAsACreate(t *testing.T) {
	o := original(t)
	s := shopSettings()
	s.PaymentMethods = []string{"card"}
	_, _, err := domain.Duplicate(o, domain.DuplicateInput{Reference: sp(""), ExpiresInDays: ip(1)}, s, linkNow)
	got := fieldsOf(t, err)
	want := []string{"payment_methods[0]", "reference", "reminder.before_expiry_hours"}
	if len(got) != len(want) {
		t.Fatalf("errors %v, want fields %v", got, want)
	}
	for i := range want {
		if got[i][:len(want[i])+1] != want[i]+":" {
			t.Fatalf("errors %v, want fields %v", got, want)
		}
	}
	// Without an expiry: the default, as a create.
	n, _, err := domain.Duplicate(o, domain.DuplicateInput{}, shopSettings(), linkNow)
	if err != nil || !n.ExpiresAt.Equal(linkNow.Add(domain.DefaultExpiry)) || n.Reference != "" {
		t.Fatalf("defaults: %v %+v", err, n)
	}
}
