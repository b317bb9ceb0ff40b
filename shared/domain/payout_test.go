package domain

import (
	"errors"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/paylinks/paylinks/shared/bank"
	"github.com/paylinks/paylinks/shared/money"
	"github.com/paylinks/paylinks/shared/validate"
)

func TestPayeeOf(t *testing.T) {
	for _, c := range []struct {
		name string
		d    *Debtor
		want Payee
		err  error
	}{
		{"none", nil, Payee{}, ErrNoPayee},
		{"no iban", &Debtor{Name: "Jan Peeters"}, Payee{}, ErrNoPayee},
		{"bad iban", &Debtor{Name: "Jan Peeters", IBAN: "BE71096123456768"}, Payee{}, ErrNoPayee},
		{"no name", &Debtor{IBAN: "BE71096123456769"}, Payee{}, ErrNoPayee},
		{"name of no SEPA character", &Debtor{Name: "日本", IBAN: "BE71096123456769"}, Payee{}, ErrNoPayee},
		{"spaced, lower-case", &Debtor{Name: " Zoë  Dubois ", IBAN: "be71 0961 2345 6769", BIC: "gkccbebb"},
			Payee{Name: "Zoe Dubois", IBAN: "BE71096123456769", BIC: "GKCCBEBB"}, nil},
		{"bad BIC left out", &Debtor{Name: "Jan", IBAN: "BE71096123456769", BIC: "nope"}, Payee{Name: "Jan", IBAN: "BE71096123456769"}, nil},
	} {
		got, err := PayeeOf(c.d)
		if got != c.want || !errors.Is(err, c.err) {
			t.Errorf("%s: %+v, %v; want %+v, %v", c.name, got, err, c.want, c.err)
		}
	}
}

func TestPayoutEndToEndID(t *testing.T) {
	now := time.Date(2025, 3, 14, 10, 0, 0, 0, time.UTC)
	re, py := NewID(PrefixRefund, now), NewID(PrefixReview, now)
	for _, c := range []struct {
		id      string
		attempt int
		ok      bool
	}{{re, 0, true}, {py, 1, true}, {py, 12, true}} {
		e2e := PayoutEndToEndID(c.id, c.attempt)
		if !validate.EndToEndID(e2e) || len(e2e) > 35 || strings.Contains(e2e, "_") {
			t.Errorf("%s/%d: %q is not a SEPA end-to-end id", c.id, c.attempt, e2e)
		}
		if IsPayoutEndToEndID(e2e) != c.ok {
			t.Errorf("IsPayoutEndToEndID(%q) = %v", e2e, !c.ok)
		}
	}
	for _, e2e := range []string{"", "NOTPROVIDED", re, "re-" + "X", PayoutEndToEndID(re, 1), PayoutEndToEndID(py, 0),
		PayoutEndToEndID(py, 0) + "-0", PayoutEndToEndID(py, 0) + "-01", PayoutEndToEndID(py, 0) + "-x", strings.ToLower(PayoutEndToEndID(re, 0))} {
		if IsPayoutEndToEndID(e2e) {
			t.Errorf("IsPayoutEndToEndID(%q) = true", e2e)
		}
	}
}

// TestPayoutEndToEndIDsUnique: ids made apart give end-to-end ids apart
// (the derivation is one to one), and every one is a payout's.
func TestPayoutEndToEndIDsUnique(t *testing.T) {
	r := rand.New(rand.NewPCG(31, 1))
	seen := map[string]string{}
	now := time.Date(2025, 3, 14, 10, 0, 0, 0, time.UTC)
	for i := 0; i < 5000; i++ {
		id, attempt := NewSeqID(PrefixRefund, now), 0
		if r.IntN(2) == 0 {
			id, attempt = NewSeqID(PrefixReview, now), 1+r.IntN(20)
		}
		e2e := PayoutEndToEndID(id, attempt)
		key := id + "/" + string(rune('0'+attempt))
		if prev, dup := seen[e2e]; dup && prev != key {
			t.Fatalf("%q from %s and %s", e2e, prev, key)
		}
		seen[e2e] = key
		if !IsPayoutEndToEndID(e2e) {
			t.Fatalf("%q not recognised", e2e)
		}
	}
}

func TestLinkAndReviewPayout(t *testing.T) {
	payee := Payee{Name: "Jan", IBAN: "BE71096123456769"}
	l := &Link{ID: "pl_01JP8ZK3M00000000000000000", Reference: "Order № 7 & co", BankReference: "RF18539007547034"}
	p, err := LinkPayout(l, "re_01JP8ZK3M00000000000000000", money.MustParse("EUR", "5.00"), payee)
	if err != nil || p.Remittance != "Refund Order 7 + co" || p.EndToEndID != "re-01JP8ZK3M00000000000000000" || p.LinkID != l.ID {
		t.Errorf("%+v, %v", p, err)
	}
	l.Reference = ""
	if p, _ := LinkPayout(l, "re_01JP8ZK3M00000000000000000", money.MustParse("EUR", "5.00"), payee); p.Remittance != "Refund RF18539007547034" {
		t.Errorf("remittance %q", p.Remittance)
	}
	if _, err := LinkPayout(l, "re_x", money.MustParse("USD", "5.00"), payee); !errors.Is(err, ErrPayoutCurrency) {
		t.Errorf("USD: %v", err)
	}
	q, err := ReviewPayout("py_01JP8ZK3M00000000000000000", 2, money.MustParse("EUR", "1.00"), payee)
	if err != nil || q.Remittance != "Refund of payment py-01JP8ZK3M00000000000000000" || q.EndToEndID != "py-01JP8ZK3M00000000000000000-2" {
		t.Errorf("%+v, %v", q, err)
	}
}

