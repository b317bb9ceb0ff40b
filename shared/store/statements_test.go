package store_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/links"
	"github.com/paylinks/paylinks/shared/money"
	"github.com/paylinks/paylinks/shared/store"
	"github.com/paylinks/paylinks/shared/testkit/testenv"
)

func statementsOf(env *testenv.Env) *store.Statements { return &store.Statements{Core: env.Store.Core} }

func newStatement(t *testing.T, st *store.Statements, m string, at time.Time) *store.Statement {
	t.Helper()
	s := &store.Statement{ID: domain.NewSeqID(domain.PrefixStatement, at), Merchant: m, Source: "api", File: "statements/" + m + "/x"}
	if err := st.CreateStatement(ctx, s, at); err != nil {
		t.Fatal(err)
	}
	return s
}

// A statement is made once and listed newest first under its merchant
// only, in pages whose cursor is the merchant's own.
func TestStatementList(t *testing.T) {
	env := testenv.New(t)
	st := statementsOf(env)
	now := time.Now().UTC()
	var made []*store.Statement
	for i := 0; i < 7; i++ {
		made = append(made, newStatement(t, st, "m1", now.Add(time.Duration(i)*time.Second)))
	}
	other := newStatement(t, st, "m2", now)
	if err := st.CreateStatement(ctx, made[0], now); !errors.Is(err, store.ErrStatementExists) {
		t.Fatalf("created twice: %v", err)
	}
	var listed []string
	for cursor, pages := "", 0; pages == 0 || cursor != ""; pages++ {
		page, err := st.ListStatements(ctx, "m1", 3, cursor)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range page.Items {
			listed = append(listed, s.ID)
		}
		if cursor = page.Next; cursor != "" {
			if _, err := st.ListStatements(ctx, "m2", 3, cursor); !errors.Is(err, domain.ErrBadCursor) {
				t.Fatalf("another merchant's cursor: %v", err)
			}
		}
	}
	want := make([]string, len(made))
	for i := range made {
		want[len(made)-1-i] = made[i].ID
	}
	if fmt.Sprint(listed) != fmt.Sprint(want) {
		t.Fatalf("listed %v, want %v (newest first)", listed, want)
	}
	if _, err := st.GetStatement(ctx, "m1", other.ID); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("another merchant's statement: %v", err)
	}
	env.Merchant(t, "m1")
	for id, want := range map[string]bool{"m1": true, "m2": false} {
		if got, err := st.MerchantExists(ctx, id); err != nil || got != want {
			t.Fatalf("merchant %s exists: %v %v", id, got, err)
		}
	}
}

// A statement is validated once, counted once per chunk (a chunk
// checkpointed twice counts once, nothing is counted before validation),
// done at its last chunk; a failed or done one takes nothing more.
func TestStatementProgress(t *testing.T) {
	env := testenv.New(t)
	st := statementsOf(env)
	now := time.Now().UTC()
	s := newStatement(t, st, "m1", now)
	if ok, err := st.CheckpointStatement(ctx, "m1", s.ID, 0, 2, store.StatementCounts{Matched: 1}, false, now); ok || err != nil {
		t.Fatalf("counted before validation: %v %v", ok, err)
	}
	if err := st.StartStatement(ctx, "m1", s.ID, "camt.053", "BE68539007547034", 5, now); err != nil {
		t.Fatal(err)
	}
	if err := st.StartStatement(ctx, "m1", s.ID, "camt.053", "BE68539007547034", 5, now); !errors.Is(err, domain.ErrConflict) {
		t.Fatalf("validated twice: %v", err)
	}
	for _, c := range []struct {
		from, to int
		done     bool
		want     bool
	}{{0, 2, false, true}, {0, 2, false, false}, {2, 5, true, true}, {2, 5, true, false}} {
		ok, err := st.CheckpointStatement(ctx, "m1", s.ID, c.from, c.to, store.StatementCounts{Matched: 1, Review: 1, Ignored: c.to - c.from}, c.done, now)
		if err != nil || ok != c.want {
			t.Fatalf("checkpoint %d..%d: %v %v, want %v", c.from, c.to, ok, err, c.want)
		}
	}
	got, err := st.GetStatement(ctx, "m1", s.ID)
	if err != nil || got.Status != store.StatementDone || got.Next != 5 || got.Matched != 2 || got.Review != 2 || got.Ignored != 5 || got.Format != "camt.053" || got.Entries != 5 {
		t.Fatalf("statement %+v %v", got, err)
	}
	if err := st.FailStatement(ctx, "m1", s.ID, "late", now); !errors.Is(err, domain.ErrConflict) {
		t.Fatalf("a done statement failed: %v", err)
	}
}

