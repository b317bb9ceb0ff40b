package dashboard

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/paylinks/paylinks/shared/cognito"
	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/identity"
	"github.com/paylinks/paylinks/shared/reqlog"
	"github.com/paylinks/paylinks/shared/session"
	"github.com/paylinks/paylinks/shared/store"
)

// signInCSRF is the sign-in forms' token: the one in the browser's
// pre-session cookie, or a new one set now.
func signInCSRF(w http.ResponseWriter, r *http.Request) string {
	if c, err := r.Cookie(preCSRFCookie); err == nil && len(c.Value) >= 40 {
		return c.Value
	}
	v := token()
	setCookie(w, preCSRFCookie, v, time.Hour)
	return v
}

func (d *Dashboard) signInPage(w http.ResponseWriter, r *http.Request) {
	if _, err := d.load(r); err == nil {
		http.Redirect(w, r, afterSignIn(r), http.StatusSeeOther)
		return
	}
	d.signInForm(w, r, http.StatusOK, "", "")
}

// afterSignIn is where a sign-in goes: the dashboard page the person was
// sent away from (next=, a path of the dashboard only: never another
// site, never the sign-in itself), else the dashboard's home.
func afterSignIn(r *http.Request) string {
	next := r.FormValue("next")
	if len(next) > 512 || !strings.HasPrefix(next, "/dashboard/") || strings.HasPrefix(next, "/dashboard/sign-") ||
		strings.ContainsAny(next, "\\\r\n") || strings.Contains(next, "//") || strings.Contains(next, "/..") {
		return "/dashboard"
	}
	return next
}

// nextField carries the page to come back to through the sign-in's steps.
func nextField(r *http.Request) string {
	if n := afterSignIn(r); n != "/dashboard" {
		return hidden("next", n)
	}
	return ""
}

func (d *Dashboard) signInForm(w http.ResponseWriter, r *http.Request, status int, email, problem string) {
	csrf, l := signInCSRF(w, r), langOf(r)
	d.page(w, r, status, page{Title: l.t("sign_in")}, errorBox(problem)+
		`<form method="post" action="/dashboard/sign-in" class="card">`+hidden("csrf", csrf)+nextField(r)+
		field("email", l.t("email"), "email", email, "username", problem != "")+
		field("password", l.t("password"), "password", "", "current-password", problem != "")+
		`<button type="submit">`+e(l.t("sign_in"))+`</button></form>`)
}

// checkSignInCSRF refuses a sign-in form without the browser's token: a
// cross-site post, or an expired page.
func (d *Dashboard) checkSignInCSRF(w http.ResponseWriter, r *http.Request) bool {
	c, err := r.Cookie(preCSRFCookie)
	if err != nil || !session.SameToken(r.PostFormValue("csrf"), c.Value) {
		l := langOf(r)
		reqlog.Set(r.Context(), "outcome", "csrf_refused")
		d.page(w, r, http.StatusForbidden, page{Title: l.t("csrf")}, "<p>"+e(l.t("csrf_body"))+` <a href="/dashboard/sign-in">`+e(l.t("sign_in"))+"</a></p>")
		return false
	}
	return true
}

// signInName reports a sign-in name the dashboard takes: an e-mail address
// (lower case). The pool would take its own user names too (each person's
// subject), which would count apart from the e-mail in the throttles.
func signInName(email string) bool {
	_, err := domain.NormalEmail("email", email)
	return err == nil
}

func (d *Dashboard) signIn(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if !d.checkSignInCSRF(w, r) {
		return
	}
	email := strings.TrimSpace(strings.ToLower(r.PostFormValue("email")))
	password := r.PostFormValue("password")
	if email == "" || password == "" {
		d.signInForm(w, r, http.StatusUnprocessableEntity, email, langOf(r).t("enter_both"))
		return
	}
	gates := signInGates(r, throttlePassword, email)
	if d.throttled(w, r, gates, func(status int, problem string) { d.signInForm(w, r, status, email, problem) }) {
		return
	}
	step, err := cognito.Step{}, error(cognito.ErrBadCredentials)
	if signInName(email) {
		step, err = d.Directory.SignIn(r.Context(), email, password)
	}
	d.settle(r.Context(), gates, err)
	d.next(w, r, email, step, err, false)
}

