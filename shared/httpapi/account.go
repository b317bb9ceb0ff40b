package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/identity"
	"github.com/paylinks/paylinks/shared/merchant"
	"github.com/paylinks/paylinks/shared/problem"
	"github.com/paylinks/paylinks/shared/reqlog"
	"github.com/paylinks/paylinks/shared/session"
	"github.com/paylinks/paylinks/shared/store"
	"github.com/paylinks/paylinks/shared/team"
)

// MemberStore is what the members routes read and write (inviting goes
// through package team).
type MemberStore interface {
	ListMembers(ctx context.Context, m string) ([]domain.Member, error)
	GetMember(ctx context.Context, m, id string) (domain.Member, error)
	SetRole(ctx context.Context, cur domain.Member, role domain.Role, at time.Time, e store.AuditEntry) error
	RemoveMember(ctx context.Context, cur domain.Member, e store.AuditEntry) error
	OwnerCount(ctx context.Context, m string) (int, error)
	SetMemberLanguage(ctx context.Context, mem domain.Member, lang string) error
	team.Store // an invitation
}

// AccountRoutes are the routes of the account function (the merchant's
// settings, API keys, webhook deliveries and audit log), apart from Routes
// so that the api function links none of them.
var AccountRoutes = []Route{
	{Pattern: "GET /v1/settings", Permission: domain.SettingsRead, handler: func(a *API) http.HandlerFunc { return handle(a.getSettings) }},
	{Pattern: "PUT /v1/settings", Permission: domain.SettingsWrite, handler: func(a *API) http.HandlerFunc { return handle(a.putSettings) }},
	{Pattern: "GET /v1/settings/brand", Permission: domain.SettingsRead, handler: func(a *API) http.HandlerFunc { return handle(a.getBrand) }},
	{Pattern: "PUT /v1/settings/brand", Permission: domain.SettingsWrite, handler: func(a *API) http.HandlerFunc { return handle(a.putBrand) }},
	{Pattern: "GET /v1/settings/brand/logo", Permission: domain.SettingsRead, handler: func(a *API) http.HandlerFunc { return handle(a.getLogo) }},
	{Pattern: "PUT /v1/settings/brand/logo", Permission: domain.SettingsWrite, handler: func(a *API) http.HandlerFunc { return handle(a.putLogo) }},
	{Pattern: "DELETE /v1/settings/brand/logo", Permission: domain.SettingsWrite, handler: func(a *API) http.HandlerFunc { return handle(a.deleteLogo) }},
	{Pattern: "GET /v1/api-keys", Permission: domain.KeysWrite, handler: func(a *API) http.HandlerFunc { return handle(a.listKeys) }},
	{Pattern: "POST /v1/api-keys", Permission: domain.KeysWrite, handler: func(a *API) http.HandlerFunc { return a.keyGrant(a.idempotent(handle(a.createKey))) }},
	{Pattern: "DELETE /v1/api-keys/{id}", Permission: domain.KeysWrite, handler: func(a *API) http.HandlerFunc { return handle(a.revokeKey) }},
	{Pattern: "GET /v1/webhook-deliveries", Permission: domain.SettingsRead, handler: func(a *API) http.HandlerFunc { return handle(a.listDeliveries) }},
	{Pattern: "GET /v1/webhook-deliveries/{id}", Permission: domain.SettingsRead, handler: func(a *API) http.HandlerFunc { return handle(a.getDelivery) }},
	{Pattern: "POST /v1/webhook-deliveries/{id}/retry", Permission: domain.SettingsWrite, handler: func(a *API) http.HandlerFunc { return a.idempotent(handle(a.retryDelivery)) }},
	{Pattern: "GET /v1/audit-log", Permission: domain.AuditRead, handler: func(a *API) http.HandlerFunc { return handle(a.listAudit) }},
}

