package httpapi_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/httpapi"
	"github.com/paylinks/paylinks/shared/merchant"
	"github.com/paylinks/paylinks/shared/store"
)

// fakeStore is httpapi.Store in memory for the fast tier: it executes
// like the DynamoDB store for what the fast tests use (shared/store's
// conditions: not found is domain.ErrNotFound, a lost race
// domain.ErrConflict, a taken reference or customer number the store's
// sentinel errors, the Idempotency-Key's reserve, complete, release and
// the answer written with a link). What it does not hold answers
// errNotHeld, never a silent success. Every write it makes is logged in
// writes, so a test can say that nothing was written.
type fakeStore struct {
	mu sync.Mutex

	merchants map[string]*merchant.Merchant
	keys      map[string]merchant.Key // by hash
	members   map[string]domain.Member
	sessions  map[string]store.Session // by secret
	links     map[string]*domain.Link
	events    map[string][]domain.Event // by link
	refs      map[string]string         // merchant, reference -> link id
	customers map[string]*domain.CustomerRecord
	numbers   map[string]string // merchant, customer number -> customer id
	idem      map[string]*idemRecord
	audit     map[string][]store.AuditEntry // by merchant, oldest first

	// Seeded listings (the fast tier lists them; nothing here writes them).
	review     map[string][]store.ReviewPayment
	deliveries map[string][]store.Delivery

	writes []string
	// beforeCreate, when set, runs as CreateLink starts (outside the lock):
	// a test holds a create there to see its Idempotency-Key in flight.
	beforeCreate func()
	feed         []store.FeedEvent // the event feed (fakefeed_test.go)
}

var _ httpapi.Store = (*fakeStore)(nil)

func newFakeStore() *fakeStore {
	return &fakeStore{merchants: map[string]*merchant.Merchant{}, keys: map[string]merchant.Key{}, members: map[string]domain.Member{},
		sessions: map[string]store.Session{}, links: map[string]*domain.Link{}, events: map[string][]domain.Event{}, refs: map[string]string{},
		customers: map[string]*domain.CustomerRecord{}, numbers: map[string]string{}, idem: map[string]*idemRecord{},
		audit: map[string][]store.AuditEntry{}, review: map[string][]store.ReviewPayment{}, deliveries: map[string][]store.Delivery{}}
}

// errNotHeld is a call the fake does not carry out.
type errNotHeld string

func (e errNotHeld) Error() string { return "the fake store does not hold " + string(e) }

// mkey joins a merchant and an id into a map key.
func mkey(m, x string) string { return m + "\x00" + x }

// wrote logs a write (under the lock).
func (f *fakeStore) wrote(format string, args ...any) {
	f.writes = append(f.writes, fmt.Sprintf(format, args...))
}

// written is how many writes were made.
func (f *fakeStore) written() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.writes)
}

// writesSince are the writes after the first n.
func (f *fakeStore) writesSince(n int) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.writes[n:])
}

// auditOf records e as the table's audit put does: in the change's write.
func (f *fakeStore) auditOf(m string, e store.AuditEntry) {
	f.audit[m] = append(f.audit[m], e)
}

// Callers: keys, merchants, people, sessions.

func (f *fakeStore) UseKey(_ context.Context, secret string, now time.Time) (merchant.Key, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	k, ok := f.keys[merchant.HashKey(secret)]
	if !ok {
		return merchant.Key{}, domain.ErrNotFound
	}
	if last, err := time.Parse(time.RFC3339, k.LastUsed); err == nil && now.Sub(last) < store.KeyUseEvery {
		return k, nil
	}
	k.LastUsed = now.UTC().Format(time.RFC3339)
	f.keys[k.Hash] = k
	f.wrote("UseKey %s", k.ID())
	return k, nil
}

func (f *fakeStore) GetMerchant(_ context.Context, mid string) (*merchant.Merchant, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	m, ok := f.merchants[mid]
	if !ok {
		return nil, domain.ErrNotFound
	}
	c := *m
	c.PaymentMethods, c.RedirectDomains, c.WebhookSecrets = slices.Clone(m.PaymentMethods), slices.Clone(m.RedirectDomains), slices.Clone(m.WebhookSecrets)
	c.PSPCredentials = maps.Clone(m.PSPCredentials)
	return &c, nil
}

