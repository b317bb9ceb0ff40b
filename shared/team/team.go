// Package team is a merchant's people: inviting a person (into the user
// pool and the merchant) with a role. The API's members routes, the
// operators' "invite owner" and make dev's demo owner all invite through it.
package team

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/store"
)

// Inviter brings a person into the user pool (cognito.Directory): their
// pool username and subject.
type Inviter interface {
	Invite(ctx context.Context, email string) (username, sub string, err error)
}

// Store is what inviting needs of the table: the merchant's members, and
// a member added with its audit entry in one write. *store.Store is one.
type Store interface {
	ListMembers(ctx context.Context, m string) ([]domain.Member, error)
	AddMember(ctx context.Context, mem domain.Member, e store.AuditEntry) error
}

// Team invites people.
type Team struct {
	Store     Store
	Directory Inviter
	Now       func() time.Time
}

// Invite makes email a member of merchant m with role, invited by the
// actor of ctx; domain.ErrAlreadyMember before anything is mailed when
// they are one. The member and its audit entry are one write.
func (t *Team) Invite(ctx context.Context, m, email string, role domain.Role) (domain.Member, error) {
	mems, err := t.Store.ListMembers(ctx, m)
	if err != nil {
		return domain.Member{}, err
	}
	if slices.ContainsFunc(mems, func(x domain.Member) bool { return x.Email == email }) {
		return domain.Member{}, domain.ErrAlreadyMember
	}
	username, sub, err := t.Directory.Invite(ctx, email)
	if err != nil {
		return domain.Member{}, fmt.Errorf("invite %s: %w", m, err)
	}
	now := t.Now().UTC()
	mem := domain.Member{ID: domain.NewID("mem_", now), Merchant: m, Email: email, Role: role,
		Status: domain.MemberInvited, Sub: sub, Username: username, InvitedBy: domain.ActorOf(ctx), Created: now}
	mem.InvitedBy.IP, mem.InvitedBy.UserAgent = "", ""
	if err := t.Store.AddMember(ctx, mem, store.NewAuditEntry(ctx, now, "member.invited", mem.ID, nil, mem)); err != nil {
		return domain.Member{}, err
	}
	return mem, nil
}
