package dashboard_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base32"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/paylinks/paylinks/shared/admin"
	"github.com/paylinks/paylinks/shared/cognito"
	composeadmin "github.com/paylinks/paylinks/shared/compose/admin"
	"github.com/paylinks/paylinks/shared/compose/pool"
	"github.com/paylinks/paylinks/shared/dashboard"
	"github.com/paylinks/paylinks/shared/identity"
	"github.com/paylinks/paylinks/shared/service"
	"github.com/paylinks/paylinks/shared/testkit/testenv"
)

var ctx = context.Background()

// people is a running service with a user pool on moto.
type people struct {
	env  *testenv.Env
	srv  *testenv.Server
	pool identity.Pool
}

func newPeople(t *testing.T) *people {
	t.Helper()
	return newPeopleWith(t, func(*service.Options) {})
}

// newPeopleWith is newPeople with more options for the service.
func newPeopleWith(t *testing.T, opt func(*service.Options)) *people {
	t.Helper()
	env := testenv.New(t)
	pl := testenv.NewPool(t)
	srv := env.ServeWith(t, func(o *service.Options) {
		o.UserPool, o.AWS = pl, testenv.AWSConfig(t)
		opt(o)
	})
	return &people{env: env, srv: srv, pool: pl}
}

func (p *people) directory() *cognito.Directory { return pool.Directory(p.srv.Service.Env) }

// temporaryPassword is the one the last invitation to email carried.
func (p *people) temporaryPassword(t *testing.T, email string) string {
	t.Helper()
	re := regexp.MustCompile(`temporary password (\S+) \(`)
	var found string
	for _, s := range p.srv.Service.Outbox.All() {
		if s.To == email && s.Kind == "invitation" {
			if m := re.FindStringSubmatch(s.Text); m != nil {
				found = m[1]
			}
		}
	}
	if found == "" {
		t.Fatalf("no invitation with a temporary password to %s in the outbox", email)
	}
	return found
}

// browser is a person's browser: it keeps cookies by name (Secure ones too:
// the test server is plain http) and does not follow redirects.
type browser struct {
	t       *testing.T
	base    string
	cookies map[string]*http.Cookie
	last    []*http.Cookie
}

func (p *people) browser(t *testing.T) *browser {
	return &browser{t: t, base: p.srv.URL, cookies: map[string]*http.Cookie{}}
}

var noFollow = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func (b *browser) do(method, path string, form url.Values) (int, string, string) {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, b.base+path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, raw := b.send(req)
	b.last = resp.Cookies()
	for _, c := range resp.Cookies() {
		if c.MaxAge < 0 {
			delete(b.cookies, c.Name)
		} else {
			b.cookies[c.Name] = c
		}
	}
	return resp.StatusCode, resp.Header.Get("Location"), string(raw)
}

// send sends req with the browser's cookies, without following a
// redirect, and reads the whole answer.
func (b *browser) send(req *http.Request) (*http.Response, []byte) {
	b.t.Helper()
	for _, c := range b.cookies {
		req.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
	}
	resp, err := noFollow.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp, raw
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)
var sessionField = regexp.MustCompile(`name="session" value="([^"]+)"`)

func field(t *testing.T, re *regexp.Regexp, page string) string {
	t.Helper()
	m := re.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no %s in the page:\n%s", re, page)
	}
	return m[1]
}

// firstSignIn signs an invited person in through the dashboard: e-mail and
// temporary password, then their own password.
func (b *browser) firstSignIn(email, temp, password string) {
	b.t.Helper()
	st, _, page := b.do("GET", "/dashboard/sign-in", nil)
	if st != 200 {
		b.t.Fatalf("sign-in page: %d", st)
	}
	csrf := field(b.t, csrfField, page)
	st, _, page = b.do("POST", "/dashboard/sign-in", url.Values{"csrf": {csrf}, "email": {email}, "password": {temp}})
	if st != 200 || !strings.Contains(page, "Choose your password") {
		b.t.Fatalf("first sign-in: want the new-password form, got %d\n%s", st, page)
	}
	session := field(b.t, sessionField, page)
	st, _, page = b.do("POST", "/dashboard/sign-in/new-password", url.Values{"csrf": {csrf}, "email": {email}, "session": {session},
		"new_password": {password}, "confirm_password": {password}})
	if st != http.StatusSeeOther {
		b.t.Fatalf("new password: %d\n%s", st, page)
	}
}

