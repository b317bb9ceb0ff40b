// Package redirect composes the public links' function (/l/{code}).
package redirect

import (
	"net/http"

	"github.com/paylinks/paylinks/shared/boot"
	"github.com/paylinks/paylinks/shared/compose/psps"
	"github.com/paylinks/paylinks/shared/redirect"
)

// New is the customer pages' handler.
func New(e *boot.Env) *redirect.Handler {
	h := redirect.New(e.Store(), psps.New(e), e.PublicBaseURL())
	h.Codes = e.LinkCodes()
	h.Now = e.Clock.Now
	return h
}

// Handler is what the function serves.
func Handler(h *redirect.Handler) http.Handler {
	mux := http.NewServeMux()
	h.Routes(mux)
	return mux
}
