// Package admin composes the operators' administration function.
package admin

import (
	"github.com/paylinks/paylinks/shared/admin"
	"github.com/paylinks/paylinks/shared/boot"
	"github.com/paylinks/paylinks/shared/compose/pool"
	"github.com/paylinks/paylinks/shared/team"
)

// New is the administration over the table; a new test merchant gets the
// sandbox when the stage has it.
func New(e *boot.Env) *admin.Admin {
	_, sandbox := e.PSPNames()["sandbox"]
	return &admin.Admin{Store: e.Store(), Sandbox: sandbox, Now: e.Clock.Now,
		Team: &team.Team{Store: e.Store(), Directory: pool.Directory(e), Now: e.Clock.Now}}
}
