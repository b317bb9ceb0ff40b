package dashboard_test

import (
	"strings"
	"testing"

	headless "github.com/paylinks/paylinks/shared/testkit/browser"
)

// TestBrowserKeyboardOnly: a person without a mouse signs in, skips to the
// content, opens "New payment link" from the header, picks a customer in
// the type-ahead, fills the form, creates the link, closes the send menu
// and moves between the link's tabs: Tab, typing, arrows and Enter only.
func TestBrowserKeyboardOnly(t *testing.T) {
	p := newPeople(t)
	p.srv.Consume(t)
	email := demoMember(t, p, "operator")
	seedDemoLinks(t, p)
	b := headless.New(t)

	b.Go(p.srv.URL + "/dashboard/sign-in")
	b.TabTo("Email")
	b.Press(email)
	b.TabTo("Password")
	b.Press(memberPassword)
	b.Press("Enter")
	b.WaitURL("/dashboard")
	b.WaitText("4 of 4 links shown.")

	b.Press("Tab")
	if f := b.Focused(); f != "Skip to content" {
		t.Fatalf("the first Tab reaches %q, want the skip link", f)
	}
	b.Press("Enter")
	b.TabTo("Search")

	b.Go(p.srv.URL + "/dashboard")
	b.WaitText("4 of 4 links shown.")
	b.TabTo("New payment link")
	b.Press("Enter")
	b.WaitURL("/dashboard/links/new")
	b.WaitText("Find a customer")
	b.TabTo("Find a customer")
	b.Press("Peet")
	b.WaitText("ana@example.be")
	b.Press("ArrowDown")
	b.Press("Enter")
	b.WaitText("Chosen: Ana Peeters")
	b.TabTo("Amount")
	b.Press("7.25")
	b.TabTo("Description")
	b.Press("Typed, not clicked")
	b.TabTo("Create payment link")
	b.Press("Enter")
	b.WaitText("Payment link created: send it")
	b.TabTo("Close")
	b.Press("Enter")
	b.WaitText("Provider reference")
	if h := b.Text("h1"); h != "Typed, not clicked" {
		t.Fatalf("after the keyboard-made link: %q", h)
	}
	// The customer's language, untouched in the form: the link's.
	_, list := p.api(t, "GET", "/v1/payment-links?customer=ana@example.be", demoKeys.byPeople[p], "", nil)
	for _, l := range list["data"].([]any) {
		if l := l.(map[string]any); l["description"] == "Typed, not clicked" && l["language"] != "nl" {
			t.Fatalf("a link for Ana (nl) is in %v", l["language"])
		}
	}
	b.TabTo("Details")
	b.Press("ArrowRight")
	if tl := b.Text("ol.timeline"); !strings.Contains(tl, "Created") {
		t.Fatalf("the Events tab: %q", tl)
	}
	b.Press("ArrowRight")
	b.Press("ArrowRight")
	if f := b.Focused(); f != "Share" {
		t.Fatalf("the arrows moved the focus to %q, want Share", f)
	}
	if !strings.Contains(b.Text("[role=tabpanel]"), "Copy link") {
		t.Fatalf("the Share tab: %q", b.Text("[role=tabpanel]"))
	}
	b.Shot("keyboard-share")
	b.NoErrors(t)
}
