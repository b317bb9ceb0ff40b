package store_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/links"
	"github.com/paylinks/paylinks/shared/money"
	"github.com/paylinks/paylinks/shared/store"
	"github.com/paylinks/paylinks/shared/testkit/testenv"
)

var ctx = context.Background()

func newLink(t *testing.T, merchant, ref string, now time.Time) (*domain.Link, domain.Event) {
	t.Helper()
	id := domain.NewID(domain.PrefixLink, now)
	code, err := testenv.CodeKey.NewCode(merchant, id)
	if err != nil {
		t.Fatal(err)
	}
	l := &domain.Link{
		ID: id, Merchant: merchant, Code: code, Status: domain.StatusCreated,
		Amount: money.MustParse("EUR", "120.98"), AmountRefunded: money.Zero("EUR"),
		Description: "Invoice 2026-113", Reference: ref, Language: "en", Origin: domain.OriginAPI,
		Customer:  domain.Customer{FirstName: "Ana", LastName: "Peeters", Email: "ana@example.be"},
		ExpiresAt: now.Add(30 * 24 * time.Hour).Truncate(time.Millisecond), CreatedAt: now.Truncate(time.Millisecond), UpdatedAt: now.Truncate(time.Millisecond),
		Metadata: map[string]string{"order": "8812"},
	}
	return l, domain.NewEvent(id, domain.EventCreated, "", domain.StatusCreated, now, nil)
}

// countLinks counts a merchant's link items.
func countLinks(t *testing.T, env *testenv.Env, merchant string) int {
	n, err := env.Store.CountLinks(ctx, merchant)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestCreateGetByIDAndCode(t *testing.T) {
	env := testenv.New(t)
	now := time.Now().UTC()
	l, ev := newLink(t, "m1", "ORDER-1", now)
	env.Count.Reset()
	if err := env.Store.CreateLink(ctx, store.NewLink{Link: l, Event: ev}); err != nil {
		t.Fatal(err)
	}
	if got := env.Count.Snapshot(); got["TransactWriteItems"] != 1 || env.Count.Total() != 1 {
		t.Fatalf("create must be one TransactWriteItems, got %v", got)
	}
	got, err := env.Store.Get(ctx, "m1", l.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Amount.String() != "120.98" || got.Status != domain.StatusCreated || got.Code != l.Code || got.Reference != "ORDER-1" ||
		got.Metadata["order"] != "8812" || !got.ExpiresAt.Equal(l.ExpiresAt) || got.Version != 0 || got.AmountRefunded.String() != "0.00" {
		t.Fatalf("read back %+v", got)
	}
	byCode, err := env.Store.GetByCode(ctx, l.Code)
	if err != nil || byCode.ID != l.ID {
		t.Fatal(byCode, err)
	}
	// Another merchant cannot read it; a code with the right id but another
	// secret is unknown.
	if _, err := env.Store.Get(ctx, "m2", l.ID); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("cross-tenant get: %v", err)
	}
	c, _ := domain.ParseCode(l.Code)
	c.Tag++
	if _, err := env.Store.GetByCode(ctx, c.String()); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("forged code: %v", err)
	}
	evs, err := env.Store.Events(ctx, "m1", l.ID)
	if err != nil || len(evs) != 1 || evs[0].Type != domain.EventCreated {
		t.Fatalf("events %v %v", evs, err)
	}
}

func TestDuplicateReference(t *testing.T) {
	env := testenv.New(t)
	now := time.Now().UTC()
	a, evA := newLink(t, "m1", "ORDER-7", now)
	b, evB := newLink(t, "m1", "ORDER-7", now)
	if err := env.Store.CreateLink(ctx, store.NewLink{Link: a, Event: evA}); err != nil {
		t.Fatal(err)
	}
	if err := env.Store.CreateLink(ctx, store.NewLink{Link: b, Event: evB}); !errors.Is(err, domain.ErrDuplicateReference) {
		t.Fatalf("second create: %v", err)
	}
	if n := countLinks(t, env, "m1"); n != 1 {
		t.Fatalf("%d links in the table, want 1", n)
	}
	if _, err := env.Store.GetByCode(ctx, b.Code); !errors.Is(err, domain.ErrNotFound) {
		t.Fatal("the refused link's code marker or item was written")
	}
	// Another merchant may use the same reference.
	c, evC := newLink(t, "m2", "ORDER-7", now)
	if err := env.Store.CreateLink(ctx, store.NewLink{Link: c, Event: evC}); err != nil {
		t.Fatal(err)
	}
}