// signIn signs a person in with their password.
func (b *browser) signIn(email, password string) {
	b.t.Helper()
	_, _, page := b.do("GET", "/dashboard/sign-in", nil)
	st, loc, page := b.do("POST", "/dashboard/sign-in", url.Values{"csrf": {field(b.t, csrfField, page)}, "email": {email}, "password": {password}})
	if st != http.StatusSeeOther || loc != "/dashboard" {
		b.t.Fatalf("sign in: %d %s\n%s", st, loc, page)
	}
}

// api calls the API with a bearer credential (a key or an access token).
func (p *people) api(t *testing.T, method, path, bearer, body string, header map[string]string) (int, map[string]any) {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, _ := http.NewRequest(method, p.srv.URL+path, r)
	req.Header.Set("Authorization", "Bearer "+bearer)
	req.Header.Set("User-Agent", "people-test/1")
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	_ = json.Unmarshal(raw, &out)
	return resp.StatusCode, out
}

func (p *people) accessToken(t *testing.T, email, password string) *cognito.Tokens {
	t.Helper()
	step, err := p.directory().SignIn(ctx, email, password)
	if err != nil || step.Tokens == nil {
		t.Fatalf("sign in %s: %+v %v", email, step, err)
	}
	return step.Tokens
}

const ownerPassword = "Owner-pass-2026!"

// signedInOwner makes merchant m and its first owner, owner@<m>.example,
// invited by the operator and signed in (first password) through the
// dashboard; it returns the merchant's API key and the owner's browser.
func signedInOwner(t *testing.T, p *people, m string) (string, *browser) {
	t.Helper()
	key := p.env.Merchant(t, m)
	email := "owner@" + m + ".example"
	if _, err := composeadmin.New(p.srv.Service.Env).InviteOwner(ctx, m, email); err != nil {
		t.Fatal(err)
	}
	b := p.browser(t)
	b.firstSignIn(email, p.temporaryPassword(t, email), ownerPassword)
	b.join(m)
	return key, b
}

// TestInviteToFirstSignIn: the operator invites a merchant's first owner;
// the invitation (in the outbox, as the pool mails it when deployed)
// carries a temporary password; the owner's first sign-in asks for their
// own password, refuses a weak one and opens a session in an HttpOnly,
// Secure, SameSite cookie; the member turns active; the audit log has the
// invitation by the operator and the sign-in.
func TestInviteToFirstSignIn(t *testing.T) {
	p := newPeople(t)
	key := p.env.Merchant(t, "shop-a")
	ops := composeadmin.New(p.srv.Service.Env)
	if _, err := ops.InviteOwner(ctx, "shop-a", "not an address"); err == nil {
		t.Fatal("an invalid address was accepted")
	}
	mem, err := ops.InviteOwner(ctx, "shop-a", "Owner@Shop-A.example")
	if err != nil || mem.Role != "owner" || mem.Status != "invited" || mem.Email != "owner@shop-a.example" {
		t.Fatalf("invite owner: %+v %v", mem, err)
	}
	temp := p.temporaryPassword(t, "owner@shop-a.example")
	b := p.browser(t)
	if st, loc, _ := b.do("GET", "/dashboard", nil); st != http.StatusSeeOther || loc != "/dashboard/sign-in" {
		t.Fatalf("signed out dashboard: %d %s", st, loc)
	}
	csrf, session := firstSignInRefusals(t, b, temp)
	firstPassword(t, b, csrf, session)
	if st, loc, _ := b.do("GET", "/dashboard", nil); st != http.StatusSeeOther || loc != "/dashboard/invitations" {
		t.Fatalf("before joining, the dashboard: %d %s", st, loc)
	}
	b.join("shop-a")
	st, _, page := b.do("GET", "/dashboard", nil)
	if st != 200 || !strings.Contains(page, "owner@shop-a.example") || !strings.Contains(page, "Sign out") {
		t.Fatalf("dashboard: %d\n%s", st, page)
	}
	p.browser(t).signIn("owner@shop-a.example", ownerPassword)
	ownerActiveAndAudited(t, p, key)
}

// firstSignInRefusals: a post without the page's CSRF token and a wrong
// password are refused; the temporary password asks for a new one.
func firstSignInRefusals(t *testing.T, b *browser, temp string) (csrf, session string) {
	t.Helper()
	_, _, page := b.do("GET", "/dashboard/sign-in", nil)
	csrf = field(t, csrfField, page)
	// A post without the page's token (another site's form) does nothing.
	if st, _, _ := b.do("POST", "/dashboard/sign-in", url.Values{"csrf": {"forged"}, "email": {"owner@shop-a.example"}, "password": {temp}}); st != 403 {
		t.Fatalf("sign-in without the CSRF token: %d", st)
	}
	if st, _, page := b.do("POST", "/dashboard/sign-in", url.Values{"csrf": {csrf}, "email": {"owner@shop-a.example"}, "password": {"Wrong-pass-123!"}}); st != 401 || !strings.Contains(page, "wrong") {
		t.Fatalf("wrong password: %d\n%s", st, page)
	}
	st, _, page := b.do("POST", "/dashboard/sign-in", url.Values{"csrf": {csrf}, "email": {"owner@shop-a.example"}, "password": {temp}})
	if st != 200 || !strings.Contains(page, "Choose your password") {
		t.Fatalf("first sign-in: %d\n%s", st, page)
	}
	return csrf, field(t, sessionField, page)
}

