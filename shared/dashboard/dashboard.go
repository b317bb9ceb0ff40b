// Package dashboard is the merchant dashboard at /dashboard: members sign in
// with the user pool (Cognito; moto in make dev and the tests) and work in a
// server-side session. Sessions: a random secret in an HttpOnly, Secure,
// SameSite=Lax cookie (only its hash is stored), an idle and an absolute
// timeout, a CSRF token on every form; signing out ends the session and
// revokes the person's refresh tokens in the pool.
package dashboard

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/paylinks/paylinks/shared/cognito"
	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/identity"
	"github.com/paylinks/paylinks/shared/merchant"
	"github.com/paylinks/paylinks/shared/reqlog"
	"github.com/paylinks/paylinks/shared/session"
	"github.com/paylinks/paylinks/shared/store"
)

// Session timeouts (package session).
const (
	IdleTimeout     = session.IdleTimeout
	AbsoluteTimeout = session.AbsoluteTimeout
)

// Cookie names: __Host- cookies are Secure, for the whole host, and never
// set by a subdomain.
const (
	SessionCookie = session.Cookie
	// preCSRFCookie carries the sign-in forms' CSRF token before there is a
	// session (double submit).
	preCSRFCookie = "__Host-paylinks_signin"
)

// Directory is the user pool as the dashboard uses it (cognito.Directory).
type Directory interface {
	SignIn(ctx context.Context, email, password string) (cognito.Step, error)
	Respond(ctx context.Context, challenge, email, session, answer string) (cognito.Step, error)
	SignOut(ctx context.Context, username string) error
	HasTOTP(ctx context.Context, email string) (bool, error)
	AssociateTOTP(ctx context.Context, accessToken string) (string, error)
	VerifyTOTP(ctx context.Context, accessToken, code string) error
}

// Store is what the dashboard's own routes need of the table: the
// sign-in's throttle, sessions, people and their second step, joining or
// declining an invitation, the merchant's settings, the audit log (the
// pages' data comes from the API). *store.Store is one.
type Store interface {
	Attempt(ctx context.Context, now time.Time, gates ...store.Gate) (time.Duration, error)
	Settle(ctx context.Context, reset, refund []store.Gate) error
	session.Store // reading, touching and ending a session
	PutSession(ctx context.Context, secret string, se store.Session) error
	EndMFASetup(ctx context.Context, secret string) error
	Person(ctx context.Context, sub string) (domain.Person, error)
	PersonUsesMFA(ctx context.Context, sub string, at time.Time) error
	PersonDropsMFA(ctx context.Context, sub string) error
	EndCredentials(ctx context.Context, sub string, at time.Time) error
	MemberSignedIn(ctx context.Context, mem domain.Member, at time.Time) error
	JoinMerchant(ctx context.Context, mem domain.Member, at time.Time, e store.AuditEntry) error
	DeclineInvitation(ctx context.Context, inv domain.Member, e store.AuditEntry) error
	GetMerchant(ctx context.Context, id string) (*merchant.Merchant, error)
	RequiresMFA(ctx context.Context, m string) (bool, error)
	AppendAudit(ctx context.Context, m string, e store.AuditEntry) error
}

var _ Store = (*store.Store)(nil)

// Dashboard serves /dashboard.
type Dashboard struct {
	Store     Store
	Directory Directory
	Tokens    *identity.Verifier
	Now       func() time.Time
	Log       *slog.Logger
	// LinksOrigin is the scheme and host of the links' public URLs (their
	// QR codes are shown), when not the dashboard's own.
	LinksOrigin string
}

