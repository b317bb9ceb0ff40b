package domain

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/paylinks/paylinks/shared/bank"
	"github.com/paylinks/paylinks/shared/bank/reference"
	"github.com/paylinks/paylinks/shared/money"
)

func credit(amount string) bank.Entry {
	return bank.Entry{Account: "BE68539007547034", Currency: "EUR", Amount: decimal.RequireFromString(amount), Credit: true, Booked: true,
		BookedOn: "2026-12-01", EntryRef: "ACCT-1"}
}

func TestPlanEntryTable(t *testing.T) {
	rf, _ := reference.MakeRF("539007547034")
	ogm, _ := reference.MakeOGM("0909337554")
	printedOGM, _ := reference.PrintOGM(ogm)
	with := func(e bank.Entry, f func(*bank.Entry)) bank.Entry { f(&e); return e }
	cases := []struct {
		name string
		e    bank.Entry
		want EntryPlan
	}{
		{"a credit with a structured reference", with(credit("10.00"), func(e *bank.Entry) { e.Reference = "rf" + rf[2:] }),
			EntryPlan{Step: StepPay, References: []string{rf}}},
		{"the OGM in the free text only", with(credit("10.00"), func(e *bank.Entry) { e.Remittance = "invoice 12 " + printedOGM }),
			EntryPlan{Step: StepPay, References: []string{ogm}}},
		{"structured first, then the text's", with(credit("10.00"), func(e *bank.Entry) { e.Reference = ogm; e.Remittance = "RF " + rf }),
			EntryPlan{Step: StepPay, References: []string{ogm, rf}}},
		{"the same reference twice counts once", with(credit("10.00"), func(e *bank.Entry) { e.Reference = rf; e.Remittance = rf }),
			EntryPlan{Step: StepPay, References: []string{rf}}},
		{"a structured reference with wrong check digits", with(credit("10.00"), func(e *bank.Entry) { e.Reference = "RF00539007547034" }),
			EntryPlan{Step: StepPay}},
		{"a credit naming nothing", credit("10.00"), EntryPlan{Step: StepPay}},
		{"a debit", with(credit("10.00"), func(e *bank.Entry) { e.Credit = false; e.Reference = rf }),
			EntryPlan{Step: StepIgnore, Reason: ReasonDebit}},
		{"a pending credit", with(credit("10.00"), func(e *bank.Entry) { e.Booked = false; e.Reference = rf }),
			EntryPlan{Step: StepIgnore, Reason: ReasonNotBooked}},
		{"a reversal of a credit", with(credit("10.00"), func(e *bank.Entry) { e.Credit, e.Reversal, e.Reference = false, true, rf }),
			EntryPlan{Step: StepReversal, References: []string{rf}}},
		{"a reversal of a debit", with(credit("10.00"), func(e *bank.Entry) { e.Reversal = true }),
			EntryPlan{Step: StepIgnore, Reason: ReasonReversal}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := PlanEntry(c.e)
			if got.Step != c.want.Step || got.Reason != c.want.Reason || !slices.Equal(got.References, c.want.References) {
				t.Fatalf("PlanEntry = %+v, want %+v", got, c.want)
			}
		})
	}
}

// genEntry is an entry of any shape: direction, status, reversal, amounts
// of 0 to 5 decimals, references valid or not, in the structured field or
// the text.
func genEntry(r *rand.Rand) bank.Entry {
	e := bank.Entry{Account: fmt.Sprintf("BE%02d5390075470%02d", r.IntN(100), r.IntN(100)), Currency: []string{"EUR", "EUR", "USD", "JPY", "XXZ"}[r.IntN(5)],
		Amount: decimal.New(r.Int64N(1_000_000)+1, -int32(r.IntN(6))), Credit: r.IntN(3) > 0, Booked: r.IntN(5) > 0, Reversal: r.IntN(6) == 0,
		BookedOn: fmt.Sprintf("2026-%02d-%02d", r.IntN(12)+1, r.IntN(28)+1), Batch: r.IntN(3)}
	if r.IntN(2) == 0 {
		e.EntryRef = fmt.Sprintf("REF%d", r.IntN(1000))
	}
	ref := reference.ForLink(NewID(PrefixLink, time.Unix(r.Int64N(1<<31), 0)), r.IntN(3), []reference.Format{reference.RF, reference.BEOGM}[r.IntN(2)])
	switch r.IntN(4) {
	case 0:
		e.Reference = ref
	case 1:
		p, _ := reference.Print(ref)
		e.Remittance = "payment " + p + " thanks"
	case 2:
		e.Reference = ref[:len(ref)-1] + "9" // check digits that may not verify
	}
	if r.IntN(2) == 0 {
		e.Party = bank.Party{Name: "A Payer", IBAN: "NL91ABNA0417164300"}
	}
	return e
}