// MemberRoutes are the routes of the people function, the only API
// function that calls the user pool.
var MemberRoutes = []Route{
	{Pattern: "GET /v1/members", Permission: domain.SettingsRead, handler: func(a *API) http.HandlerFunc { return handle(a.listMembers) }},
	{Pattern: "POST /v1/members", Permission: domain.MembersWrite, handler: func(a *API) http.HandlerFunc { return a.idempotent(handle(a.inviteMember)) }},
	{Pattern: "PATCH /v1/members/{id}", Permission: domain.MembersWrite, handler: func(a *API) http.HandlerFunc { return handle(a.patchMember) }},
	{Pattern: "DELETE /v1/members/{id}", Permission: domain.MembersWrite, handler: func(a *API) http.HandlerFunc { return handle(a.removeMember) }},
	{Pattern: "DELETE /v1/members/me", MemberOnly: true, handler: func(a *API) http.HandlerFunc { return handle(a.leave) }},
	{Pattern: "GET /v1/members/me", MemberOnly: true, handler: func(a *API) http.HandlerFunc { return handle(a.getMe) }},
	{Pattern: "PATCH /v1/members/me", MemberOnly: true, handler: func(a *API) http.HandlerFunc { return handle(a.patchMe) }},
}

// MembersPath is the path (and subtree) MemberRoutes serve.
const MembersPath = "/v1/members"

// AllRoutes are every /v1 route, whichever function serves it.
func AllRoutes() []Route {
	return slices.Concat(Routes, AccountRoutes, MemberRoutes, CustomerRoutes)
}

// AccountPaths are the paths (and their subtrees) AccountRoutes serve.
var AccountPaths = []string{"/v1/settings", "/v1/api-keys", "/v1/webhook-deliveries", "/v1/audit-log"}

// AccountHandler serves AccountRoutes only, as Handler does; any other
// route is a 404 problem (the account function).
func (a *API) AccountHandler() http.Handler { return a.handlerOf(AccountRoutes) }

// MembersHandler serves MemberRoutes only (the people function).
func (a *API) MembersHandler() http.Handler { return a.handlerOf(MemberRoutes) }

func (a *API) handlerOf(routes []Route) http.Handler {
	mux := http.NewServeMux()
	for _, rt := range routes {
		mux.HandleFunc(rt.Pattern, a.auth(rt, rt.handler(a)))
	}
	mux.HandleFunc("/", noRoute)
	return mux
}

// memberPrincipal is a member calling with their Cognito access token, in
// the merchant the Paylinks-Merchant header names (or their default one):
// a token made before the person's credentials were ended (sign-out,
// removal, a role change) is refused, and in a merchant that requires
// two-step verification only a token the person had with their code counts.
func (a *API) memberPrincipal(r *http.Request, token string) (principal, error) {
	ctx := r.Context()
	c, err := a.Members.Verify(ctx, token, identity.UseAccess)
	if errors.Is(err, identity.ErrInvalidToken) {
		return principal{}, errUnauthenticated
	}
	if err != nil {
		return principal{}, fmt.Errorf("%w: %w", domain.ErrUnavailable, err)
	}
	return a.freshOnRefusal(ctx, c.Sub, func(person domain.Person) (principal, error) {
		mem, err := pickMembership(person, r.Header.Get(MerchantHeader))
		if err != nil {
			return principal{}, err
		}
		if !person.CredentialCounts(mem, c.AuthTime, true) {
			return principal{}, errUnauthenticated
		}
		return a.memberOf(ctx, mem, person.TokenHadMFA(c.AuthTime))
	})
}

// freshOnRefusal is the principal decide makes of person sub as cached;
// when it refuses, of the person read again: a change made by another
// function (a merchant joined, TOTP set up) counts at once, while what
// takes power away counts within the cache's bound (and at once where it
// ends the person's credentials: those are checked on both reads).
func (a *API) freshOnRefusal(ctx context.Context, sub string, decide func(domain.Person) (principal, error)) (principal, error) {
	person, err := a.people.Get(ctx, sub)
	if err != nil {
		return principal{}, err
	}
	p, err := decide(person)
	if err == nil || errors.Is(err, domain.ErrUnavailable) {
		return p, err
	}
	a.people.Forget(sub)
	if person, err = a.people.Get(ctx, sub); err != nil {
		return principal{}, err
	}
	return decide(person)
}