func TestTransitionGuards(t *testing.T) {
	env := testenv.New(t)
	now := time.Now().UTC()
	l, ev := newLink(t, "m1", "", now)
	if err := env.Store.CreateLink(ctx, store.NewLink{Link: l, Event: ev}); err != nil {
		t.Fatal(err)
	}
	paid := *l
	paid.Status = domain.StatusPaid
	pt := now
	paid.PaidAt = &pt
	paid.PSPReference = "pi_1"
	env.Count.Reset()
	if err := env.Store.Transition(ctx, l, &paid, domain.NewEvent(l.ID, domain.EventPaid, l.Status, paid.Status, now, nil)); err != nil {
		t.Fatal(err)
	}
	if env.Count.Total() != 1 {
		t.Fatalf("transition took %v", env.Count.Snapshot())
	}
	// Stale version: the same move again is a conflict and writes nothing.
	again := *l
	again.Status = domain.StatusDeclined
	if err := env.Store.Transition(ctx, l, &again, domain.NewEvent(l.ID, domain.EventDeclined, l.Status, again.Status, now, nil)); !errors.Is(err, domain.ErrConflict) {
		t.Fatalf("stale transition: %v", err)
	}
	cur, _ := env.Store.Get(ctx, "m1", l.ID)
	if cur.Status != domain.StatusPaid || cur.Version != 1 || cur.PSPReference != "pi_1" || cur.PaidAt == nil {
		t.Fatalf("after paid: %+v", cur)
	}
	// Nothing leaves paid.
	for _, to := range []domain.Status{domain.StatusClicked, domain.StatusDeclined, domain.StatusExpired, domain.StatusCreated} {
		next := *cur
		next.Status = to
		if err := env.Store.Transition(ctx, cur, &next, domain.NewEvent(l.ID, domain.EventFor(to), cur.Status, to, now, nil)); !errors.Is(err, domain.ErrTransition) {
			t.Fatalf("paid -> %s: %v", to, err)
		}
	}
	evs, _ := env.Store.Events(ctx, "m1", l.ID)
	if len(evs) != 2 || evs[1].Type != domain.EventPaid {
		t.Fatalf("timeline %+v", evs)
	}
}

func TestClick(t *testing.T) {
	env := testenv.New(t)
	now := time.Now().UTC()
	l, ev := newLink(t, "m1", "", now)
	if err := env.Store.CreateLink(ctx, store.NewLink{Link: l, Event: ev}); err != nil {
		t.Fatal(err)
	}
	clickOpensThenCounts(t, env, l, now)
	// Past its expiry, a click is not counted.
	_, outcome, err := links.Click(ctx, env.Store, l.Code, l.ExpiresAt.Add(time.Second))
	if err != nil || outcome != domain.ClickExpired {
		t.Fatalf("expired click: %v %v", outcome, err)
	}
	// Unknown and forged codes.
	for _, code := range []string{"nope", "m1_" + "000000000000000000000000000", l.Code[:len(l.Code)-1] + "x"} {
		if _, _, err := links.Click(ctx, env.Store, code, now); !errors.Is(err, domain.ErrNotFound) {
			t.Fatalf("%s: %v", code, err)
		}
	}
	cur, _ := env.Store.Get(ctx, "m1", l.ID)
	if cur.ClickCount != 2 {
		t.Fatalf("click_count %d", cur.ClickCount)
	}
}