func (d *Dashboard) newPassword(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if !d.checkSignInCSRF(w, r) {
		return
	}
	email, session, pw := r.PostFormValue("email"), r.PostFormValue("session"), r.PostFormValue("new_password")
	if pw != r.PostFormValue("confirm_password") {
		d.challengeForm(w, r, http.StatusUnprocessableEntity, cognito.ChallengeNewPassword, email, session, langOf(r).t("passwords_differ"))
		return
	}
	step, err := d.Directory.Respond(r.Context(), cognito.ChallengeNewPassword, email, session, pw)
	if errors.Is(err, cognito.ErrWeakPassword) {
		d.challengeForm(w, r, http.StatusUnprocessableEntity, cognito.ChallengeNewPassword, email, session, langOf(r).t(refusal(err)))
		return
	}
	d.next(w, r, email, step, err, false)
}

func (d *Dashboard) mfa(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if !d.checkSignInCSRF(w, r) {
		return
	}
	email, session := strings.TrimSpace(strings.ToLower(r.PostFormValue("email"))), r.PostFormValue("session")
	gates := signInGates(r, throttleCode, email)
	if d.throttled(w, r, gates, func(status int, problem string) {
		d.challengeForm(w, r, status, cognito.ChallengeMFA, email, session, problem)
	}) {
		return
	}
	step, err := cognito.Step{}, error(cognito.ErrExpiredStep)
	if signInName(email) {
		step, err = d.Directory.Respond(r.Context(), cognito.ChallengeMFA, email, session, strings.TrimSpace(r.PostFormValue("code")))
	}
	d.settle(r.Context(), gates, err)
	if errors.Is(err, cognito.ErrBadCode) {
		d.challengeForm(w, r, http.StatusUnprocessableEntity, cognito.ChallengeMFA, email, session, langOf(r).t(refusal(err)))
		return
	}
	d.next(w, r, email, step, err, true)
}

// next answers a sign-in step: the person's error, the next challenge, or
// the session (withCode: the step was the TOTP code).
func (d *Dashboard) next(w http.ResponseWriter, r *http.Request, email string, step cognito.Step, err error, withCode bool) {
	switch {
	case errors.Is(err, cognito.ErrBadCredentials), errors.Is(err, cognito.ErrExpiredStep):
		reqlog.Set(r.Context(), "outcome", "sign_in_refused")
		d.signInForm(w, r, http.StatusUnauthorized, email, langOf(r).t(refusal(err)))
	case err != nil:
		d.fail(w, r, markUnavailable(err))
	case step.Tokens != nil:
		d.start(w, r, step.Tokens, withCode)
	case step.Challenge == cognito.ChallengeNewPassword || step.Challenge == cognito.ChallengeMFA:
		d.challengeForm(w, r, http.StatusOK, step.Challenge, email, step.Session, "")
	default:
		reqlog.Set(r.Context(), "outcome", "unsupported_challenge")
		d.signInForm(w, r, http.StatusUnauthorized, email, langOf(r).t("unsupported_challenge"))
	}
}

// refusal is the catalog key of what the user pool refused, for the
// person in the page's language.
func refusal(err error) string {
	switch {
	case errors.Is(err, cognito.ErrWeakPassword):
		return "password_weak"
	case errors.Is(err, cognito.ErrBadCode):
		return "code_wrong"
	case errors.Is(err, cognito.ErrExpiredStep):
		return "sign_in_expired"
	}
	return "sign_in_wrong"
}

func markUnavailable(err error) error { return errors.Join(domain.ErrUnavailable, err) }

