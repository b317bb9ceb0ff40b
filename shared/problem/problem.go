// Package problem writes RFC 9457 problem+json answers and maps the
// domain's business and field errors to HTTP status codes, in this one
// place. It depends on domain only.
package problem

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"

	"github.com/paylinks/paylinks/shared/domain"
)

// RetryAfter is the seconds a 503 asks the caller to wait.
const RetryAfter = 2

// Problem is an RFC 9457 problem detail.
type Problem struct {
	Type   string              `json:"type"`
	Title  string              `json:"title"`
	Status int                 `json:"status"`
	Detail string              `json:"detail,omitempty"`
	Errors []domain.FieldError `json:"errors,omitempty"`
	// MissingPermission names the permission a 403 lacked (docs/api.md).
	MissingPermission domain.Permission `json:"missing_permission,omitempty"`
	// RetryAfter, in seconds, is sent as the Retry-After header (429, 503).
	RetryAfter int `json:"-"`
}

func (p *Problem) Error() string { return p.Title + ": " + p.Detail }

// New makes a problem of a status with a detail.
func New(status int, detail string) *Problem {
	return &Problem{Type: typeFor(status), Title: http.StatusText(status), Status: status, Detail: detail}
}

// Forbidden is a 403 naming the permission the caller lacks.
func Forbidden(missing domain.Permission) *Problem {
	p := New(http.StatusForbidden, "the API key or the member's role lacks the permission "+string(missing))
	p.MissingPermission = missing
	return p
}

// Invalid is a 422 naming fields.
func Invalid(errs ...domain.FieldError) *Problem {
	p := New(http.StatusUnprocessableEntity, "the request has invalid fields")
	p.Errors = errs
	return p
}

func typeFor(status int) string {
	switch status {
	case 400:
		return "https://paylinks.dev/problems/malformed-request"
	case 401:
		return "https://paylinks.dev/problems/unauthorized"
	case 403:
		return "https://paylinks.dev/problems/forbidden"
	case 404:
		return "https://paylinks.dev/problems/not-found"
	case 409:
		return "https://paylinks.dev/problems/conflict"
	case 413:
		return "https://paylinks.dev/problems/too-large"
	case 415:
		return "https://paylinks.dev/problems/unsupported-media-type"
	case 422:
		return "https://paylinks.dev/problems/invalid-request"
	case 429:
		return "https://paylinks.dev/problems/rate-limited"
	case 503:
		return "https://paylinks.dev/problems/unavailable"
	default:
		return "about:blank"
	}
}

// From maps an error to a problem: a *Problem as it is, domain's field
// errors to a 422 naming them, domain's business errors to their codes,
// anything else to 500 (whose detail hides the cause). A dependency that is
// down is a 503 only when it is marked domain.ErrUnavailable: the HTTP
// adapter classifies the AWS and network errors before it calls From.
func From(err error) *Problem {
	var p *Problem
	var fe domain.FieldErrors
	var exceeds *domain.ExceedsError
	switch {
	case errors.As(err, &p):
		return p
	case errors.As(err, &fe):
		return Invalid(fe...)
	case errors.Is(err, domain.ErrNotFound):
		return New(http.StatusNotFound, "no such resource")
	case errors.Is(err, domain.ErrDuplicateReference):
		return &Problem{Type: typeFor(409), Title: "Conflict", Status: 409, Detail: err.Error(), Errors: []domain.FieldError{{Field: "reference", Message: "is already used by another link"}}}
	case errors.Is(err, domain.ErrBadCursor):
		return &Problem{Type: typeFor(400), Title: "Bad Request", Status: 400, Detail: "the cursor is not one this listing handed out", Errors: []domain.FieldError{{Field: "cursor", Message: "is invalid"}}}
	case errors.Is(err, domain.ErrUnknownFeedEvent):
		return &Problem{Type: typeFor(404), Title: "Not Found", Status: 404, Detail: "the event named by after is not in the feed (unknown, or older than the feed keeps); read from the start without after",
			Errors: []domain.FieldError{{Field: "after", Message: "is not an event of the feed"}}}
	case errors.Is(err, domain.ErrConflict):
		return New(http.StatusConflict, "the link changed concurrently; retry")
	case errors.Is(err, domain.ErrNotSendable):
		return New(http.StatusConflict, "the link is paid, expired or archived: it is not sent")
	case errors.Is(err, domain.ErrNoAddress):
		return &Problem{Type: typeFor(422), Title: "Unprocessable Entity", Status: 422, Detail: err.Error(), Errors: []domain.FieldError{{Field: "channel", Message: "the customer has no address for this channel"}}}
	case errors.Is(err, domain.ErrNotPaid):
		return New(http.StatusConflict, "only a paid link can be refunded")
	case errors.Is(err, domain.ErrRefundTooLarge):
		return &Problem{Type: typeFor(422), Title: "Unprocessable Entity", Status: 422, Detail: err.Error(), Errors: []domain.FieldError{{Field: "amount.value", Message: "is above what is left to refund"}}}
	case errors.Is(err, domain.ErrAlreadyMember):
		return &Problem{Type: typeFor(409), Title: "Conflict", Status: 409, Detail: err.Error(), Errors: []domain.FieldError{{Field: "email", Message: "is already a member"}}}
	case errors.Is(err, domain.ErrLastOwner):
		return New(http.StatusConflict, err.Error())
	case errors.Is(err, domain.ErrOwnersOnly), errors.Is(err, domain.ErrMFARequired), errors.Is(err, domain.ErrMFAOwnersOnly), errors.Is(err, domain.ErrLastOwnerLeaves):
		return ofPeople(err)
	case errors.As(err, &exceeds):
		p := Forbidden(exceeds.Missing)
		p.Detail = exceeds.Error()
		return p
	case errors.Is(err, domain.ErrCustomerArchived):
		return &Problem{Type: typeFor(409), Title: "Conflict", Status: 409, Detail: err.Error(), Errors: []domain.FieldError{{Field: "customer_id", Message: "is archived or erased"}}}
	case errors.Is(err, domain.ErrTransition):
		return New(http.StatusConflict, err.Error())
	case errors.Is(err, domain.ErrUnavailable):
		p := New(http.StatusServiceUnavailable, "a service paylinks depends on did not answer in time; nothing was changed, retry after the Retry-After seconds")
		p.RetryAfter = RetryAfter
		return p
	default:
		return New(http.StatusInternalServerError, "internal error")
	}
}

// ofPeople is the problem of a refusal of the people's rules (owners, two-step
// verification, the last owner).
func ofPeople(err error) *Problem {
	switch {
	case errors.Is(err, domain.ErrMFAOwnersOnly):
		return &Problem{Type: typeFor(403), Title: "Forbidden", Status: 403, Detail: err.Error(), Errors: []domain.FieldError{{Field: "require_mfa", Message: "may be changed by an owner only"}}}
	case errors.Is(err, domain.ErrLastOwnerLeaves):
		return New(http.StatusConflict, err.Error())
	}
	return New(http.StatusForbidden, err.Error())
}

// Write sends p as application/problem+json.
func Write(w http.ResponseWriter, p *Problem) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	if p.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(p.RetryAfter))
	}
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p)
}
