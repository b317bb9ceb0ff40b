// Package pool composes the members' user pool (package cognito) for the
// functions that call it: people, the dashboard and admin.
package pool

import (
	"context"

	"github.com/paylinks/paylinks/shared/boot"
	"github.com/paylinks/paylinks/shared/cognito"
)

// Directory is the user pool of e, mailing invitations through
// e.InviteMail when it is set.
func Directory(e *boot.Env) *cognito.Directory {
	pool := e.Pool()
	return e.Shared("cognito.directory", func() any {
		var mail func(ctx context.Context, inv cognito.Invitation) error
		if e.InviteMail != nil {
			mail = func(ctx context.Context, inv cognito.Invitation) error {
				return e.InviteMail(ctx, inv.Email, inv.TemporaryPassword)
			}
		}
		return cognito.New(e.AWS, pool, mail)
	}).(*cognito.Directory)
}