func payoutN(i int, cents int64) Payout {
	a, _ := money.FromMinor("EUR", cents)
	return Payout{EndToEndID: "re-" + string(rune('A'+i%26)) + strings.Repeat("0", i/26), Amount: a}
}

func TestPlanBankFile(t *testing.T) {
	if _, err := PlanBankFile(nil, MaxFilePayouts); !errors.Is(err, ErrNothingToPayOut) {
		t.Errorf("nothing: %v", err)
	}
	usd := payoutN(1, 100)
	usd.Amount = money.MustParse("USD", "1.00")
	zero := payoutN(2, 0)
	if _, err := PlanBankFile([]Payout{usd, zero}, MaxFilePayouts); !errors.Is(err, ErrNothingToPayOut) {
		t.Errorf("only unpayable: %v", err)
	}
	p, err := PlanBankFile([]Payout{payoutN(0, 150), payoutN(0, 150), payoutN(3, 5), payoutN(4, 7)}, 2)
	if err != nil || len(p.Payouts) != 2 || !p.More || p.Total.String() != "1.55" {
		t.Errorf("%+v, %v", p, err)
	}
}

// TestPlanBankFileProperties: over generated lists of waiting payouts
// (repeats among them), a file holds at most max payouts, each end-to-end
// id once, its total is the sum of its payouts, More exactly when a payable
// one was left out, and files planned one after another (each removing
// what the last took, as the store does) hold every payable payout once.
func TestPlanBankFileProperties(t *testing.T) {
	r := rand.New(rand.NewPCG(31, 2))
	for n := 0; n < 500; n++ {
		var waiting []Payout
		for i := r.IntN(300); i > 0; i-- {
			waiting = append(waiting, payoutN(r.IntN(250), r.Int64N(100_000)+int64(r.IntN(2)))) // some zero, some repeated
		}
		max := 1 + r.IntN(MaxFilePayouts)
		payable := map[string]bool{}
		for _, w := range waiting {
			if w.Amount.Value.IsPositive() {
				payable[w.EndToEndID] = true
			}
		}
		inFile := fileAll(t, waiting, max)
		for e2e := range payable {
			if inFile[e2e] != 1 {
				t.Fatalf("%s in %d files", e2e, inFile[e2e])
			}
		}
		for e2e, k := range inFile {
			if !payable[e2e] || k != 1 {
				t.Fatalf("%s (payable %v) in %d files", e2e, payable[e2e], k)
			}
		}
	}
}

// fileAll plans files from waiting until nothing is left, each removing
// what the last took (as the store does), checks each file, and counts the
// files each end-to-end id went into.
func fileAll(t *testing.T, waiting []Payout, max int) map[string]int {
	inFile := map[string]int{}
	left := waiting
	for files := 0; ; files++ {
		p, err := PlanBankFile(left, max)
		if errors.Is(err, ErrNothingToPayOut) {
			return inFile
		}
		if files > len(waiting) {
			t.Fatal("planning never ends")
		}
		sum := decimal.Zero
		took := map[string]bool{}
		for _, x := range p.Payouts {
			inFile[x.EndToEndID]++
			took[x.EndToEndID] = true
			sum = sum.Add(x.Amount.Value)
		}
		if len(p.Payouts) > max || !sum.Equal(p.Total.Value) {
			t.Fatalf("%d payouts (max %d), total %s, sum %s", len(p.Payouts), max, p.Total.Value, sum)
		}
		var rest []Payout
		stillPayable := false
		for _, w := range left {
			if !took[w.EndToEndID] {
				rest = append(rest, w)
				stillPayable = stillPayable || w.Amount.Value.IsPositive()
			}
		}
		if p.More != stillPayable {
			t.Fatalf("More %v with payable left %v", p.More, stillPayable)
		}
		left = rest
	}
}

func debitEntry(amount string, credit, reversal, booked bool) bank.Entry {
	return bank.Entry{Currency: "EUR", Amount: decimal.RequireFromString(amount), Credit: credit, Reversal: reversal, Booked: booked,
		EndToEndID: "re-01JP8ZK3M00000000000000000"}
}

