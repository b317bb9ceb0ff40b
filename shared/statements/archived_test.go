package statements_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/paylinks/paylinks/shared/bank"
	"github.com/paylinks/paylinks/shared/bank/reference"
	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/statements"
	"github.com/paylinks/paylinks/shared/store"
)

// One rule for a statement's credit and a match by hand (that of a PSP's
// payment, domain.DecidePayment): over generated links (open, expired,
// paid, archived or not), a credit naming the link and a match of an
// unmatched payment of the same money to it pay it exactly alike; money
// that does not pay it is kept for review either way (the credit's review
// payment, the match's payment left open).
func TestStatementAndMatchPayAlike(t *testing.T) {
	rnd := rand.New(rand.NewPCG(31, 9))
	statuses := []domain.Status{domain.StatusCreated, domain.StatusClicked, domain.StatusExpired, domain.StatusDeclined, domain.StatusPaid}
	for i := range 200 {
		status, archived := statuses[rnd.IntN(len(statuses))], rnd.IntN(2) == 0
		byCredit, byMatch := newRig(), newRig()
		var results [2]string
		for j, r := range []*rig{byCredit, byMatch} {
			l, ref := r.link("m1", "25.00", reference.RF)
			l.Status, l.Archived = status, archived
			if status == domain.StatusPaid {
				l.PSP, l.PSPReference = "stripe", "pi_1"
			}
			r.st.addLink(l, ref)
			if j == 0 {
				st := r.upload(t, camtOf(acct, []bank.Entry{entryOf("25.00", func(e *bank.Entry) { e.Reference, e.EntryRef = ref, "C1" })}))
				e := r.entries(t, st.ID)[0]
				results[j] = fmt.Sprint(e.Outcome == domain.EntryMatched)
				if e.Outcome != domain.EntryMatched && e.ReviewID == "" {
					t.Fatalf("case %d: the credit's money is lost: %+v", i, e)
				}
			} else {
				p := r.unmatched(t, "25.00", "U1")
				_, _, err := r.svc.Match(ctx, "m1", p.ID, l.ID)
				results[j] = fmt.Sprint(err == nil)
				if got, _ := r.st.GetReviewPayment(ctx, "m1", p.ID); (err == nil) != (got.State == store.ReviewMatched) || (err != nil && got.State != store.ReviewOpen) {
					t.Fatalf("case %d: match %v, payment %s", i, err, got.State)
				}
				if err != nil && !errors.Is(err, statements.ErrLinkPaid) && !errors.Is(err, statements.ErrLinkClosed) {
					t.Fatalf("case %d: refused with %v", i, err)
				}
			}
			got, _ := r.st.Get(ctx, "m1", l.ID)
			results[j] += fmt.Sprint(" ", got.Status, " ", got.PSP, " ", got.PaidAfterExpiry)
		}
		if results[0] != results[1] {
			t.Fatalf("case %d (%s, archived %v): by a statement %s, by a match %s", i, status, archived, results[0], results[1])
		}
	}
}
