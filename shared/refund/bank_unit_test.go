package refund_test

import (
	"encoding/xml"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/money"
	"github.com/paylinks/paylinks/shared/queue"
	"github.com/paylinks/paylinks/shared/refund"
	"github.com/paylinks/paylinks/shared/store"
)

// painDoc is a pain.001.001.09 document as these tests read it back,
// defined apart from the writer's types.
type painDoc struct {
	XMLName xml.Name
	MsgID   string `xml:"CstmrCdtTrfInitn>GrpHdr>MsgId"`
	NbOfTxs int    `xml:"CstmrCdtTrfInitn>GrpHdr>NbOfTxs"`
	CtrlSum string `xml:"CstmrCdtTrfInitn>GrpHdr>CtrlSum"`
	Dbtr    string `xml:"CstmrCdtTrfInitn>PmtInf>Dbtr>Nm"`
	DbtrAcc string `xml:"CstmrCdtTrfInitn>PmtInf>DbtrAcct>Id>IBAN"`
	DbtrBIC string `xml:"CstmrCdtTrfInitn>PmtInf>DbtrAgt>FinInstnId>BICFI"`
	Txs     []struct {
		E2E string `xml:"PmtId>EndToEndId"`
		Amt struct {
			Ccy   string `xml:"Ccy,attr"`
			Value string `xml:",chardata"`
		} `xml:"Amt>InstdAmt"`
		Name   string `xml:"Cdtr>Nm"`
		IBAN   string `xml:"CdtrAcct>Id>IBAN"`
		BIC    string `xml:"CdtrAgt>FinInstnId>BICFI"`
		Ustrd  string `xml:"RmtInf>Ustrd"`
		Amount decimal.Decimal
	} `xml:"CstmrCdtTrfInitn>PmtInf>CdtTrfTxInf"`
}

func parsePain(t *testing.T, f *store.BankFile) painDoc {
	t.Helper()
	var d painDoc
	if err := xml.Unmarshal([]byte(f.XML), &d); err != nil {
		t.Fatalf("the file does not parse back: %v\n%s", err, f.XML)
	}
	if d.XMLName.Space != "urn:iso:std:iso:20022:tech:xsd:pain.001.001.09" {
		t.Fatalf("root %v", d.XMLName)
	}
	sum := decimal.Zero
	for i := range d.Txs {
		d.Txs[i].Amount = decimal.RequireFromString(d.Txs[i].Amt.Value)
		sum = sum.Add(d.Txs[i].Amount)
	}
	if d.NbOfTxs != len(d.Txs) || d.NbOfTxs != f.Refunds || !decimal.RequireFromString(d.CtrlSum).Equal(sum) || !sum.Equal(f.Total.Value) {
		t.Fatalf("file %d refunds, total %s; document %d (%d), control sum %s, sum %s", f.Refunds, f.Total.Value, d.NbOfTxs, len(d.Txs), d.CtrlSum, sum)
	}
	return d
}

var payer = &domain.Debtor{Name: "Jan Peeters", IBAN: "BE71 0961 2345 6769", BIC: "GKCCBEBB"}

// bankUnit is newUnit with the link paid by bank transfer (payer known),
// the merchant's default beneficiary set.
func bankUnit(t *testing.T) *unit {
	u := newUnit(t)
	u.l.PSP, u.l.Reference, u.l.BankReference = domain.ProviderBank, "INV-7", "RF18539007547034"
	u.st.bank.payers = map[string]*domain.Debtor{u.l.ID: payer}
	u.m.DefaultBeneficiary = &domain.Beneficiary{Name: "Shop SRL", IBAN: "BE68539007547034", BIC: "GKCCBEBB"}
	return u
}

