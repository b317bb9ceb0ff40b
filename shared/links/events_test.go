package links

import (
	"context"
	"errors"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/money"
	"github.com/paylinks/paylinks/shared/store"
)

// memTable is an in-memory table that carries out decisions as the store
// does: each write is guarded by the decision's assumptions and reports the
// link it found when they do not hold. It decides nothing.
type memTable struct {
	links     map[string]*domain.Link
	applied   map[string]bool // event ids applied or kept
	kept      map[string]bool // payment refs kept for review
	reviews   []string        // payment refs kept, in order
	conflicts int             // the next writes that lose a race
	writes    int
}

func init() { sleep = func(time.Duration) {} }

func newMemTable() *memTable {
	return &memTable{links: map[string]*domain.Link{}, applied: map[string]bool{}, kept: map[string]bool{}}
}

func (m *memTable) ApplyPayment(_ context.Context, _, _ string, ev domain.PaymentEvent, d domain.PaymentDecision, _ time.Time) (store.PaymentWrite, error) {
	m.writes++
	if m.conflicts > 0 {
		m.conflicts--
		return store.PaymentWrite{Conflict: true}, nil
	}
	l := m.links[ev.LinkID]
	ok := l != nil && slices.Contains(d.From, l.Status)
	if ok && d.To == domain.StatusPaid {
		ok = domain.SameMoney(ev.Amount, l.Amount)
	}
	if ok && d.To == domain.StatusDeclined && d.Attempt > 0 {
		ok = l.Attempt == d.Attempt
	}
	switch {
	case !ok && l == nil:
		return store.PaymentWrite{}, nil
	case !ok:
		cur := *l
		return store.PaymentWrite{Found: &cur}, nil
	case m.applied[ev.ID]:
		return store.PaymentWrite{Duplicate: true}, nil
	}
	m.applied[ev.ID] = true
	l.Status = d.To
	if d.To == domain.StatusPaid {
		l.PSPReference, l.PaidAfterExpiry = ev.PaymentRef, d.AfterExpiry
	}
	return store.PaymentWrite{Written: true}, nil
}

func (m *memTable) KeepForReview(_ context.Context, _, _ string, ev domain.PaymentEvent, _ string, _ *domain.Link, _ time.Time) (bool, error) {
	m.writes++
	if m.applied[ev.ID] || m.kept[ev.PaymentRef] {
		return false, nil
	}
	m.applied[ev.ID], m.kept[ev.PaymentRef] = true, true
	m.reviews = append(m.reviews, ev.PaymentRef)
	return true, nil
}

func (m *memTable) CountClick(_ context.Context, _, linkID, code string, now time.Time) (store.ClickWrite, error) {
	m.writes++
	l := m.links[linkID]
	if l == nil {
		return store.ClickWrite{}, nil
	}
	if l.Code != code || l.Status != domain.StatusClicked || l.ExpiredAt(now) || l.Archived {
		cur := *l
		return store.ClickWrite{Found: &cur}, nil
	}
	l.ClickCount++
	cur := *l
	return store.ClickWrite{Counted: true, Link: &cur}, nil
}

func (m *memTable) Transition(_ context.Context, cur, next *domain.Link, _ domain.Event) error {
	m.writes++
	l := m.links[cur.ID]
	if m.conflicts > 0 {
		m.conflicts--
		return domain.ErrConflict
	}
	if l == nil || l.Status != cur.Status || l.ClickCount != cur.ClickCount {
		return domain.ErrConflict
	}
	*l = *next
	return nil
}

func memLink(id string, st domain.Status, amount string, now time.Time) *domain.Link {
	return &domain.Link{ID: id, Merchant: "m1", Status: st, Amount: money.MustParse("EUR", amount), Attempt: 1,
		ExpiresAt: now.Add(24 * time.Hour), CreatedAt: now}
}

