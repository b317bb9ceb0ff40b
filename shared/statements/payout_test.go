package statements_test

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/paylinks/paylinks/shared/bank"
	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/money"
	"github.com/paylinks/paylinks/shared/store"
)

// payouts stores, for merchant m1, a link refund of amount waiting on its
// payout and returns its end-to-end id and refund id.
func (r *rig) linkPayout(amount string) (string, string) {
	id := domain.NewSeqID(domain.PrefixRefund, clock)
	a := money.MustParse("EUR", amount)
	p := domain.Payout{EndToEndID: domain.PayoutEndToEndID(id, 0), LinkID: "pl_1", RefundID: id, Amount: a}
	r.st.addPayout("m1", p, &store.Refund{ID: id, LinkID: "pl_1", Amount: a, Status: store.RefundPending, PSP: domain.ProviderBank, EndToEndID: p.EndToEndID})
	return p.EndToEndID, id
}

// reviewPayout stores a bank payment of m1 kept for review, refunding by
// bank at attempt 1, and returns its end-to-end id and id.
func (r *rig) reviewPayout(amount string) (string, string) {
	id := domain.NewSeqID(domain.PrefixReview, clock)
	a := money.MustParse("EUR", amount)
	p := domain.Payout{EndToEndID: domain.PayoutEndToEndID(id, 1), ReviewID: id, Attempt: 1, Amount: a}
	r.st.mu.Lock()
	r.st.reviews[k("m1", id)] = &store.ReviewPayment{ID: id, Merchant: "m1", Kind: store.ReviewUnmatched, PSP: domain.ProviderBank, Amount: &a,
		State: store.ReviewRefunding, RefundAttempt: 1, EndToEndID: p.EndToEndID}
	r.st.mu.Unlock()
	r.st.addPayout("m1", p, nil)
	return p.EndToEndID, id
}

func payoutDebit(amount, e2e, entryRef string) bank.Entry {
	return entryOf(amount, func(e *bank.Entry) { e.Credit, e.EndToEndID, e.EntryRef = false, e2e, entryRef })
}

// A statement's debits carrying payouts' end-to-end ids settle their
// refunds once: matched (refund_paid_out) with the link or review payment;
// the same debit again, in this file or another, is a duplicate; money
// coming back is kept for review (refund_returned); a debit of another
// amount is kept for review; an end-to-end id no payout has stays an
// ignored debit.
func TestRefundsPaidOutByStatement(t *testing.T) {
	r := newRig()
	e2e1, re1 := r.linkPayout("12.50")
	e2e2, py := r.reviewPayout("7.50")
	e2e3, re3 := r.linkPayout("5.00")
	file := []bank.Entry{
		payoutDebit("12.50", e2e1, "D1"),
		payoutDebit("7.50", e2e2, "D2"),
		payoutDebit("4.00", e2e3, "D3"),
		payoutDebit("1.00", domain.PayoutEndToEndID(domain.NewID(domain.PrefixRefund, clock), 0), "D4"),
		payoutDebit("12.50", e2e1, "D5"), // the same payout's debit, booked again
		entryOf("12.50", func(e *bank.Entry) { e.EndToEndID, e.EntryRef = e2e1, "C6" }),
		payoutDebit("12.50", e2e1, "D1"), // the first entry again
	}
	st := r.upload(t, camtOf(acct, file))
	if got := fmt.Sprintln(st.Status, st.Entries, st.Matched, st.Review, st.Ignored, st.Duplicates); got != "done 7 2 2 1 2\n" {
		t.Fatalf("statement %s", got)
	}
	want := []string{
		"0 matched refund_paid_out pl_1 ", "1 matched refund_paid_out  " + py, "2 review refund_mismatch pl_1 ", "3 ignored debit  ",
		"4 duplicate seen_before pl_1 ", "5 review refund_returned pl_1 ", "6 duplicate seen_before  ",
	}
	var got []string
	for _, e := range r.entries(t, st.ID) {
		got = append(got, fmt.Sprintf("%d %s %s %s %s", e.Index, e.Outcome, e.Reason, e.LinkID, e.ReviewID))
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("entries\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if n1, n2, n3 := r.st.settlements(re1), r.st.settlements(py), r.st.settlements(re3); n1 != 1 || n2 != 1 || n3 != 0 {
		t.Fatalf("settlements %d %d %d, want 1 1 0", n1, n2, n3)
	}
	if p, _ := r.st.GetReviewPayment(ctx, "m1", py); p.State != store.ReviewRefunded {
		t.Fatalf("review payment %s", p.State)
	}
	again := r.upload(t, camtOf(acct, file[:2]))
	if again.Duplicates != 2 || r.st.settlements(re1) != 1 || r.st.settlements(py) != 1 {
		t.Fatalf("the debits again: %+v", again)
	}
}

// TestPayoutsSettleOnceWhateverTheStatements: over generated runs, the
// debits of payouts (each booked once or more, under their own entry
// references), their returns and debits of other amounts, spread over
// statements uploaded in any order and repeated, settle each refund whose
// debit came exactly once, and none other.
func TestPayoutsSettleOnceWhateverTheStatements(t *testing.T) {
	rnd := rand.New(rand.NewPCG(31, 4))
	for run := 0; run < 40; run++ {
		r := newRig()
		var entries []bank.Entry
		paid := map[string]bool{}
		var ids []string
		for i := 0; i < 1+rnd.IntN(6); i++ {
			e2e, id := r.linkPayout("3.00")
			if rnd.IntN(2) == 0 {
				e2e, id = r.reviewPayout("3.00")
			}
			ids = append(ids, id)
			for j := rnd.IntN(3); j > 0; j-- {
				entries = append(entries, payoutDebit("3.00", e2e, fmt.Sprintf("D%d-%d", i, j)))
				paid[id] = true
			}
			if rnd.IntN(3) == 0 {
				entries = append(entries, payoutDebit("2.00", e2e, fmt.Sprintf("M%d", i)))
			}
			if rnd.IntN(3) == 0 {
				entries = append(entries, entryOf("3.00", func(e *bank.Entry) { e.EndToEndID, e.EntryRef = e2e, fmt.Sprintf("R%d", i) }))
			}
		}
		for files := 0; files < 1+rnd.IntN(4); files++ {
			rnd.Shuffle(len(entries), func(i, j int) { entries[i], entries[j] = entries[j], entries[i] })
			r.upload(t, camtOf(acct, entries[:rnd.IntN(len(entries)+1)]))
		}
		r.upload(t, camtOf(acct, entries))
		for _, id := range ids {
			if n := r.st.settlements(id); n > 1 || (n == 1) != paid[id] {
				t.Fatalf("run %d: %s settled %d times, paid out %v", run, id, n, paid[id])
			}
		}
	}
}