// Handler is the dashboard's routes.
func (d *Dashboard) Handler() http.Handler {
	mux := http.NewServeMux()
	for _, p := range appPages {
		mux.HandleFunc(p.pattern, d.session(d.serveApp(p)))
	}
	mux.HandleFunc("GET /dashboard/sign-in", d.signInPage)
	mux.HandleFunc("POST /dashboard/sign-in", d.signIn)
	mux.HandleFunc("POST /dashboard/sign-in/new-password", d.newPassword)
	mux.HandleFunc("POST /dashboard/sign-in/mfa", d.mfa)
	mux.HandleFunc("POST /dashboard/sign-out", d.setupSession(d.signOut))
	mux.HandleFunc("GET /dashboard/mfa-setup", d.setupSession(d.mfaSetupPage))
	mux.HandleFunc("POST /dashboard/mfa-setup", d.setupSession(d.mfaSetup))
	mux.HandleFunc("POST /dashboard/merchant", d.session(d.switchMerchant))
	mux.HandleFunc("GET /dashboard/invitations", d.inviteeSession(d.invitationsPage))
	mux.HandleFunc("POST /dashboard/invitations", d.inviteeSession(d.answerInvitation))
	mux.HandleFunc("GET /dashboard/assets/{name}", serveAsset)
	mux.HandleFunc("/dashboard/", func(w http.ResponseWriter, r *http.Request) {
		// Not found in the language of the person's session, if any (a
		// request with no session cookie reads nothing).
		if session.Secret(r) != "" {
			if cur, err := d.load(r); err == nil && chosenLanguage(cur) != "" {
				r = withLanguage(r, chosenLanguage(cur))
			}
		}
		l := langOf(r)
		d.page(w, r, http.StatusNotFound, page{Title: l.t("not_found")}, "<p>"+e(l.t("not_found_body"))+"</p>")
	})
	return headers(mux, d.LinksOrigin)
}

// headers sets what every dashboard answer carries: a strict CSP (nothing
// from outside the deployment, no inline script), no caching of pages, no
// framing, no sniffing.
func headers(next http.Handler, linksOrigin string) http.Handler {
	img := "'self' data:"
	if linksOrigin != "" {
		img += " " + linksOrigin
	}
	csp := "default-src 'self'; script-src 'self'; style-src 'self'; img-src " + img + "; connect-src 'self'; frame-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", csp)
		h.Set("Cache-Control", "no-store")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		next.ServeHTTP(w, r)
	})
}

// current is a signed-in request: its session and membership (none for a
// person who has only invitations yet: s.Merchant is empty).
type current struct {
	secret string
	s      store.Session
	member domain.Member
	all    []domain.Member
	person domain.Person
}

type currentKey struct{}

func currentOf(r *http.Request) current { return r.Context().Value(currentKey{}).(current) }

// session lets through a request with a live session of a person who is
// still a member of the session's merchant; any other goes to sign-in
// (GET) or is refused (POST: 403, nothing done). A session that must set
// up TOTP first goes to that page.
func (d *Dashboard) session(next http.HandlerFunc) http.HandlerFunc {
	return d.sessionFor(next, reach{})
}

// setupSession is session for the pages a session setting up TOTP may
// reach (the set-up itself, sign-out).
func (d *Dashboard) setupSession(next http.HandlerFunc) http.HandlerFunc {
	return d.sessionFor(next, reach{setup: true, noMerchant: true})
}

// inviteeSession is session for the pages of a person who may have joined
// no merchant yet (their invitations).
func (d *Dashboard) inviteeSession(next http.HandlerFunc) http.HandlerFunc {
	return d.sessionFor(next, reach{noMerchant: true})
}

// reach is what a page lets through beyond a working session: one setting
// up TOTP, one of a person who joined no merchant yet.
type reach struct{ setup, noMerchant bool }

func (d *Dashboard) sessionFor(next http.HandlerFunc, allowed reach) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		l := langOf(r)
		cur, err := d.load(r)
		if err != nil {
			if !errors.Is(err, session.ErrNone) {
				d.fail(w, r, err)
				return
			}
			clearCookie(w, SessionCookie)
			reqlog.Set(r.Context(), "outcome", "no_session")
			if r.Method == http.MethodGet {
				to := "/dashboard/sign-in"
				if back := r.URL.RequestURI(); back != "/dashboard" && back != "/dashboard/" {
					to += "?next=" + url.QueryEscape(back)
				}
				http.Redirect(w, r, to, http.StatusSeeOther)
				return
			}
			d.page(w, r, http.StatusForbidden, page{Title: l.t("signed_out")}, "<p>"+e(l.t("signed_out_body"))+` <a href="/dashboard/sign-in">`+e(l.t("sign_in"))+"</a></p>")
			return
		}
		if r.Method == http.MethodPost && !session.SameToken(r.PostFormValue("csrf"), cur.s.CSRF) {
			reqlog.Set(r.Context(), "outcome", "csrf_refused")
			d.page(w, r, http.StatusForbidden, page{Title: l.t("csrf")}, "<p>"+e(l.t("csrf_body"))+"</p>")
			return
		}
		if cur.s.Merchant == "" && !allowed.noMerchant {
			if r.Method == http.MethodGet {
				http.Redirect(w, r, "/dashboard/invitations", http.StatusSeeOther)
				return
			}
			d.page(w, r, http.StatusForbidden, page{Title: l.t("no_access")}, "<p>"+e(l.t("no_access_body"))+"</p>")
			return
		}
		if cur.s.MFASetupToken != "" && !allowed.setup {
			if r.Method == http.MethodGet {
				http.Redirect(w, r, "/dashboard/mfa-setup", http.StatusSeeOther)
				return
			}
			d.page(w, r, http.StatusForbidden, page{Title: l.t("mfa_setup"), Signed: &cur}, "<p>"+e(l.t("mfa_setup_first"))+"</p>")
			return
		}
		reqlog.Set(r.Context(), "merchant", cur.member.Merchant)
		reqlog.Set(r.Context(), "actor", cur.member.ID)
		if lang := chosenLanguage(cur); lang != "" {
			r = withLanguage(r, lang)
		}
		ctx := domain.WithActor(context.WithValue(r.Context(), currentKey{}, cur), withOrigin(cur.member.Actor(), r))
		next(w, r.WithContext(ctx))
	}
}