// TestApplyPaymentUsualCaseIsOneWrite: a payment on an open link with its
// money costs one write; a payment after expiry two (the expected write,
// then the decision on the link found).
func TestApplyPaymentUsualCaseIsOneWrite(t *testing.T) {
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	tb := newMemTable()
	tb.links["pl_1"] = memLink("pl_1", domain.StatusClicked, "10.00", now)
	tb.links["pl_2"] = memLink("pl_2", domain.StatusExpired, "10.00", now)
	a := money.MustParse("EUR", "10.00")
	got, err := ApplyPayment(t.Context(), tb, "m1", "sandbox", domain.PaymentEvent{ID: "e1", Kind: domain.PaymentSucceeded, LinkID: "pl_1", PaymentRef: "p1", Amount: &a}, now)
	if err != nil || got != AppliedChange || tb.writes != 1 {
		t.Fatalf("apply = %s, %v after %d writes", got, err, tb.writes)
	}
	got, err = ApplyPayment(t.Context(), tb, "m1", "sandbox", domain.PaymentEvent{ID: "e2", Kind: domain.PaymentSucceeded, LinkID: "pl_2", PaymentRef: "p2", Amount: &a}, now)
	if err != nil || got != AppliedChange || tb.writes != 3 || !tb.links["pl_2"].PaidAfterExpiry {
		t.Fatalf("after expiry = %s, %v after %d writes: %+v", got, err, tb.writes, tb.links["pl_2"])
	}
	tb.conflicts = 3
	got, err = ApplyPayment(t.Context(), tb, "m1", "sandbox", domain.PaymentEvent{ID: "e3", Kind: domain.PaymentSucceeded, LinkID: "pl_9", PaymentRef: "p3", Amount: &a}, now)
	if err != nil || got != AppliedReview || tb.reviews[0] != "p3" {
		t.Fatalf("unknown link after races = %s, %v, %v", got, err, tb.reviews)
	}
}

// TestMoneyIsNeverLost applies generated streams of PSP events (payments
// of the link's money or not, declines, redeliveries, in any order, with
// lost races) to generated links, and holds: every payment that moved money
// either paid its link or is kept for review, exactly once; a link is paid
// by one payment; a redelivered event changes nothing.
func TestMoneyIsNeverLost(t *testing.T) {
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	r := rand.New(rand.NewPCG(30, 4))
	for round := 0; round < 300; round++ {
		tb := newMemTable()
		ids := []string{"pl_a", "pl_b", "pl_c"}
		for _, id := range ids[:1+r.IntN(3)] {
			tb.links[id] = memLink(id, domain.Statuses[r.IntN(len(domain.Statuses))], "10.00", now)
			if tb.links[id].Status == domain.StatusPaid {
				tb.links[id].PSPReference = "old_" + id
			}
		}
		evs := paymentStream(r, ids)
		r.Shuffle(len(evs), func(i, j int) { evs[i], evs[j] = evs[j], evs[i] })
		paidBy := map[string]string{}
		for id, l := range tb.links {
			if l.Status == domain.StatusPaid {
				paidBy[id] = l.PSPReference
			}
		}
		for _, ev := range evs {
			tb.conflicts = r.IntN(3)
			if _, err := ApplyPayment(t.Context(), tb, "m1", "sandbox", ev, now); err != nil {
				t.Fatal(err)
			}
			if l := tb.links[ev.LinkID]; l != nil && l.Status == domain.StatusPaid {
				if was, ok := paidBy[l.ID]; ok && was != l.PSPReference {
					t.Fatalf("round %d: %s paid again by %s (was %s)", round, l.ID, l.PSPReference, was)
				}
				paidBy[l.ID] = l.PSPReference
			}
		}
		checkMoneyKept(t, round, tb, evs)
		if len(tb.reviews) != len(tb.kept) {
			t.Fatalf("round %d: a payment kept twice: %v", round, tb.reviews)
		}
	}
}

// paymentStream is a generated stream of PSP events about ids: payments
// of the links' money or not, declines, some delivered twice.
func paymentStream(r *rand.Rand, ids []string) []domain.PaymentEvent {
	var evs []domain.PaymentEvent
	for i := 0; i < 2+r.IntN(8); i++ {
		ev := domain.PaymentEvent{ID: "e" + string(rune('a'+i)), LinkID: ids[r.IntN(len(ids))], PaymentRef: "p" + string(rune('a'+i)), Attempt: r.IntN(3)}
		if r.IntN(4) == 0 {
			ev.Kind = domain.PaymentFailed
		} else {
			ev.Kind = domain.PaymentSucceeded
			amt := money.MustParse("EUR", []string{"10.00", "10", "9.99"}[r.IntN(3)])
			ev.Amount = &amt
		}
		evs = append(evs, ev)
		if r.IntN(3) == 0 {
			evs = append(evs, ev) // redelivered
		}
	}
	return evs
}

