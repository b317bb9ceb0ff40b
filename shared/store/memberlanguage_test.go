package store_test

import (
	"errors"
	"testing"
	"time"

	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/store"
	"github.com/paylinks/paylinks/shared/testkit/testenv"
)

// TestMemberLanguage: a member's dashboard language is written to both
// copies of the membership (the merchant's team and the person's
// memberships), read back from each, cleared with "", leaves the person's
// other merchant alone, and is refused for a member that is gone.
func TestMemberLanguage(t *testing.T) {
	env := testenv.New(t)
	now := time.Now().UTC().Truncate(time.Second)
	mem := func(m string) domain.Member {
		return domain.Member{ID: "mem_" + m, Merchant: m, Email: "ana@lang.example", Role: domain.RoleOwner, Status: domain.MemberActive,
			Sub: "sub-lang", Username: "ana", Created: now}
	}
	for _, m := range []string{"m_lang_a", "m_lang_b"} {
		env.Merchant(t, m)
		if err := env.Store.AddMember(ctx, mem(m), store.NewAuditEntry(ctx, now, "member.invited", "mem_"+m, nil, nil)); err != nil {
			t.Fatal(err)
		}
	}
	languageIn := func(m string) (team, person string) {
		t.Helper()
		got, err := env.Store.GetMember(ctx, m, "mem_"+m)
		if err != nil {
			t.Fatal(err)
		}
		p, err := env.Store.Person(ctx, "sub-lang")
		if err != nil {
			t.Fatal(err)
		}
		in, _ := domain.MembershipIn(p.Memberships, m)
		return got.Language, in.Language
	}
	if err := env.Store.SetMemberLanguage(ctx, mem("m_lang_a"), "nl"); err != nil {
		t.Fatal(err)
	}
	if team, person := languageIn("m_lang_a"); team != "nl" || person != "nl" {
		t.Fatalf("after setting nl: team %q, person %q", team, person)
	}
	if team, person := languageIn("m_lang_b"); team != "" || person != "" {
		t.Fatalf("the other merchant's membership changed: %q %q", team, person)
	}
	if err := env.Store.SetMemberLanguage(ctx, mem("m_lang_a"), "fr"); err != nil {
		t.Fatal(err)
	}
	if team, person := languageIn("m_lang_a"); team != "fr" || person != "fr" {
		t.Fatalf("after fr: %q %q", team, person)
	}
	if err := env.Store.SetMemberLanguage(ctx, mem("m_lang_a"), ""); err != nil {
		t.Fatal(err)
	}
	if team, person := languageIn("m_lang_a"); team != "" || person != "" {
		t.Fatalf("after clearing: %q %q", team, person)
	}
	gone := mem("m_lang_a")
	gone.ID, gone.Sub = "mem_gone", "sub-gone"
	if err := env.Store.SetMemberLanguage(ctx, gone, "de"); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("a member that is not there: %v", err)
	}
	if _, err := env.Store.GetMember(ctx, "m_lang_a", "mem_gone"); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("a refused write made a member: %v", err)
	}
}