// sessionPrincipal is a member in a dashboard page: the session cookie's
// person in the session's merchant, with their role's permissions, as with
// their access token. A call that may change something must carry the
// session's CSRF token in the Paylinks-CSRF header (403 otherwise, nothing
// done); a session still setting up two-step verification reaches nothing.
func (a *API) sessionPrincipal(r *http.Request, secret string) (principal, error) {
	ctx := r.Context()
	s, err := session.Live(ctx, a.Store, secret, a.Now())
	if errors.Is(err, session.ErrNone) {
		return principal{}, errUnauthenticated
	}
	if err != nil {
		return principal{}, err
	}
	if s.MFASetupToken != "" {
		return principal{}, problem.New(http.StatusForbidden, "set up two-step verification in the dashboard first")
	}
	if session.Unsafe(r.Method) && !session.SameToken(r.Header.Get(session.CSRFHeader), s.CSRF) {
		reqlog.Set(ctx, "outcome", "csrf_refused")
		p := problem.New(http.StatusForbidden, "a change from a dashboard session needs the session's CSRF token in the "+session.CSRFHeader+" header")
		p.Errors = []domain.FieldError{{Field: session.CSRFHeader, Message: "is missing or not the session's token"}}
		return principal{}, p
	}
	return a.freshOnRefusal(ctx, s.Sub, func(person domain.Person) (principal, error) {
		mem, ok := domain.MembershipIn(person.Active(), s.Merchant)
		if !ok || !person.CredentialCounts(mem, s.Created, false) {
			return principal{}, errUnauthenticated
		}
		return a.memberOf(ctx, mem, s.MFA)
	})
}

// memberOf is the principal of a member: their merchant and role; refused
// when the merchant requires two-step verification and the credential was
// had without it.
func (a *API) memberOf(ctx context.Context, mem domain.Member, hadMFA bool) (principal, error) {
	m, err := a.merchants.Get(ctx, mem.Merchant)
	if err != nil {
		return principal{}, err
	}
	if m.RequireMFA && !hadMFA {
		return principal{}, domain.ErrMFARequired
	}
	return principal{merchant: m, grants: mem.Grants(), actor: mem.Actor(), member: &mem, behalfOf: mem.ID}, nil
}

// pickMembership is the person's membership in the merchant named, or
// their default one.
func pickMembership(person domain.Person, want string) (domain.Member, error) {
	if want != "" {
		mem, ok := domain.MembershipIn(person.Active(), want)
		if !ok {
			return domain.Member{}, problem.New(http.StatusForbidden, "you are not a member of the merchant "+MerchantHeader+" names")
		}
		return mem, nil
	}
	mem, ok := person.Default()
	if !ok {
		return domain.Member{}, problem.New(http.StatusForbidden, "you are not a member of any merchant (an invitation is joined on the dashboard)")
	}
	return mem, nil
}

// authority is the caller as the power rule sees it.
func (p principal) authority() domain.Authority {
	if p.member != nil {
		return domain.Authority{Grants: p.grants, Member: true, Role: p.member.Role}
	}
	return domain.Authority{Grants: p.grants}
}

func (a *API) listMembers(w http.ResponseWriter, r *http.Request) error {
	mems, err := a.Store.ListMembers(r.Context(), merchantOf(r.Context()).ID)
	if err != nil {
		return err
	}
	writePage(w, r, mems, "") // a team is one page
	return nil
}

type inviteRequest struct {
	Email *string `json:"email"`
	Role  *string `json:"role"`
}