func TestUnitBankRefundWaitsForAFile(t *testing.T) {
	u := bankUnit(t)
	r := u.create(t, "20.00")
	if r.Status != store.RefundPending || r.PSP != domain.ProviderBank || r.EndToEndID != domain.PayoutEndToEndID(r.ID, 0) {
		t.Fatalf("refund %+v", r)
	}
	if len(u.q.sent) != 0 || len(u.psp.calls) != 0 {
		t.Fatalf("queued %d, PSP called %d times: a bank refund goes to neither", len(u.q.sent), len(u.psp.calls))
	}
	if c, _ := u.st.counters(u.l.ID); c != 2000 {
		t.Fatalf("committed %d, want 2000", c)
	}
	w := u.st.bank.waiting
	if len(w) != 1 || w[0].RefundID != r.ID || w[0].Payee != (domain.Payee{Name: "Jan Peeters", IBAN: "BE71096123456769", BIC: "GKCCBEBB"}) ||
		w[0].Remittance != "Refund INV-7" || w[0].Amount.String() != "20.00" {
		t.Fatalf("waiting %+v", w)
	}
}

func TestUnitBankRefundNeedsThePayersAccount(t *testing.T) {
	for _, d := range []*domain.Debtor{nil, {Name: "Jan Peeters"}, {IBAN: "BE71096123456769"}} {
		u := bankUnit(t)
		u.st.bank.payers[u.l.ID] = d
		a := money.MustParse("EUR", "5.00")
		if _, err := u.svc.Create(t.Context(), u.m, u.l, &a, ""); !errors.Is(err, domain.ErrNoPayee) {
			t.Fatalf("payer %+v: %v, want ErrNoPayee", d, err)
		}
		if c, _ := u.st.counters(u.l.ID); c != 0 || len(u.st.bank.waiting) != 0 {
			t.Fatalf("payer %+v: committed %d, %d waiting", d, c, len(u.st.bank.waiting))
		}
	}
}

func reviewBankPayment(u *unit, id string, amount string) {
	a := money.MustParse("EUR", amount)
	u.st.reviews[id] = &store.ReviewPayment{ID: id, Merchant: "shop", Kind: store.ReviewUnmatched, PSP: domain.ProviderBank, PSPReference: "bank_x",
		Amount: &a, State: store.ReviewOpen, Debtor: &domain.Debtor{Name: "Zoë Dubois", IBAN: "FR1420041010050500013M02606"}}
}

func TestUnitBankReviewRefundWaitsForAFile(t *testing.T) {
	u := bankUnit(t)
	id := domain.NewID(domain.PrefixReview, unitNow)
	reviewBankPayment(u, id, "7.50")
	p, err := u.svc.RefundReview(t.Context(), u.m, id)
	if err != nil || p.State != store.ReviewRefunding || p.RefundAttempt != 1 || p.EndToEndID != domain.PayoutEndToEndID(id, 1) {
		t.Fatalf("%+v, %v", p, err)
	}
	if len(u.q.sent) != 0 || len(u.st.bank.waiting) != 1 || u.st.bank.waiting[0].Payee.Name != "Zoe Dubois" {
		t.Fatalf("queued %v, waiting %+v", u.q.sent, u.st.bank.waiting)
	}
	if _, err := u.svc.RefundReview(t.Context(), u.m, id); !errors.Is(err, store.ErrReviewNotOpen) {
		t.Fatalf("again: %v", err)
	}
	u.st.reviews[id].State, u.st.reviews[id].Debtor = store.ReviewOpen, nil
	if _, err := u.svc.RefundReview(t.Context(), u.m, id); !errors.Is(err, domain.ErrNoPayee) {
		t.Fatalf("no debtor: %v", err)
	}
}

