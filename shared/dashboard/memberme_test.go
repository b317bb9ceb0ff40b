package dashboard_test

import (
	"testing"

	composeadmin "github.com/paylinks/paylinks/shared/compose/admin"
)

// TestMembersMeIsTheirOwn: GET and PATCH /v1/members/me show the member
// calling whole, their own e-mail included, whatever their role
// (docs/permissions.md: "whole"): a viewer's or a finance member's answer
// was redacted as another member's e-mail is for a caller without
// members:write or settings:write, so the e-mail was missing. Another
// member's e-mail stays redacted for them (GET /v1/members, the owner's).
func TestMembersMeIsTheirOwn(t *testing.T) {
	p := newPeople(t)
	p.env.Merchant(t, "shop-me")
	if _, err := composeadmin.New(p.srv.Service.Env).InviteOwner(ctx, "shop-me", "owner@shop-me.example"); err != nil {
		t.Fatal(err)
	}
	ob := p.browser(t)
	ob.firstSignIn("owner@shop-me.example", p.temporaryPassword(t, "owner@shop-me.example"), ownerPassword)
	ob.join("shop-me")
	owner := p.accessToken(t, "owner@shop-me.example", ownerPassword)
	for _, role := range []string{"viewer", "finance", "operator"} {
		email := role + "@shop-me.example"
		if st, inv := p.api(t, "POST", "/v1/members", owner.Access, `{"email":"`+email+`","role":"`+role+`"}`, nil); st != 201 {
			t.Fatalf("invite %s: %d %v", role, st, inv)
		}
		b := p.browser(t)
		b.firstSignIn(email, p.temporaryPassword(t, email), "Member-pass-2026!")
		b.join("shop-me")
		tok := p.accessToken(t, email, "Member-pass-2026!")
		if st, me := p.api(t, "GET", "/v1/members/me", tok.Access, "", nil); st != 200 || me["email"] != email || me["role"] != role {
			t.Errorf("%s: GET /v1/members/me: %d %v", role, st, me)
		}
		if st, me := p.api(t, "PATCH", "/v1/members/me", tok.Access, `{"language":"nl"}`, nil); st != 200 || me["email"] != email || me["language"] != "nl" {
			t.Errorf("%s: PATCH /v1/members/me: %d %v", role, st, me)
		}
		if role == "operator" {
			continue
		}
		_, list := p.api(t, "GET", "/v1/members", tok.Access, "", nil)
		for _, m := range list["data"].([]any) {
			if e, ok := m.(map[string]any)["email"]; ok && e != email {
				t.Errorf("%s: GET /v1/members shows %v", role, e)
			}
		}
	}
}