// A statement processing is failed with why, once; an unknown one is not
// found.
func TestStatementFail(t *testing.T) {
	env := testenv.New(t)
	st := statementsOf(env)
	now := time.Now().UTC()
	f := newStatement(t, st, "m1", now)
	if err := st.FailStatement(ctx, "m1", f.ID, "entry 3: Amt: not a decimal", now); err != nil {
		t.Fatal(err)
	}
	if got, _ := st.GetStatement(ctx, "m1", f.ID); got.Status != store.StatementFailed || got.Error != "entry 3: Amt: not a decimal" {
		t.Fatalf("failed %+v", got)
	}
	if err := st.FailStatement(ctx, "m1", f.ID, "again", now); !errors.Is(err, domain.ErrConflict) {
		t.Fatalf("failed twice: %v", err)
	}
	if err := st.FailStatement(ctx, "m1", domain.NewID(domain.PrefixStatement, now), "x", now); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("an unknown statement: %v", err)
	}
}

// One worker at a time holds a statement, until its lease runs out or it
// gives it back; a statement no longer processing is held by none.
func TestStatementLease(t *testing.T) {
	env := testenv.New(t)
	st := statementsOf(env)
	now := time.Now().UTC()
	l, done := newStatement(t, st, "m1", now), newStatement(t, st, "m1", now)
	lease := func(holder string, at time.Time) bool {
		t.Helper()
		ok, err := st.LeaseStatement(ctx, "m1", l.ID, holder, at.Add(10*time.Minute), at)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	release := func(holder string) {
		t.Helper()
		if err := st.ReleaseStatement(ctx, "m1", l.ID, holder); err != nil {
			t.Fatal(err)
		}
	}
	if !lease("w1", now) || lease("w2", now.Add(time.Minute)) || !lease("w1", now.Add(time.Minute)) || !lease("w2", now.Add(12*time.Minute)) {
		t.Fatal("a lease held by another, or one run out")
	}
	release("w1")
	if lease("w3", now.Add(13*time.Minute)) {
		t.Fatal("released by one who did not hold it")
	}
	release("w2")
	if !lease("w3", now.Add(13*time.Minute)) {
		t.Fatal("not released")
	}
	if err := st.FailStatement(ctx, "m1", done.ID, "x", now); err != nil {
		t.Fatal(err)
	}
	if ok, _ := st.LeaseStatement(ctx, "m1", done.ID, "w1", now.Add(time.Hour), now); ok {
		t.Fatal("a failed statement leased")
	}
}

// An entry's identity is claimed once: again by the same statement and
// position (a retry), never by another position or statement; each
// merchant's own.
func TestStatementEntryClaims(t *testing.T) {
	env := testenv.New(t)
	st := statementsOf(env)
	now := time.Now().UTC()
	a, b := newStatement(t, st, "m1", now), newStatement(t, st, "m1", now)
	for _, c := range []struct {
		merchant, stmt string
		index          int
		want           store.Claim
	}{{"m1", a.ID, 3, store.ClaimNew}, {"m1", a.ID, 3, store.ClaimAgain}, {"m1", a.ID, 4, store.ClaimTaken}, {"m1", b.ID, 3, store.ClaimTaken},
		{"m2", b.ID, 3, store.ClaimNew}} {
		if got, err := st.ClaimEntry(ctx, c.merchant, "bank_1", c.stmt, c.index, now); err != nil || got != c.want {
			t.Fatalf("claim by %s %s/%d: %v %v, want %v", c.merchant, c.stmt, c.index, got, err, c.want)
		}
	}
}

// An entry's record is written once and read back, one by one or in
// pages in the file's order.
func TestStatementEntries(t *testing.T) {
	env := testenv.New(t)
	st := statementsOf(env)
	now := time.Now().UTC()
	a, b := newStatement(t, st, "m1", now), newStatement(t, st, "m1", now)
	for i := 0; i < 12; i++ {
		e := &store.StatementEntry{Index: i, Outcome: domain.EntryIgnored, Reason: domain.ReasonDebit, PaymentID: fmt.Sprintf("bank_%d", i),
			Currency: "EUR", Amount: "1.5", DebtorName: "A Payer", DebtorIBAN: "NL91ABNA0417164300", Remittance: "thanks"}
		if _, written, err := st.RecordEntry(ctx, "m1", a.ID, e, now); err != nil || !written {
			t.Fatalf("record %d: %v %v", i, written, err)
		}
	}
	old, written, err := st.RecordEntry(ctx, "m1", a.ID, &store.StatementEntry{Index: 4, Outcome: domain.EntryMatched, PaymentID: "x"}, now)
	if err != nil || written || old.Outcome != domain.EntryIgnored || old.PaymentID != "bank_4" || old.DebtorIBAN != "NL91ABNA0417164300" {
		t.Fatalf("recorded twice: %+v %v %v", old, written, err)
	}
	if got, err := st.StatementEntry(ctx, "m1", a.ID, 4); err != nil || got.PaymentID != "bank_4" {
		t.Fatalf("entry 4: %+v %v", got, err)
	}
	if _, err := st.StatementEntry(ctx, "m1", a.ID, 12); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("an entry not recorded: %v", err)
	}
	if seen := entryIndexes(t, st, a.ID); fmt.Sprint(seen) != "[0 1 2 3 4 5 6 7 8 9 10 11]" {
		t.Fatalf("entries %v", seen)
	}
	if page, err := st.StatementEntries(ctx, "m1", b.ID, 5, ""); err != nil || len(page.Items) != 0 || page.Next != "" {
		t.Fatalf("an empty statement: %+v %v", page, err)
	}
	if _, err := st.StatementEntries(ctx, "m1", a.ID, 5, "bm90IGEgY3Vyc29y"); !errors.Is(err, domain.ErrBadCursor) {
		t.Fatalf("a made-up cursor: %v", err)
	}
}

