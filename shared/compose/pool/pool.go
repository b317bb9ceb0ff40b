// Package pool composes the members' user pool (package cognito) for the
// functions that call it: people, the dashboard and admin.
package pool

import (
	"context"

	"github.com/paylinks/paylinks/shared/boot"
	"github.com/paylinks/paylinks/shared/cognito"
)

// Directory is the user pool of e, mailing invitations through
// e.InviteMail when it is set. A directory holds no state (the pool and an
// SDK client), so each composition that calls the pool makes its own: boot
// names no cognito type, and functions that do not call the pool do not
// link its SDK.
func Directory(e *boot.Env) *cognito.Directory {
	var mail func(ctx context.Context, inv cognito.Invitation) error
	if invite := e.InviteMail; invite != nil {
		mail = func(ctx context.Context, inv cognito.Invitation) error {
			return invite(ctx, inv.Email, inv.TemporaryPassword)
		}
	}
	return cognito.New(e.AWS, e.Pool(), mail)
}
