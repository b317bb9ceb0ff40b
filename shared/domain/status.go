// Package domain holds the payment link, its status machine, origins, expiry
// rules and identifiers. It does no I/O.
package domain

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Status is where a link is in its life.
type Status string

// The statuses of docs/api.md (Payment links).
const (
	StatusCreated  Status = "created"
	StatusClicked  Status = "clicked"
	StatusPaid     Status = "paid"
	StatusDeclined Status = "declined"
	StatusExpired  Status = "expired"
)

// Statuses lists every status, in life order.
var Statuses = []Status{StatusCreated, StatusClicked, StatusPaid, StatusDeclined, StatusExpired}

// ErrTransition is returned for a move the status machine refuses.
var ErrTransition = errors.New("status transition not allowed")

// allowed[to] lists the statuses a link may move to `to` from. Forward only:
// nothing leaves paid; expired only leaves for paid (money that moved is never
// lost); declined may be reopened (clicked) and retried. It is the one table
// of the status machine: the store builds its DynamoDB conditions from it.
var allowed = map[Status][]Status{
	StatusClicked:  {StatusCreated, StatusDeclined},
	StatusPaid:     {StatusCreated, StatusClicked, StatusDeclined, StatusExpired},
	StatusDeclined: {StatusCreated, StatusClicked},
	StatusExpired:  {StatusCreated, StatusClicked, StatusDeclined},
}

// From returns the statuses from which a link may move to `to`, in life
// order. The slice is the caller's own: changing it changes no rule.
func From(to Status) []Status { return slices.Clone(allowed[to]) }

// FromOpen is the part of From(to) in which the link is still open: the
// ordinary moves.
func FromOpen(to Status) []Status {
	return slices.DeleteFunc(From(to), func(s Status) bool { return !s.Open() })
}

// FromClosed is the part of From(to) in which the link is no longer open:
// only a payment that arrives after the link expired (paid after expiry).
func FromClosed(to Status) []Status {
	return slices.DeleteFunc(From(to), Status.Open)
}

// deletable: a link that nobody opened can be deleted for good.
var deletable = []Status{StatusCreated}

// refundable: only a paid link received money to give back.
var refundable = []Status{StatusPaid}

// Deletable lists the statuses in which a link may be deleted for good.
func Deletable() []Status { return slices.Clone(deletable) }

// CanDelete reports whether l may be deleted for good (204) rather than
// archived: never opened, and not a dunning link (those are kept).
func CanDelete(l *Link) bool {
	return slices.Contains(deletable, l.Status) && l.Origin != OriginDunning
}

// Refundable lists the statuses in which a link may be refunded.
func Refundable() []Status { return slices.Clone(refundable) }

// CanRefund reports whether a link in s may be refunded.
func CanRefund(s Status) bool { return slices.Contains(refundable, s) }

// CanTransition reports whether from -> to is allowed.
func CanTransition(from, to Status) bool {
	for _, s := range allowed[to] {
		if s == from {
			return true
		}
	}
	return false
}

// CheckTransition is CanTransition as an error.
func CheckTransition(from, to Status) error {
	if !CanTransition(from, to) {
		return fmt.Errorf("%w: %s -> %s", ErrTransition, from, to)
	}
	return nil
}

// Valid reports a known status.
func (s Status) Valid() bool {
	for _, k := range Statuses {
		if k == s {
			return true
		}
	}
	return false
}

// Open reports a status in which the link can still be paid and can expire.
func (s Status) Open() bool {
	return s == StatusCreated || s == StatusClicked || s == StatusDeclined
}

// Origin says where a link came from.
type Origin string

// Origins of docs/api.md (Payment links).
const (
	OriginAPI          Origin = "api"
	OriginImport       Origin = "import"
	OriginDashboard    Origin = "dashboard"
	OriginDunning      Origin = "dunning"
	OriginInvoice      Origin = "invoice"
	OriginFirstPayment Origin = "first_payment"
	OriginCardRenewal  Origin = "card_renewal"
)

// Origins lists every origin.
var Origins = []Origin{OriginAPI, OriginImport, OriginDashboard, OriginDunning, OriginInvoice, OriginFirstPayment, OriginCardRenewal}

// OriginMessage is the error of an unknown origin: the known ones.
var OriginMessage = func() string {
	names := make([]string, len(Origins))
	for i, o := range Origins {
		names[i] = string(o)
	}
	return "must be one of " + strings.Join(names, ", ")
}()

// Valid reports a known origin.
func (o Origin) Valid() bool {
	for _, k := range Origins {
		if k == o {
			return true
		}
	}
	return false
}

// Languages the pages and messages speak.
var Languages = []string{"en", "nl", "fr", "de"}

// ValidLanguage reports a supported language.
func ValidLanguage(l string) bool {
	for _, k := range Languages {
		if k == l {
			return true
		}
	}
	return false
}