// firstPassword: a weak password is refused, a good one opens the session
// in an HttpOnly, Secure, SameSite=Lax cookie.
func firstPassword(t *testing.T, b *browser, csrf, session string) {
	t.Helper()
	weak := url.Values{"csrf": {csrf}, "email": {"owner@shop-a.example"}, "session": {session}, "new_password": {"short"}, "confirm_password": {"short"}}
	if st, _, page := b.do("POST", "/dashboard/sign-in/new-password", weak); st != 422 || !strings.Contains(page, "at least 12 characters") {
		t.Fatalf("weak password: %d\n%s", st, page)
	}
	good := url.Values{"csrf": {csrf}, "email": {"owner@shop-a.example"}, "session": {session}, "new_password": {ownerPassword}, "confirm_password": {ownerPassword}}
	if st, loc, page := b.do("POST", "/dashboard/sign-in/new-password", good); st != http.StatusSeeOther || loc != "/dashboard/invitations" {
		t.Fatalf("set password: %d %s\n%s", st, loc, page)
	}
	var sc *http.Cookie
	for _, c := range b.last {
		if c.Name == dashboard.SessionCookie {
			sc = c
		}
	}
	if sc == nil || !sc.HttpOnly || !sc.Secure || sc.SameSite != http.SameSiteLaxMode || sc.Path != "/" || sc.MaxAge != int(dashboard.AbsoluteTimeout.Seconds()) {
		t.Fatalf("session cookie: %+v", sc)
	}
}

// ownerActiveAndAudited: once joined the member is active, and the audit
// log has the operator's invitation, the member's joining and their
// sign-in.
func ownerActiveAndAudited(t *testing.T, p *people, key string) {
	t.Helper()
	st, list := p.api(t, "GET", "/v1/members", key, "", nil)
	data, _ := list["data"].([]any)
	if st != 200 || len(data) != 1 {
		t.Fatalf("members: %d %v", st, list)
	}
	owner := data[0].(map[string]any)
	if owner["status"] != "active" || owner["last_sign_in_at"] == nil || owner["role"] != "owner" || owner["invited_by"].(map[string]any)["type"] != "operator" {
		t.Fatalf("the owner after their first sign-in: %v", owner)
	}
	if _, leaked := owner["sub"]; leaked {
		t.Fatalf("the member shows the pool's subject: %v", owner)
	}
	st, audit := p.api(t, "GET", "/v1/audit-log?resource="+owner["id"].(string), key, "", nil)
	entries, _ := audit["data"].([]any)
	if st != 200 || len(entries) != 3 {
		t.Fatalf("audit of the owner: %d %v", st, audit)
	}
	signedIn, join, invited := entries[0].(map[string]any), entries[1].(map[string]any), entries[2].(map[string]any)
	if signedIn["action"] != "member.signed_in" || signedIn["actor"].(map[string]any)["type"] != "member" || signedIn["ip"] != "127.0.0.1" ||
		join["action"] != "member.joined" || join["actor"].(map[string]any)["type"] != "member" ||
		invited["action"] != "member.invited" || invited["actor"].(map[string]any)["type"] != "operator" {
		t.Fatalf("audit entries: %v", entries)
	}
}

// TestMembersRolesAndTokens: a member calls the API with their access
// token in the role they hold: an owner invites a viewer, the viewer reads
// but cannot refund or invite (403 naming the permission); a forged token,
// one of another pool and a malformed one are 401; a person in two
// merchants names the merchant; the last owner cannot be removed or
// demoted; only owners (or full keys) touch owners.
func TestMembersRolesAndTokens(t *testing.T) {
	p := newPeople(t)
	keyA, keyB := p.env.Merchant(t, "shop-a"), p.env.Merchant(t, "shop-b")
	ops := composeadmin.New(p.srv.Service.Env)
	if _, err := ops.InviteOwner(ctx, "shop-a", "owner@shop-a.example"); err != nil {
		t.Fatal(err)
	}
	ob := p.browser(t)
	ob.firstSignIn("owner@shop-a.example", p.temporaryPassword(t, "owner@shop-a.example"), ownerPassword)
	ob.join("shop-a")
	owner := p.accessToken(t, "owner@shop-a.example", ownerPassword)

	link := ownerInvitesViewer(t, p, owner)
	viewer := viewerRefused(t, p, link)
	foreignTokensRefused(t, p, viewer)
	twoMerchants(t, p, keyB, viewer)
	owners(t, p, keyA, keyB, owner)
}