func TestUnitBankFile(t *testing.T) {
	u := bankUnit(t)
	if _, _, err := u.svc.CreateBankFile(t.Context(), u.m); !errors.Is(err, domain.ErrNothingToPayOut) {
		t.Fatalf("nothing waiting: %v", err)
	}
	r1, r2 := u.create(t, "20.00"), u.create(t, "0.01")
	id := domain.NewID(domain.PrefixReview, unitNow)
	reviewBankPayment(u, id, "7.50")
	if _, err := u.svc.RefundReview(t.Context(), u.m, id); err != nil {
		t.Fatal(err)
	}
	f, more, err := u.svc.CreateBankFile(t.Context(), u.m)
	if err != nil || more || f.Refunds != 3 || f.Total.String() != "27.51" || !domain.ValidID(domain.PrefixBankFile, f.ID) {
		t.Fatalf("%+v, more %v, %v", f, more, err)
	}
	d := parsePain(t, f)
	if d.Dbtr != "Shop SRL" || d.DbtrAcc != "BE68539007547034" || d.DbtrBIC != "GKCCBEBB" {
		t.Errorf("debtor %q %q %q", d.Dbtr, d.DbtrAcc, d.DbtrBIC)
	}
	want := []string{r1.EndToEndID + " 20.00 Jan Peeters BE71096123456769 GKCCBEBB Refund INV-7", r2.EndToEndID + " 0.01 Jan Peeters BE71096123456769 GKCCBEBB Refund INV-7",
		domain.PayoutEndToEndID(id, 1) + " 7.50 Zoe Dubois FR1420041010050500013M02606  Refund of payment " + domain.PayoutEndToEndID(id, 0)}
	for i, x := range d.Txs {
		if got := fmt.Sprintf("%s %s %s %s %s %s", x.E2E, x.Amt.Value, x.Name, x.IBAN, x.BIC, x.Ustrd); i >= len(want) || got != want[i] || x.Amt.Ccy != "EUR" {
			t.Errorf("transaction %d: %q %s", i, got, x.Amt.Ccy)
		}
	}
	if got, _ := u.st.GetRefund(t.Context(), "shop", u.l.ID, r1.ID); got.BankFileID != f.ID || got.Status != store.RefundPending {
		t.Errorf("refund after the file: %+v", got)
	}
	if u.st.reviews[id].BankFileID != f.ID {
		t.Errorf("review payment's file %q", u.st.reviews[id].BankFileID)
	}
	if _, _, err := u.svc.CreateBankFile(t.Context(), u.m); !errors.Is(err, domain.ErrNothingToPayOut) {
		t.Fatalf("again: %v", err)
	}
	u.m.DefaultBeneficiary = nil
	if _, _, err := u.svc.CreateBankFile(t.Context(), u.m); !errors.Is(err, domain.ErrNoPayoutAccount) {
		t.Fatalf("no beneficiary: %v", err)
	}
}

func TestUnitBankFileOf99AtMost(t *testing.T) {
	u := bankUnit(t)
	u.l.Amount = money.MustParse("EUR", "1000.00")
	for i := 0; i < 150; i++ {
		u.create(t, "1.00")
	}
	f, more, err := u.svc.CreateBankFile(t.Context(), u.m)
	if err != nil || f.Refunds != domain.MaxFilePayouts || !more {
		t.Fatalf("first: %d refunds, more %v, %v", f.Refunds, more, err)
	}
	g, more, err := u.svc.CreateBankFile(t.Context(), u.m)
	if err != nil || g.Refunds != 51 || more || g.Total.String() != "51.00" {
		t.Fatalf("second: %+v, more %v, %v", g, more, err)
	}
	parsePain(t, f)
	parsePain(t, g)
}

// TestUnitBankFilesRace: a file made while another takes the same
// payouts (between its read of the list and its write) reads the list
// again and takes only what is left: no refund is in two files.
func TestUnitBankFilesRace(t *testing.T) {
	u := bankUnit(t)
	for i := 0; i < 4; i++ {
		u.create(t, "1.00")
	}
	var other error
	u.st.bank.beforeFile = func() { _, _, other = u.svc.CreateBankFile(t.Context(), u.m) }
	if _, _, err := u.svc.CreateBankFile(t.Context(), u.m); !errors.Is(err, domain.ErrNothingToPayOut) || other != nil {
		t.Fatalf("the race's loser: %v; winner %v", err, other)
	}
	if n := len(u.st.bank.files); n != 1 || u.st.bank.files[0].Refunds != 4 {
		t.Fatalf("%d files", n)
	}
}

