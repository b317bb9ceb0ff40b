package domain

import (
	"errors"
	"fmt"
	"slices"
)

// The one rule for power (docs/api.md, People): no principal, member or API key,
// ever creates, invites, promotes or revokes anything that holds a
// permission it lacks itself. Making, changing or removing an owner, and
// requiring two-step verification, are for owner members only, never keys.
// These functions decide; the HTTP adapter asks them before any write.

// Authority is who acts, as the power rule sees it: what they hold, and
// whether they are a member (and in which role) or an API key.
type Authority struct {
	Grants []Permission
	// Member is true for a member (Role is theirs), false for an API key.
	Member bool
	Role   Role
}

// OwnerMember reports an owner acting as a member (never a key, whatever
// it holds).
func (a Authority) OwnerMember() bool { return a.Member && a.Role == RoleOwner }

// ExceedsError is an act refused because what it would give (or take from)
// holds a permission the actor lacks.
type ExceedsError struct {
	// Missing is the first such permission.
	Missing Permission
	// What names the act, for the message.
	What string
}

func (e *ExceedsError) Error() string {
	return fmt.Sprintf("%s would hold the permission %s, which you lack", e.What, e.Missing)
}

// ErrMFAOwnersOnly is a change of the two-step verification requirement by
// anyone but an owner member.
var ErrMFAOwnersOnly = errors.New("only an owner, signed in as a member, may turn two-step verification on or off")

// ErrLastOwnerLeaves is the last owner leaving their merchant.
var ErrLastOwnerLeaves = errors.New("the last owner may not leave: make another member owner first")

// within refuses what holds a permission the actor lacks.
func (a Authority) within(what string, held []Permission) error {
	for _, p := range held {
		if !slices.Contains(a.Grants, p) {
			return &ExceedsError{Missing: p, What: what}
		}
	}
	return nil
}

// KeyGrants is what a new API key holds: the permissions asked for, or,
// when none are, the maker's own. It is refused when that exceeds what the
// maker holds. nil means every permission (a full key).
func KeyGrants(a Authority, asked []Permission) ([]Permission, error) {
	if len(asked) == 0 {
		asked = a.Grants
	}
	if err := a.within("the key", asked); err != nil {
		return nil, err
	}
	if holdsAll(asked) {
		return nil, nil
	}
	return slices.Clone(asked), nil
}

func holdsAll(perms []Permission) bool {
	for _, p := range AllPermissions {
		if !slices.Contains(perms, p) {
			return false
		}
	}
	return true
}

// CanInvite decides an invitation with role: within the actor's
// permissions, and an owner only by an owner member.
func CanInvite(a Authority, role Role) error {
	if role == RoleOwner && !a.OwnerMember() {
		return ErrOwnersOnly
	}
	return a.within("the invited member", Roles[role])
}

// CanChangeRole decides moving a member from one role to another: both the
// member as they are and as they would be within the actor's permissions
// (nobody demotes or promotes someone above them), owners only by an owner
// member.
func CanChangeRole(a Authority, from, to Role) error {
	if from == to {
		return nil
	}
	if (from == RoleOwner || to == RoleOwner) && !a.OwnerMember() {
		return ErrOwnersOnly
	}
	if err := a.within("the member", Roles[from]); err != nil {
		return err
	}
	return a.within("the member", Roles[to])
}

// CanRemove decides removing a member of role: within the actor's
// permissions, an owner only by an owner member. (Leaving is not removing:
// see CanLeave.)
func CanRemove(a Authority, role Role) error {
	if role == RoleOwner && !a.OwnerMember() {
		return ErrOwnersOnly
	}
	return a.within("the member", Roles[role])
}

// CanLeave decides a member leaving their merchant: anyone may, but the
// last owner.
func CanLeave(m Member, owners int) error {
	if m.Role == RoleOwner && owners <= 1 {
		return ErrLastOwnerLeaves
	}
	return nil
}

// CanRevokeKey decides revoking a key that holds keyGrants: only a key
// within the actor's permissions.
func CanRevokeKey(a Authority, keyGrants []Permission) error {
	return a.within("the key", keyGrants)
}

// CanSetMFARequirement decides turning the two-step verification
// requirement on or off: owner members only.
func CanSetMFARequirement(a Authority) error {
	if !a.OwnerMember() {
		return ErrMFAOwnersOnly
	}
	return nil
}

// KeysToRevoke are the keys made on a member's behalf (by them, or by a key
// made on their behalf, and so on: each key records the member at the root
// of its makers, so the chain holds when a key between is gone) that they
// may no longer hold: all of them when the member leaves or is removed
// (grants nil), those exceeding their new role's grants when their role
// changes.
func KeysToRevoke[K any](keys []K, behalfOf func(K) string, holds func(K) []Permission, member string, grants []Permission) []K {
	var out []K
	for _, k := range keys {
		if behalfOf(k) == member && (Authority{Grants: grants}).within("", holds(k)) != nil {
			out = append(out, k)
		}
	}
	return out
}