// checkMoneyKept: every payment of evs is on a link or kept for review,
// not both.
func checkMoneyKept(t *testing.T, round int, tb *memTable, evs []domain.PaymentEvent) {
	t.Helper()
	moved := map[string]bool{}
	for _, ev := range evs {
		if ev.Kind == domain.PaymentSucceeded {
			moved[ev.PaymentRef] = true
		}
	}
	for ref := range moved {
		onLink := false
		for _, l := range tb.links {
			onLink = onLink || (l.Status == domain.StatusPaid && l.PSPReference == ref)
		}
		if onLink == tb.kept[ref] {
			t.Fatalf("round %d: payment %s on a link: %v, kept for review: %v (events %+v)", round, ref, onLink, tb.kept[ref], evs)
		}
	}
}

// TestClickOpensOnce: concurrent-looking first clicks (a lost race between
// the read and the transition) open a link once, then count; paid and
// expired links are not counted; unknown codes are not found.
func TestClickOpensOnce(t *testing.T) {
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	key := domain.CodeKey("0123456789abcdef0123456789abcdef")
	tb := newMemTable()
	l := memLink("", domain.StatusCreated, "5.00", now)
	l.ID = domain.NewID(domain.PrefixLink, now)
	l.Attempt = 0
	code, err := key.NewCode("m1", l.ID)
	if err != nil {
		t.Fatal(err)
	}
	l.Code = code
	tb.links[l.ID] = l
	tb.conflicts = 1
	got, what, err := Click(t.Context(), tb, code, now)
	if err != nil || what != domain.ClickOpen || got.Status != domain.StatusClicked || got.ClickCount != 1 || got.Attempt != 1 {
		t.Fatalf("first click = %+v, %s, %v", got, what, err)
	}
	got, what, err = Click(t.Context(), tb, code, now)
	if err != nil || what != domain.ClickCount || got.ClickCount != 2 {
		t.Fatalf("second click = %+v, %s, %v", got, what, err)
	}
	tb.links[l.ID].Status = domain.StatusPaid
	if _, what, err = Click(t.Context(), tb, code, now); err != nil || what != domain.ClickPaid || tb.links[l.ID].ClickCount != 2 {
		t.Fatalf("click on paid = %s, %v", what, err)
	}
	tb.links[l.ID].Status = domain.StatusClicked
	if _, what, err = Click(t.Context(), tb, code, now.Add(25*time.Hour)); err != nil || what != domain.ClickExpired {
		t.Fatalf("click after expiry = %s, %v", what, err)
	}
	if _, _, err = Click(t.Context(), tb, "nonsense", now); err != domain.ErrNotFound {
		t.Fatalf("forged code: %v", err)
	}
}

// failingReview keeps nothing: the table refuses the review write.
type failingReview struct{ *memTable }

func (failingReview) KeepForReview(context.Context, string, string, domain.PaymentEvent, string, *domain.Link, time.Time) (bool, error) {
	return false, errReviewDown
}

var errReviewDown = errors.New("review write refused")

// TestReviewWriteFailureIsAnError: money that could not be kept for review
// is an error (the message is retried), never reported as a duplicate.
func TestReviewWriteFailureIsAnError(t *testing.T) {
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	a := money.MustParse("EUR", "10.00")
	got, err := ApplyPayment(t.Context(), failingReview{newMemTable()}, "m1", "sandbox",
		domain.PaymentEvent{ID: "e1", Kind: domain.PaymentSucceeded, LinkID: "pl_gone", PaymentRef: "p1", Amount: &a}, now)
	if !errors.Is(err, errReviewDown) || got != "" {
		t.Fatalf("a refused review write = %q, %v", got, err)
	}
}