func (d *Dashboard) challengeForm(w http.ResponseWriter, r *http.Request, status int, challenge, email, session, problem string) {
	csrf, l := signInCSRF(w, r), langOf(r)
	common := hidden("csrf", csrf) + hidden("email", email) + hidden("session", session) + nextField(r)
	if challenge == cognito.ChallengeMFA {
		d.page(w, r, status, page{Title: l.t("mfa")}, errorBox(problem)+
			`<form method="post" action="/dashboard/sign-in/mfa" class="card">`+common+
			`<p>`+e(l.t("mfa_body"))+`</p>`+field("code", l.t("code"), "text", "", "one-time-code", problem != "")+
			`<button type="submit">`+e(l.t("continue"))+`</button></form>`)
		return
	}
	d.page(w, r, status, page{Title: l.t("new_password")}, errorBox(problem)+
		`<form method="post" action="/dashboard/sign-in/new-password" class="card">`+common+
		`<p>`+e(l.t("new_password_body"))+`</p>`+
		field("new_password", l.t("new_password_field"), "password", "", "new-password", problem != "")+
		field("confirm_password", l.t("confirm_password"), "password", "", "new-password", problem != "")+
		`<button type="submit">`+e(l.t("set_password"))+`</button></form>`)
}

// start opens a session for the person the pool's tokens name: tokens
// verified in process (issuer, app client, use, expiry), the person a
// member of at least one merchant or invited by one (they join on the
// invitations page). withCode: they gave their TOTP code.
func (d *Dashboard) start(w http.ResponseWriter, r *http.Request, tokens *cognito.Tokens, withCode bool) {
	ctx := r.Context()
	sub, err := d.verified(ctx, tokens)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	person, err := d.Store.Person(ctx, sub)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	if len(person.Memberships) == 0 {
		reqlog.Set(ctx, "outcome", "not_a_member")
		l := langOf(r)
		d.page(w, r, http.StatusForbidden, page{Title: l.t("no_access")}, "<p>"+e(l.t("no_access_body"))+"</p>")
		return
	}
	setup, err := d.mfaSetupNeeded(r, person.Active(), tokens.Access)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	now := d.Now().UTC()
	if err := d.recordMFA(ctx, person, withCode, now); err != nil {
		d.fail(w, r, err)
		return
	}
	chosen, joined := person.Default()
	if joined {
		if err := d.Store.MemberSignedIn(ctx, chosen, now); err != nil {
			d.fail(w, r, err)
			return
		}
	}
	secret := token()
	if setup != "" {
		if setup, err = sealSetupToken(secret, setup); err != nil {
			d.fail(w, r, err)
			return
		}
	}
	s := store.Session{Sub: sub, Email: strings.ToLower(person.Memberships[0].Email), Merchant: chosen.Merchant,
		CSRF: token(), Created: now, Seen: now, Ends: now.Add(AbsoluteTimeout), MFASetupToken: setup, MFA: withCode}
	if err := d.Store.PutSession(ctx, secret, s); err != nil {
		d.fail(w, r, err)
		return
	}
	if joined {
		actx := domain.WithActor(ctx, withOrigin(chosen.Actor(), r))
		if err := d.Store.AppendAudit(actx, chosen.Merchant, store.NewAuditEntry(actx, now, "member.signed_in", chosen.ID, nil, nil)); err != nil {
			d.Log.Error("audit", "merchant", chosen.Merchant, "action", "member.signed_in", "error", err.Error())
		}
	}
	setCookie(w, SessionCookie, secret, AbsoluteTimeout)
	clearCookie(w, preCSRFCookie)
	reqlog.Set(ctx, "merchant", chosen.Merchant)
	reqlog.Set(ctx, "outcome", "signed_in")
	switch {
	case setup != "":
		http.Redirect(w, r, "/dashboard/mfa-setup", http.StatusSeeOther)
	case len(person.Invitations()) > 0:
		http.Redirect(w, r, "/dashboard/invitations", http.StatusSeeOther)
	default:
		http.Redirect(w, r, afterSignIn(r), http.StatusSeeOther)
	}
}

