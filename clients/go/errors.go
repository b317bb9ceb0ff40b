package paylinks

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// Error is an answer of the API with a status 400 or above: its
// problem+json (RFC 9457) body. Use errors.As to get it:
//
//	var pe *paylinks.Error
//	if errors.As(err, &pe) && pe.Status == 404 { ... }
type Error struct {
	Status int
	// Type is a URI naming the kind of problem; Title its summary.
	Type, Title string
	Detail      string
	// Errors names each field of the request that was refused (422).
	Errors []FieldError
	// MissingPermission is, on a 403, the permission the API key lacks.
	MissingPermission string
}

// FieldError is one refused field of a request.
type FieldError struct {
	Field, Message string
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "paylinks: %d %s", e.Status, e.Title)
	if e.Detail != "" {
		b.WriteString(": " + e.Detail)
	}
	for _, f := range e.Errors {
		fmt.Fprintf(&b, "; %s: %s", f.Field, f.Message)
	}
	if e.MissingPermission != "" {
		b.WriteString("; missing permission " + e.MissingPermission)
	}
	return b.String()
}

// parseError makes the *Error of an answer: its problem+json, or (a proxy's
// page, an empty body) the status and the start of the body.
func parseError(status int, body []byte) *Error {
	var p struct {
		Type              string       `json:"type"`
		Title             string       `json:"title"`
		Status            int          `json:"status"`
		Detail            string       `json:"detail"`
		Errors            []FieldError `json:"errors"`
		MissingPermission string       `json:"missing_permission"`
	}
	e := &Error{Status: status}
	if json.Unmarshal(body, &p) != nil || p.Title == "" {
		e.Type, e.Title = "about:blank", http.StatusText(status)
		if len(body) > 200 {
			body = append(body[:200:200], "..."...)
		}
		e.Detail = string(body)
		return e
	}
	e.Type, e.Title, e.Detail, e.Errors, e.MissingPermission = p.Type, p.Title, p.Detail, p.Errors, p.MissingPermission
	return e
}
