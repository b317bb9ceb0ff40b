package dashboard_test

import (
	"strings"
	"testing"

	"github.com/paylinks/paylinks/shared/dashboard"
	headless "github.com/paylinks/paylinks/shared/testkit/browser"
)

// TestBrowserSignIn: in Chromium, the sign-in page is accessible (no
// serious or critical axe violation) and fits a 390 px phone; a wrong
// password shows the error to assistive technology and keeps the person
// on the page; the right one opens the dashboard (the Secure session
// cookie held over plain-http loopback); Sign out brings back the sign-in
// page; the strict CSP breaks nothing on the way.
func TestBrowserSignIn(t *testing.T) {
	p := newPeople(t)
	email := demoMember(t, p, "finance")
	b := headless.New(t)

	b.Go(p.srv.URL + "/dashboard/sign-in")
	b.Shot("sign-in")
	b.Axe(t, "the sign-in page")
	b.Mobile(t)
	b.Shot("sign-in-phone")
	b.Desktop()

	b.Fill("Email", email)
	b.Fill("Password", "Wrong-pass-2026!")
	b.ClickButton("Sign in")
	if alert := b.Text("[role=alert]"); !strings.Contains(alert, "wrong") {
		t.Fatalf("the wrong password's alert: %q", alert)
	}
	if u := b.URL(); u != p.srv.URL+"/dashboard/sign-in" {
		t.Fatalf("after a wrong password the person is at %s", u)
	}
	b.Shot("wrong-password")
	b.Axe(t, "the sign-in page with its error")

	signInThroughPage(b, p, email)
	// Chromium keeps the Secure __Host- cookie over http://127.0.0.1.
	if c := b.Cookie(dashboard.SessionCookie); c == nil || !c.Secure || !c.HTTPOnly || c.Domain != "127.0.0.1" {
		t.Fatalf("the session cookie in Chromium: %+v", c)
	}
	b.WaitText("Sign out")
	if !strings.Contains(b.Text("header"), email) {
		t.Fatalf("the header does not name %s: %q", email, b.Text("header"))
	}
	b.Shot("home")
	b.Axe(t, "the home")

	b.ClickButton("Sign out")
	b.WaitURL("/dashboard/sign-in")
	if h := b.Text("h1"); h != "Sign in" {
		t.Fatalf("after signing out: the page %q", h)
	}
	if c := b.Cookie(dashboard.SessionCookie); c != nil {
		t.Fatalf("the session cookie after signing out: %+v", c)
	}
	b.Go(p.srv.URL + "/dashboard")
	b.WaitURL("/dashboard/sign-in")
	b.NoErrors(t)

	// The fixture: an owner of "demo", signed in through the same page.
	owner, ownerEmail := signedIn(t, p, "owner")
	if !strings.Contains(owner.Text("header"), ownerEmail) {
		t.Fatalf("signedIn's header does not name %s: %q", ownerEmail, owner.Text("header"))
	}
	owner.NoErrors(t)
}
