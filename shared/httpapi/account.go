package httpapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"

	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/identity"
	"github.com/paylinks/paylinks/shared/problem"
	"github.com/paylinks/paylinks/shared/reqlog"
	"github.com/paylinks/paylinks/shared/session"
	"github.com/paylinks/paylinks/shared/store"
	"github.com/paylinks/paylinks/shared/team"
)

// AccountRoutes are the routes of the account function (the merchant's
// settings, API keys, webhook deliveries and audit log), apart from Routes
// so that the api function links none of them.
var AccountRoutes = []Route{
	{Pattern: "GET /v1/settings", Permission: domain.SettingsRead, handler: func(a *API) http.HandlerFunc { return handle(a.getSettings) }},
	{Pattern: "PUT /v1/settings", Permission: domain.SettingsWrite, handler: func(a *API) http.HandlerFunc { return handle(a.putSettings) }},
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
		mux.HandleFunc(rt.Pattern, a.auth(rt.Permission, rt.handler(a)))
	}
	mux.HandleFunc("/", noRoute)
	return mux
}

// memberPrincipal is a member calling with their Cognito access token, in
// the merchant the Paylinks-Merchant header names (or their only one).
func (a *API) memberPrincipal(r *http.Request, token string) (principal, error) {
	ctx := r.Context()
	c, err := a.Members.Verify(ctx, token, identity.UseAccess)
	if errors.Is(err, identity.ErrInvalidToken) {
		return principal{}, errUnauthenticated
	}
	if err != nil {
		return principal{}, fmt.Errorf("%w: %w", domain.ErrUnavailable, err)
	}
	mems, err := a.memberships.Get(ctx, c.Sub)
	if err != nil {
		return principal{}, err
	}
	mem, err := pickMembership(mems, r.Header.Get(MerchantHeader))
	if err != nil {
		return principal{}, err
	}
	return a.memberOf(ctx, mem)
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
	mems, err := a.memberships.Get(ctx, s.Sub)
	if err != nil {
		return principal{}, err
	}
	mem, ok := domain.MembershipIn(mems, s.Merchant)
	if !ok {
		return principal{}, errUnauthenticated
	}
	return a.memberOf(ctx, mem)
}

// memberOf is the principal of a member: their merchant and role.
func (a *API) memberOf(ctx context.Context, mem domain.Member) (principal, error) {
	m, err := a.merchants.Get(ctx, mem.Merchant)
	if err != nil {
		return principal{}, err
	}
	return principal{merchant: m, grants: mem.Grants(), actor: mem.Actor(), member: &mem}, nil
}

// pickMembership is the membership in the merchant named, or the only one.
func pickMembership(mems []domain.Member, want string) (domain.Member, error) {
	if want != "" {
		mem, ok := domain.MembershipIn(mems, want)
		if !ok {
			return domain.Member{}, problem.New(http.StatusForbidden, "you are not a member of the merchant "+MerchantHeader+" names")
		}
		return mem, nil
	}
	switch len(mems) {
	case 0:
		return domain.Member{}, problem.New(http.StatusForbidden, "you are not a member of any merchant")
	case 1:
		return mems[0], nil
	}
	p := problem.New(http.StatusBadRequest, "you are a member of several merchants: name one in the "+MerchantHeader+" header")
	p.Errors = []domain.FieldError{{Field: MerchantHeader, Message: "is required for a member of several merchants"}}
	return domain.Member{}, p
}

// ownerLevel reports a caller who may make, change or remove owners: an
// owner, or a full API key (the merchant's own system).
func ownerLevel(p principal) bool {
	if p.member != nil {
		return p.member.Role == domain.RoleOwner
	}
	return p.actor.Type == domain.ActorAPIKey && len(p.grants) == len(domain.AllPermissions)
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
	if role == domain.RoleOwner && !ownerLevel(p) {
		return domain.ErrOwnersOnly
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
	a.memberships.Clear()
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
	if (cur.Role == domain.RoleOwner || role == domain.RoleOwner) && cur.Role != role && !ownerLevel(p) {
		return domain.ErrOwnersOnly
	}
	e := store.NewAuditEntry(r.Context(), a.Now(), "member.role_changed", cur.ID, map[string]any{"role": cur.Role}, map[string]any{"role": role})
	if err := a.Store.SetRole(r.Context(), cur, role, e); err != nil {
		return err
	}
	a.memberships.Clear()
	next := cur
	next.Role = role
	reqlog.Set(r.Context(), "outcome", "member_role_changed")
	writeJSON(w, http.StatusOK, next)
	return nil
}

func (a *API) removeMember(w http.ResponseWriter, r *http.Request) error {
	p := principalOf(r.Context())
	cur, err := a.Store.GetMember(r.Context(), p.merchant.ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	if cur.Role == domain.RoleOwner && !ownerLevel(p) {
		return domain.ErrOwnersOnly
	}
	if err := a.Store.RemoveMember(r.Context(), cur, store.NewAuditEntry(r.Context(), a.Now(), "member.removed", cur.ID, cur, nil)); err != nil {
		return err
	}
	a.memberships.Clear()
	reqlog.Set(r.Context(), "outcome", "member_removed")
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// ShareAuthCaches makes a use b's caches of keys, merchants and memberships:
// APIs composed in one process (make dev, the tests) see each other's
// changes at once, as they would after the caches' 30 s in separate
// functions.
func (a *API) ShareAuthCaches(b *API) {
	a.keys, a.merchants, a.memberships = b.keys, b.merchants, b.memberships
}
