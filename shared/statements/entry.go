package statements

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/paylinks/paylinks/shared/bank"
	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/links"
	"github.com/paylinks/paylinks/shared/store"
)

// entry reconciles the entry at position i of statement st, once, and
// returns its outcome as recorded. look is what the table held of the
// entry's chunk before it began (chunk.lookup); records of what changes
// nothing go in batch, written before the chunk's checkpoint.
//
// An entry read for the first time (its identity unclaimed in look) takes
// the short way (first): a payment is one transaction with its claim and
// record, a debit one conditional claim. Anything else, and whatever finds
// the table changed since look (another reader claimed the entry, a retry
// of this chunk), takes the long way (again), where each step is
// idempotent on the entry's identity (domain.BankPaymentID): its claim is
// its own again, an entry recorded before is what it was, its payment is
// applied or kept once (the applied marker tells what it did).
func (s *Service) entry(ctx context.Context, st *store.Statement, i int, e bank.Entry, look store.EntryLookup, batch *records) (domain.EntryOutcome, error) {
	payID := domain.BankPaymentID(e)
	rec := record(i, e, payID)
	if !domain.EntryClaimsIdentity(e) {
		rec.Outcome, rec.Reason = domain.EntryIgnored, domain.ReasonNotBooked
		return batch.add(rec), nil
	}
	claim, claimed := look.Claims[payID]
	switch {
	case claimed && (claim.Statement != st.ID || claim.Index != i):
		return batch.add(duplicate(rec)), nil
	case !claimed:
		o, done, err := s.first(ctx, st, e, rec, look, batch)
		if err != nil || done {
			return o, err
		}
	}
	return s.again(ctx, st, i, e)
}

// first reconciles an entry nobody had read when its chunk began, when it
// is a credit to pay with or a debit to ignore (done false for the rest,
// and when another reader has claimed it since).
func (s *Service) first(ctx context.Context, st *store.Statement, e bank.Entry, rec store.StatementEntry, look store.EntryLookup, batch *records) (domain.EntryOutcome, bool, error) {
	plan := domain.PlanEntry(e)
	if plan.Payout != "" {
		return "", false, nil
	}
	switch plan.Step {
	case domain.StepIgnore:
		claim, err := s.Store.ClaimEntry(ctx, st.Merchant, rec.PaymentID, st.ID, rec.Index, s.now())
		switch {
		case err != nil:
			return "", false, err
		case claim == store.ClaimTaken:
			return batch.add(duplicate(rec)), true, nil
		case claim == store.ClaimAgain:
			return "", false, nil
		}
		rec.Outcome, rec.Reason = domain.EntryIgnored, plan.Reason
		return batch.add(rec), true, nil
	case domain.StepPay:
		ref, linkID := "", ""
		for _, r := range plan.References {
			if id, ok := look.Links[r]; ok {
				ref, linkID = r, id
				break
			}
		}
		rec.Reference = ref
		if ref == "" && len(plan.References) > 0 {
			rec.Reference = plan.References[0]
		}
		read := &readPayments{Store: s.Store, read: &store.EntryRead{Statement: st.ID, PaymentID: rec.PaymentID, Record: &rec}, referenced: len(plan.References) > 0}
		ev := domain.BankPaymentEvent(e, linkID, s.now())
		res, err := links.ApplyPayment(ctx, read, st.Merchant, domain.ProviderBank, ev, s.now())
		switch {
		case err != nil:
			return "", false, err
		case res == links.AppliedChange, res == links.AppliedReview:
			return rec.Outcome, true, nil
		case res == links.AppliedDuplicate:
			return "", false, nil // read since, or paid before the entry's claim was kept
		}
		return "", false, fmt.Errorf("payment %s: %s", ev.ID, res)
	}
	return "", false, nil
}

// readPayments is the table as links.ApplyPayment sees it for an entry read
// for the first time: its payment is written with the entry's claim and its
// record, which says what the payment did (matched, or kept for review and
// why).
type readPayments struct {
	Store
	read       *store.EntryRead
	referenced bool
}

