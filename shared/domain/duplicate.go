package domain

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"time"
)

// DuplicateInput is what a duplicate may set: a new reference (the
// original's is unique, so never copied) and its expiry in days (nil: the
// default of a new link).
type DuplicateInput struct {
	Reference     *string
	ExpiresInDays *int
}

// DataDuplicatedFrom names, in a duplicate's created event, the link it was
// made from.
const DataDuplicatedFrom = "duplicated_from"

// ActionDuplicated is the audit log's action for a duplicate (recorded on
// the new link; its created event stays payment_link.created for the
// outbound webhooks).
const ActionDuplicated = "payment_link.duplicated"

// Duplicate makes a new link from orig (in any status): the same amount,
// description, customer, language, beneficiary, payment methods, redirect
// URL, reminder (as hours before expiry, on the same channel) and metadata,
// with a new id, expiry and creation time, checked by NewLink against the
// merchant's settings of today exactly as a create. The end-to-end id names
// one transfer and, like the reference, is not copied; the origin is api.
// The created event names the original (DataDuplicatedFrom).
func Duplicate(orig *Link, d DuplicateInput, s *LinkSettings, now time.Time) (*Link, Event, error) {
	amount, err := json.Marshal(orig.Amount)
	if err != nil {
		return nil, Event{}, fmt.Errorf("amount of %s: %w", orig.ID, err)
	}
	desc, cust := orig.Description, orig.Customer
	in := &LinkInput{Amount: amount, Description: &desc, Reference: d.Reference, ExpiresInDays: d.ExpiresInDays, Customer: &cust,
		PaymentMethods: slices.Clone(orig.PaymentMethods), Metadata: maps.Clone(orig.Metadata)}
	if orig.RedirectURL != "" {
		u := orig.RedirectURL
		in.RedirectURL = &u
	}
	if orig.Beneficiary != nil {
		b := *orig.Beneficiary
		in.Beneficiary = &b
	}
	if orig.ReminderAt != nil {
		h := int(orig.ExpiresAt.Sub(*orig.ReminderAt) / time.Hour)
		in.Reminder = &ReminderInput{BeforeExpiryHours: &h}
	}
	l, ev, err := NewLink(in, s, now)
	if err != nil {
		return nil, ev, err
	}
	// What a create takes from elsewhere: the language changed since
	// (PATCH), and the reminder's channel when the link was sent on another
	// than the customer's first (both were checked when set).
	if ValidLanguage(orig.Language) {
		l.Language = orig.Language
	}
	if l.ReminderAt != nil && orig.ReminderChannel != "" && l.Customer.Address(orig.ReminderChannel) != "" {
		l.ReminderChannel = orig.ReminderChannel
	}
	ev.Data[DataDuplicatedFrom] = orig.ID
	return l, ev, nil
}