func (f *fakeStore) UpdateMerchant(context.Context, *merchant.Merchant) error {
	return errNotHeld("UpdateMerchant")
}

// Person is the memberships of sub in every merchant (the store keeps a
// copy under the person); a person with none is no error.
func (f *fakeStore) Person(_ context.Context, sub string) (domain.Person, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p := domain.Person{Sub: sub}
	for _, mem := range f.members {
		if mem.Sub == sub {
			p.Memberships = append(p.Memberships, mem)
		}
	}
	slices.SortFunc(p.Memberships, func(a, b domain.Member) int { return strings.Compare(a.Merchant, b.Merchant) })
	return p, nil
}

func (f *fakeStore) GetSession(_ context.Context, secret string) (store.Session, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, ok := f.sessions[secret]
	if !ok {
		return store.Session{}, domain.ErrNotFound
	}
	return s, nil
}

func (f *fakeStore) TouchSession(_ context.Context, secret string, seen time.Time, m string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, ok := f.sessions[secret]
	if !ok {
		return domain.ErrNotFound
	}
	s.Seen = seen
	if m != "" {
		s.Merchant = m
	}
	f.sessions[secret] = s
	f.wrote("TouchSession")
	return nil
}

func (f *fakeStore) DeleteSession(_ context.Context, secret string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.sessions, secret)
	f.wrote("DeleteSession")
	return nil
}

// API keys.

// ListKeys is the merchant's keys in the order of their ids (the
// listing's sort key).
func (f *fakeStore) ListKeys(_ context.Context, m string) ([]merchant.Key, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []merchant.Key
	for _, k := range f.keys {
		if k.Merchant == m {
			out = append(out, k)
		}
	}
	slices.SortFunc(out, func(a, b merchant.Key) int { return strings.Compare(a.ID(), b.ID()) })
	return out, nil
}

func (f *fakeStore) PutKey(_ context.Context, k merchant.Key) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	k.Permissions = slices.Clone(k.Permissions)
	f.keys[k.Hash] = k
	f.wrote("PutKey %s %v", k.ID(), k.Permissions)
	return nil
}

func (f *fakeStore) DeleteKey(_ context.Context, m, kid string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	for h, k := range f.keys {
		if k.Merchant == m && k.ID() == kid {
			delete(f.keys, h)
			f.wrote("DeleteKey %s", kid)
			return nil
		}
	}
	return domain.ErrNotFound
}

// Members.

func (f *fakeStore) ListMembers(_ context.Context, m string) ([]domain.Member, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := []domain.Member{}
	for _, mem := range f.members {
		if mem.Merchant == m {
			out = append(out, mem)
		}
	}
	slices.SortFunc(out, func(a, b domain.Member) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}

// AddMember adds a member with its audit entry in one write, as the
// table does: domain.ErrAlreadyMember when the e-mail is a member already.
func (f *fakeStore) AddMember(_ context.Context, mem domain.Member, e store.AuditEntry) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, x := range f.members {
		if x.Merchant == mem.Merchant && (x.Email == mem.Email || x.ID == mem.ID) {
			return fmt.Errorf("%w: %s", domain.ErrAlreadyMember, mem.Merchant)
		}
	}
	f.members[mem.ID] = mem
	f.auditOf(mem.Merchant, e)
	f.wrote("member %s", mem.ID)
	return nil
}

func (f *fakeStore) GetMember(_ context.Context, m, mid string) (domain.Member, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	mem, ok := f.members[mkey(m, mid)]
	if !ok {
		return domain.Member{}, domain.ErrNotFound
	}
	return mem, nil
}

// OwnerCount counts the merchant's owners who joined (the store's
// counter moves as they join, are demoted or leave).
func (f *fakeStore) OwnerCount(_ context.Context, m string) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.owners(m), nil
}

func (f *fakeStore) owners(m string) int {
	n := 0
	for _, mem := range f.members {
		if mem.Merchant == m && mem.Role == domain.RoleOwner && mem.Status == domain.MemberActive {
			n++
		}
	}
	return n
}