// ownerInvitesViewer: an owner's token creates a link and invites a
// viewer; inviting again is 409, bad invitations 422 naming the field.
func ownerInvitesViewer(t *testing.T, p *people, owner *cognito.Tokens) map[string]any {
	t.Helper()
	st, link := p.api(t, "POST", "/v1/payment-links", owner.Access, `{"amount":{"currency":"EUR","value":"10.00"},"description":"by the owner","customer":{"first_name":"Ana","last_name":"Lopez","email":"ana@example.com"}}`, nil)
	if st != 201 {
		t.Fatalf("owner creates a link: %d %v", st, link)
	}
	st, inv := p.api(t, "POST", "/v1/members", owner.Access, `{"email":"viewer@shop-a.example","role":"viewer"}`, nil)
	if st != 201 || inv["role"] != "viewer" || inv["invited_by"].(map[string]any)["type"] != "member" {
		t.Fatalf("owner invites a viewer: %d %v", st, inv)
	}
	if st, dup := p.api(t, "POST", "/v1/members", owner.Access, `{"email":"viewer@shop-a.example","role":"finance"}`, nil); st != 409 {
		t.Fatalf("inviting a member again: %d %v", st, dup)
	}
	for body, field := range map[string]string{`{"email":"not-an-address","role":"viewer"}`: "email", `{"email":"x@shop-a.example","role":"boss"}`: "role", `{"role":"viewer"}`: "email"} {
		st, pr := p.api(t, "POST", "/v1/members", owner.Access, body, nil)
		if errs, _ := pr["errors"].([]any); st != 422 || len(errs) == 0 || errs[0].(map[string]any)["field"] != field {
			t.Errorf("invite %s: %d %v", body, st, pr)
		}
	}
	return link
}

// viewerRefused: a viewer reads, and is refused (403 naming the
// permission) refunds, links, members, keys and the audit log.
func viewerRefused(t *testing.T, p *people, link map[string]any) *cognito.Tokens {
	t.Helper()
	vb := p.browser(t)
	vb.firstSignIn("viewer@shop-a.example", p.temporaryPassword(t, "viewer@shop-a.example"), "Viewer-pass-2026!")
	vb.join("shop-a")
	viewer := p.accessToken(t, "viewer@shop-a.example", "Viewer-pass-2026!")
	if st, _ := p.api(t, "GET", "/v1/payment-links/"+link["id"].(string), viewer.Access, "", nil); st != 200 {
		t.Fatalf("viewer reads a link: %d", st)
	}
	for _, c := range []struct{ method, path, body, perm string }{
		{"POST", "/v1/payment-links/" + link["id"].(string) + "/refunds", `{"amount":{"currency":"EUR","value":"1.00"}}`, "refunds:write"},
		{"POST", "/v1/payment-links", `{"amount":{"currency":"EUR","value":"1.00"},"description":"x"}`, "links:write"},
		{"POST", "/v1/members", `{"email":"x@shop-a.example","role":"viewer"}`, "members:write"},
		{"POST", "/v1/api-keys", `{}`, "keys:write"},
		{"GET", "/v1/audit-log", "", "audit:read"},
	} {
		st, pr := p.api(t, c.method, c.path, viewer.Access, c.body, nil)
		if st != 403 || pr["missing_permission"] != c.perm {
			t.Errorf("viewer %s %s: %d %v, want 403 missing %s", c.method, c.path, st, pr, c.perm)
		}
	}
	return viewer
}

// foreignTokensRefused: tokens paylinks did not get from its pool, or
// altered, are 401.
func foreignTokensRefused(t *testing.T, p *people, viewer *cognito.Tokens) {
	t.Helper()
	other := testenv.NewPool(t)
	od := cognito.New(testenv.AWSConfig(t), other, func(context.Context, cognito.Invitation) error { return nil })
	if _, _, err := od.Invite(ctx, "viewer@shop-a.example"); err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(viewer.Access, ".")
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	forged := parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(strings.Replace(string(payload), `"sub"`, `"sub_"`, 1)+" ")) + "." + parts[2]
	for name, tok := range map[string]string{"altered payload": forged, "id token": viewer.ID, "malformed": "a.b.c",
		"signature removed": parts[0] + "." + parts[1] + "."} {
		if st, _ := p.api(t, "GET", "/v1/payment-links", tok, "", nil); st != 401 {
			t.Errorf("%s: %d, want 401", name, st)
		}
	}
}