func (a *API) inviteMember(w http.ResponseWriter, r *http.Request) error {
	if a.Directory == nil {
		return problem.New(http.StatusNotFound, "no such route")
	}
	var req inviteRequest
	if err := readJSON(r, &req, false); err != nil {
		return err
	}
	var errs domain.FieldErrors
	email, role := "", domain.Role("")
	if req.Email == nil {
		errs.Add("email", "is required")
	} else if e, err := domain.NormalEmail("email", *req.Email); err != nil {
		errs = append(errs, err.(domain.FieldErrors)...)
	} else {
		email = e
	}
	if req.Role == nil {
		errs.Add("role", "is required")
	} else if ro, err := domain.ParseRole("role", *req.Role); err != nil {
		errs = append(errs, err.(domain.FieldErrors)...)
	} else {
		role = ro
	}
	if len(errs) > 0 {
		return errs
	}
	p := principalOf(r.Context())
	if err := domain.CanInvite(p.authority(), role); err != nil {
		return err
	}
	mem, err := a.invite(r.Context(), p.merchant.ID, email, role)
	if err != nil {
		return err
	}
	reqlog.Set(r.Context(), "outcome", "member_invited")
	writeJSON(w, http.StatusCreated, mem)
	return nil
}

// invite adds the person to the merchant through the team (the user pool
// is asked only for someone not yet a member).
func (a *API) invite(ctx context.Context, merchantID, email string, role domain.Role) (domain.Member, error) {
	t := team.Team{Store: a.Store, Directory: a.Directory, Now: a.Now}
	mem, err := t.Invite(ctx, merchantID, email, role)
	if err != nil {
		return domain.Member{}, Classify(err)
	}
	a.people.Clear()
	return mem, nil
}

type roleRequest struct {
	Role *string `json:"role"`
}