// TestUnitBankRefundsProperties: over generated runs of refunds (of links
// paid by bank, of review payments), files made between them (some racing)
// and payouts settled, money moves once: every refund is in at most one
// file and, when nothing waits, in exactly one; each file's total is the
// sum of its transactions; and what refunds hold never exceeds what the
// link was paid.
func TestUnitBankRefundsProperties(t *testing.T) {
	r := rand.New(rand.NewPCG(31, 31))
	for run := 0; run < 60; run++ {
		u := bankUnit(t)
		made := map[string]bool{}
		for step := 0; step < 40; step++ {
			switch k := r.IntN(10); {
			case k < 6:
				a := money.MustParse("EUR", fmt.Sprintf("%d.%02d", r.IntN(30), r.IntN(100)))
				if x, err := u.svc.Create(t.Context(), u.m, u.l, &a, ""); err == nil {
					made[x.EndToEndID] = true
				} else if !errors.Is(err, domain.ErrRefundTooLarge) && !errors.Is(err, domain.ErrPayoutCurrency) {
					t.Fatal(err)
				}
			case k < 7:
				id := domain.NewSeqID(domain.PrefixReview, unitNow)
				reviewBankPayment(u, id, "3.00")
				if _, err := u.svc.RefundReview(t.Context(), u.m, id); err != nil {
					t.Fatal(err)
				}
				made[domain.PayoutEndToEndID(id, 1)] = true
			default:
				if r.IntN(2) == 0 {
					u.st.bank.beforeFile = func() { _, _, _ = u.svc.CreateBankFile(t.Context(), u.m) }
				}
				if _, _, err := u.svc.CreateBankFile(t.Context(), u.m); err != nil && !errors.Is(err, domain.ErrNothingToPayOut) {
					t.Fatal(err)
				}
			}
			if c, _ := u.st.counters(u.l.ID); c > u.l.Amount.Minor() {
				t.Fatalf("refunds hold %d of %d", c, u.l.Amount.Minor())
			}
		}
		for {
			if _, _, err := u.svc.CreateBankFile(t.Context(), u.m); errors.Is(err, domain.ErrNothingToPayOut) {
				break
			} else if err != nil {
				t.Fatal(err)
			}
		}
		checkFiled(t, u, made)
	}
}

// checkFiled checks every payout made is in exactly one file, and each
// file against its document.
func checkFiled(t *testing.T, u *unit, made map[string]bool) {
	t.Helper()
	in := map[string]int{}
	for _, f := range u.st.bank.files {
		for _, x := range parsePain(t, f).Txs {
			in[x.E2E]++
		}
	}
	for e2e := range made {
		if in[e2e] != 1 {
			t.Fatalf("%s in %d files", e2e, in[e2e])
		}
	}
	if len(in) != len(made) {
		t.Fatalf("%d payouts filed, %d made", len(in), len(made))
	}
}

// TestUnitBankRefundMessageCallsNoPSP: a refunds-queue message naming a
// refund by bank (never sent; a hand-made one) changes nothing: no PSP
// call, the refund still pending and free for its file.
func TestUnitBankRefundMessageCallsNoPSP(t *testing.T) {
	u := bankUnit(t)
	r := u.create(t, "2.00")
	msg := queue.Message[refund.Message]{Body: refund.Message{Merchant: "shop", LinkID: u.l.ID, RefundID: r.ID}}
	for i := 0; i < 2; i++ {
		if err := u.svc.Process(t.Context(), msg); err != nil {
			t.Fatal(err)
		}
	}
	if got, _ := u.st.GetRefund(t.Context(), "shop", u.l.ID, r.ID); len(u.psp.calls) != 0 || got.Status != store.RefundPending || got.Submitted {
		t.Fatalf("PSP calls %d, refund %+v", len(u.psp.calls), got)
	}
	if f, _, err := u.svc.CreateBankFile(t.Context(), u.m); err != nil || f.Refunds != 1 {
		t.Fatalf("file after the message: %v", err)
	}
}