// twoMerchants: a person in two merchants names the one they act in.
func twoMerchants(t *testing.T, p *people, keyB string, viewer *cognito.Tokens) {
	t.Helper()
	if st, inv := p.api(t, "POST", "/v1/members", keyB, `{"email":"viewer@shop-a.example","role":"finance"}`, nil); st != 201 {
		t.Fatalf("shop-b invites the same person: %d %v", st, inv)
	}
	joined(t, p, "shop-b", "viewer@shop-a.example")
	// Without the header: the merchant joined first (shop-a, viewer).
	if st, pr := p.api(t, "GET", "/v1/audit-log", viewer.Access, "", nil); st != 403 || pr["missing_permission"] != "audit:read" {
		t.Fatalf("a member of two merchants without the header: %d %v", st, pr)
	}
	if st, _ := p.api(t, "GET", "/v1/audit-log", viewer.Access, "", map[string]string{"Paylinks-Merchant": "shop-b"}); st != 200 {
		t.Fatalf("finance in shop-b reads its audit log: %d", st)
	}
	if st, _ := p.api(t, "GET", "/v1/audit-log", viewer.Access, "", map[string]string{"Paylinks-Merchant": "shop-a"}); st != 403 {
		t.Fatalf("viewer in shop-a reads the audit log: %d", st)
	}
	if st, _ := p.api(t, "GET", "/v1/payment-links", viewer.Access, "", map[string]string{"Paylinks-Merchant": "shop-c"}); st != 403 {
		t.Fatalf("a merchant the person is not a member of: %d", st)
	}
}

// owners: the last one stays; only owners (or full keys) touch them; a
// removed member's token no longer reaches the merchant.
func owners(t *testing.T, p *people, keyA, keyB string, owner *cognito.Tokens) {
	t.Helper()
	_, list := p.api(t, "GET", "/v1/members", keyA, "", nil)
	var ownerID, viewerID string
	for _, m := range list["data"].([]any) {
		mm := m.(map[string]any)
		if mm["role"] == "owner" {
			ownerID = mm["id"].(string)
		} else {
			viewerID = mm["id"].(string)
		}
	}
	if st, pr := p.api(t, "PATCH", "/v1/members/"+ownerID, owner.Access, `{"role":"viewer"}`, nil); st != 409 {
		t.Fatalf("demote the last owner: %d %v", st, pr)
	}
	if st, _ := p.api(t, "DELETE", "/v1/members/"+ownerID, owner.Access, "", nil); st != 409 {
		t.Fatalf("remove the last owner: %d", st)
	}
	_, restricted := p.api(t, "POST", "/v1/api-keys", keyA, `{"name":"hr","permissions":["members:write","links:read","customers:read","settings:read","links:write","links:send","customers:write"]}`, nil)
	hr := restricted["secret"].(string)
	if st, pr := p.api(t, "PATCH", "/v1/members/"+viewerID, hr, `{"role":"owner"}`, nil); st != 403 || !strings.Contains(pr["detail"].(string), "owner") {
		t.Fatalf("a restricted key makes an owner: %d %v", st, pr)
	}
	if st, m := p.api(t, "PATCH", "/v1/members/"+viewerID, hr, `{"role":"operator"}`, nil); st != 200 || m["role"] != "operator" {
		t.Fatalf("a members:write key changes a viewer's role: %d %v", st, m)
	}
	if st, m := p.api(t, "PATCH", "/v1/members/"+viewerID, owner.Access, `{"role":"owner"}`, nil); st != 200 || m["role"] != "owner" {
		t.Fatalf("an owner makes another owner: %d %v", st, m)
	}
	if st, _ := p.api(t, "DELETE", "/v1/members/"+ownerID, keyA, "", nil); st != 403 {
		t.Fatalf("a key removes an owner: %d", st)
	}
	if st, _ := p.api(t, "DELETE", "/v1/members/"+ownerID, owner.Access, "", nil); st != 204 {
		t.Fatalf("an owner removes an owner who is not the last (themselves): %d", st)
	}
	// Removed, the former owner's token no longer reaches the merchant.
	if st, _ := p.api(t, "GET", "/v1/payment-links", owner.Access, "", nil); st != 403 {
		t.Fatalf("a removed member: %d", st)
	}
	if st, _ := p.api(t, "DELETE", "/v1/members/mem_01JUNKJUNKJUNKJUNKJUNKJUNK", keyA, "", nil); st != 404 {
		t.Fatalf("remove an unknown member: %d", st)
	}
	if st, _ := p.api(t, "DELETE", "/v1/members/"+viewerID, keyB, "", nil); st != 404 {
		t.Fatalf("another merchant's member: %d", st)
	}
}

