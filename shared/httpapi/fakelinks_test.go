package httpapi_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/store"
)

// The fake store's links and customers (see fakeStore).

// cloneLink is a copy of l that shares nothing with it (the table hands
// out a new link on every read).
func cloneLink(l *domain.Link) *domain.Link {
	c := *l
	c.PaymentMethods, c.SentChannels, c.Timeline = slices.Clone(l.PaymentMethods), slices.Clone(l.SentChannels), slices.Clone(l.Timeline)
	c.Metadata = maps.Clone(l.Metadata)
	if l.Beneficiary != nil {
		b := *l.Beneficiary
		c.Beneficiary = &b
	}
	if l.LastEvent != nil {
		e := *l.LastEvent
		e.Data = maps.Clone(l.LastEvent.Data)
		c.LastEvent = &e
	}
	return &c
}

func cloneCustomer(c *domain.CustomerRecord) *domain.CustomerRecord {
	x := *c
	x.Metadata = maps.Clone(c.Metadata)
	if x.Metadata == nil {
		x.Metadata = map[string]string{} // the store shows no metadata as {}
	}
	if c.CustomerNumber != nil {
		n := *c.CustomerNumber
		x.CustomerNumber = &n
	}
	if c.Address != nil {
		a := *c.Address
		x.Address = &a
	}
	return &x
}

// stampActor is the store's: an event without an actor is the context's,
// kept without IP or user agent.
func stampActor(ctx context.Context, ev *domain.Event) {
	if ev.Actor.Type == "" {
		ev.Actor = domain.ActorOf(ctx)
	}
	ev.Actor = ev.Actor.Public()
}

// eventAudit records ev's audit entry when an actor (not paylinks) acts,
// as the store writes it with the event.
func (f *fakeStore) eventAudit(ctx context.Context, m string, ev domain.Event) {
	if !domain.ActorOf(ctx).Acts() {
		return
	}
	action := ev.Type
	if ev.Type == domain.EventCreated && ev.Data[domain.DataDuplicatedFrom] != "" {
		action = domain.ActionDuplicated
	}
	var after any
	if len(ev.Data) > 0 {
		after = ev.Data
	}
	f.auditOf(m, store.NewAuditEntry(ctx, ev.At, action, ev.LinkID, nil, after))
}