// A link whose bank transfer the bank took back (ReversedBy, by the
// reversal kept for review) is refunded by no path: the link's refund and
// the reversal's own are ErrPaymentReversed, nothing is reserved or waits.
func TestUnitReversedBankPaymentIsNotRefunded(t *testing.T) {
	u := bankUnit(t)
	rev := domain.NewID(domain.PrefixReview, unitNow)
	reviewBankPayment(u, rev, u.l.Amount.String())
	u.st.reviews[rev].Kind, u.st.reviews[rev].LinkID = domain.ReviewReversal, u.l.ID
	u.l.ReversedBy = rev
	u.st.links[u.l.ID].ReversedBy = rev
	a := money.MustParse("EUR", "5.00")
	for _, amt := range []*money.Amount{&a, nil} {
		if _, err := u.svc.Create(t.Context(), u.m, u.l, amt, ""); !errors.Is(err, domain.ErrPaymentReversed) {
			t.Fatalf("refund %v of a reversed payment: %v", amt, err)
		}
	}
	stale := *u.l
	stale.ReversedBy = "" // read before the reversal: the store refuses it
	if _, err := u.svc.Create(t.Context(), u.m, &stale, &a, ""); !errors.Is(err, domain.ErrPaymentReversed) {
		t.Fatalf("refund of a link read before its reversal: %v", err)
	}
	if _, err := u.svc.RefundReview(t.Context(), u.m, rev); !errors.Is(err, domain.ErrPaymentReversed) {
		t.Fatalf("refund of the reversal: %v", err)
	}
	if c, _ := u.st.counters(u.l.ID); c != 0 || len(u.st.bank.waiting) != 0 || len(u.q.sent) != 0 {
		t.Fatalf("committed %d, %d waiting, %d queued", c, len(u.st.bank.waiting), len(u.q.sent))
	}
}

// A bank payment kept with no amount (before such were refused) is not
// refunded, and the refusal says what to do with a bank payment, not a
// PSP's.
func TestUnitBankReviewRefundWithoutAmount(t *testing.T) {
	u := bankUnit(t)
	id := domain.NewID(domain.PrefixReview, unitNow)
	reviewBankPayment(u, id, "1.00")
	u.st.reviews[id].Amount = nil
	_, err := u.svc.RefundReview(t.Context(), u.m, id)
	if !errors.Is(err, store.ErrReviewBankNoAmount) || strings.Contains(err.Error(), "PSP") || !strings.Contains(err.Error(), "your bank") {
		t.Fatalf("refund of a bank payment with no amount: %v", err)
	}
	if len(u.st.bank.waiting) != 0 {
		t.Fatalf("%d waiting", len(u.st.bank.waiting))
	}
}

// The next file's preview is what CreateBankFile would gather now, without
// making it: none waiting is 0 refunds, EUR 0.00; else the refunds and
// total of the file made right after, more when over 99 wait; it needs no
// default beneficiary and changes nothing.
func TestUnitNextBankFile(t *testing.T) {
	u := bankUnit(t)
	u.l.Amount = money.MustParse("EUR", "1000.00")
	if n, err := u.svc.NextBankFile(t.Context(), u.m.ID); err != nil || n.Refunds != 0 || n.Total.String() != "0.00" || n.Total.Currency != "EUR" || n.More {
		t.Fatalf("nothing waiting: %+v %v", n, err)
	}
	rnd := rand.New(rand.NewPCG(31, 11))
	for round := 0; round < 4; round++ {
		for i := rnd.IntN(120); i > 0; i-- {
			u.create(t, fmt.Sprintf("%d.%02d", rnd.IntN(3), 1+rnd.IntN(99)))
		}
		b := u.m.DefaultBeneficiary
		u.m.DefaultBeneficiary = nil
		n, err := u.svc.NextBankFile(t.Context(), u.m.ID)
		u.m.DefaultBeneficiary = b
		if err != nil {
			t.Fatal(err)
		}
		again, _ := u.svc.NextBankFile(t.Context(), u.m.ID)
		if fmt.Sprint(again) != fmt.Sprint(n) {
			t.Fatalf("the preview changed something: %+v then %+v", n, again)
		}
		f, more, err := u.svc.CreateBankFile(t.Context(), u.m)
		if n.Refunds == 0 {
			if !errors.Is(err, domain.ErrNothingToPayOut) {
				t.Fatalf("round %d: preview of none, file %v", round, err)
			}
			continue
		}
		if err != nil || f.Refunds != n.Refunds || !f.Total.Value.Equal(n.Total.Value) || more != n.More {
			t.Fatalf("round %d: preview %+v, file %+v more %v (%v)", round, n, f, more, err)
		}
	}
}
