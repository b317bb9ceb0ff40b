package domain_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/money"
)

func randomCustomer(r *rand.Rand, id string) domain.CustomerRecord {
	pick := func(v string) string {
		if r.IntN(2) == 0 {
			return ""
		}
		return v
	}
	c := domain.CustomerRecord{ID: id, Type: "person", FirstName: pick("Ana" + id), LastName: pick("Peeters"), Email: pick(id + "@example.be"),
		Phone: pick("+32470" + fmt.Sprint(r.IntN(900000)+100000)), Language: pick("nl"), Country: pick("BE"), Metadata: map[string]string{}}
	if r.IntN(2) == 0 {
		n := "C-" + id
		c.CustomerNumber = &n
	}
	if r.IntN(2) == 0 {
		c.Address = &domain.Address{City: "Gent " + id}
	}
	for i := range r.IntN(4) {
		c.Metadata[fmt.Sprint("k", r.IntN(6))] = id + fmt.Sprint(i)
	}
	return c
}

// TestAbsorb, over generated pairs: the kept customer keeps every detail
// it had, takes each one it lacked from the merged one, lists the merged
// id once (and what that one had absorbed), and absorbing again changes
// nothing.
func TestAbsorb(t *testing.T) {
	r := rand.New(rand.NewPCG(32, 2))
	now := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	for i := range 2000 {
		into, from := randomCustomer(r, fmt.Sprint("cus_a", i)), randomCustomer(r, fmt.Sprint("cus_b", i))
		from.MergedFrom = []string{fmt.Sprint("cus_c", i)}
		got := domain.Absorb(into, from, now)
		for _, f := range []struct{ kept, was, other string }{
			{got.FirstName, into.FirstName, from.FirstName}, {got.LastName, into.LastName, from.LastName},
			{got.Email, into.Email, from.Email}, {got.Phone, into.Phone, from.Phone},
			{got.Language, into.Language, from.Language}, {got.Country, into.Country, from.Country},
		} {
			if (f.was != "" && f.kept != f.was) || (f.was == "" && f.kept != f.other) {
				t.Fatalf("case %d: %q (kept had %q, merged %q)", i, f.kept, f.was, f.other)
			}
		}
		if into.CustomerNumber != nil && *got.CustomerNumber != *into.CustomerNumber || into.CustomerNumber == nil && !reflect.DeepEqual(got.CustomerNumber, from.CustomerNumber) {
			t.Fatalf("case %d: number %v", i, got.CustomerNumber)
		}
		for k, v := range into.Metadata {
			if got.Metadata[k] != v {
				t.Fatalf("case %d: metadata %s lost", i, k)
			}
		}
		if !reflect.DeepEqual(got.MergedFrom, []string{from.ID, from.MergedFrom[0]}) {
			t.Fatalf("case %d: merged_from %v", i, got.MergedFrom)
		}
		if again := domain.Absorb(got, from, now.Add(time.Hour)); !reflect.DeepEqual(again, got) {
			t.Fatalf("case %d: absorbing again changed %+v into %+v", i, got, again)
		}
	}
}

// TestCheckMerge: itself, into a merged or erased customer, an erased one
// refused naming the field; merged elsewhere ErrMergedElsewhere; merged
// into the same one resumes.
func TestCheckMerge(t *testing.T) {
	a, b := domain.CustomerRecord{ID: "cus_a"}, domain.CustomerRecord{ID: "cus_b"}
	field := func(err error) string {
		var fe domain.FieldErrors
		if errors.As(err, &fe) {
			return fe[0].Field
		}
		return fmt.Sprint(err)
	}
	merged, erased := b, b
	merged.MergedInto, erased.Erased = "cus_c", true
	resumed := a
	resumed.MergedInto = "cus_b"
	for name, c := range map[string]struct {
		from, into domain.CustomerRecord
		want       string
	}{
		"itself": {a, a, "into"}, "into a merged one": {a, merged, "into"}, "into an erased one": {a, erased, "into"},
		"an erased one": {erased, a, "id"}, "ok": {a, b, "<nil>"}, "resumed": {resumed, b, "<nil>"},
	} {
		if got := field(domain.CheckMerge(&c.from, &c.into)); got != c.want {
			t.Errorf("%s: %s, want %s", name, got, c.want)
		}
	}
	elsewhere := a
	elsewhere.MergedInto = "cus_z"
	if err := domain.CheckMerge(&elsewhere, &b); !errors.Is(err, domain.ErrMergedElsewhere) {
		t.Errorf("merged elsewhere: %v", err)
	}
}

// TestTotalsOf, over generated links: per currency, each link counts once
// as open or paid by its status (an archived unpaid one in neither), the
// refunded tally holds the links with a refund, and every sum is exact
// (equal to the sum of minor units).
func TestTotalsOf(t *testing.T) {
	r := rand.New(rand.NewPCG(32, 4))
	for round := range 300 {
		var links []*domain.Link
		want := map[string][6]int64{} // open n, open minor, paid n, paid minor, refunded n, refunded minor
		for range r.IntN(40) {
			cur := []string{"EUR", "USD", "JPY"}[r.IntN(3)]
			amt, _ := money.FromMinor(cur, r.Int64N(10_000_000)+1)
			l := &domain.Link{Amount: amt, AmountRefunded: money.Zero(cur), Status: domain.Statuses[r.IntN(len(domain.Statuses))], Archived: r.IntN(5) == 0}
			w := want[cur]
			switch {
			case l.Status == domain.StatusPaid:
				w[2], w[3] = w[2]+1, w[3]+amt.Minor()
				if r.IntN(2) == 0 {
					l.AmountRefunded, _ = money.FromMinor(cur, r.Int64N(amt.Minor())+1)
					w[4], w[5] = w[4]+1, w[5]+l.AmountRefunded.Minor()
				}
			case !l.Archived && l.Status != domain.StatusExpired:
				w[0], w[1] = w[0]+1, w[1]+amt.Minor()
			}
			want[cur] = w
			links = append(links, l)
		}
		got := domain.TotalsOf(links)
		if len(got) != len(want) {
			t.Fatalf("round %d: %d currencies, want %d", round, len(got), len(want))
		}
		for i, c := range got {
			if i > 0 && got[i-1].Currency >= c.Currency {
				t.Fatalf("round %d: currencies out of order", round)
			}
			w := want[c.Currency]
			g := [6]int64{int64(c.Open.Count), c.Open.Amount.Minor(), int64(c.Paid.Count), c.Paid.Amount.Minor(), int64(c.Refunded.Count), c.Refunded.Amount.Minor()}
			if g != w {
				t.Fatalf("round %d %s: %v, want %v", round, c.Currency, g, w)
			}
		}
	}
}