// TestSessions: a session ends after its idle timeout and at its absolute
// end whatever the activity; forms of a session need its CSRF token;
// signing out ends the session and revokes the person's refresh tokens in
// the pool; a person removed from the merchant loses the session.
func TestSessions(t *testing.T) {
	p := newPeople(t)
	key, b := signedInOwner(t, p, "shop-a")
	ops := composeadmin.New(p.srv.Service.Env)
	d := p.srv.Service.Dashboard
	at := time.Now()
	d.Now = func() time.Time { return at }

	// Idle: active every 20 minutes, the session lives; 31 idle minutes end it.
	for i := 0; i < 3; i++ {
		at = at.Add(20 * time.Minute)
		if st, _, _ := b.do("GET", "/dashboard", nil); st != 200 {
			t.Fatalf("active after %d x 20 min: %d", i+1, st)
		}
	}
	at = at.Add(dashboard.IdleTimeout + time.Minute)
	if st, loc, _ := b.do("GET", "/dashboard", nil); st != http.StatusSeeOther || loc != "/dashboard/sign-in" {
		t.Fatalf("after the idle timeout: %d %s", st, loc)
	}

	// Absolute: active every 25 minutes, the session still ends at 12 h.
	b.signIn("owner@shop-a.example", ownerPassword)
	start := at
	for at.Sub(start) < dashboard.AbsoluteTimeout-25*time.Minute {
		at = at.Add(25 * time.Minute)
		if st, _, _ := b.do("GET", "/dashboard", nil); st != 200 {
			t.Fatalf("active at %s: %d", at.Sub(start), st)
		}
	}
	at = start.Add(dashboard.AbsoluteTimeout + time.Second)
	if st, _, _ := b.do("GET", "/dashboard", nil); st != http.StatusSeeOther {
		t.Fatalf("after the absolute timeout: %d", st)
	}

	d.Now = time.Now
	signOutRevokes(t, p, b)
	removedMemberLosesSession(t, p, b, key, ops)
}

// signOutRevokes: sign-out needs the session's CSRF token, then ends the
// session and revokes the person's refresh tokens.
func signOutRevokes(t *testing.T, p *people, b *browser) {
	t.Helper()
	b.signIn("owner@shop-a.example", ownerPassword)
	tokens := p.accessToken(t, "owner@shop-a.example", ownerPassword)
	if _, err := p.directory().Refresh(ctx, tokens.Refresh); err != nil {
		t.Fatalf("refresh before sign-out: %v", err)
	}
	if st, _, _ := b.do("POST", "/dashboard/sign-out", url.Values{"csrf": {"forged"}}); st != 403 {
		t.Fatalf("sign-out without the CSRF token: %d", st)
	}
	_, _, page := b.do("GET", "/dashboard", nil)
	if st, loc, _ := b.do("POST", "/dashboard/sign-out", url.Values{"csrf": {field(t, csrfField, page)}}); st != http.StatusSeeOther || loc != "/dashboard/sign-in" {
		t.Fatalf("sign-out: %d %s", st, loc)
	}
	if _, err := p.directory().Refresh(ctx, tokens.Refresh); !errors.Is(err, cognito.ErrBadCredentials) {
		t.Fatalf("refresh after sign-out: %v, want refused", err)
	}
	if st, _, _ := b.do("GET", "/dashboard", nil); st != http.StatusSeeOther {
		t.Fatalf("dashboard after sign-out: %d", st)
	}
}

