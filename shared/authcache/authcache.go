// Package authcache is what a warm API function keeps in memory of who
// calls: verified API keys, merchants' settings and people's memberships,
// each for TTL, so that a hot path spends its round trip on the work and not
// on reading again who asks. One set serves every API composed on a
// boot.Env (Env.AuthCaches): in make dev and the tests, where every function
// runs in one process, a change made through one is seen by the others at
// once, as it would be after TTL in separate functions.
package authcache

import (
	"context"
	"time"

	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/merchant"
)

// TTL is how long an entry is kept: the bound within which a change of a
// key, a merchant or a person made by another function counts.
const TTL = 30 * time.Second

// Source is what the caches load from (the store).
type Source interface {
	UseKey(ctx context.Context, secret string, now time.Time) (merchant.Key, error)
	GetMerchant(ctx context.Context, id string) (*merchant.Merchant, error)
	Person(ctx context.Context, sub string) (domain.Person, error)
}

// Caches are the three caches; whoever changes what one holds drops the
// entry (Forget) or all of them (Clear).
type Caches struct {
	Keys      *merchant.Cache[string, merchant.Key]
	Merchants *merchant.Cache[string, *merchant.Merchant]
	People    *merchant.Cache[string, domain.Person]
}

// New are empty caches over src; a key's use is stamped with now's time.
// Entries expire on the wall clock: TTL bounds how stale an entry is.
func New(src Source, now func() time.Time) *Caches {
	return &Caches{
		Keys: &merchant.Cache[string, merchant.Key]{TTL: TTL, Load: func(ctx context.Context, secret string) (merchant.Key, error) {
			return src.UseKey(ctx, secret, now())
		}},
		Merchants: &merchant.Cache[string, *merchant.Merchant]{TTL: TTL, Load: src.GetMerchant},
		People:    &merchant.Cache[string, domain.Person]{TTL: TTL, Load: src.Person},
	}
}