// clickOpensThenCounts: the first click opens the link (an UpdateItem, then
// a guarded transaction with its event), the second is one UpdateItem.
func clickOpensThenCounts(t *testing.T, env *testenv.Env, l *domain.Link, now time.Time) {
	t.Helper()
	env.Count.Reset()
	got, outcome, err := links.Click(ctx, env.Store, l.Code, now)
	if err != nil || outcome != domain.ClickOpen || got.Status != domain.StatusClicked || got.ClickCount != 1 || got.ClickedAt == nil || got.Attempt != 1 {
		t.Fatalf("first click: %+v %v %v", got, outcome, err)
	}
	// The first click is the status change: the UpdateItem finds the link
	// unopened, then a guarded transaction writes the change and its event.
	if s := env.Count.Snapshot(); s["UpdateItem"] != 1 || s["TransactWriteItems"] != 1 || env.Count.Total() != 2 {
		t.Fatalf("first click calls %v", s)
	}
	env.Count.Reset()
	got, outcome, err = links.Click(ctx, env.Store, l.Code, now.Add(time.Second))
	if err != nil || outcome != domain.ClickCount || got.ClickCount != 2 || !got.ClickedAt.Equal(now.Truncate(time.Millisecond)) {
		t.Fatalf("second click: %+v %v %v", got, outcome, err)
	}
	if s := env.Count.Snapshot(); s["UpdateItem"] != 1 || env.Count.Total() != 1 {
		t.Fatalf("a click must be one UpdateItem, got %v", s)
	}
	// It writes the link item only: no index entry holds what a click changes.
	if _, wcu := env.Count.Capacity(); wcu != 1 {
		t.Fatalf("a click on an opened link took %v WCU, want 1", wcu)
	}
}

func TestClickPaidAndDeclined(t *testing.T) {
	env := testenv.New(t)
	now := time.Now().UTC()
	l, ev := newLink(t, "m1", "", now)
	if err := env.Store.CreateLink(ctx, store.NewLink{Link: l, Event: ev}); err != nil {
		t.Fatal(err)
	}
	opened, _, _ := links.Click(ctx, env.Store, l.Code, now)
	declined := *opened
	declined.Status = domain.StatusDeclined
	declined.FailureReason = "card_declined"
	if err := env.Store.Transition(ctx, opened, &declined, domain.NewEvent(l.ID, domain.EventDeclined, opened.Status, declined.Status, now, nil)); err != nil {
		t.Fatal(err)
	}
	// A declined link may be opened again: a new attempt.
	re, outcome, err := links.Click(ctx, env.Store, l.Code, now)
	if err != nil || outcome != domain.ClickOpen || re.Status != domain.StatusClicked || re.Attempt != 2 || re.ClickCount != 2 {
		t.Fatalf("reopen: %+v %v %v", re, outcome, err)
	}
	paid := *re
	paid.Status = domain.StatusPaid
	if err := env.Store.Transition(ctx, re, &paid, domain.NewEvent(l.ID, domain.EventPaid, re.Status, paid.Status, now, nil)); err != nil {
		t.Fatal(err)
	}
	got, outcome, err := links.Click(ctx, env.Store, l.Code, now)
	if err != nil || outcome != domain.ClickPaid || got.ClickCount != 2 {
		t.Fatalf("paid click: %+v %v %v", got, outcome, err)
	}
}

func TestConcurrentFirstClicks(t *testing.T) {
	env := testenv.New(t)
	now := time.Now().UTC()
	l, ev := newLink(t, "m1", "", now)
	if err := env.Store.CreateLink(ctx, store.NewLink{Link: l, Event: ev}); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 50)
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, _, err := links.Click(ctx, env.Store, l.Code, time.Now().UTC()); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	cur, _ := env.Store.Get(ctx, "m1", l.ID)
	if cur.Status != domain.StatusClicked || cur.ClickCount != 50 || cur.Attempt != 1 {
		t.Fatalf("after 50 clicks: status %s count %d attempt %d", cur.Status, cur.ClickCount, cur.Attempt)
	}
	evs, _ := env.Store.Events(ctx, "m1", l.ID)
	clicked := 0
	for _, e := range evs {
		if e.Type == domain.EventClicked {
			clicked++
		}
	}
	if clicked != 1 {
		t.Fatalf("%d created->clicked events, want 1", clicked)
	}
}
