package store_test

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/links"
	"github.com/paylinks/paylinks/shared/money"
	"github.com/paylinks/paylinks/shared/store"
	"github.com/paylinks/paylinks/shared/testkit/testenv"
)

var bankPayer = &domain.Debtor{Name: "Jan Peeters", IBAN: "BE71096123456769", BIC: "GKCCBEBB"}

// bankPaidLink is a link of m (EUR 120.98) paid by a bank transfer from
// bankPayer, as a statement pays it.
func bankPaidLink(t *testing.T, env *testenv.Env, m string, now time.Time) *domain.Link {
	t.Helper()
	l, ev := newLink(t, m, "", now)
	if err := env.Store.CreateLink(ctx, store.NewLink{Link: l, Event: ev}); err != nil {
		t.Fatal(err)
	}
	a := l.Amount
	res, err := links.ApplyPayment(ctx, env.Store, m, domain.ProviderBank, domain.PaymentEvent{ID: "bank_" + l.ID, Kind: domain.PaymentSucceeded,
		LinkID: l.ID, PaymentRef: "bank_" + l.ID, Amount: &a, Debtor: bankPayer, At: now}, now)
	if err != nil || res != links.AppliedChange {
		t.Fatalf("pay: %v %v", res, err)
	}
	got, err := env.Store.Get(ctx, m, l.ID)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func bankRefund(t *testing.T, env *testenv.Env, l *domain.Link, value string, now time.Time) (*store.Refund, error) {
	t.Helper()
	a := money.MustParse("EUR", value)
	r := &store.Refund{ID: domain.NewID(domain.PrefixRefund, now), Merchant: l.Merchant, Amount: a, PSP: domain.ProviderBank}
	payee, err := domain.PayeeOf(bankPayer)
	if err != nil {
		t.Fatal(err)
	}
	p, err := domain.LinkPayout(l, r.ID, a, payee)
	if err != nil {
		t.Fatal(err)
	}
	return r, env.Store.CreateBankRefund(ctx, l, r, p, now)
}

// bankReviewRefund keeps a bank payment of m1 for review and refunds it
// by bank at now.
func bankReviewRefund(t *testing.T, env *testenv.Env, now time.Time) store.ReviewPayment {
	t.Helper()
	// A bank payment kept for review, refunded by bank.
	a := money.MustParse("EUR", "7.50")
	if _, err := env.Store.KeepForReview(ctx, "m1", domain.ProviderBank, domain.PaymentEvent{ID: "bank_x", Kind: domain.PaymentSucceeded,
		PaymentRef: "bank_x", Amount: &a, Debtor: bankPayer, At: now}, domain.ReviewUnmatched, nil, now); err != nil {
		t.Fatal(err)
	}
	page, _ := env.Store.ReviewPayments(ctx, "m1", store.ReviewQuery{})
	py := page.Items[0]
	cur, err := env.Store.StartReviewRefund(ctx, "m1", py.ID, now)
	if !errors.Is(err, store.ErrReviewByBank) || cur.Debtor == nil || *cur.Debtor != *bankPayer {
		t.Fatalf("start a bank payment's refund through a PSP: %+v, %v", cur, err)
	}
	payee, _ := domain.PayeeOf(cur.Debtor)
	rp, _ := domain.ReviewPayout(cur.ID, cur.RefundAttempt+1, *cur.Amount, payee)
	p, err := env.Store.StartBankReviewRefund(ctx, "m1", cur, rp, now)
	if err != nil || p.State != store.ReviewRefunding || p.EndToEndID != rp.EndToEndID {
		t.Fatalf("%+v, %v", p, err)
	}
	if _, err := env.Store.StartBankReviewRefund(ctx, "m1", cur, rp, now); !errors.Is(err, store.ErrReviewNotOpen) {
		t.Fatalf("twice: %v", err)
	}
	return py
}

func TestBankRefundsFiledOnce(t *testing.T) {
	env := testenv.New(t)
	now := time.Now().UTC()
	l := bankPaidLink(t, env, "m1", now)
	if got, err := env.Store.LinkPayer(ctx, "m1", l.ID); err != nil || *got != *bankPayer {
		t.Fatalf("payer %+v, %v", got, err)
	}
	r, err := bankRefund(t, env, l, "20.00", now)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bankRefund(t, env, l, "100.99", now); !errors.Is(err, domain.ErrRefundTooLarge) {
		t.Fatalf("above what is left: %v", err)
	}
	py := bankReviewRefund(t, env, now.Add(time.Millisecond)) // after the link's refund on the list
	waiting, err := env.Store.WaitingPayouts(ctx, "m1", 100)
	if err != nil || len(waiting) != 2 || waiting[0].RefundID != r.ID || waiting[1].ReviewID != py.ID || waiting[0].Payee.IBAN != bankPayer.IBAN {
		t.Fatalf("waiting %+v, %v", waiting, err)
	}
	if got, err := env.Store.PayoutByEndToEnd(ctx, "m1", r.EndToEndID); err != nil || got.RefundID != r.ID || got.LinkID != l.ID {
		t.Fatalf("payout by end-to-end id: %+v, %v", got, err)
	}
	f := &store.BankFile{ID: domain.NewID(domain.PrefixBankFile, now), Merchant: "m1", Refunds: 2, Total: money.MustParse("EUR", "27.50"), XML: "<Document/>"}
	if err := env.Store.FileBankRefunds(ctx, f, waiting, now); err != nil {
		t.Fatal(err)
	}
	checkFiled(t, env, l, r, py, f, waiting)
}

// checkFiled checks file f (of refund r of link l, and review payment
// py's refund) as written, and that the same payouts are filed no more.
func checkFiled(t *testing.T, env *testenv.Env, l *domain.Link, r *store.Refund, py store.ReviewPayment, f *store.BankFile, waiting []store.WaitingPayout) {
	t.Helper()
	now := time.Now().UTC()
	if got, _ := env.Store.GetRefund(ctx, "m1", l.ID, r.ID); got.BankFileID != f.ID || got.Status != store.RefundPending || got.EndToEndID != r.EndToEndID {
		t.Fatalf("refund %+v", got)
	}
	if got, _ := env.Store.GetReviewPayment(ctx, "m1", py.ID); got.BankFileID != f.ID {
		t.Fatalf("review payment %+v", got)
	}
	if w, _ := env.Store.WaitingPayouts(ctx, "m1", 100); len(w) != 0 {
		t.Fatalf("still waiting: %+v", w)
	}
	// The same payouts again (a list not yet cleared): refused, nothing written.
	g := &store.BankFile{ID: domain.NewID(domain.PrefixBankFile, now), Merchant: "m1", Refunds: 2, Total: f.Total, XML: "<Document/>"}
	if err := env.Store.FileBankRefunds(ctx, g, waiting, now); !errors.Is(err, store.ErrPayoutsTaken) {
		t.Fatalf("filed twice: %v", err)
	}
	if _, err := env.Store.GetBankFile(ctx, "m1", g.ID); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("the loser's file: %v", err)
	}
	got, err := env.Store.GetBankFile(ctx, "m1", f.ID)
	if err != nil || got.XML != "<Document/>" || got.Refunds != 2 || got.Total.String() != "27.50" || got.Status != store.BankFileReady {
		t.Fatalf("file %+v, %v", got, err)
	}
	if _, err := env.Store.GetBankFile(ctx, "m2", f.ID); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("another merchant's file: %v", err)
	}
}

