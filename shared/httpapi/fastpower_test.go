package httpapi_test

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/merchant"
)

// The rule for power in the fast tier (docs/api.md, People): no key or
// member ever creates, invites or promotes anything holding a permission
// it lacks; making, changing or removing an owner is for owner members
// only, never keys.

// newKey asks for a key through the API: its answer.
func (f *fastAPI) newKey(c caller, body string, hdr ...string) fastAnswer {
	f.t.Helper()
	return f.do(c, "POST", "/v1/api-keys", body, hdr...)
}

// storedKey is the stored key whose secret the answer shows.
func (f *fastAPI) storedKey(r fastAnswer) merchant.Key {
	f.t.Helper()
	secret, _ := r.object(f.t)["secret"].(string)
	f.st.mu.Lock()
	defer f.st.mu.Unlock()
	k, ok := f.st.keys[merchant.HashKey(secret)]
	if !ok {
		f.t.Fatalf("no stored key for %s", r.body)
	}
	return k
}

// TestFastKeysGrantNoMoreThanTheirMaker: a key asks for no permission its
// caller lacks (403 naming it, nothing written); left out, the new key
// holds its maker's; it works with exactly those; two full keys at most.
func TestFastKeysGrantNoMoreThanTheirMaker(t *testing.T) {
	f := newFastAPI(t)
	before := f.st.written()
	r := f.newKey(f.key(domain.KeysWrite), `{"name":"x","permissions":["links:read"]}`)
	wantProblem(t, "a keys:write key asks for links:read", r, 403, "")
	if r.object(t)["missing_permission"] != "links:read" || len(f.dataWrites(before)) != 0 {
		t.Fatalf("%s; writes %v", r.body, f.dataWrites(before))
	}
	wantProblem(t, "an unknown permission", f.newKey(f.key(domain.KeysWrite), `{"permissions":["links:fly"]}`), 422, "permissions")
	made := f.newKey(f.key(domain.KeysWrite, domain.LinksRead), `{"name":"reader"}`)
	k := made.object(t)
	if made.status != 201 || k["restricted"] != true || fmt.Sprint(k["permissions"]) != "[keys:write links:read]" {
		t.Fatalf("a key left without permissions: %d %s", made.status, made.body)
	}
	c := caller{key: k["secret"].(string)}
	if got := f.do(c, "GET", "/v1/payment-links", ""); got.status != 200 {
		t.Fatalf("the new key reads links: %d %s", got.status, got.body)
	}
	wantProblem(t, "the new key writes a link", f.do(c, "POST", "/v1/payment-links", smallLink), 403, "")
	full := f.key()
	if r := f.newKey(full, `{"name":"second"}`); r.status != 201 || r.object(t)["restricted"] != false {
		t.Fatalf("a second full key: %d %s", r.status, r.body)
	}
	wantProblem(t, "a third full key", f.newKey(full, `{}`), 409, "")
}

// TestFastKeyReplayAndRevoke: a key's creation under an Idempotency-Key
// is replayed without its secret, writing nothing; the listing shows no
// secret; a keys:write key revokes no full key; the only full key stays.
func TestFastKeyReplayAndRevoke(t *testing.T) {
	g := newFastAPI(t)
	only := g.key()
	first := g.newKey(only, `{"name":"ci","permissions":["links:read"]}`, "Idempotency-Key", "key-1")
	n := g.st.written()
	again := g.newKey(only, `{"name":"ci","permissions":["links:read"]}`, "Idempotency-Key", "key-1")
	a := again.object(t)
	if first.status != 201 || again.status != 201 || a["secret"] != nil || a["secret_note"] == nil || a["id"] != first.object(t)["id"] || len(g.dataWrites(n)) != 0 {
		t.Fatalf("replay: %d %s -> %d %s, writes %v", first.status, first.body, again.status, again.body, g.dataWrites(n))
	}
	list := g.do(only, "GET", "/v1/api-keys", "").data(t)
	var fullID string
	for _, x := range list {
		if x["secret"] != nil || x["hash"] != nil || x["prefix"] == nil || x["last4"] == nil {
			t.Fatalf("listing %v", x)
		}
		if x["restricted"] == false {
			fullID = x["id"].(string)
		}
	}
	wantProblem(t, "a keys:write key revokes the full key", g.do(g.key(domain.KeysWrite), "DELETE", "/v1/api-keys/"+fullID, ""), 403, "")
	wantProblem(t, "the only full key revoked", g.do(only, "DELETE", "/v1/api-keys/"+fullID, ""), 409, "")
	if r := g.do(only, "DELETE", "/v1/api-keys/"+a["id"].(string), ""); r.status != 204 {
		t.Fatalf("revoke: %d %s", r.status, r.body)
	}
}