// SetRole changes the role cur read (domain.ErrConflict when it changed
// since, domain.ErrLastOwner for the only owner) and ends the member's
// credentials in the merchant, with its audit entry.
func (f *fakeStore) SetRole(_ context.Context, cur domain.Member, role domain.Role, at time.Time, e store.AuditEntry) error {
	if cur.Role == role {
		return nil
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if cur.Status == domain.MemberActive && cur.Role == domain.RoleOwner && f.owners(cur.Merchant) <= 1 {
		return domain.ErrLastOwner
	}
	mem, ok := f.members[mkey(cur.Merchant, cur.ID)]
	if !ok || mem.Role != cur.Role {
		return fmt.Errorf("%w: set role", domain.ErrConflict)
	}
	mem.Role, mem.CredentialsAfter = role, &at
	f.members[mkey(cur.Merchant, cur.ID)] = mem
	f.auditOf(cur.Merchant, e)
	f.wrote("SetRole %s %s", cur.ID, role)
	return nil
}

// SetMemberLanguage sets the dashboard language of an active member.
func (f *fakeStore) SetMemberLanguage(_ context.Context, cur domain.Member, lang string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	mem, ok := f.members[mkey(cur.Merchant, cur.ID)]
	if !ok || mem.Status != domain.MemberActive {
		return fmt.Errorf("%w: member %s", domain.ErrNotFound, cur.ID)
	}
	mem.Language = lang
	f.members[mkey(cur.Merchant, cur.ID)] = mem
	f.wrote("SetMemberLanguage %s %s", cur.ID, lang)
	return nil
}

func (f *fakeStore) RemoveMember(_ context.Context, cur domain.Member, e store.AuditEntry) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if cur.Status == domain.MemberActive && cur.Role == domain.RoleOwner && f.owners(cur.Merchant) <= 1 {
		return domain.ErrLastOwner
	}
	mem, ok := f.members[mkey(cur.Merchant, cur.ID)]
	if !ok || mem.Role != cur.Role {
		return fmt.Errorf("%w: remove member", domain.ErrConflict)
	}
	delete(f.members, mkey(cur.Merchant, cur.ID))
	f.auditOf(cur.Merchant, e)
	f.wrote("RemoveMember %s", cur.ID)
	return nil
}

// The audit log.

func (f *fakeStore) AppendAudit(_ context.Context, m string, e store.AuditEntry) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.auditOf(m, e)
	f.wrote("AppendAudit %s", e.Action)
	return nil
}

// ListAudit is the merchant's entries newest first, by actor and
// resource.
func (f *fakeStore) ListAudit(_ context.Context, q store.AuditQuery) ([]store.AuditEntry, string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var all []store.AuditEntry
	for _, e := range f.audit[q.Merchant] {
		if (q.Actor == "" || e.Actor.ID == q.Actor) && (q.Resource == "" || e.Resource == q.Resource) {
			all = append(all, e)
		}
	}
	slices.SortFunc(all, func(a, b store.AuditEntry) int { return strings.Compare(b.ID, a.ID) })
	return page(all, q.Limit, q.Cursor, "audit", func(e store.AuditEntry) string { return e.ID })
}

// Idempotency records.

type idemRecord struct {
	state               string // in_flight or done
	hash                string
	lockedUntil, expiry time.Time
	answer              store.Stored
}

// ReserveIdempotency is the store's conditional put: the key is the
// caller's when absent, expired, or in flight past its lock for the same
// request; otherwise the stored answer, ErrIdempotencyMismatch or
// ErrIdempotencyInFlight.
func (f *fakeStore) ReserveIdempotency(_ context.Context, m, k, hash string, now time.Time) (*store.Stored, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	old, ok := f.idem[mkey(m, k)]
	if !ok || old.expiry.Before(now) || (old.state == "in_flight" && old.lockedUntil.Before(now) && old.hash == hash) {
		f.idem[mkey(m, k)] = &idemRecord{state: "in_flight", hash: hash, lockedUntil: now.Add(store.IdempotencyLock), expiry: now.Add(store.IdempotencyRetention)}
		f.wrote("ReserveIdempotency %s", k)
		return nil, nil
	}
	switch {
	case old.hash != hash:
		return nil, store.ErrIdempotencyMismatch
	case old.state != "done":
		return nil, store.ErrIdempotencyInFlight
	}
	a := old.answer
	a.Body = slices.Clone(a.Body)
	return &a, nil
}