// Invariants of an entry's plan and payment, over generated entries: only
// a booked, non-reversed credit pays; every reference looked up verifies,
// in electronic form, once; the payment's id is the entry's identity (the
// same entry in another file makes the same id, another entry another);
// its amount is the entry's exactly or none at all.
func TestEntryInvariants(t *testing.T) {
	r := rand.New(rand.NewPCG(31, 1))
	ids := map[string]string{}
	for i := 0; i < 20000; i++ {
		e := genEntry(r)
		if err := checkPlan(e, PlanEntry(e)); err != nil {
			t.Fatalf("%+v: %v", e, err)
		}
		ev := BankPaymentEvent(e, "pl_x", time.Unix(0, 0))
		if err := checkBankPayment(e, ev); err != nil {
			t.Fatalf("%+v: %v", e, err)
		}
		if prev, ok := ids[ev.ID]; ok && prev != e.Key() {
			t.Fatalf("two entries, one id %s: %q and %q", ev.ID, prev, e.Key())
		}
		ids[ev.ID] = e.Key()
		again := e
		again.ValueOn = "2027-01-01" // what the key leaves out changes nothing
		if BankPaymentID(again) != ev.ID {
			t.Fatalf("%+v: the same entry, another id", e)
		}
	}
}

// checkPlan: only a booked, non-reversed credit pays; an entry not booked
// is ignored (not_booked) and claims no identity; an ignored entry
// says why and looks nothing up; references verify, in electronic form,
// each once.
func checkPlan(e bank.Entry, p EntryPlan) error {
	if (p.Step == StepPay) != (e.Booked && e.Credit && !e.Reversal && EntryAmount(e) != nil) {
		return fmt.Errorf("step %s", p.Step)
	}
	if !e.Booked && (p.Step != StepIgnore || p.Reason != ReasonNotBooked || p.Payout != "" || EntryClaimsIdentity(e)) {
		return fmt.Errorf("an entry not booked: %+v, claims its identity: %v", p, EntryClaimsIdentity(e))
	}
	if e.Booked && !EntryClaimsIdentity(e) {
		return fmt.Errorf("a booked entry claims no identity")
	}
	if p.Step == StepIgnore && (p.Reason == "" || len(p.References) > 0) {
		return fmt.Errorf("ignored with %+v", p)
	}
	for j, ref := range p.References {
		if n, _, err := reference.Check(ref); err != nil || n != ref || slices.Index(p.References, ref) != j {
			return fmt.Errorf("reference %q (%v)", ref, err)
		}
	}
	return nil
}

// checkBankPayment: the payment is the entry's, its amount the entry's
// exactly (or none, when the entry's is no amount of its currency).
func checkBankPayment(e bank.Entry, ev PaymentEvent) error {
	switch {
	case ev.ID != BankPaymentID(e) || ev.PaymentRef != ev.ID || ev.Kind != PaymentSucceeded || ev.LinkID != "pl_x":
		return fmt.Errorf("event %+v", ev)
	case ev.Amount != nil && (ev.Amount.Currency != e.Currency || !ev.Amount.Value.Equal(e.Amount)):
		return fmt.Errorf("amount %v", ev.Amount)
	case ev.Debtor != nil && (ev.Debtor.Name != e.Party.Name || ev.Debtor.IBAN != e.Party.IBAN):
		return fmt.Errorf("debtor %+v", ev.Debtor)
	}
	if digits, ok := money.MinorUnits(e.Currency); ok && e.Amount.Truncate(digits).Equal(e.Amount) && ev.Amount == nil {
		return fmt.Errorf("an amount of its currency dropped")
	}
	return nil
}