// TestFastMembersTrust: an admin (and the full key they make) makes,
// changes and removes no owner; a members:write key holding a viewer's
// permissions gives no role beyond them; an owner promotes (the member's
// old session then no longer counts) and demotes, which revokes the keys
// the member made that their new role lacks.
func TestFastMembersTrust(t *testing.T) {
	f := newFastAPI(t)
	owner, oc := f.member(domain.RoleOwner)
	admin, ac := f.member(domain.RoleAdmin)
	viewer, _ := f.member(domain.RoleViewer)
	fullKey := f.newKey(ac, `{"name":"admin's"}`)
	readKey := f.newKey(ac, `{"name":"admin's reader","permissions":["links:read"]}`)
	if fullKey.status != 201 || f.storedKey(fullKey).Member != admin.ID || f.storedKey(fullKey).Restricted() {
		t.Fatalf("the admin's key: %d %s", fullKey.status, fullKey.body)
	}
	ak := caller{key: fullKey.object(t)["secret"].(string)}
	before := f.st.written()
	for name, c := range map[string]caller{"the admin": ac, "the admin's full key": ak} {
		wantProblem(t, name+" invites an owner", f.do(c, "POST", "/v1/members", `{"email":"boss@elsewhere.example","role":"owner"}`), 403, "")
		wantProblem(t, name+" makes the viewer owner", f.do(c, "PATCH", "/v1/members/"+viewer.ID, `{"role":"owner"}`), 403, "")
		wantProblem(t, name+" makes the admin owner", f.do(c, "PATCH", "/v1/members/"+admin.ID, `{"role":"owner"}`), 403, "")
		wantProblem(t, name+" demotes the owner", f.do(c, "PATCH", "/v1/members/"+owner.ID, `{"role":"viewer"}`), 403, "")
		wantProblem(t, name+" removes the owner", f.do(c, "DELETE", "/v1/members/"+owner.ID, ""), 403, "")
	}
	wantProblem(t, "a key requires two-step verification", f.do(ak, "PUT", "/v1/settings", `{"require_mfa":true}`), 403, "require_mfa")
	hr := f.key(domain.MembersWrite, domain.LinksRead, domain.CustomersRead, domain.SettingsRead)
	for _, role := range []string{"admin", "finance", "operator", "owner"} {
		wantProblem(t, "a viewer-level members:write key invites "+role, f.do(hr, "POST", "/v1/members", `{"email":"x@reader.example","role":"`+role+`"}`), 403, "")
		wantProblem(t, "a viewer-level members:write key makes the viewer "+role, f.do(hr, "PATCH", "/v1/members/"+viewer.ID, `{"role":"`+role+`"}`), 403, "")
	}
	if w := f.dataWrites(before); len(w) != 0 || f.invites.count() != 0 {
		t.Fatalf("refusals wrote %v, invited %d", w, f.invites.count())
	}
	if r := f.do(hr, "PATCH", "/v1/members/"+viewer.ID, `{"role":"viewer"}`); r.status != 200 || r.object(t)["role"] != "viewer" {
		t.Fatalf("the same role: %d %s", r.status, r.body)
	}
	promoteAndDemote(t, f, oc, admin, ac, ak, caller{key: readKey.object(t)["secret"].(string)})
}

// promoteAndDemote: the owner makes the admin owner (their session made
// before no longer counts), then viewer: their full key is revoked, their
// links:read key kept.
func promoteAndDemote(t *testing.T, f *fastAPI, oc caller, admin domain.Member, ac, fullKey, readKey caller) {
	t.Helper()
	if r := f.do(oc, "PATCH", "/v1/members/"+admin.ID, `{"role":"owner"}`); r.status != 200 || r.object(t)["role"] != "owner" {
		t.Fatalf("the owner promotes: %d %s", r.status, r.body)
	}
	wantProblem(t, "a session made before the role changed", f.do(ac, "GET", "/v1/members", ""), 401, "")
	if r := f.do(oc, "PATCH", "/v1/members/"+admin.ID, `{"role":"viewer"}`); r.status != 200 {
		t.Fatalf("the owner demotes: %d %s", r.status, r.body)
	}
	wantProblem(t, "the demoted member's full key", f.do(fullKey, "GET", "/v1/payment-links", ""), 401, "")
	if r := f.do(readKey, "GET", "/v1/payment-links", ""); r.status != 200 {
		t.Fatalf("the demoted member's links:read key: %d %s", r.status, r.body)
	}
}