// complete stores d's answer on a key in flight (under the lock).
func (f *fakeStore) complete(d *store.IdempotencyDone) error {
	r, ok := f.idem[mkey(d.Merchant, d.Key)]
	if !ok || r.state != "in_flight" {
		return errors.New("the Idempotency-Key is not in flight (ConditionalCheckFailed)")
	}
	r.state, r.answer = "done", d.Answer
	r.answer.Body = slices.Clone(d.Answer.Body)
	return nil
}

func (f *fakeStore) CompleteIdempotency(_ context.Context, d *store.IdempotencyDone) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.complete(d); err != nil {
		return fmt.Errorf("complete idempotency key: %w", err)
	}
	f.wrote("CompleteIdempotency %s", d.Key)
	return nil
}

// ReleaseIdempotency deletes a key in flight; one done (or gone) stays.
func (f *fakeStore) ReleaseIdempotency(_ context.Context, m, k string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if r, ok := f.idem[mkey(m, k)]; ok && r.state == "in_flight" {
		delete(f.idem, mkey(m, k))
		f.wrote("ReleaseIdempotency %s", k)
	}
	return nil
}

// Seeded listings.

// ReviewPayments is the merchant's review payments newest first (by id),
// of a kind.
func (f *fakeStore) ReviewPayments(_ context.Context, m string, q store.ReviewQuery) (store.ReviewPage, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if q.Limit <= 0 {
		q.Limit = 50
	}
	var all []store.ReviewPayment
	for _, p := range f.review[m] {
		if q.Kind == "" || p.Kind == q.Kind {
			all = append(all, p)
		}
	}
	slices.SortFunc(all, func(a, b store.ReviewPayment) int { return strings.Compare(b.ID, a.ID) })
	items, next, err := page(all, q.Limit, q.Cursor, "review:"+q.Kind, func(p store.ReviewPayment) string { return p.ID })
	return store.ReviewPage{Items: items, Next: next}, err
}

// ListDeliveries is the merchant's deliveries newest first (by id), of a
// link and a status.
func (f *fakeStore) ListDeliveries(_ context.Context, q store.DeliveryQuery) ([]store.Delivery, string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var all []store.Delivery
	for _, d := range f.deliveries[q.Merchant] {
		if (q.LinkID == "" || d.LinkID == q.LinkID) && (q.Status == "" || d.Status == q.Status) {
			all = append(all, d)
		}
	}
	slices.SortFunc(all, func(a, b store.Delivery) int { return strings.Compare(b.ID, a.ID) })
	return page(all, q.Limit, q.Cursor, "hooks", func(d store.Delivery) string { return d.ID })
}

func (f *fakeStore) GetDelivery(_ context.Context, m, did string) (*store.Delivery, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, d := range f.deliveries[m] {
		if d.ID == did {
			return &d, nil
		}
	}
	return nil, domain.ErrNotFound
}

func (f *fakeStore) RetryDelivery(context.Context, string, string, time.Time) (*store.Delivery, error) {
	return nil, errNotHeld("RetryDelivery")
}

func (f *fakeStore) CreateImport(context.Context, *store.Import) error {
	return errNotHeld("CreateImport")
}

func (f *fakeStore) GetImport(context.Context, string, string) (*store.Import, error) {
	return nil, errNotHeld("GetImport")
}

func (f *fakeStore) Refunds(context.Context, string, string) ([]*store.Refund, error) {
	return nil, errNotHeld("Refunds")
}

// page is one page of all (in listing order) after the cursor: the fake's
// cursors name the collection and the last item handed out; any other is
// domain.ErrBadCursor, as the store's.
func page[T any](all []T, limit int, cursor, collection string, key func(T) string) ([]T, string, error) {
	start := 0
	if cursor != "" {
		last, ok := strings.CutPrefix(cursor, "fake:"+collection+":")
		i := slices.IndexFunc(all, func(x T) bool { return key(x) == last })
		if !ok || i < 0 {
			return nil, "", domain.ErrBadCursor
		}
		start = i + 1
	}
	out := all[start:]
	if len(out) <= limit {
		return slices.Clone(out), "", nil
	}
	return slices.Clone(out[:limit]), "fake:" + collection + ":" + key(out[limit-1]), nil
}
