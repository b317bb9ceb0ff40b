package statements_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/paylinks/paylinks/shared/bank"
	"github.com/paylinks/paylinks/shared/bank/reference"
	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/store"
)

// An entry the bank has not booked (a pending camt entry) claims nothing:
// read in any number of files, before or after its booked version, it is
// ignored (not_booked) every time, and its booked version does exactly
// what it does when no pending entry was ever read.
func TestPendingEntriesClaimNothing(t *testing.T) {
	r := rand.New(rand.NewPCG(31, 7))
	for n := 0; n < 60; n++ {
		sc := genScenario(r)
		alone := run(t, sc, nil)
		for i, e := range sc.entries {
			if want := fmt.Sprintf("%d %s %s  false", i, domain.EntryIgnored, domain.ReasonNotBooked); !e.Booked && alone.entries[i] != want {
				t.Fatalf("scenario %d: pending entry %q, want %q", n, alone.entries[i], want)
			}
		}
		after := run(t, sc, func(rg *rig) { rg.uploadPending(t, sc, 2) })
		if after.String() != alone.String() {
			t.Fatalf("scenario %d: with its entries read pending first\n%s\nalone\n%s", n, after, alone)
		}
	}
}

// A pending entry, read twice and then booked, is ignored twice and then
// pays its link.
func TestPendingThenBooked(t *testing.T) {
	r := newRig()
	l, rf := r.link("m1", "10.00", reference.RF)
	booked := entryOf("10.00", func(e *bank.Entry) { e.Reference, e.EntryRef = rf, "P1" })
	pending := booked
	pending.Booked = false
	for range 2 {
		st := r.upload(t, camtOf(acct, []bank.Entry{pending, pending}))
		for _, e := range r.entries(t, st.ID) {
			if e.Outcome != domain.EntryIgnored || e.Reason != domain.ReasonNotBooked {
				t.Fatalf("pending entry %d: %s %s", e.Index, e.Outcome, e.Reason)
			}
		}
	}
	st := r.upload(t, camtOf(acct, []bank.Entry{booked}))
	if got := r.entries(t, st.ID); got[0].Outcome != domain.EntryMatched || got[0].LinkID != l.ID {
		t.Fatalf("booked after pending: %+v", got[0])
	}
}

// uploadPending processes, before the scenario's own statement, times
// statements holding every entry of sc as not yet booked, and holds each
// of their entries to ignored, not_booked.
func (rg *rig) uploadPending(t *testing.T, sc scenario, times int) {
	t.Helper()
	pending := make([]bank.Entry, len(sc.entries))
	for i, e := range sc.entries {
		e.Booked = false
		pending[i] = e
	}
	for range times {
		st, err := rg.svc.Upload(ctx, "m1", "application/xml", camtOf(acct, pending))
		if err != nil {
			t.Fatal(err)
		}
		if err := rg.svc.Process(ctx, "m1", st.ID); err != nil {
			t.Fatal(err)
		}
		got, _ := rg.st.GetStatement(ctx, "m1", st.ID)
		if got.Status != store.StatementDone || got.Ignored != len(pending) {
			t.Fatalf("pending statement %+v", got)
		}
		for _, e := range rg.entries(t, st.ID) {
			if e.Outcome != domain.EntryIgnored || e.Reason != domain.ReasonNotBooked {
				t.Fatalf("pending entry %d: %s %s", e.Index, e.Outcome, e.Reason)
			}
		}
	}
}