// powerCase is one generated attempt: who calls (a key holding grants, or
// a member of a role) and what they ask (a key, a role change from one
// role to another, an invitation).
type powerCase struct {
	member   domain.Role // "" for a key
	grants   []domain.Permission
	act      string // key, role, invite
	asked    []domain.Permission
	omit     bool // a key asked without permissions
	from, to domain.Role
}

func (c powerCase) String() string {
	who := "key " + fmt.Sprint(c.grants)
	if c.member != "" {
		who = "member " + string(c.member)
	}
	switch c.act {
	case "key":
		if c.omit {
			return who + " makes a key without permissions"
		}
		return fmt.Sprintf("%s makes a key of %v", who, c.asked)
	case "role":
		return fmt.Sprintf("%s changes a %s to %s", who, c.from, c.to)
	}
	return fmt.Sprintf("%s invites a %s", who, c.to)
}

func genPowerCase(rng *rand.Rand) powerCase {
	var c powerCase
	c.act = []string{"key", "role", "invite"}[rng.IntN(3)]
	need := domain.MembersWrite
	if c.act == "key" {
		need = domain.KeysWrite
	}
	if rng.IntN(2) == 0 {
		c.member = domain.RoleNames[rng.IntN(len(domain.RoleNames))]
		c.grants = domain.Roles[c.member]
	} else {
		c.grants = subset(rng, 2)
		if rng.IntN(3) == 0 { // near a role: what role changes need
			c.grants = slices.Clone(domain.Roles[domain.RoleNames[rng.IntN(len(domain.RoleNames))]])
		}
		if rng.IntN(5) > 0 && !slices.Contains(c.grants, need) {
			c.grants = append(c.grants, need)
		}
	}
	c.omit = rng.IntN(4) == 0
	for len(c.asked) == 0 {
		c.asked = subset(rng, 1+rng.IntN(3))
	}
	c.from, c.to = domain.RoleNames[rng.IntN(len(domain.RoleNames))], domain.RoleNames[rng.IntN(len(domain.RoleNames))]
	return c
}

// subset is each permission with a chance of 1 in n.
func subset(rng *rand.Rand, n int) []domain.Permission {
	var out []domain.Permission
	for _, p := range domain.AllPermissions {
		if rng.IntN(n) == 0 {
			out = append(out, p)
		}
	}
	return out
}

func within(held, asked []domain.Permission) bool {
	return !slices.ContainsFunc(asked, func(p domain.Permission) bool { return !slices.Contains(held, p) })
}

// allowed is what docs/api.md allows the case, and the permission of its
// route.
func (c powerCase) allowed() (ok bool, route domain.Permission) {
	ownerMember := c.member == domain.RoleOwner
	switch c.act {
	case "key":
		want := c.asked
		if c.omit {
			want = c.grants
		}
		return within(c.grants, want), domain.KeysWrite
	case "role":
		ownerAct := c.from == domain.RoleOwner || c.to == domain.RoleOwner
		return c.from == c.to || within(c.grants, domain.Roles[c.from]) && within(c.grants, domain.Roles[c.to]) && (!ownerAct || ownerMember), domain.MembersWrite
	}
	return within(c.grants, domain.Roles[c.to]) && (c.to != domain.RoleOwner || ownerMember), domain.MembersWrite
}