func (p *readPayments) ApplyPayment(ctx context.Context, merchant, provider string, ev domain.PaymentEvent, d domain.PaymentDecision, now time.Time) (store.PaymentWrite, error) {
	r := p.read.Record
	r.Outcome, r.Reason, r.LinkID, r.ReviewID = domain.EntryMatched, domain.ReasonPaid, ev.LinkID, ""
	return p.Store.ApplyPaymentRead(ctx, merchant, provider, ev, d, now, p.read)
}

func (p *readPayments) KeepForReview(ctx context.Context, merchant, provider string, ev domain.PaymentEvent, kind string, link *domain.Link, now time.Time) (bool, error) {
	r := p.read.Record
	r.Outcome, r.Reason = domain.EntryOutcomeOfPayment(kind, p.referenced)
	r.LinkID = ev.LinkID
	return p.Store.KeepForReviewRead(ctx, merchant, provider, ev, kind, link, now, p.read)
}

// duplicate is the record of an entry read before (in this file or
// another): what it is, and nothing of the person who paid (their name,
// IBAN and text stay on the first reading's record alone, which erasure
// reaches).
func duplicate(rec store.StatementEntry) store.StatementEntry {
	rec.Outcome, rec.Reason = domain.EntryDuplicate, domain.ReasonSeenBefore
	rec.DebtorName, rec.DebtorIBAN, rec.Remittance = "", "", ""
	return rec
}

// records are the records of a chunk's entries that change nothing, written
// in one batch before its checkpoint.
type records struct {
	mu   sync.Mutex
	recs []store.StatementEntry
}

// add keeps rec for the batch and returns its outcome.
func (b *records) add(rec store.StatementEntry) domain.EntryOutcome {
	b.mu.Lock()
	b.recs = append(b.recs, rec)
	b.mu.Unlock()
	return rec.Outcome
}

// again reconciles the entry the long way, each step on its own: its
// claim, then (a claim of its own from before) its record as it was, or
// what it does, decided again.
func (s *Service) again(ctx context.Context, st *store.Statement, i int, e bank.Entry) (domain.EntryOutcome, error) {
	payID := domain.BankPaymentID(e)
	rec := record(i, e, payID)
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
		rec = duplicate(rec)
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
	payer, err := s.Store.LinkPayer(ctx, merchantID, linkID)
	if err != nil {
		return err
	}
	if !domain.ReversalTakesBack(l, payer, e) {
		return nil
	}
	ev := domain.BankPaymentEvent(e, linkID, s.now())
	if _, err := s.Store.KeepForReview(ctx, merchantID, domain.ProviderBank, ev, domain.ReviewReversal, l, s.now()); err != nil {
		return err
	}
	if err := s.withdrawHeld(ctx, merchantID, linkID); err != nil {
		return err
	}
	return s.applied(ctx, merchantID, ev.ID, true, rec)
}

// withdrawHeld fails the link's refunds by bank transfer that its reversal
// held before any file did (store.Refund.HeldBy): the payer has the money
// back, so they are never paid out; the link's reservation is released and
// refund.failed tells the merchant (domain.RefundWithdrawnReversed). Each
// once: only a pending refund settles, so a retry changes nothing.
func (s *Service) withdrawHeld(ctx context.Context, merchantID, linkID string) error {
	refunds, err := s.Store.Refunds(ctx, merchantID, linkID)
	if err != nil {
		return err
	}
	for _, r := range refunds {
		if r.HeldBy == "" {
			continue
		}
		d := domain.DecideRefundSettlement(r.Status, r.Amount.Minor(), false)
		if _, err := s.Store.SettleRefund(ctx, merchantID, r, d, "", domain.RefundWithdrawnReversed, s.now()); err != nil {
			return fmt.Errorf("withdraw refund %s: %w", r.ID, err)
		}
	}
	return nil
}