// removedMemberLosesSession: removed from the merchant, the person's
// session ends, and signing in again opens none.
func removedMemberLosesSession(t *testing.T, p *people, b *browser, key string, ops *admin.Admin) {
	t.Helper()
	b.signIn("owner@shop-a.example", ownerPassword)
	if _, err := ops.InviteOwner(ctx, "shop-a", "second@shop-a.example"); err != nil {
		t.Fatal(err)
	}
	joined(t, p, "shop-a", "second@shop-a.example")
	if err := p.directory().SetPassword(ctx, "second@shop-a.example", ownerPassword); err != nil {
		t.Fatal(err)
	}
	second := p.accessToken(t, "second@shop-a.example", ownerPassword).Access
	_, list := p.api(t, "GET", "/v1/members", key, "", nil)
	for _, m := range list["data"].([]any) {
		if mm := m.(map[string]any); mm["email"] == "owner@shop-a.example" {
			if st, _ := p.api(t, "DELETE", "/v1/members/"+mm["id"].(string), key, "", nil); st != 403 {
				t.Fatalf("a key removes an owner: %d", st)
			}
			if st, _ := p.api(t, "DELETE", "/v1/members/"+mm["id"].(string), second, "", nil); st != 204 {
				t.Fatalf("the second owner removes the first: %d", st)
			}
		}
	}
	if st, _, _ := b.do("GET", "/dashboard", nil); st != http.StatusSeeOther {
		t.Fatalf("a removed member's session: %d", st)
	}
	// Signing in again: no membership, no session.
	_, _, page := b.do("GET", "/dashboard/sign-in", nil)
	if st, _, page := b.do("POST", "/dashboard/sign-in", url.Values{"csrf": {field(t, csrfField, page)}, "email": {"owner@shop-a.example"}, "password": {ownerPassword}}); st != 403 || !strings.Contains(page, "not a member") {
		t.Fatalf("sign-in of a person with no membership: %d\n%s", st, page)
	}
}

// totp is the RFC 6238 code of a base32 secret at t (SHA-1, 30 s, 6
// digits), as an authenticator app computes it.
func totp(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	key, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(strings.ToUpper(strings.TrimRight(secret, "=")))
	if err != nil {
		t.Fatalf("secret %q: %v", secret, err)
	}
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], uint64(at.Unix()/30))
	mac := hmac.New(sha1.New, key)
	mac.Write(msg[:])
	sum := mac.Sum(nil)
	off := sum[len(sum)-1] & 0x0f
	v := binary.BigEndian.Uint32(sum[off:off+4]) & 0x7fffffff
	return fmt.Sprintf("%06d", v%1000000)
}

var secretField = regexp.MustCompile(`<code id="totp-secret">([A-Za-z2-7=]+)</code>`)

// TestOwnerRequiresMFA: an owner requires two-step verification; a member
// without it is taken, at their next sign-in, to set it up (nothing else
// opens until then; a wrong code is refused); from then on signing in asks
// for a TOTP code, and a wrong one is refused.
func TestOwnerRequiresMFA(t *testing.T) {
	p := newPeople(t)
	key := p.env.Merchant(t, "shop-a")
	ops := composeadmin.New(p.srv.Service.Env)
	if _, err := ops.InviteOwner(ctx, "shop-a", "owner@shop-a.example"); err != nil {
		t.Fatal(err)
	}
	b := p.browser(t)
	b.firstSignIn("owner@shop-a.example", p.temporaryPassword(t, "owner@shop-a.example"), ownerPassword)
	b.join("shop-a")
	if st, _, _ := b.do("GET", "/dashboard", nil); st != 200 {
		t.Fatalf("before MFA is required: %d", st)
	}
	if st, s := p.api(t, "PUT", "/v1/settings", key, `{"require_mfa":true}`, nil); st != 403 {
		t.Fatalf("a key requires MFA: %d %v", st, s)
	}
	if st, s := b.call("PUT", "/v1/settings", `{"require_mfa":true}`, b.sessionCSRF()); st != 200 || s["require_mfa"] != true {
		t.Fatalf("the owner requires MFA: %d %v", st, s)
	}

	b = p.browser(t)
	b.do("GET", "/dashboard/sign-in", nil)
	_, _, page := b.do("GET", "/dashboard/sign-in", nil)
	st, loc, _ := b.do("POST", "/dashboard/sign-in", url.Values{"csrf": {field(t, csrfField, page)}, "email": {"owner@shop-a.example"}, "password": {ownerPassword}})
	if st != http.StatusSeeOther || loc != "/dashboard/mfa-setup" {
		t.Fatalf("sign-in when MFA is required: %d %s", st, loc)
	}
	if st, loc, _ := b.do("GET", "/dashboard", nil); st != http.StatusSeeOther || loc != "/dashboard/mfa-setup" {
		t.Fatalf("the dashboard before the set-up: %d %s", st, loc)
	}
	st, _, page = b.do("GET", "/dashboard/mfa-setup", nil)
	if st != 200 {
		t.Fatalf("set-up page: %d\n%s", st, page)
	}
	secret := field(t, secretField, page)
	csrf := field(t, csrfField, page)
	if st, _, page := b.do("POST", "/dashboard/mfa-setup", url.Values{"csrf": {csrf}, "secret": {secret}, "code": {"000000"}}); st != 422 || !strings.Contains(page, "wrong") {
		t.Fatalf("a wrong set-up code: %d\n%s", st, page)
	}
	if st, loc, page := b.do("POST", "/dashboard/mfa-setup", url.Values{"csrf": {csrf}, "secret": {secret}, "code": {totp(t, secret, time.Now())}}); st != http.StatusSeeOther || loc != "/dashboard" {
		t.Fatalf("set-up: %d %s\n%s", st, loc, page)
	}
	if st, _, _ := b.do("GET", "/dashboard", nil); st != 200 {
		t.Fatalf("dashboard after the set-up: %d", st)
	}

	signInWithCode(t, p, secret)
	_, audit := p.api(t, "GET", "/v1/audit-log", key, "", nil)
	if !strings.Contains(fmt.Sprint(audit["data"]), "member.mfa_enabled") {
		t.Fatalf("the set-up is not in the audit log: %v", audit)
	}
}

