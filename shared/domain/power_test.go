package domain

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// actors are every authority there is: each role as a member, each role's
// grants as a key, and generated restricted keys.
func actors(rng *rand.Rand, n int) []Authority {
	var out []Authority
	for _, r := range RoleNames {
		out = append(out, Authority{Grants: Roles[r], Member: true, Role: r})
		out = append(out, Authority{Grants: Roles[r]})
	}
	for i := 0; i < n; i++ {
		out = append(out, Authority{Grants: subset(rng)})
	}
	return out
}

// subset is a random non-empty set of permissions.
func subset(rng *rand.Rand) []Permission {
	for {
		var s []Permission
		for _, p := range AllPermissions {
			if rng.IntN(2) == 0 {
				s = append(s, p)
			}
		}
		if len(s) > 0 {
			return s
		}
	}
}

func covers(held, asked []Permission) bool {
	for _, p := range asked {
		if !slices.Contains(held, p) {
			return false
		}
	}
	return true
}

// TestPowerNeverGrows: over every actor (member of each role, key of each
// role's grants, 300 generated restricted keys), every act (a key of each
// of 200 generated permission sets or none, an invitation of each role, each
// role change, each removal, a revocation of each generated key, the
// two-step verification requirement) is allowed exactly when what it gives
// or takes is within the actor's permissions and, for owners and the
// requirement, the actor is an owner member; what it gives never holds a
// permission the actor lacks.
func TestPowerNeverGrows(t *testing.T) {
	rng := rand.New(rand.NewPCG(29, 1))
	sets := [][]Permission{nil, AllPermissions}
	for i := 0; i < 200; i++ {
		sets = append(sets, subset(rng))
	}
	for _, a := range actors(rng, 300) {
		for _, asked := range sets {
			got, err := KeyGrants(a, asked)
			want := asked
			if len(want) == 0 {
				want = a.Grants
			}
			if ok := covers(a.Grants, want); ok != (err == nil) {
				t.Fatalf("%+v key %v: err %v, within %v", a, asked, err, ok)
			}
			if err == nil {
				held := got
				if held == nil {
					held = AllPermissions
				}
				if !covers(a.Grants, held) || !covers(held, want) || !covers(want, held) {
					t.Fatalf("%+v key %v holds %v", a, asked, held)
				}
			} else if e := (*ExceedsError)(nil); !errors.As(err, &e) || slices.Contains(a.Grants, e.Missing) {
				t.Fatalf("%+v key %v: refusal %v names a held permission", a, asked, err)
			}
			if err := CanRevokeKey(a, orAll(asked)); (err == nil) != covers(a.Grants, orAll(asked)) {
				t.Fatalf("%+v revoke %v: %v", a, asked, err)
			}
		}
		checkMembers(t, a)
		if err := CanSetMFARequirement(a); (err == nil) != (a.Member && a.Role == RoleOwner) {
			t.Fatalf("%+v require MFA: %v", a, err)
		}
	}
}

func orAll(p []Permission) []Permission {
	if len(p) == 0 {
		return AllPermissions
	}
	return p
}

func checkMembers(t *testing.T, a Authority) {
	t.Helper()
	owner := a.Member && a.Role == RoleOwner
	for _, to := range RoleNames {
		want := covers(a.Grants, Roles[to]) && (to != RoleOwner || owner)
		if err := CanInvite(a, to); (err == nil) != want {
			t.Fatalf("%+v invite %s: %v", a, to, err)
		}
		if err := CanRemove(a, to); (err == nil) != want {
			t.Fatalf("%+v remove %s: %v", a, to, err)
		}
		for _, from := range RoleNames {
			want := from == to || (covers(a.Grants, Roles[from]) && covers(a.Grants, Roles[to]) &&
				((from != RoleOwner && to != RoleOwner) || owner))
			if err := CanChangeRole(a, from, to); (err == nil) != want {
				t.Fatalf("%+v role %s -> %s: %v", a, from, to, err)
			}
		}
	}
}

// TestFindingsRefused: the two escalations found from outside.
func TestFindingsRefused(t *testing.T) {
	admin := Authority{Grants: Roles[RoleAdmin], Member: true, Role: RoleAdmin}
	key, err := KeyGrants(admin, nil)
	if err != nil {
		t.Fatal(err)
	}
	asKey := Authority{Grants: orAll(key)}
	if err := CanChangeRole(asKey, RoleAdmin, RoleOwner); !errors.Is(err, ErrOwnersOnly) {
		t.Fatalf("an admin's full key made an owner: %v", err)
	}
	if err := CanChangeRole(asKey, RoleOwner, RoleViewer); !errors.Is(err, ErrOwnersOnly) {
		t.Fatalf("an admin's full key demoted an owner: %v", err)
	}
	membersOnly := Authority{Grants: []Permission{MembersWrite}}
	if err := CanInvite(membersOnly, RoleAdmin); err == nil {
		t.Fatal("a members:write key invited an admin")
	}
	keysOnly := Authority{Grants: []Permission{KeysWrite}}
	if err := CanRevokeKey(keysOnly, AllPermissions); err == nil {
		t.Fatal("a keys:write key revoked a full key")
	}
}

// TestKeysToRevoke: over generated key trees (each key made by a member
// or by an earlier key, recording the member at the root of its makers),
// with keys between gone (revoked earlier), a removal revokes exactly the
// keys made on the member's behalf, a demotion exactly those of them that
// hold more than the new role; nothing of another member's.
func TestKeysToRevoke(t *testing.T) {
	type k struct {
		id, by, root string
		perms        []Permission
	}
	rng := rand.New(rand.NewPCG(8, 29))
	for round := 0; round < 500; round++ {
		var all []k
		for i := 0; i < 1+rng.IntN(12); i++ {
			x := k{id: fmt.Sprintf("key_%d", i), perms: subset(rng)}
			x.by = []string{"mem_a", "mem_b"}[rng.IntN(2)]
			x.root = x.by
			if len(all) > 0 && rng.IntN(2) == 0 {
				parent := all[rng.IntN(len(all))]
				x.by, x.root = parent.id, parent.root
			}
			all = append(all, x)
		}
		var keys []k // some revoked before: the chain through them holds
		for _, x := range all {
			if rng.IntN(4) > 0 {
				keys = append(keys, x)
			}
		}
		root := func(x k) string { return x.root }
		holds := func(x k) []Permission { return x.perms }
		for _, grants := range [][]Permission{nil, Roles[RoleViewer], Roles[RoleFinance], AllPermissions} {
			got := map[string]bool{}
			for _, x := range KeysToRevoke(keys, root, holds, "mem_a", grants) {
				got[x.id] = true
			}
			for _, x := range keys {
				if want := x.root == "mem_a" && !covers(grants, x.perms); got[x.id] != want {
					t.Fatalf("round %d grants %v: key %+v revoked %v, want %v", round, grants, x, got[x.id], want)
				}
			}
		}
	}
}