func (a *API) patchMember(w http.ResponseWriter, r *http.Request) error {
	var req roleRequest
	if err := readJSON(r, &req, false); err != nil {
		return err
	}
	if req.Role == nil {
		return domain.FieldErrors{{Field: "role", Message: "is required"}}
	}
	role, err := domain.ParseRole("role", *req.Role)
	if err != nil {
		return err
	}
	p := principalOf(r.Context())
	cur, err := a.Store.GetMember(r.Context(), p.merchant.ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	if err := domain.CanChangeRole(p.authority(), cur.Role, role); err != nil {
		return err
	}
	e := store.NewAuditEntry(r.Context(), a.Now(), "member.role_changed", cur.ID, map[string]any{"role": cur.Role}, map[string]any{"role": role})
	if err := a.Store.SetRole(r.Context(), cur, role, a.Now(), e); err != nil {
		return err
	}
	a.people.Clear()
	if cur.Role != role {
		if err := a.revokeKeysOf(r.Context(), cur, domain.Roles[role]); err != nil {
			return err
		}
	}
	next := cur
	next.Role = role
	reqlog.Set(r.Context(), "outcome", "member_role_changed")
	writeJSON(w, http.StatusOK, next)
	return nil
}

// removeMember removes a member (or withdraws an invitation) and revokes
// the keys they made, unless an owner keeps them (?keep_keys=true).
func (a *API) removeMember(w http.ResponseWriter, r *http.Request) error {
	p := principalOf(r.Context())
	keep, err := keepKeys(r)
	if err != nil {
		return err
	}
	if keep && !p.authority().OwnerMember() {
		return problem.New(http.StatusForbidden, "only an owner, signed in as a member, keeps a removed member's keys")
	}
	cur, err := a.Store.GetMember(r.Context(), p.merchant.ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	if err := domain.CanRemove(p.authority(), cur.Role); err != nil {
		return err
	}
	return a.endMembership(w, r, cur, "member.removed", keep)
}

// keepKeys reads removal's one parameter, keep_keys=true|false.
func keepKeys(r *http.Request) (bool, error) {
	v, err := query(r)
	if err != nil {
		return false, err
	}
	var errs domain.FieldErrors
	pageParams(v, map[string]bool{"keep_keys": true}, &errs)
	keep := optionalBool(v, "keep_keys", &errs)
	return keep, errs.Err()
}

// optionalBool reads name=true|false (false when absent).
func optionalBool(v url.Values, name string, errs *domain.FieldErrors) bool {
	switch v.Get(name) {
	case "", "false":
		return false
	case "true":
		return true
	}
	errs.Add(name, "must be true or false")
	return false
}

// leave is a member leaving the merchant they act in (DELETE
// /v1/members/me): anyone but its last owner; their keys go with them.
func (a *API) leave(w http.ResponseWriter, r *http.Request) error {
	p := principalOf(r.Context())
	if p.member == nil {
		return problem.New(http.StatusForbidden, "an API key is not a member: it is revoked, not removed")
	}
	owners, err := a.Store.OwnerCount(r.Context(), p.merchant.ID)
	if err != nil {
		return err
	}
	if err := domain.CanLeave(*p.member, owners); err != nil {
		return err
	}
	return a.endMembership(w, r, *p.member, "member.left", false)
}

// me is the member calling (an API key is no member: 403).
func me(r *http.Request) (domain.Member, error) {
	p := principalOf(r.Context())
	if p.member == nil {
		return domain.Member{}, problem.New(http.StatusForbidden, "an API key is not a member: /v1/members/me is a member's own")
	}
	return *p.member, nil
}

// getMe is the member calling as they are in the merchant they act in:
// e-mail, role, and the dashboard language they chose.
func (a *API) getMe(w http.ResponseWriter, r *http.Request) error {
	mem, err := me(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, mem)
	return nil
}

type meRequest struct {
	Language json.RawMessage `json:"language"`
}

// patchMe sets the calling member's dashboard language: one of en, nl,
// fr, de, or null for their browser's.
func (a *API) patchMe(w http.ResponseWriter, r *http.Request) error {
	mem, err := me(r)
	if err != nil {
		return err
	}
	var req meRequest
	if err := readJSON(r, &req, false); err != nil {
		return err
	}
	lang, err := memberLanguage(req.Language)
	if err != nil {
		return err
	}
	if err := a.Store.SetMemberLanguage(r.Context(), mem, lang); err != nil {
		return err
	}
	a.people.Forget(mem.Sub)
	mem.Language = lang
	reqlog.Set(r.Context(), "outcome", "member_language_set")
	writeJSON(w, http.StatusOK, mem)
	return nil
}

// memberLanguage reads PATCH /v1/members/me's language: a language code,
// or null ("": the browser's); required.
func memberLanguage(raw json.RawMessage) (string, error) {
	if len(raw) == 0 {
		return "", domain.FieldErrors{{Field: "language", Message: "is required (null for the browser's)"}}
	}
	if string(raw) == "null" {
		return "", nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", domain.FieldErrors{{Field: "language", Message: "must be a string or null"}}
	}
	return domain.ParseLanguage("language", s)
}

// endMembership removes cur with its audit entry (their sessions and
// tokens no longer reach the merchant; their other merchants are not
// touched), and revokes the keys they made unless kept.
func (a *API) endMembership(w http.ResponseWriter, r *http.Request, cur domain.Member, action string, keep bool) error {
	if err := a.Store.RemoveMember(r.Context(), cur, store.NewAuditEntry(r.Context(), a.Now(), action, cur.ID, cur, nil)); err != nil {
		return err
	}
	a.people.Clear()
	if !keep {
		if err := a.revokeKeysOf(r.Context(), cur, nil); err != nil {
			return err
		}
	}
	reqlog.Set(r.Context(), "outcome", action)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// revokeKeysOf revokes the keys made on member mem's behalf (by them or by
// their keys) that hold more than grants (all of them for nil), each with
// its audit entry.
func (a *API) revokeKeysOf(ctx context.Context, mem domain.Member, grants []domain.Permission) error {
	keys, err := a.Store.ListKeys(ctx, mem.Merchant)
	if err != nil {
		return err
	}
	for _, k := range domain.KeysToRevoke(keys, func(k merchant.Key) string { return k.Member }, merchant.Key.Grants, mem.ID, grants) {
		if err := a.Store.DeleteKey(ctx, mem.Merchant, k.ID()); err != nil && !errors.Is(err, domain.ErrNotFound) {
			return fmt.Errorf("revoke %s's key: %w", mem.ID, err)
		}
		a.Audit(ctx, "api_key.revoked", k.ID(), keyView(k), nil)
	}
	a.keys.Clear()
	return nil
}
