package statements_test

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/paylinks/paylinks/shared/bank"
	"github.com/paylinks/paylinks/shared/bank/reference"
	"github.com/paylinks/paylinks/shared/domain"
)

// Invariant over generated links and transfers: a link paid by a bank
// payment (a statement's credit naming it, or a match by hand of an
// unmatched one) has paid_at when paylinks applied it, never before the
// link was made (a file booked 2001-01-01 too), and is paid after expiry
// exactly when the booking date is after the expiry's date (UTC), whether
// the sweep expired the link already or not.
func TestBankPaidAtAndExpiry(t *testing.T) {
	rnd := rand.New(rand.NewPCG(31, 10))
	for i := range 300 {
		r := newRig()
		l, ref := r.link("m1", "25.00", reference.RF)
		l.ExpiresAt = clock.Add(time.Duration(rnd.IntN(96*60)-72*60) * time.Minute)
		if l.ExpiresAt.Before(clock) && rnd.IntN(2) == 0 {
			l.Status = domain.StatusExpired // swept already
		}
		l.Archived = rnd.IntN(4) == 0
		r.st.addLink(l, ref)
		booked := []string{"2001-01-01", clock.AddDate(0, 0, -3).Format(time.DateOnly), clock.AddDate(0, 0, -2).Format(time.DateOnly),
			clock.AddDate(0, 0, -1).Format(time.DateOnly), clock.Format(time.DateOnly)}[rnd.IntN(5)]
		byMatch := rnd.IntN(2) == 0
		if byMatch {
			st := r.upload(t, camtOf(acct, []bank.Entry{entryOf("25.00", func(e *bank.Entry) { e.EntryRef, e.BookedOn = "U1", booked })}))
			if _, _, err := r.svc.Match(ctx, "m1", r.entries(t, st.ID)[0].ReviewID, l.ID); err != nil {
				t.Fatalf("case %d: match: %v", i, err)
			}
		} else {
			r.upload(t, camtOf(acct, []bank.Entry{entryOf("25.00", func(e *bank.Entry) { e.Reference, e.EntryRef, e.BookedOn = ref, "C1", booked })}))
		}
		got, _ := r.st.Get(ctx, "m1", l.ID)
		late := booked > l.ExpiresAt.UTC().Format(time.DateOnly)
		if got.Status != domain.StatusPaid || got.PaidAt == nil || got.PaidAt.Before(got.CreatedAt) || got.PaidAfterExpiry != late {
			t.Fatalf("case %d (match %v): link made %v, expiring %v (%s), booked %s: %s, paid at %v, after expiry %v (want %v)",
				i, byMatch, l.CreatedAt, l.ExpiresAt, l.Status, booked, got.Status, got.PaidAt, got.PaidAfterExpiry, late)
		}
	}
}