// signInWithCode: once set up, signing in asks for a TOTP code and refuses
// a wrong one.
func signInWithCode(t *testing.T, p *people, secret string) {
	t.Helper()
	b := p.browser(t)
	_, _, page := b.do("GET", "/dashboard/sign-in", nil)
	csrf := field(t, csrfField, page)
	st, _, page := b.do("POST", "/dashboard/sign-in", url.Values{"csrf": {csrf}, "email": {"owner@shop-a.example"}, "password": {ownerPassword}})
	if st != 200 || !strings.Contains(page, "authenticator") {
		t.Fatalf("sign-in with MFA: %d\n%s", st, page)
	}
	session := field(t, sessionField, page)
	if st, _, page := b.do("POST", "/dashboard/sign-in/mfa", url.Values{"csrf": {csrf}, "email": {"owner@shop-a.example"}, "session": {session}, "code": {"123456"}}); st != 422 {
		t.Fatalf("a wrong sign-in code: %d\n%s", st, page)
	}
	if st, loc, page := b.do("POST", "/dashboard/sign-in/mfa", url.Values{"csrf": {csrf}, "email": {"owner@shop-a.example"}, "session": {session}, "code": {totp(t, secret, time.Now())}}); st != http.StatusSeeOther || loc != "/dashboard" {
		t.Fatalf("sign-in code: %d %s\n%s", st, loc, page)
	}
}

// TestSwitchMerchant: a person in two merchants works in one at a time and
// switches with the session's CSRF token; a merchant they are not a member
// of is refused and the session stays where it was.
func TestSwitchMerchant(t *testing.T) {
	p := newPeople(t)
	p.env.Merchant(t, "shop-a")
	p.env.Merchant(t, "shop-b")
	ops := composeadmin.New(p.srv.Service.Env)
	for _, m := range []string{"shop-a", "shop-b"} {
		if _, err := ops.InviteOwner(ctx, m, "owner@shops.example"); err != nil {
			t.Fatal(err)
		}
	}
	b := p.browser(t)
	b.firstSignIn("owner@shops.example", p.temporaryPassword(t, "owner@shops.example"), ownerPassword)
	b.join("shop-a")
	b.join("shop-b")
	_, _, page := b.do("GET", "/dashboard", nil)
	if !strings.Contains(page, "<strong>shop-a</strong>") || !strings.Contains(page, `<option value="shop-b"`) {
		t.Fatalf("home of a person in two merchants:\n%s", page)
	}
	csrf := field(t, csrfField, page)
	if st, _, _ := b.do("POST", "/dashboard/merchant", url.Values{"csrf": {"forged"}, "merchant": {"shop-b"}}); st != 403 {
		t.Fatalf("switch without the CSRF token: %d", st)
	}
	if st, _, _ := b.do("POST", "/dashboard/merchant", url.Values{"csrf": {csrf}, "merchant": {"shop-c"}}); st != 403 {
		t.Fatalf("switch to a merchant not theirs: %d", st)
	}
	if _, _, page := b.do("GET", "/dashboard", nil); !strings.Contains(page, "<strong>shop-a</strong>") {
		t.Fatalf("a refused switch moved the session:\n%s", page)
	}
	if st, loc, _ := b.do("POST", "/dashboard/merchant", url.Values{"csrf": {csrf}, "merchant": {"shop-b"}}); st != http.StatusSeeOther || loc != "/dashboard" {
		t.Fatalf("switch: %d %s", st, loc)
	}
	if _, _, page := b.do("GET", "/dashboard", nil); !strings.Contains(page, "<strong>shop-b</strong>") {
		t.Fatalf("after the switch:\n%s", page)
	}
}
