package statements

import (
	"context"
	"errors"
	"fmt"

	"github.com/paylinks/paylinks/shared/bank"
	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/links"
	"github.com/paylinks/paylinks/shared/store"
)

// entry reconciles the entry at position i of statement st, once, and
// returns its outcome as recorded. Each step is idempotent on the entry's
// identity (domain.BankPaymentID), when it claims one (a booked entry:
// one not booked is only recorded, ignored): its claim is its own again, an entry
// recorded before (a retry) is what it was, its payment is applied or kept
// once (the applied marker tells what it did), its record is written once.
// An entry claimed and not recorded (a worker that died between) is
// decided again: nothing after it in its lane ran meanwhile.
func (s *Service) entry(ctx context.Context, st *store.Statement, i int, e bank.Entry) (domain.EntryOutcome, error) {
	payID := domain.BankPaymentID(e)
	rec := record(i, e, payID)
	if !domain.EntryClaimsIdentity(e) {
		rec.Outcome, rec.Reason = domain.EntryIgnored, domain.ReasonNotBooked
		got, _, err := s.Store.RecordEntry(ctx, st.Merchant, st.ID, &rec, s.now())
		if err != nil {
			return "", err
		}
		return got.Outcome, nil
	}
	claim, err := s.Store.ClaimEntry(ctx, st.Merchant, payID, st.ID, i, s.now())
	if err != nil {
		return "", err
	}
	if claim == store.ClaimAgain {
		old, err := s.Store.StatementEntry(ctx, st.Merchant, st.ID, i)
		if err == nil {
			return old.Outcome, nil
		}
		if !errors.Is(err, domain.ErrNotFound) {
			return "", err
		}
	}
	if claim == store.ClaimTaken {
		rec.Outcome, rec.Reason = domain.EntryDuplicate, domain.ReasonSeenBefore
	} else {
		if err := s.decide(ctx, st.Merchant, e, &rec); err != nil {
			return "", err
		}
	}
	got, _, err := s.Store.RecordEntry(ctx, st.Merchant, st.ID, &rec, s.now())
	if err != nil {
		return "", err
	}
	return got.Outcome, nil
}

// decide reconciles an entry read for the first time: a payout's debit
// (or its money back) when its end-to-end id names one, else what its
// plan asks.
func (s *Service) decide(ctx context.Context, merchantID string, e bank.Entry, rec *store.StatementEntry) error {
	plan := domain.PlanEntry(e)
	if len(plan.References) > 0 {
		rec.Reference = plan.References[0]
	}
	if plan.Payout != "" {
		if done, err := s.payout(ctx, merchantID, e, plan.Payout, rec); err != nil || done {
			return err
		}
	}
	switch plan.Step {
	case domain.StepIgnore:
		rec.Outcome, rec.Reason = domain.EntryIgnored, plan.Reason
	case domain.StepPay:
		return s.pay(ctx, merchantID, e, plan.References, rec)
	case domain.StepReversal:
		return s.reversal(ctx, merchantID, e, plan.References, rec)
	}
	return nil
}

// record is an entry's record before its outcome is known.
func record(i int, e bank.Entry, payID string) store.StatementEntry {
	return store.StatementEntry{Index: i, PaymentID: payID, BookedOn: e.BookedOn, Currency: e.Currency, Amount: e.Amount.String(), Credit: e.Credit,
		DebtorName: e.Party.Name, DebtorIBAN: e.Party.IBAN, Remittance: e.Remittance}
}

// findLink is the first of refs that names a link of the merchant, and
// that link ("", "" when none does).
func (s *Service) findLink(ctx context.Context, merchantID string, refs []string) (string, string, error) {
	for _, ref := range refs {
		id, err := s.Store.LinkIDByBankReference(ctx, merchantID, ref)
		if errors.Is(err, domain.ErrNotFound) {
			continue
		}
		if err != nil {
			return "", "", err
		}
		return ref, id, nil
	}
	return "", "", nil
}

// pay applies a credit to the link its references name, through the same
// guarded apply as a PSP's payment: matched, or kept for review (unmatched,
// second, mismatched). A payment applied or kept before (a retry) reads
// what it did from its applied marker.
func (s *Service) pay(ctx context.Context, merchantID string, e bank.Entry, refs []string, rec *store.StatementEntry) error {
	ref, linkID, err := s.findLink(ctx, merchantID, refs)
	if err != nil {
		return err
	}
	if ref != "" {
		rec.Reference = ref
	}
	ev := domain.BankPaymentEvent(e, linkID, s.now())
	res, err := links.ApplyPayment(ctx, s.Store, merchantID, domain.ProviderBank, ev, s.now())
	if err != nil {
		return err
	}
	switch res {
	case links.AppliedChange:
		rec.Outcome, rec.Reason, rec.LinkID = domain.EntryMatched, domain.ReasonPaid, linkID
		return nil
	case links.AppliedReview, links.AppliedDuplicate:
		return s.applied(ctx, merchantID, ev.ID, len(refs) > 0, rec)
	}
	return fmt.Errorf("payment %s: %s", ev.ID, res)
}

// applied records what the payment ev did, as its applied marker says:
// kept for review (of a kind) or put on its link.
func (s *Service) applied(ctx context.Context, merchantID, evID string, referenced bool, rec *store.StatementEntry) error {
	a, err := s.Store.AppliedPaymentOf(ctx, merchantID, domain.ProviderBank, evID)
	if errors.Is(err, domain.ErrNotFound) {
		// Put on a link or kept so long ago that the marker is gone.
		rec.Outcome, rec.Reason = domain.EntryDuplicate, domain.ReasonSeenBefore
		return nil
	}
	if err != nil {
		return err
	}
	rec.LinkID, rec.ReviewID = a.LinkID, a.ReviewID
	kind := ""
	if a.ReviewID != "" {
		kind = a.Kind
	}
	rec.Outcome, rec.Reason = domain.EntryOutcomeOfPayment(kind, referenced)
	return nil
}

// reversal looks at a reversed credit: when it takes back the bank payment
// of the link its reference names, it is kept for review (the link's
// timeline and payment.review_opened tell the merchant); else ignored.
func (s *Service) reversal(ctx context.Context, merchantID string, e bank.Entry, refs []string, rec *store.StatementEntry) error {
	rec.Outcome, rec.Reason = domain.EntryIgnored, domain.ReasonReversal
	_, linkID, err := s.findLink(ctx, merchantID, refs)
	if err != nil || linkID == "" {
		return err
	}
	l, err := s.Store.Get(ctx, merchantID, linkID)
	if errors.Is(err, domain.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if !domain.ReversalTakesBack(l, e) {
		return nil
	}
	ev := domain.BankPaymentEvent(e, linkID, s.now())
	if _, err := s.Store.KeepForReview(ctx, merchantID, domain.ProviderBank, ev, domain.ReviewReversal, l, s.now()); err != nil {
		return err
	}
	return s.applied(ctx, merchantID, ev.ID, true, rec)
}
