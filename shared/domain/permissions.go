package domain

import (
	"fmt"
	"slices"
)

// Permission is one power over a merchant's account, held by an API key or
// (through its role) by a member. The names are docs/api.md's.
type Permission string

// The permissions, as docs/api.md names them.
const (
	LinksRead      Permission = "links:read"
	LinksWrite     Permission = "links:write" // create, patch, archive, duplicate, import
	LinksSend      Permission = "links:send"
	RefundsWrite   Permission = "refunds:write"
	PaymentsReview Permission = "payments:review"
	ExportsRead    Permission = "exports:read"
	CustomersRead  Permission = "customers:read"
	CustomersWrite Permission = "customers:write"
	CustomersErase Permission = "customers:erase"
	SettingsRead   Permission = "settings:read"
	SettingsWrite  Permission = "settings:write"
	KeysWrite      Permission = "keys:write"
	MembersWrite   Permission = "members:write"
	AuditRead      Permission = "audit:read"
)

// AllPermissions is every permission, in docs/api.md's order: what a full API
// key (one stored without permissions) and an owner hold.
var AllPermissions = []Permission{
	LinksRead, LinksWrite, LinksSend, RefundsWrite, PaymentsReview, ExportsRead,
	CustomersRead, CustomersWrite, CustomersErase, SettingsRead, SettingsWrite,
	KeysWrite, MembersWrite, AuditRead,
}

// ReadPermissions are what "read" means in a role: viewing links,
// customers and settings.
var ReadPermissions = []Permission{LinksRead, CustomersRead, SettingsRead}

// Role is a named set of permissions given to a member.
type Role string

// The roles.
const (
	RoleOwner    Role = "owner"
	RoleAdmin    Role = "admin"
	RoleFinance  Role = "finance"
	RoleOperator Role = "operator"
	RoleViewer   Role = "viewer"
)

// Roles maps each role to its permissions (docs/api.md: owner all; admin all, but
// it may not remove the last owner, a rule of members, not a permission;
// finance read, refunds, payments review, exports, audit; operator read,
// links:write, links:send, customers:write; viewer read only).
var Roles = map[Role][]Permission{
	RoleOwner:    AllPermissions,
	RoleAdmin:    AllPermissions,
	RoleFinance:  withRead(RefundsWrite, PaymentsReview, ExportsRead, AuditRead),
	RoleOperator: withRead(LinksWrite, LinksSend, CustomersWrite),
	RoleViewer:   withRead(),
}

// RoleNames are the roles in order of decreasing power.
var RoleNames = []Role{RoleOwner, RoleAdmin, RoleFinance, RoleOperator, RoleViewer}

func withRead(more ...Permission) []Permission {
	return append(slices.Clone(ReadPermissions), more...)
}

// Known reports a permission docs/api.md names.
func (p Permission) Known() bool { return slices.Contains(AllPermissions, p) }

// Allows reports whether a holder of perms may do what needs needed.
func Allows(perms []Permission, needed Permission) bool {
	return slices.Contains(perms, needed)
}

// Missing is the first of needed that perms lacks, and whether there is one.
func Missing(perms []Permission, needed []Permission) (Permission, bool) {
	for _, n := range needed {
		if !Allows(perms, n) {
			return n, true
		}
	}
	return "", false
}

// ParsePermissions reads permission names given at field (a key's
// requested permissions): each must be known and given once, and there must
// be at least one. The errors name field, and the entry in their message.
func ParsePermissions(field string, names []string) ([]Permission, FieldErrors) {
	var errs FieldErrors
	if len(names) == 0 {
		errs.Add(field, "must list at least one permission (leave it out for a key with your own permissions)")
		return nil, errs
	}
	out := make([]Permission, 0, len(names))
	for i, n := range names {
		p := Permission(n)
		switch {
		case !p.Known():
			errs.Add(field, fmt.Sprintf("entry %d: %q is not a permission", i, n))
		case slices.Contains(out, p):
			errs.Add(field, fmt.Sprintf("entry %d: %q is listed twice", i, n))
		default:
			out = append(out, p)
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return out, nil
}