// recordMFA keeps the person's record true to how they signed in: TOTP set
// up outside the dashboard counts from now on; a sign-in without the code
// of someone recorded with TOTP means they turned it off in the pool (with
// their own access token): none of their tokens counts as had with it.
func (d *Dashboard) recordMFA(ctx context.Context, person domain.Person, withCode bool, now time.Time) error {
	switch {
	case withCode && person.MFASince == nil:
		return d.Store.PersonUsesMFA(ctx, person.Sub, now)
	case !withCode && person.MFASince != nil:
		return d.Store.PersonDropsMFA(ctx, person.Sub)
	}
	return nil
}

// verified is the person the pool's id and access tokens name, both
// verified in process (issuer, app client, use, expiry).
func (d *Dashboard) verified(ctx context.Context, tokens *cognito.Tokens) (string, error) {
	id, err := d.Tokens.Verify(ctx, tokens.ID, identity.UseID)
	if err != nil {
		return "", err
	}
	access, err := d.Tokens.Verify(ctx, tokens.Access, identity.UseAccess)
	if err == nil && access.Sub != id.Sub {
		err = identity.ErrInvalidToken
	}
	return id.Sub, err
}

// mfaSetupNeeded is the access token to set TOTP up with when a merchant
// of the person requires it and they have none yet ("" otherwise).
func (d *Dashboard) mfaSetupNeeded(r *http.Request, mems []domain.Member, access string) (string, error) {
	for _, m := range mems {
		required, err := d.Store.RequiresMFA(r.Context(), m.Merchant)
		if err != nil {
			return "", err
		}
		if !required {
			continue
		}
		has, err := d.Directory.HasTOTP(r.Context(), m.Email)
		if err != nil {
			return "", markUnavailable(err)
		}
		if has {
			return "", nil
		}
		return access, nil
	}
	return "", nil
}

func (d *Dashboard) mfaSetupPage(w http.ResponseWriter, r *http.Request) {
	cur := currentOf(r)
	if cur.s.MFASetupToken == "" {
		http.Redirect(w, r, "/dashboard", http.StatusSeeOther)
		return
	}
	access, err := setupAccess(cur)
	secret := ""
	if err == nil {
		secret, err = d.Directory.AssociateTOTP(r.Context(), access)
	}
	if d.setupExpired(w, r, err) {
		return
	}
	d.mfaSetupForm(w, r, http.StatusOK, cur, secret, "")
}

// setupAccess is the access token the session keeps sealed for the
// set-up; one that does not open counts as expired (sign in again).
func setupAccess(cur current) (string, error) {
	access, err := openSetupToken(cur.secret, cur.s.MFASetupToken)
	if err != nil {
		return "", fmt.Errorf("%w: %w", cognito.ErrBadCredentials, err)
	}
	return access, nil
}

// setupExpired ends a set-up whose access token the pool no longer takes
// (over an hour): the person signs in again.
func (d *Dashboard) setupExpired(w http.ResponseWriter, r *http.Request, err error) bool {
	switch {
	case err == nil:
		return false
	case errors.Is(err, cognito.ErrBadCredentials):
		_ = d.Store.DeleteSession(r.Context(), currentOf(r).secret)
		clearCookie(w, SessionCookie)
		http.Redirect(w, r, "/dashboard/sign-in", http.StatusSeeOther)
	default:
		d.fail(w, r, markUnavailable(err))
	}
	return true
}

