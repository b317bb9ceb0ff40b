// Package session is the dashboard's browser sessions as every function
// reads them: the dashboard pages and the API routes its pages call. A
// session is a random secret in an HttpOnly, Secure, SameSite=Lax cookie
// (only its hash is stored) with an idle and an absolute timeout; a
// request that changes anything also carries the session's CSRF token.
package session

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/store"
)

// Cookie is the session cookie's name: a __Host- cookie is Secure, for the
// whole host, and never set by a subdomain.
const Cookie = "__Host-paylinks_session"

// CSRFHeader carries the session's CSRF token on the API calls of the
// dashboard's pages that change something (forms carry it as the csrf
// field). A cross-site page can neither read the token nor send the header
// without a CORS preflight, which the API never grants.
const CSRFHeader = "Paylinks-CSRF"

// Timeouts of a session.
const (
	IdleTimeout     = 30 * time.Minute
	AbsoluteTimeout = 12 * time.Hour
	// touchEvery bounds the session writes of an active person.
	touchEvery = time.Minute
)

// ErrNone is a cookie with no live session behind it.
var ErrNone = errors.New("no live session")

// Store is what sessions are read from (store.Store).
type Store interface {
	GetSession(ctx context.Context, secret string) (store.Session, error)
	TouchSession(ctx context.Context, secret string, seen time.Time, merchant string) error
	DeleteSession(ctx context.Context, secret string) error
}

// Secret is the request's session secret ("" without a plausible cookie).
func Secret(r *http.Request) string {
	c, err := r.Cookie(Cookie)
	if err != nil || len(c.Value) < 40 || len(c.Value) > 100 {
		return ""
	}
	return c.Value
}

// Live reads the session of secret: ErrNone when there is none or it has
// ended (idle or past its absolute end: deleted now). An active session is
// touched at most once a minute (the idle timeout starts again).
func Live(ctx context.Context, st Store, secret string, now time.Time) (store.Session, error) {
	if secret == "" {
		return store.Session{}, ErrNone
	}
	s, err := st.GetSession(ctx, secret)
	if errors.Is(err, domain.ErrNotFound) {
		return store.Session{}, ErrNone
	}
	if err != nil {
		return store.Session{}, fmt.Errorf("read session: %w", err)
	}
	if Ended(s, now) {
		if err := st.DeleteSession(ctx, secret); err != nil {
			return store.Session{}, fmt.Errorf("end session: %w", err)
		}
		return store.Session{}, ErrNone
	}
	if now.Sub(s.Seen) > touchEvery {
		err := st.TouchSession(ctx, secret, now, "")
		if errors.Is(err, domain.ErrNotFound) {
			return store.Session{}, ErrNone
		}
		if err != nil {
			return store.Session{}, fmt.Errorf("touch session: %w", err)
		}
		s.Seen = now
	}
	return s, nil
}

// Ended reports a session past its absolute end or idle for too long.
func Ended(s store.Session, now time.Time) bool {
	return now.After(s.Ends) || now.Sub(s.Seen) > IdleTimeout
}

// SameToken compares two CSRF tokens in constant time; an empty one never
// matches.
func SameToken(a, b string) bool {
	return a != "" && b != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// Unsafe reports a method that may change something (the CSRF token is
// required).
func Unsafe(method string) bool {
	return method != http.MethodGet && method != http.MethodHead && method != http.MethodOptions
}
