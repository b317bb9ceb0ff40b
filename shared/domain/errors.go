package domain

import (
	"errors"
	"fmt"
	"strings"
)

// Business errors. Adapters return them (wrapped with context); the one HTTP
// adapter maps them to status codes (package problem).
var (
	// ErrNotFound is a resource the merchant does not have.
	ErrNotFound = errors.New("not found")
	// ErrDuplicateReference is a merchant order reference another link has.
	ErrDuplicateReference = errors.New("reference already used by another link")
	// ErrConflict is a link that changed between its read and its write.
	ErrConflict = errors.New("link changed concurrently")
	// ErrBadCursor is a listing cursor that the listing did not hand out.
	ErrBadCursor = errors.New("invalid cursor")
	// ErrUnknownFeedEvent is an event feed's `after` that names no event the
	// feed holds (never one of the merchant's, or no longer kept).
	ErrUnknownFeedEvent = errors.New("no such event in the feed")
	// ErrNotPaid is a refund of a link that is not paid.
	ErrNotPaid = errors.New("only a paid link can be refunded")
	// ErrRefundTooLarge is a refund above what is left to refund.
	ErrRefundTooLarge = errors.New("the refund is above what is left to refund")
	// ErrNotSendable is a send of a link that is paid, expired or archived.
	ErrNotSendable = errors.New("the link is paid, expired or archived")
	// ErrNoAddress is a send on a channel the customer has no address for.
	ErrNoAddress = errors.New("the customer has no address for this channel")
	// ErrUnavailable marks a dependency that is down, slow or throttling:
	// nothing was changed and the caller retries later. The adapter that
	// talks to the dependency (or the HTTP adapter that classifies its
	// error) wraps with it.
	ErrUnavailable = errors.New("dependency unavailable")
	// ErrAlreadyMember is an invitation of a person who is a member.
	ErrAlreadyMember = errors.New("this person is already a member")
	// ErrLastOwner is removing or demoting a merchant's only owner.
	ErrLastOwner = errors.New("a merchant keeps at least one owner: make another member owner first")
	// ErrOwnersOnly is a change to an owner (or making one) by a member
	// who is not an owner.
	ErrOwnersOnly = errors.New("only an owner may make, change or remove an owner")
)

// FieldError names one invalid field of an input by its JSON path.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// FieldErrors is every invalid field of one input; as an error it is a 422.
type FieldErrors []FieldError

// Error lists the fields.
func (f FieldErrors) Error() string {
	parts := make([]string, len(f))
	for i, e := range f {
		parts[i] = e.Field + " " + e.Message
	}
	return fmt.Sprintf("invalid fields: %s", strings.Join(parts, "; "))
}

// Add appends one field error.
func (f *FieldErrors) Add(field, msg string) {
	*f = append(*f, FieldError{Field: field, Message: msg})
}

// Err is f as an error, or nil when there are none.
func (f FieldErrors) Err() error {
	if len(f) == 0 {
		return nil
	}
	return f
}
