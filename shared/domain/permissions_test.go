package domain

import (
	"slices"
	"testing"
)

func TestPermissionNamesAreAPIs(t *testing.T) {
	want := []string{"links:read", "links:write", "links:send", "refunds:write", "payments:review",
		"exports:read", "customers:read", "customers:write", "customers:erase", "settings:read",
		"settings:write", "keys:write", "members:write", "audit:read"}
	if len(AllPermissions) != len(want) {
		t.Fatalf("%d permissions, want %d", len(AllPermissions), len(want))
	}
	for i, p := range AllPermissions {
		if string(p) != want[i] {
			t.Errorf("permission %d = %q, want %q", i, p, want[i])
		}
		if !p.Known() {
			t.Errorf("%q not known", p)
		}
	}
	if Permission("links:delete").Known() || Permission("").Known() {
		t.Error("an unknown permission is known")
	}
}

func TestRoles(t *testing.T) {
	read := []Permission{LinksRead, CustomersRead, SettingsRead}
	want := map[Role][]Permission{
		RoleOwner:    AllPermissions,
		RoleAdmin:    AllPermissions,
		RoleFinance:  append(slices.Clone(read), RefundsWrite, PaymentsReview, ExportsRead, AuditRead),
		RoleOperator: append(slices.Clone(read), LinksWrite, LinksSend, CustomersWrite),
		RoleViewer:   read,
	}
	if len(Roles) != len(want) || len(RoleNames) != len(want) {
		t.Fatalf("%d roles (%d names), want %d", len(Roles), len(RoleNames), len(want))
	}
	for role, perms := range want {
		if !slices.Equal(Roles[role], perms) {
			t.Errorf("role %s = %v, want %v", role, Roles[role], perms)
		}
	}
	cases := []struct {
		role   Role
		needed Permission
		ok     bool
	}{
		{RoleViewer, LinksRead, true},
		{RoleViewer, LinksWrite, false},
		{RoleViewer, RefundsWrite, false},
		{RoleFinance, RefundsWrite, true},
		{RoleFinance, ExportsRead, true},
		{RoleFinance, LinksWrite, false},
		{RoleOperator, LinksWrite, true},
		{RoleOperator, LinksSend, true},
		{RoleOperator, RefundsWrite, false},
		{RoleOperator, KeysWrite, false},
		{RoleAdmin, KeysWrite, true},
		{RoleOwner, MembersWrite, true},
	}
	for _, c := range cases {
		if got := Allows(Roles[c.role], c.needed); got != c.ok {
			t.Errorf("Allows(%s, %s) = %v, want %v", c.role, c.needed, got, c.ok)
		}
	}
	// A role's set is its own: appending to one does not change another.
	if &Roles[RoleFinance][0] == &Roles[RoleOperator][0] {
		t.Error("finance and operator share their backing array")
	}
}

func TestMissing(t *testing.T) {
	if p, ok := Missing([]Permission{LinksRead}, []Permission{LinksRead, LinksWrite, LinksSend}); !ok || p != LinksWrite {
		t.Errorf("Missing = %q %v, want links:write", p, ok)
	}
	if _, ok := Missing(AllPermissions, AllPermissions); ok {
		t.Error("all permissions miss something")
	}
	if Allows(nil, LinksRead) {
		t.Error("no permissions allow links:read")
	}
}

func TestParsePermissions(t *testing.T) {
	got, errs := ParsePermissions("permissions", []string{"links:write", "links:read"})
	if errs != nil || !slices.Equal(got, []Permission{LinksWrite, LinksRead}) {
		t.Fatalf("ParsePermissions = %v %v", got, errs)
	}
	for _, bad := range [][]string{nil, {}, {"links:write", "links:nuke"}, {"links:read", "links:read"}, {"LINKS:READ"}} {
		got, errs := ParsePermissions("permissions", bad)
		if got != nil || len(errs) != 1 || errs[0].Field != "permissions" {
			t.Errorf("ParsePermissions(%q) = %v %v, want one error on permissions", bad, got, errs)
		}
	}
}