func (d *Dashboard) mfaSetupForm(w http.ResponseWriter, r *http.Request, status int, cur current, secret, problem string) {
	l := langOf(r)
	uri := "otpauth://totp/paylinks:" + cur.s.Email + "?secret=" + secret + "&issuer=paylinks"
	d.page(w, r, status, page{Title: l.t("mfa_setup"), Signed: &cur}, errorBox(problem)+
		`<p>`+e(l.t("mfa_setup_body"))+`</p><p><code id="totp-secret">`+e(secret)+`</code></p>`+
		`<p class="muted">`+e(uri)+`</p>`+
		`<form method="post" action="/dashboard/mfa-setup" class="card">`+hidden("csrf", cur.s.CSRF)+hidden("secret", secret)+
		field("code", l.t("code"), "text", "", "one-time-code", problem != "")+
		`<button type="submit">`+e(l.t("continue"))+`</button></form>`)
}

func (d *Dashboard) mfaSetup(w http.ResponseWriter, r *http.Request) {
	cur := currentOf(r)
	if cur.s.MFASetupToken == "" {
		http.Redirect(w, r, "/dashboard", http.StatusSeeOther)
		return
	}
	access, err := setupAccess(cur)
	if err == nil {
		err = d.Directory.VerifyTOTP(r.Context(), access, strings.TrimSpace(r.PostFormValue("code")))
	}
	if errors.Is(err, cognito.ErrBadCode) {
		d.mfaSetupForm(w, r, http.StatusUnprocessableEntity, cur, r.PostFormValue("secret"), langOf(r).t(refusal(err)))
		return
	}
	if d.setupExpired(w, r, err) {
		return
	}
	if err := d.Store.EndMFASetup(r.Context(), cur.secret); err != nil {
		d.fail(w, r, err)
		return
	}
	if err := d.Store.PersonUsesMFA(r.Context(), cur.s.Sub, d.Now()); err != nil {
		d.fail(w, r, err)
		return
	}
	if cur.member.Merchant != "" {
		if err := d.Store.AppendAudit(r.Context(), cur.member.Merchant, store.NewAuditEntry(r.Context(), d.Now(), "member.mfa_enabled", cur.member.ID, nil, nil)); err != nil {
			d.Log.Error("audit", "merchant", cur.member.Merchant, "action", "member.mfa_enabled", "error", err.Error())
		}
	}
	reqlog.Set(r.Context(), "outcome", "mfa_enabled")
	http.Redirect(w, r, "/dashboard", http.StatusSeeOther)
}

// signOut revokes the person's refresh tokens in the pool, then ends all
// their sessions and tokens (this one, in other browsers, access tokens
// still within their hour); when the pool cannot be reached nothing is
// ended (503: retry).
func (d *Dashboard) signOut(w http.ResponseWriter, r *http.Request) {
	cur := currentOf(r)
	if err := d.Directory.SignOut(r.Context(), cur.s.Email); err != nil {
		d.fail(w, r, markUnavailable(err))
		return
	}
	if err := d.Store.EndCredentials(r.Context(), cur.s.Sub, d.Now()); err != nil {
		d.fail(w, r, err)
		return
	}
	if err := d.Store.DeleteSession(r.Context(), cur.secret); err != nil {
		d.fail(w, r, err)
		return
	}
	clearCookie(w, SessionCookie)
	reqlog.Set(r.Context(), "outcome", "signed_out")
	http.Redirect(w, r, "/dashboard/sign-in", http.StatusSeeOther)
}

// switchMerchant moves the session to another of the person's merchants.
func (d *Dashboard) switchMerchant(w http.ResponseWriter, r *http.Request) {
	cur := currentOf(r)
	want := r.PostFormValue("merchant")
	if _, ok := domain.MembershipIn(cur.all, want); !ok {
		l := langOf(r)
		d.page(w, r, http.StatusForbidden, page{Title: l.t("no_access")}, "<p>"+e(l.t("not_member_of"))+"</p>")
		return
	}
	if err := d.Store.TouchSession(r.Context(), cur.secret, d.Now(), want); err != nil {
		d.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/dashboard", http.StatusSeeOther)
}