// TestBankFilesRace: files made at once from the same waiting list hold
// each payout once: one takes them all, the others take none (and clear
// the list), on DynamoDB's own transactions.
func TestBankFilesRace(t *testing.T) {
	env := testenv.New(t)
	now := time.Now().UTC()
	l := bankPaidLink(t, env, "m1", now)
	for i := 0; i < 40; i++ {
		if _, err := bankRefund(t, env, l, "1.00", now); err != nil {
			t.Fatal(err)
		}
	}
	waiting, _ := env.Store.WaitingPayouts(ctx, "m1", 100)
	var wg sync.WaitGroup
	errs := make([]error, 4)
	ids := make([]string, 4)
	for i := range errs {
		ids[i] = domain.NewID(domain.PrefixBankFile, now)
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = env.Store.FileBankRefunds(ctx, &store.BankFile{ID: ids[i], Merchant: "m1", Refunds: 40, Total: money.MustParse("EUR", "40.00")}, waiting, now)
		}()
	}
	wg.Wait()
	won := winner(t, errs, ids)
	rs, _ := env.Store.Refunds(ctx, "m1", l.ID)
	for _, r := range rs {
		if won != "" && r.BankFileID != won || won == "" && r.BankFileID != "" {
			t.Fatalf("refund %s in file %q; won %q", r.ID, r.BankFileID, won)
		}
	}
	page, _ := env.Store.BankFiles(ctx, "m1", 10, "")
	if won != "" && (len(page.Items) != 1 || page.Items[0].ID != won || page.Items[0].XML != "") || won == "" && len(page.Items) != 0 {
		t.Fatalf("files %+v (won %q)", page.Items, won)
	}
}