// entryIndexes are the positions of a statement's entries, read in pages of 5.
func entryIndexes(t *testing.T, st *store.Statements, id string) []int {
	t.Helper()
	var seen []int
	for cursor, pages := "", 0; pages == 0 || cursor != ""; pages++ {
		page, err := st.StatementEntries(ctx, "m1", id, 5, cursor)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range page.Items {
			seen = append(seen, e.Index)
		}
		cursor = page.Next
	}
	return seen
}

// keepBank applies a bank payment that names no link and returns the
// review payment it was kept as.
func keepBank(t *testing.T, env *testenv.Env, id string, now time.Time) *store.ReviewPayment {
	t.Helper()
	amt := money.MustParse("EUR", "25.00")
	ev := domain.PaymentEvent{ID: id, Kind: domain.PaymentSucceeded, PaymentRef: id, Amount: &amt, At: now,
		Debtor: &domain.Debtor{Name: "Jan Peeters", IBAN: "BE71096123456769"}, Remittance: "order 12"}
	res, err := links.ApplyPayment(ctx, env.Store, "m1", domain.ProviderBank, ev, now)
	if err != nil || res != links.AppliedReview {
		t.Fatalf("apply %s: %s %v", id, res, err)
	}
	a, err := env.Store.AppliedPaymentOf(ctx, "m1", domain.ProviderBank, id)
	if err != nil || a.Kind != store.ReviewUnmatched || a.ReviewID == "" {
		t.Fatalf("applied marker %+v %v", a, err)
	}
	p, err := env.Store.GetReviewPayment(ctx, "m1", a.ReviewID)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// A bank payment kept for review keeps its debtor and remittance text; an
// unmatched one is matched by hand once (a retry of the same match goes
// on; another link, a refund or a second match does not), or opened again.
func TestBankReviewMatch(t *testing.T) {
	env := testenv.New(t)
	now := time.Now().UTC()
	p := keepBank(t, env, "bank_a", now)
	if p.PSP != "bank" || p.Debtor == nil || p.Debtor.IBAN != "BE71096123456769" || p.Remittance != "order 12" {
		t.Fatalf("review payment %+v", p)
	}
	if _, err := env.Store.StartReviewMatch(ctx, "m1", p.ID, "pl_1", now); err != nil {
		t.Fatal(err)
	}
	if _, err := env.Store.StartReviewMatch(ctx, "m1", p.ID, "pl_1", now); err != nil {
		t.Fatalf("a retry of the same match: %v", err)
	}
	if _, err := env.Store.StartReviewMatch(ctx, "m1", p.ID, "pl_2", now); !errors.Is(err, store.ErrReviewNotMatchable) {
		t.Fatalf("another link meanwhile: %v", err)
	}
	if _, err := env.Store.StartReviewRefund(ctx, "m1", p.ID, now); !errors.Is(err, store.ErrReviewNotOpen) {
		t.Fatalf("refunded while matching: %v", err)
	}
	if got, ok, err := env.Store.EndReviewMatch(ctx, "m1", p.ID, "pl_1", true, now); err != nil || !ok || got.State != store.ReviewMatched || got.LinkID != "pl_1" {
		t.Fatalf("matched %+v %v %v", got, ok, err)
	}
	if _, err := env.Store.StartReviewMatch(ctx, "m1", p.ID, "pl_1", now); !errors.Is(err, store.ErrReviewNotMatchable) {
		t.Fatalf("matched twice: %v", err)
	}
	q := keepBank(t, env, "bank_b", now)
	if _, err := env.Store.StartReviewMatch(ctx, "m1", q.ID, "pl_3", now); err != nil {
		t.Fatal(err)
	}
	if got, ok, err := env.Store.EndReviewMatch(ctx, "m1", q.ID, "pl_3", false, now); err != nil || !ok || got.State != store.ReviewOpen || got.LinkID != "" {
		t.Fatalf("a match that did not take %+v %v %v", got, ok, err)
	}
}

// A reversal kept for review (with its link) is never refunded nor
// matched: the money went back already.
func TestBankReversalReview(t *testing.T) {
	env := testenv.New(t)
	now := time.Now().UTC()
	amt := money.MustParse("EUR", "25.00")
	l, ev := newLink(t, "m1", "", now)
	if err := env.Store.CreateLink(ctx, store.NewLink{Link: l, Event: ev}); err != nil {
		t.Fatal(err)
	}
	kept, err := env.Store.KeepForReview(ctx, "m1", domain.ProviderBank, domain.PaymentEvent{ID: "bank_r", PaymentRef: "bank_r", Amount: &amt, LinkID: l.ID},
		domain.ReviewReversal, l, now)
	if err != nil || !kept {
		t.Fatalf("keep reversal %v %v", kept, err)
	}
	a, _ := env.Store.AppliedPaymentOf(ctx, "m1", domain.ProviderBank, "bank_r")
	if _, err := env.Store.StartReviewRefund(ctx, "m1", a.ReviewID, now); !errors.Is(err, domain.ErrPaymentReversed) {
		t.Fatalf("a reversal refunded: %v", err)
	}
	if _, err := env.Store.StartReviewMatch(ctx, "m1", a.ReviewID, l.ID, now); !errors.Is(err, store.ErrReviewNotMatchable) {
		t.Fatalf("a reversal matched: %v", err)
	}
}
