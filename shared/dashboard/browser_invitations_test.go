package dashboard_test

import (
	"strings"
	"testing"

	"github.com/paylinks/paylinks/shared/devkit/seed"
	headless "github.com/paylinks/paylinks/shared/testkit/browser"
)

// TestBrowserInvitations: in Chromium, a member of "demo" invited by two
// more merchants signs in and is shown the invitations first (accessible,
// fits a phone); joining one adds it to the merchant switch, declining the
// other removes the invitation; neither merchant learned anything before.
func TestBrowserInvitations(t *testing.T) {
	p := newPeople(t)
	email := demoMember(t, p, "finance")
	keys := map[string]string{}
	for id, name := range map[string]string{"shop-b": "Bakery Bruno", "shop-c": "Café Clara"} {
		m := seed.Demo(id)
		m.Name = name
		key := p.env.MerchantWith(t, m)
		keys[id] = key
		if st, pr := p.api(t, "POST", "/v1/members", key, `{"email":"`+email+`","role":"viewer"}`, nil); st != 201 || pr["status"] != "invited" {
			t.Fatalf("%s invites %s: %d %v", id, email, st, pr)
		}
	}
	b := headless.New(t)
	b.Go(p.srv.URL + "/dashboard/sign-in")
	b.Fill("Email", email)
	b.Fill("Password", memberPassword)
	b.ClickButton("Sign in")
	b.WaitURL("/dashboard/invitations")
	if h := b.Text("h1"); h != "Invitations" {
		t.Fatalf("after signing in with invitations: %q", h)
	}
	for _, want := range []string{"Bakery Bruno", "Café Clara", "Invited as Viewer"} {
		if !strings.Contains(b.Text("main"), want) {
			t.Fatalf("the invitations page lacks %q: %q", want, b.Text("main"))
		}
	}
	checkPage(t, b, "invitations")

	b.ClickButton("Join Bakery Bruno")
	b.WaitURL("/dashboard/invitations")
	b.ClickButton("Decline Café Clara")
	b.WaitText("You have no open invitations.")
	checkPage(t, b, "invitations-answered")
	if opts := b.Text("#merchant"); !strings.Contains(opts, "shop-b") || strings.Contains(opts, "shop-c") {
		t.Fatalf("the merchant switch after joining shop-b and declining shop-c: %q", opts)
	}
	_, list := p.api(t, "GET", "/v1/members", keys["shop-c"], "", nil)
	if strings.Contains(fmtAny(list), email) {
		t.Fatalf("a declined invitation stays: %v", list)
	}
}
