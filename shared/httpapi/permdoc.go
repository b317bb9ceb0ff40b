package httpapi

import (
	"fmt"
	"strings"

	"github.com/paylinks/paylinks/shared/domain"
)

// PermissionTable is docs/permissions.md's table, made from the route
// table (a test holds the document to it): each route, the permissions it
// needs, and what its answers show of people to a caller short of the
// rights to their data.
func PermissionTable() string {
	var b strings.Builder
	b.WriteString("| route | needs | people's data in the answer |\n|---|---|---|\n")
	for _, rt := range AllRoutes() {
		needs := "a member (no API key)"
		if !rt.MemberOnly {
			names := []string{"`" + string(rt.Permission) + "`"}
			for _, p := range rt.AlsoNeeds {
				names = append(names, "`"+string(p)+"`")
			}
			needs = strings.Join(names, " and ")
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s |\n", rt.Pattern, needs, peopleNote(rt))
	}
	return b.String()
}

// peopleNote says what a route's answer shows of people to a caller
// holding its permissions only.
func peopleNote(rt Route) string {
	grants := append([]domain.Permission{rt.Permission}, rt.AlsoNeeds...)
	r := rightsOf(grants)
	switch {
	case rt.MemberOnly, r.All():
		return "whole"
	case r.Customers:
		return "members' e-mails redacted without `members:write` or `settings:write`"
	case r.Members:
		return "customers' data redacted without `links:read` or `customers:read`"
	}
	return "customers' data and members' e-mails redacted without their permissions"
}
