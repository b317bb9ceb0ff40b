package dashboard_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	composeadmin "github.com/paylinks/paylinks/shared/compose/admin"
	"github.com/paylinks/paylinks/shared/store"
	// The package is named browser; people_test.go's HTTP client is the
	// type browser of this package, hence the name headless here.
	headless "github.com/paylinks/paylinks/shared/testkit/browser"
)

// memberPassword is the password of the members signedIn makes.
const memberPassword = "Member-pass-2026!"

// demoKeys are the full API keys of the merchant "demo" of each running
// service (demoMember seeds the merchant once per service).
var demoKeys = struct {
	sync.Mutex
	byPeople map[*people]string
	members  int
}{byPeople: map[*people]string{}}

// demoMember makes a member of the merchant "demo" with the role (owner,
// finance, operator, viewer) and memberPassword, and returns their e-mail.
// The invitation is the real one (by the operator for an owner, by the API
// for the others); the password is set through the directory, as a person
// choosing theirs at the first sign-in would.
func demoMember(t *testing.T, p *people, role string) string {
	t.Helper()
	demoKeys.Lock()
	key, seeded := demoKeys.byPeople[p]
	if !seeded {
		key = p.env.Merchant(t, "demo")
		demoKeys.byPeople[p] = key
	}
	demoKeys.members++
	email := fmt.Sprintf("%s-%d@demo.example", role, demoKeys.members)
	demoKeys.Unlock()
	if role == "owner" {
		if _, err := composeadmin.New(p.srv.Service.Env).InviteOwner(ctx, "demo", email); err != nil {
			t.Fatalf("invite the owner %s: %v", email, err)
		}
	} else if st, pr := p.api(t, "POST", "/v1/members", key, `{"email":"`+email+`","role":"`+role+`"}`, nil); st != 201 {
		t.Fatalf("invite the %s %s: %d %v", role, email, st, pr)
	}
	if err := p.directory().SetPassword(ctx, email, memberPassword); err != nil {
		t.Fatalf("password of %s: %v", email, err)
	}
	joined(t, p, "demo", email)
	return email
}

// joined makes email's invitation to merchant m a membership, as their
// Join on the invitations page does (TestConsent drives that page).
func joined(t *testing.T, p *people, m, email string) {
	t.Helper()
	mems, err := p.env.Store.ListMembers(ctx, m)
	if err != nil {
		t.Fatal(err)
	}
	for _, mem := range mems {
		if mem.Email == email {
			if err := p.env.Store.JoinMerchant(ctx, mem, time.Now(), store.NewAuditEntry(ctx, time.Now(), "member.joined", mem.ID, nil, nil)); err != nil {
				t.Fatalf("%s joins %s: %v", email, m, err)
			}
			return
		}
	}
	t.Fatalf("%s is not invited to %s", email, m)
}

// signInThroughPage signs the person in on the real sign-in page, as they
// would: Email, Password, the Sign in button, then the dashboard's home.
func signInThroughPage(b *headless.Browser, p *people, email string) {
	b.Go(p.srv.URL + "/dashboard/sign-in")
	b.Fill("Email", email)
	b.Fill("Password", memberPassword)
	b.ClickButton("Sign in")
	b.WaitURL("/dashboard")
}

// signedIn is a Chromium signed in to the dashboard as a new member of the
// merchant "demo" with the role, and the member's e-mail. The browser talks
// to the test server at http://127.0.0.1:<port>: Chromium keeps the Secure
// __Host- session cookie of a plain-http loopback address (it counts as
// potentially trustworthy), which TestBrowserSignIn shows.
func signedIn(t *testing.T, p *people, role string) (*headless.Browser, string) {
	t.Helper()
	email := demoMember(t, p, role)
	b := headless.New(t)
	signInThroughPage(b, p, email)
	return b, email
}
