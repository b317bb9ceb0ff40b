package bank

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/shopspring/decimal"
)

func TestNormalizeAccount(t *testing.T) {
	for in, want := range map[string]string{
		"be68539007547034":       "BE68539007547034",
		"BE68 5390 0754 7034":    "BE68539007547034",
		" be68\t5390 0754 7034 ": "BE68539007547034",
		"0300065264":             "0300065264",
		"":                       "",
	} {
		if got := NormalizeAccount(in); got != want {
			t.Errorf("NormalizeAccount(%q) = %q, want %q", in, got, want)
		}
	}
}

// base is an entry with every field the key reads set.
func base() Entry {
	return Entry{Account: "BE68539007547034", Currency: "EUR", Amount: decimal.RequireFromString("10.00"), Credit: true,
		Booked: true, BookedOn: "2024-03-04", ValueOn: "2024-03-04", EntryRef: "1", Reference: "RF18539007547034",
		Remittance: "order 7", EndToEndID: "E2E-1", Party: Party{Name: "J. Peeters", IBAN: "BE43068211111111"}}
}

// A bank that numbers its entry references per statement (1, 2, 3 each
// day) gives a later, different payment a reference already seen: it is
// not the same entry. And the account is one whatever its spelling.
func TestKeyTable(t *testing.T) {
	same := func(name string, a, b Entry) {
		t.Helper()
		if a.Key() != b.Key() {
			t.Errorf("%s: keys differ:\n %q\n %q", name, a.Key(), b.Key())
		}
	}
	differ := func(name string, a, b Entry) {
		t.Helper()
		if a.Key() == b.Key() {
			t.Errorf("%s: one key %q", name, a.Key())
		}
	}
	a := base()
	other := a
	other.Amount, other.BookedOn, other.Reference, other.EndToEndID = decimal.RequireFromString("99.00"), "2024-03-05", "", ""
	differ("reused entry reference", a, other)
	spaced := a
	spaced.Account = "be68 5390 0754 7034"
	same("account spelled otherwise", a, spaced)
	trailing := a
	trailing.Amount = decimal.RequireFromString("10")
	same("amount written with fewer decimals", a, trailing)
	noRef := a
	noRef.EntryRef = ""
	party := noRef
	party.Party.IBAN = "NL91ABNA0417164300"
	differ("no bank reference, another payer", noRef, party)
	pending := a
	pending.Booked = false
	differ("the pending notification of a booked entry", a, pending)
	joined, split := a, a
	joined.Reference, joined.EndToEndID = "A|B", "C"
	split.Reference, split.EndToEndID = "A", "B|C"
	differ("parts that join alike", joined, split)
}

// mutations change one field the key must tell apart.
var mutations = []struct {
	name string
	f    func(*Entry, *rand.Rand)
}{
	{"amount", func(e *Entry, r *rand.Rand) { e.Amount = e.Amount.Add(decimal.New(1+r.Int64N(1000), -2)) }},
	{"booking date", func(e *Entry, r *rand.Rand) { e.BookedOn = fmt.Sprintf("2025-%02d-%02d", 1+r.IntN(12), 1+r.IntN(28)) }},
	{"direction", func(e *Entry, _ *rand.Rand) { e.Credit = !e.Credit }},
	{"currency", func(e *Entry, _ *rand.Rand) { e.Currency = map[string]string{"EUR": "USD", "USD": "EUR"}[e.Currency] }},
	{"reference", func(e *Entry, r *rand.Rand) { e.Reference += fmt.Sprint(r.IntN(10)) }},
	{"end-to-end id", func(e *Entry, r *rand.Rand) { e.EndToEndID += fmt.Sprint(r.IntN(10)) }},
	{"account", func(e *Entry, r *rand.Rand) { e.Account += fmt.Sprint(r.IntN(10)) }},
	{"batch", func(e *Entry, r *rand.Rand) { e.Batch += 1 + r.IntN(3) }},
	{"reversal", func(e *Entry, _ *rand.Rand) { e.Reversal = !e.Reversal }},
	{"bank reference", func(e *Entry, r *rand.Rand) {
		if e.EntryRef == "" {
			e.EntryRef = "R"
		} else {
			e.EntryRef += fmt.Sprint(r.IntN(10))
		}
	}},
}

func randomEntry(r *rand.Rand) Entry {
	pick := func(s ...string) string { return s[r.IntN(len(s))] }
	return Entry{
		Account:  pick("BE68539007547034", "NL91ABNA0417164300", "0300065264"),
		Currency: pick("EUR", "USD"), Amount: decimal.New(1+r.Int64N(100000), -int32(r.IntN(3))),
		Credit: r.IntN(2) == 0, Booked: r.IntN(4) > 0, Reversal: r.IntN(8) == 0,
		BookedOn: pick("", "2024-03-04", "2024-03-05"), EntryRef: pick("", "1", "2", "ACCTSVCR-77|x"),
		Batch: r.IntN(3), Reference: pick("", "RF18539007547034", "090933755493", "a|b"),
		Remittance: pick("", "order 7", "|"), EndToEndID: pick("", "E2E-1", "NOTPROVIDED|"),
		Party: Party{IBAN: pick("", "BE43068211111111")},
	}
}

// Property: two entries that differ in any of amount, booking date,
// direction, currency, references, account, batch, reversal or bank
// reference never share a key; the same entry (its account spelled
// otherwise, its amount with other trailing zeros, its value date or the
// other side's name changed: not part of the entry's identity) keeps it.
func TestKeyProperty(t *testing.T) {
	r := rand.New(rand.NewPCG(31, 1))
	for range 20000 {
		e := randomEntry(r)
		m := mutations[r.IntN(len(mutations))]
		changed := e
		m.f(&changed, r)
		if changed.Key() == e.Key() {
			t.Fatalf("%s changed, key kept:\n%+v\n%+v\n%q", m.name, e, changed, e.Key())
		}
		again := e
		again.Account = fmt.Sprintf(" %s ", e.Account)
		if len(e.Account) > 4 {
			again.Account = e.Account[:2] + " " + e.Account[2:4] + " " + e.Account[4:]
		}
		again.Amount = decimal.NewFromBigInt(e.Amount.Coefficient(), e.Amount.Exponent()).Mul(decimal.NewFromInt(100)).Div(decimal.NewFromInt(100))
		again.ValueOn, again.Party.Name = "2030-01-01", "someone"
		if again.Key() != e.Key() {
			t.Fatalf("the same entry has two keys:\n%q\n%q", e.Key(), again.Key())
		}
	}
}