func TestBankPaymentEvent(t *testing.T) {
	e := credit("1250.5")
	e.Party = bank.Party{Name: "Jan Peeters", IBAN: "BE71096123456769", BIC: "GKCCBEBB"}
	e.Remittance = "invoice 7"
	at := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	ev := BankPaymentEvent(e, "pl_1", at)
	if ev.Amount == nil || ev.Amount.String() != "1250.50" || ev.Amount.Currency != "EUR" {
		t.Fatalf("amount %v", ev.Amount)
	}
	if !ev.At.Equal(at) || ev.BookedOn != "2026-12-01" {
		t.Fatalf("at %v, booked on %q: when applied, and the booking date", ev.At, ev.BookedOn)
	}
	if ev.Debtor == nil || *ev.Debtor != (Debtor{Name: "Jan Peeters", IBAN: "BE71096123456769", BIC: "GKCCBEBB"}) || ev.Remittance != "invoice 7" {
		t.Fatalf("debtor %+v remittance %q", ev.Debtor, ev.Remittance)
	}
	e.BookedOn = ""
	if got := BankPaymentEvent(e, "", at); !got.At.Equal(at) || got.LinkID != "" || got.BookedOn != "" {
		t.Fatalf("no booking date: %+v", got)
	}
	for amount, want := range map[string]string{"10.00000": "10.00", "0.001": "", "0": "", "1000000000.01": ""} {
		got := EntryAmount(credit(amount))
		if (got == nil) != (want == "") || (got != nil && got.String() != want) {
			t.Errorf("EntryAmount(%s) = %v, want %q", amount, got, want)
		}
	}
}

func TestReversalTakesBack(t *testing.T) {
	paidByBank := decideLink(StatusPaid, "10.00")
	paidByBank.PSP = ProviderBank
	paidByPSP := decideLink(StatusPaid, "10.00")
	paidByPSP.PSP = "stripe"
	rev := credit("10.00")
	rev.Credit, rev.Reversal = false, true
	less := rev
	less.Amount = decimal.RequireFromString("9.99")
	rev.Party.IBAN = "BE68539007547034"
	other := rev
	other.Party.IBAN = "NL91ABNA0417164300"
	unnamed := rev
	unnamed.Party.IBAN = ""
	payer := &Debtor{Name: "A", IBAN: "be68 5390 0754 7034"}
	cases := []struct {
		name  string
		l     *Link
		payer *Debtor
		e     bank.Entry
		want  bool
	}{
		{"the bank payment of the link", paidByBank, payer, rev, true},
		{"the payer not known", paidByBank, nil, rev, true},
		{"the reversal names no account", paidByBank, payer, unnamed, true},
		{"another person's account", paidByBank, payer, other, false},
		{"no link", nil, payer, rev, false},
		{"another amount", paidByBank, payer, less, false},
		{"a link paid at a PSP", paidByPSP, payer, rev, false},
		{"a link not paid", decideLink(StatusClicked, "10.00"), payer, rev, false},
	}
	for _, c := range cases {
		if got := ReversalTakesBack(c.l, c.payer, c.e); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}

func TestEntryOutcomeOfPayment(t *testing.T) {
	cases := []struct {
		kind       string
		referenced bool
		outcome    EntryOutcome
		reason     string
	}{
		{"", true, EntryMatched, ReasonPaid},
		{ReviewUnmatched, false, EntryReview, ReasonNoReference},
		{ReviewUnmatched, true, EntryReview, ReasonUnknownRef},
		{ReviewSecond, true, EntryReview, ReasonSecond},
		{ReviewMismatched, true, EntryReview, ReasonMismatched},
	}
	for _, c := range cases {
		if o, r := EntryOutcomeOfPayment(c.kind, c.referenced); o != c.outcome || r != c.reason {
			t.Errorf("EntryOutcomeOfPayment(%q, %v) = %s %s, want %s %s", c.kind, c.referenced, o, r, c.outcome, c.reason)
		}
	}
}

// TestEntryReferencesBounded: an entry whose text names many references
// (hundreds of remittance lines) is looked up by MaxEntryReferences at
// most, its structured reference first and kept, the text's in order.
func TestEntryReferencesBounded(t *testing.T) {
	r := rand.New(rand.NewPCG(31, 9))
	for i := 0; i < 300; i++ {
		var text []string
		for j := 0; j < r.IntN(40); j++ {
			ref := reference.ForLink(fmt.Sprintf("pl_%026d", r.IntN(1e9)), 0, []reference.Format{reference.RF, reference.BEOGM}[r.IntN(2)])
			printed, _ := reference.Print(ref)
			text = append(text, "invoice "+printed)
		}
		e := credit("10.00")
		structured := reference.ForLink("pl_structured0000000000000", 0, reference.RF)
		e.Reference, e.Remittance = structured, strings.Join(text, " ")
		got := EntryReferences(e)
		if len(got) > MaxEntryReferences || len(got) == 0 || got[0] != structured {
			t.Fatalf("%d looked up: %q", len(got), got)
		}
		want := []string{structured}
		for _, ref := range reference.Find(e.Remittance) {
			if !slices.Contains(want, ref) {
				want = append(want, ref)
			}
		}
		if n := min(len(want), MaxEntryReferences); !slices.Equal(got, want[:n]) {
			t.Fatalf("looked up by %q, want the first %d of %q", got, n, want)
		}
	}
}