// winner is the one file of ids that was written ("" for none).
func winner(t *testing.T, errs []error, ids []string) string {
	t.Helper()
	won := ""
	for i, err := range errs {
		switch {
		case err == nil && won == "":
			won = ids[i]
		case err == nil:
			t.Fatalf("two files won: %s and %s", won, ids[i])
		case !errors.Is(err, store.ErrPayoutsTaken) && !errors.Is(err, domain.ErrConflict):
			t.Fatal(err)
		}
	}
	return won
}

// TestBankFileOf99Payouts: the largest file (99 payouts and its document)
// is one transaction and one item.
func TestBankFileOf99Payouts(t *testing.T) {
	env := testenv.New(t)
	now := time.Now().UTC()
	l := bankPaidLink(t, env, "m1", now)
	for i := 0; i < domain.MaxFilePayouts+1; i++ {
		if _, err := bankRefund(t, env, l, "1.00", now); err != nil {
			t.Fatal(err)
		}
	}
	waiting, _ := env.Store.WaitingPayouts(ctx, "m1", domain.MaxFilePayouts+1)
	if len(waiting) != domain.MaxFilePayouts+1 {
		t.Fatalf("%d waiting", len(waiting))
	}
	doc := strings.Repeat(fmt.Sprintf("<CdtTrfTxInf>%s</CdtTrfTxInf>", strings.Repeat("x", 900)), domain.MaxFilePayouts)
	f := &store.BankFile{ID: domain.NewID(domain.PrefixBankFile, now), Merchant: "m1", Refunds: domain.MaxFilePayouts, Total: money.MustParse("EUR", "99.00"), XML: doc}
	if err := env.Store.FileBankRefunds(ctx, f, waiting[:domain.MaxFilePayouts], now); err != nil {
		t.Fatal(err)
	}
	if w, _ := env.Store.WaitingPayouts(ctx, "m1", 100); len(w) != 1 || w[0].EndToEndID != waiting[domain.MaxFilePayouts].EndToEndID {
		t.Fatalf("left waiting: %d", len(w))
	}
	if got, err := env.Store.GetBankFile(ctx, "m1", f.ID); err != nil || len(got.XML) != len(doc) {
		t.Fatalf("file: %v", err)
	}
}

func TestBankFilesPages(t *testing.T) {
	env := testenv.New(t)
	now := time.Now().UTC()
	l := bankPaidLink(t, env, "m1", now)
	var want []string
	for i := 0; i < 5; i++ {
		if _, err := bankRefund(t, env, l, "1.00", now); err != nil {
			t.Fatal(err)
		}
		w, _ := env.Store.WaitingPayouts(ctx, "m1", 100)
		f := &store.BankFile{ID: domain.NewSeqID(domain.PrefixBankFile, now), Merchant: "m1", Refunds: 1, Total: money.MustParse("EUR", "1.00"), XML: "<x/>"}
		if err := env.Store.FileBankRefunds(ctx, f, w, now); err != nil {
			t.Fatal(err)
		}
		want = append([]string{f.ID}, want...)
	}
	var got []string
	cursor := ""
	for {
		page, err := env.Store.BankFiles(ctx, "m1", 2, cursor)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range page.Items {
			got = append(got, f.ID)
		}
		if cursor = page.Next; cursor == "" {
			break
		}
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("pages %v, want %v", got, want)
	}
	if _, err := env.Store.BankFiles(ctx, "m2", 2, "bogus"); !errors.Is(err, domain.ErrBadCursor) {
		t.Fatalf("bad cursor: %v", err)
	}
}