func TestDecidePayoutEntry(t *testing.T) {
	pending := &PayoutStatus{Amount: money.MustParse("EUR", "12.50")}
	settled := &PayoutStatus{Amount: money.MustParse("EUR", "12.50"), Settled: true}
	for _, c := range []struct {
		name string
		e    bank.Entry
		p    *PayoutStatus
		want PayoutDecision
	}{
		{"unknown", debitEntry("12.50", false, false, true), nil, PayoutDecision{Step: PayoutNotOurs}},
		{"not booked", debitEntry("12.50", false, false, false), pending, PayoutDecision{Step: PayoutNotOurs}},
		{"debit settles", debitEntry("12.5", false, false, true), pending, PayoutDecision{PayoutSettle, EntryMatched, ReasonRefundPaidOut}},
		{"again", debitEntry("12.50", false, false, true), settled, PayoutDecision{PayoutNone, EntryDuplicate, ReasonSeenBefore}},
		{"another amount", debitEntry("12.49", false, false, true), pending, PayoutDecision{PayoutNone, EntryReview, ReasonRefundMismatch}},
		{"returned", debitEntry("12.50", true, false, true), settled, PayoutDecision{PayoutNone, EntryReview, ReasonRefundReturned}},
		{"reversed", debitEntry("12.50", false, true, true), pending, PayoutDecision{PayoutNone, EntryReview, ReasonRefundReturned}},
	} {
		if got := DecidePayoutEntry(c.e, c.p); got != c.want {
			t.Errorf("%s: %+v, want %+v", c.name, got, c.want)
		}
	}
}

// TestPayoutSettlesOnce: whatever the order of statements and however often
// an entry repeats (the same debit in overlapping files, returns, debits
// of other amounts), a payout's refund settles at most once, and exactly
// once when a debit of its amount is among them — applying decisions to
// the payout's status as the store does (settle only while pending).
func TestPayoutSettlesOnce(t *testing.T) {
	r := rand.New(rand.NewPCG(31, 3))
	kinds := []bank.Entry{
		debitEntry("12.50", false, false, true), debitEntry("12.50", true, false, true), debitEntry("12.50", false, true, true),
		debitEntry("9.99", false, false, true), debitEntry("12.50", false, false, false),
	}
	for n := 0; n < 2000; n++ {
		st := &PayoutStatus{Amount: money.MustParse("EUR", "12.50")}
		var entries []bank.Entry
		paidOut := false
		for i := r.IntN(12); i > 0; i-- {
			k := r.IntN(len(kinds))
			paidOut = paidOut || k == 0
			for j := 1 + r.IntN(3); j > 0; j-- {
				entries = append(entries, kinds[k])
			}
		}
		r.Shuffle(len(entries), func(i, j int) { entries[i], entries[j] = entries[j], entries[i] })
		settles := 0
		for _, e := range entries {
			d := DecidePayoutEntry(e, st)
			if d.Step == PayoutSettle {
				if st.Settled {
					t.Fatal("a settled payout settled again")
				}
				st.Settled = true
				settles++
			}
		}
		if settles > 1 || (settles == 1) != paidOut {
			t.Fatalf("%d settlements, paid out %v", settles, paidOut)
		}
	}
}

func TestPlanEntryNamesPayouts(t *testing.T) {
	e := debitEntry("12.50", false, false, true)
	if p := PlanEntry(e); p.Payout != e.EndToEndID || p.Step != StepIgnore || p.Reason != ReasonDebit {
		t.Errorf("debit: %+v", p)
	}
	e.Credit = true
	if p := PlanEntry(e); p.Payout != e.EndToEndID || p.Step != StepPay {
		t.Errorf("credit: %+v", p)
	}
	e.Booked = false
	if p := PlanEntry(e); p.Payout != "" {
		t.Errorf("not booked: %+v", p)
	}
	e.Booked, e.EndToEndID = true, "INV-2025-7"
	if p := PlanEntry(e); p.Payout != "" {
		t.Errorf("another end-to-end id: %+v", p)
	}
}

// FuzzIsPayoutEndToEndID: what it takes for a payout's end-to-end id is a
// SEPA id of at most 35 characters that PayoutEndToEndID makes from the id
// and attempt it names.
func FuzzIsPayoutEndToEndID(f *testing.F) {
	for _, s := range []string{"re-01JP8ZK3M00000000000000000", "py-01JP8ZK3M00000000000000000-3", "py-01JP8ZK3M00000000000000000-03", "NOTPROVIDED", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !IsPayoutEndToEndID(s) {
			return
		}
		if len(s) > 35 || !validate.EndToEndID(s) {
			t.Fatalf("%q taken, not a SEPA end-to-end id", s)
		}
		id := strings.Replace(s[:payoutIDLen], "-", "_", 1)
		attempt := 0
		if rest := s[payoutIDLen:]; rest != "" {
			n, err := strconv.Atoi(rest[1:])
			if err != nil {
				t.Fatalf("%q: attempt %q", s, rest)
			}
			attempt = n
		}
		if PayoutEndToEndID(id, attempt) != s {
			t.Fatalf("%q is not PayoutEndToEndID(%q, %d) = %q", s, id, attempt, PayoutEndToEndID(id, attempt))
		}
	})
}
