package statements_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/paylinks/paylinks/shared/bank"
	"github.com/paylinks/paylinks/shared/bank/reference"
	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/money"
	"github.com/paylinks/paylinks/shared/statements"
	"github.com/paylinks/paylinks/shared/store"
	"github.com/paylinks/paylinks/shared/testkit/testenv"
)

// On DynamoDB Local: money the bank took back is never paid out again. A
// link paid by transfer is refunded twice by bank (one refund already in
// a file, one not); a reversal of another person's transfer naming the
// link's reference changes nothing; the payer's own reversal is kept for
// review, withdraws the refund no file holds (failed, payment_reversed,
// its reservation released, refund.failed on the timeline) and leaves the
// filed one to its file; the next file has nothing to pay. The same
// statements again change nothing.
func TestReversalWithdrawsUnfiledRefunds(t *testing.T) {
	env, svc, q := dynamoRig(t)
	l := bankLink(t, env, "m1", "30.00", reference.RF)
	payer := bank.Party{Name: "Jan Peeters", IBAN: "BE71096123456769"}
	pay := entryOf("30.00", func(e *bank.Entry) { e.Reference, e.EntryRef, e.Party = l.BankReference, "P1", payer })
	upload(t, svc, q, camtOf(acct, []bank.Entry{pay}))
	paid, err := env.Store.Get(ctx, "m1", l.ID)
	if err != nil || paid.Status != domain.StatusPaid {
		t.Fatalf("paid %+v %v", paid, err)
	}
	filed := bankRefundOf(t, env, paid, "10.00")
	w, err := env.Store.WaitingPayouts(ctx, "m1", 10)
	if err != nil || len(w) != 1 {
		t.Fatalf("waiting %+v %v", w, err)
	}
	now := time.Now().UTC()
	if err := env.Store.FileBankRefunds(ctx, &store.BankFile{ID: domain.NewID(domain.PrefixBankFile, now), Merchant: "m1", Refunds: 1,
		Total: money.MustParse("EUR", "10.00"), XML: "<x/>"}, w, now); err != nil {
		t.Fatal(err)
	}
	paid, _ = env.Store.Get(ctx, "m1", l.ID)
	unfiled := bankRefundOf(t, env, paid, "5.00")

	reversal := func(ref, iban string) bank.Entry {
		return entryOf("30.00", func(e *bank.Entry) {
			e.Reference, e.EntryRef, e.Credit, e.Reversal, e.Party = l.BankReference, ref, false, true, bank.Party{Name: "X", IBAN: iban}
		})
	}
	for round := 0; round < 2; round++ { // the same statements again: nothing more
		st := upload(t, svc, q, camtOf(acct, []bank.Entry{reversal("R1", "NL91ABNA0417164300")}))
		if want := [2]int{1, 0}; round == 0 && [2]int{st.Ignored, st.Review} != want {
			t.Fatalf("another person's reversal: %+v", st)
		}
		if r, _ := env.Store.GetRefund(ctx, "m1", l.ID, unfiled.ID); round == 0 && (r.Status != store.RefundPending || r.HeldBy != "") {
			t.Fatalf("another person's reversal touched the refund: %+v", r)
		}
		st = upload(t, svc, q, camtOf(acct, []bank.Entry{reversal("R2", payer.IBAN)}))
		if round == 0 && st.Review != 1 {
			t.Fatalf("the payer's reversal: %+v", st)
		}
		got := fmt.Sprint(refundState(t, env, l.ID, unfiled.ID), " ", refundState(t, env, l.ID, filed.ID))
		if want := "failed payment_reversed pending "; got != want {
			t.Fatalf("round %d: refunds %q, want %q", round, got, want)
		}
		if after, _ := env.Store.Get(ctx, "m1", l.ID); after.RefundCommitted.String() != "10.00" || after.ReversedBy == "" {
			t.Fatalf("round %d: link after the reversal: committed %s, reversed by %q", round, after.RefundCommitted, after.ReversedBy)
		}
		if w, _ := env.Store.WaitingPayouts(ctx, "m1", 10); len(w) != 0 {
			t.Fatalf("round %d: still waiting for a file: %+v", round, w)
		}
	}
	if n := eventsOf(t, env, l.ID, "refund.failed"); n != 1 {
		t.Fatalf("%d refund.failed events, want 1", n)
	}
}

// eventsOf counts the events of type typ on link id's timeline.
func eventsOf(t *testing.T, env *testenv.Env, id, typ string) int {
	t.Helper()
	evs, err := env.Store.Events(ctx, "m1", id)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range evs {
		if e.Type == typ {
			n++
		}
	}
	return n
}

func refundState(t *testing.T, env *testenv.Env, linkID, id string) string {
	t.Helper()
	r, err := env.Store.GetRefund(ctx, "m1", linkID, id)
	if err != nil {
		t.Fatal(err)
	}
	return r.Status + " " + r.FailureReason
}

// upload uploads a statement of m1 and processes it whole.
func upload(t *testing.T, svc *statements.Service, q *fakeQueue, file []byte) *store.Statement {
	t.Helper()
	st, err := svc.Upload(ctx, "m1", "application/xml", file)
	if err != nil {
		t.Fatal(err)
	}
	drainAll(t, svc, q)
	got, err := svc.Statement(ctx, "m1", st.ID)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// bankRefundOf refunds amount of l (as read) by bank to its payer, as the
// refund service does.
func bankRefundOf(t *testing.T, env *testenv.Env, l *domain.Link, amount string) *store.Refund {
	t.Helper()
	now := time.Now().UTC()
	d, err := env.Store.LinkPayer(ctx, "m1", l.ID)
	if err != nil || d == nil {
		t.Fatalf("payer %+v %v", d, err)
	}
	payee, err := domain.PayeeOf(d)
	if err != nil {
		t.Fatal(err)
	}
	a := money.MustParse("EUR", amount)
	r := &store.Refund{ID: domain.NewID(domain.PrefixRefund, now), Merchant: "m1", Amount: a, PSP: domain.ProviderBank}
	p, err := domain.LinkPayout(l, r.ID, a, payee)
	if err != nil {
		t.Fatal(err)
	}
	if err := env.Store.CreateBankRefund(ctx, l, r, p, now); err != nil {
		t.Fatal(err)
	}
	return r
}