// load reads the request's session (package session: timeouts) and checks
// that its person is still a member of its merchant.
func (d *Dashboard) load(r *http.Request) (current, error) {
	ctx := r.Context()
	secret := session.Secret(r)
	s, err := session.Live(ctx, d.Store, secret, d.Now())
	if err != nil {
		return current{}, err
	}
	person, err := d.Store.Person(ctx, s.Sub)
	if err != nil {
		return current{}, err
	}
	cur := current{secret: secret, s: s, all: person.Active(), person: person}
	ok := true
	if s.Merchant != "" {
		cur.member, ok = domain.MembershipIn(cur.all, s.Merchant)
	}
	ok = ok && person.CredentialCounts(cur.member, s.Created, false)
	if ok && s.Merchant != "" && !s.MFA && s.MFASetupToken == "" {
		// A merchant that requires two-step verification takes no session
		// opened without the code (one opened before it was required).
		required, err := d.Store.RequiresMFA(ctx, s.Merchant)
		if err != nil {
			return current{}, err
		}
		ok = !required
	}
	if !ok {
		// Signed out elsewhere, removed from the merchant, its role
		// changed, or short of two-step verification: the session ends.
		if err := d.Store.DeleteSession(ctx, secret); err != nil {
			return current{}, err
		}
		return current{}, session.ErrNone
	}
	return cur, nil
}

func withOrigin(a domain.Actor, r *http.Request) domain.Actor {
	a.IP = clientIP(r)
	a.UserAgent = r.UserAgent()
	if len(a.UserAgent) > 256 {
		a.UserAgent = a.UserAgent[:256]
	}
	return a
}

func clientIP(r *http.Request) string {
	host := r.RemoteAddr
	if i := strings.LastIndexByte(host, ':'); i > 0 {
		host = host[:i]
	}
	return strings.Trim(host, "[]")
}

// fail answers an error the person cannot fix: 503 when a dependency is
// down, else 500; logged with its cause.
func (d *Dashboard) fail(w http.ResponseWriter, r *http.Request, err error) {
	reqlog.Set(r.Context(), "outcome", "error")
	reqlog.Set(r.Context(), "error", err.Error())
	status := http.StatusInternalServerError
	if errors.Is(err, domain.ErrUnavailable) {
		status = http.StatusServiceUnavailable
		w.Header().Set("Retry-After", "5")
	}
	l := langOf(r)
	d.page(w, r, status, page{Title: l.t("error")}, "<p>"+e(l.t("error_body"))+"</p>")
}

// token is a new random secret (256 bits, URL-safe).
func token() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Errorf("crypto/rand: %w", err))
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

func setCookie(w http.ResponseWriter, name, value string, maxAge time.Duration) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: value, Path: "/", MaxAge: int(maxAge.Seconds()),
		HttpOnly: true, Secure: true, SameSite: http.SameSiteLaxMode})
}

func clearCookie(w http.ResponseWriter, name string) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: true, SameSite: http.SameSiteLaxMode})
}

// Origin is the scheme and host of a URL ("" when it has none): what a
// CSP source names.
func Origin(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return ""
	}
	return u.Scheme + "://" + u.Host
}