// TestFastPowerNeverExceedsTheCaller is the rule as a property over
// generated callers and asks: whatever succeeds holds nothing the caller
// lacks (a new key's grants, a member's role before and after) and
// touches an owner only for an owner member; what the rule allows
// succeeds; a refusal is 403 and writes nothing.
func TestFastPowerNeverExceedsTheCaller(t *testing.T) {
	rng := rand.New(rand.NewPCG(30, 2026))
	counts := map[string]int{}
	for i := range 600 {
		c := genPowerCase(rng)
		ok, route := c.allowed()
		if !within(c.grants, []domain.Permission{route}) {
			ok = false
		}
		switch {
		case tryPower(t, c, ok):
			counts[c.act+" done"]++
			if c.act == "role" && c.from != c.to {
				counts["role changed"]++
			}
		case ok:
			counts[c.act+" past the rule"]++
		default:
			counts[c.act+" refused"]++
		}
		if t.Failed() {
			t.Fatalf("case %d: %s", i, c)
		}
	}
	for _, k := range []string{"key done", "key refused", "role changed", "role refused", "invite refused", "invite done"} {
		if counts[k] < 20 {
			t.Errorf("only %d cases of %q: %v", counts[k], k, counts)
		}
	}
	t.Logf("%v", counts)
}

// tryPower runs one case on a fresh API and checks it against want;
// whether it succeeded.
func tryPower(t *testing.T, c powerCase, want bool) bool {
	t.Helper()
	f := newFastAPI(t)
	f.member(domain.RoleOwner) // a second owner: the last owner's rule is not this test's
	var who caller
	if c.member != "" {
		_, who = f.member(c.member)
	} else {
		who = f.key(c.grants...)
	}
	target, _ := f.member(c.from)
	before := f.st.written()
	var r fastAnswer
	switch c.act {
	case "key":
		body := `{"name":"p"}`
		if !c.omit {
			perms, _ := json.Marshal(c.asked)
			body = `{"name":"p","permissions":` + string(perms) + `}`
		}
		r = f.newKey(who, body)
	case "role":
		r = f.do(who, "PATCH", "/v1/members/"+target.ID, `{"role":"`+string(c.to)+`"}`)
	default:
		r = f.do(who, "POST", "/v1/members", `{"email":"new@shop.example","role":"`+string(c.to)+`"}`)
	}
	done := r.status/100 == 2
	if !done {
		checkRefused(t, f, c, r, want, before)
		return false
	}
	if !want {
		t.Errorf("%s: %d %s, want 403", c, r.status, r.body)
	}
	checkDone(t, f, c, r, target)
	return true
}

// checkDone checks what a case that succeeded made: a key within the
// caller's permissions, a member in the role asked (an owner's only by an
// owner), an invitation made once with the role asked.
func checkDone(t *testing.T, f *fastAPI, c powerCase, r fastAnswer, target domain.Member) {
	t.Helper()
	owner := c.from == domain.RoleOwner || c.to == domain.RoleOwner
	switch c.act {
	case "key":
		if k := f.storedKey(r); !within(c.grants, k.Grants()) {
			t.Errorf("%s: the key holds %v, beyond %v", c, k.Grants(), c.grants)
		}
	case "role":
		got, _ := f.st.GetMember(t.Context(), "shop", target.ID)
		if got.Role != c.to || c.from != c.to && (!within(c.grants, domain.Roles[got.Role]) || owner && c.member != domain.RoleOwner) {
			t.Errorf("%s: the member is %s", c, got.Role)
		}
	case "invite":
		mems, _ := f.st.ListMembers(t.Context(), "shop")
		i := slices.IndexFunc(mems, func(m domain.Member) bool { return m.Email == "new@shop.example" })
		if i < 0 || mems[i].Role != c.to || !within(c.grants, domain.Roles[mems[i].Role]) || c.to == domain.RoleOwner && c.member != domain.RoleOwner || f.invites.count() != 1 {
			t.Errorf("%s: invited %d, members %v", c, f.invites.count(), mems)
		}
	}
}

// checkRefused checks a refusal: a 403 for what the rule refuses, nothing
// written, nobody invited.
func checkRefused(t *testing.T, f *fastAPI, c powerCase, r fastAnswer, want bool, before int) {
	t.Helper()
	if w := f.dataWrites(before); len(w) != 0 || f.invites.count() != 0 {
		t.Errorf("%s: refused (%d) but wrote %v, invited %d", c, r.status, w, f.invites.count())
	}
	switch {
	case want:
		t.Errorf("%s: %d %s, want it done", c, r.status, r.body)
	case r.status != 403:
		t.Errorf("%s: %d %s, want 403", c, r.status, r.body)
	}
}