// CreateLink writes a new link with its reference, created event, new
// customer and idempotent answer, all or nothing: a taken reference is
// domain.ErrDuplicateReference, a taken customer number
// store.ErrCustomerNumberTaken, an Idempotency-Key no longer in flight a
// cancelled transaction. The link is given its timeline, as the store's.
func (f *fakeStore) CreateLink(ctx context.Context, n store.NewLink) error {
	if f.beforeCreate != nil {
		f.beforeCreate()
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	l, ev := n.Link, n.Event
	stampActor(ctx, &ev)
	l.LastEvent, l.Timeline = ev.Ref(), []string{ev.ID}
	if err := f.canCreate(n); err != nil {
		return err
	}
	f.links[mkey(l.Merchant, l.ID)] = cloneLink(l)
	f.events[mkey(l.Merchant, l.ID)] = []domain.Event{ev}
	if l.Reference != "" {
		f.refs[mkey(l.Merchant, l.Reference)] = l.ID
	}
	if n.Customer != nil {
		f.putCustomer(l.Merchant, n.Customer)
	}
	if n.Done != nil {
		if err := f.complete(n.Done); err != nil {
			return fmt.Errorf("create link %s: %w", l.ID, err)
		}
	}
	f.eventAudit(ctx, l.Merchant, ev)
	f.wrote("CreateLink %s", l.ID)
	return nil
}

// canCreate checks the conditions of a link's creation, in the order of
// the store's transaction items.
func (f *fakeStore) canCreate(n store.NewLink) error {
	l := n.Link
	switch {
	case n.Row != nil:
		return errNotHeld("import rows")
	case f.links[mkey(l.Merchant, l.ID)] != nil:
		return fmt.Errorf("create link %s: the link exists (ConditionalCheckFailed)", l.ID)
	case l.Reference != "" && f.refs[mkey(l.Merchant, l.Reference)] != "":
		return domain.ErrDuplicateReference
	case n.Customer != nil && f.customers[mkey(l.Merchant, n.Customer.ID)] != nil:
		return fmt.Errorf("create link %s: the customer exists (ConditionalCheckFailed)", l.ID)
	case n.Customer != nil && f.numberTaken(l.Merchant, n.Customer):
		return store.ErrCustomerNumberTaken
	case n.Done != nil:
		if r := f.idem[mkey(n.Done.Merchant, n.Done.Key)]; r == nil || r.state != "in_flight" {
			return fmt.Errorf("create link %s: the Idempotency-Key is not in flight (ConditionalCheckFailed)", l.ID)
		}
	}
	return nil
}

// Get reads a merchant's link; an id that is no link id is not found.
func (f *fakeStore) Get(_ context.Context, m, lid string) (*domain.Link, error) {
	if !domain.ValidID(domain.PrefixLink, lid) {
		return nil, domain.ErrNotFound
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	l, ok := f.links[mkey(m, lid)]
	if !ok {
		return nil, domain.ErrNotFound
	}
	return cloneLink(l), nil
}

// Transition writes next over cur with its event when the link is still
// at cur's version and status (domain.ErrConflict otherwise); what never
// changes after creation (code, amount, counters, created_at, sends) is
// kept, the clicks added. next.Version is set.
func (f *fakeStore) Transition(ctx context.Context, cur, next *domain.Link, ev domain.Event) error {
	if next.Status != cur.Status {
		if err := domain.CheckTransition(cur.Status, next.Status); err != nil {
			return err
		}
	}
	stampActor(ctx, &ev)
	f.mu.Lock()
	defer f.mu.Unlock()
	stored, ok := f.links[mkey(cur.Merchant, cur.ID)]
	if !ok || stored.Version != cur.Version || stored.Status != cur.Status {
		return domain.ErrConflict
	}
	next.Version, next.LastEvent = cur.Version+1, ev.Ref()
	if ev.To != "" || ev.Type == domain.EventArchived {
		next.Timeline = append(slices.Clone(cur.Timeline), ev.ID)
	}
	w := cloneLink(next)
	w.ID, w.Merchant, w.Code, w.CreatedAt = stored.ID, stored.Merchant, stored.Code, stored.CreatedAt
	w.Amount, w.AmountRefunded, w.RefundCommitted = stored.Amount, stored.AmountRefunded, stored.RefundCommitted
	w.SentChannels, w.LastSentAt = stored.SentChannels, stored.LastSentAt
	w.ClickCount = stored.ClickCount + max(0, next.ClickCount-cur.ClickCount)
	f.links[mkey(cur.Merchant, cur.ID)] = w
	f.events[mkey(cur.Merchant, cur.ID)] = append(f.events[mkey(cur.Merchant, cur.ID)], ev)
	f.eventAudit(ctx, cur.Merchant, ev)
	f.wrote("Transition %s %s", cur.ID, ev.Type)
	return nil
}

// Delete removes a never-opened link for good (its events and reference
// too) when it is still at cur's version and deletable.
func (f *fakeStore) Delete(ctx context.Context, cur *domain.Link) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	stored, ok := f.links[mkey(cur.Merchant, cur.ID)]
	if !ok || stored.Version != cur.Version || !slices.Contains(domain.Deletable(), stored.Status) {
		return domain.ErrConflict
	}
	delete(f.links, mkey(cur.Merchant, cur.ID))
	delete(f.events, mkey(cur.Merchant, cur.ID))
	if cur.Reference != "" {
		delete(f.refs, mkey(cur.Merchant, cur.Reference))
	}
	if domain.ActorOf(ctx).Acts() {
		f.auditOf(cur.Merchant, store.NewAuditEntry(ctx, time.Now(), "payment_link.deleted", cur.ID, map[string]any{
			"status": cur.Status, "reference": cur.Reference, "amount": cur.Amount.String(), "currency": cur.Amount.Currency}, nil))
	}
	f.wrote("Delete %s", cur.ID)
	return nil
}

// EventsOf is the link's events in the order of its timeline.
func (f *fakeStore) EventsOf(_ context.Context, l *domain.Link) ([]domain.Event, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	evs := slices.Clone(f.events[mkey(l.Merchant, l.ID)])
	slices.SortFunc(evs, func(a, b domain.Event) int { return strings.Compare(a.ID, b.ID) })
	return store.OrderByTimeline(evs, l.Timeline), nil
}

// List is a page of the merchant's links, newest first, by the filters
// of store.ListQuery (the ones its reference lookup applies).
func (f *fakeStore) List(_ context.Context, q store.ListQuery) ([]*domain.Link, string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var all []*domain.Link
	for _, l := range f.links {
		if l.Merchant == q.Merchant && inListing(q, l) {
			all = append(all, cloneLink(l))
		}
	}
	slices.SortFunc(all, func(a, b *domain.Link) int {
		if c := b.CreatedAt.Compare(a.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(b.ID, a.ID)
	})
	return page(all, q.Limit, q.Cursor, "links:"+string(q.Status), func(l *domain.Link) string { return l.ID })
}

func inListing(q store.ListQuery, l *domain.Link) bool {
	return l.Archived == q.Archived &&
		(q.Status == "" || l.Status == q.Status) &&
		(q.Reference == "" || l.Reference == q.Reference) &&
		(q.Customer == "" || strings.Contains(store.CustomerSearch(l.Customer), strings.ToLower(q.Customer))) &&
		(q.AmountMin == nil || !l.Amount.Value.LessThan(*q.AmountMin)) &&
		(q.AmountMax == nil || !l.Amount.Value.GreaterThan(*q.AmountMax)) &&
		!l.CreatedAt.Before(q.CreatedFrom.Truncate(time.Millisecond)) && !l.CreatedAt.After(q.CreatedTo) &&
		(q.Origin == "" || l.Origin == q.Origin) && (q.Channel == "" || slices.Contains(l.SentChannels, q.Channel))
}

// Customers.

// numberTaken reports c's customer number held by another customer.
func (f *fakeStore) numberTaken(m string, c *domain.CustomerRecord) bool {
	if c.CustomerNumber == nil {
		return false
	}
	owner, ok := f.numbers[mkey(m, *c.CustomerNumber)]
	return ok && owner != c.ID
}

// putCustomer writes c and its number's marker (an erased customer keeps
// none), dropping the marker of a number it no longer has.
func (f *fakeStore) putCustomer(m string, c *domain.CustomerRecord) {
	if old := f.customers[mkey(m, c.ID)]; old != nil && old.CustomerNumber != nil {
		delete(f.numbers, mkey(m, *old.CustomerNumber))
	}
	f.customers[mkey(m, c.ID)] = cloneCustomer(c)
	if c.CustomerNumber != nil && !c.Erased {
		f.numbers[mkey(m, *c.CustomerNumber)] = c.ID
	}
}

func (f *fakeStore) GetCustomer(_ context.Context, m, cid string) (*domain.CustomerRecord, error) {
	if !strings.HasPrefix(cid, "cus_") || len(cid) > 40 {
		return nil, domain.ErrNotFound
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	c, ok := f.customers[mkey(m, cid)]
	if !ok {
		return nil, domain.ErrNotFound
	}
	return cloneCustomer(c), nil
}

func (f *fakeStore) CustomerByNumber(_ context.Context, m, no string) (*domain.CustomerRecord, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	cid, ok := f.numbers[mkey(m, no)]
	if !ok {
		return nil, domain.ErrNotFound
	}
	return cloneCustomer(f.customers[mkey(m, cid)]), nil
}

// CustomersByEmail is the customers with an address (any case), newest
// first; erased ones have none.
func (f *fakeStore) CustomersByEmail(_ context.Context, m, email string, limit int) ([]*domain.CustomerRecord, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []*domain.CustomerRecord
	for k, c := range f.customers {
		if strings.HasPrefix(k, mkey(m, "")) && !c.Erased && c.Email != "" && strings.EqualFold(c.Email, email) {
			out = append(out, cloneCustomer(c))
		}
	}
	slices.SortFunc(out, func(a, b *domain.CustomerRecord) int { return strings.Compare(b.ID, a.ID) })
	return out[:min(len(out), limit)], nil
}

func (f *fakeStore) CreateCustomer(_ context.Context, m string, c *domain.CustomerRecord, e store.AuditEntry) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case f.numberTaken(m, c):
		return store.ErrCustomerNumberTaken
	case f.customers[mkey(m, c.ID)] != nil:
		return errors.New("create customer: it exists (ConditionalCheckFailed)")
	}
	f.putCustomer(m, c)
	f.auditOf(m, e)
	f.wrote("CreateCustomer %s", c.ID)
	return nil
}

// UpdateCustomer changes a customer with change (its error stops it) and
// records audit(before, after); store.ErrCustomerNumberTaken,
// domain.ErrNotFound.
func (f *fakeStore) UpdateCustomer(_ context.Context, m, cid string, change func(cur domain.CustomerRecord) (domain.CustomerRecord, error),
	audit func(before, after *domain.CustomerRecord) store.AuditEntry) (*domain.CustomerRecord, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	cur, ok := f.customers[mkey(m, cid)]
	if !ok || !strings.HasPrefix(cid, "cus_") || len(cid) > 40 {
		return nil, domain.ErrNotFound
	}
	cur = cloneCustomer(cur)
	next, err := change(*cloneCustomer(cur))
	if err != nil {
		return nil, err
	}
	if f.numberTaken(m, &next) {
		return nil, store.ErrCustomerNumberTaken
	}
	f.putCustomer(m, &next)
	f.auditOf(m, audit(cur, &next))
	f.wrote("UpdateCustomer %s", cid)
	return cloneCustomer(&next), nil
}

// ListCustomers is a page of the merchant's customers newest first, or
// those of an e-mail address or customer number; the name search is not
// held.
func (f *fakeStore) ListCustomers(ctx context.Context, q store.CustomerQuery) ([]*domain.CustomerRecord, string, error) {
	var all []*domain.CustomerRecord
	switch {
	case q.Q != "":
		return nil, "", errNotHeld("the customers' name search")
	case q.CustomerNumber != "":
		c, err := f.CustomerByNumber(ctx, q.Merchant, q.CustomerNumber)
		if err == nil {
			all = []*domain.CustomerRecord{c}
		}
	case q.Email != "":
		all, _ = f.CustomersByEmail(ctx, q.Merchant, q.Email, 100)
	default:
		f.mu.Lock()
		for k, c := range f.customers {
			if strings.HasPrefix(k, mkey(q.Merchant, "")) {
				all = append(all, cloneCustomer(c))
			}
		}
		f.mu.Unlock()
		slices.SortFunc(all, func(a, b *domain.CustomerRecord) int { return strings.Compare(b.ID, a.ID) })
	}
	all = slices.DeleteFunc(all, func(c *domain.CustomerRecord) bool { return q.Archived != nil && c.Archived != *q.Archived })
	if q.CustomerNumber != "" || q.Email != "" {
		return all, "", nil
	}
	return page(all, q.Limit, q.Cursor, "customers", func(c *domain.CustomerRecord) string { return c.ID })
}

func (f *fakeStore) CustomerLinks(context.Context, string, string, int, string) ([]*domain.Link, string, error) {
	return nil, "", errNotHeld("CustomerLinks")
}

func (f *fakeStore) EraseCustomerLinks(context.Context, string, string) (int, int, error) {
	return 0, 0, errNotHeld("EraseCustomerLinks")
}
