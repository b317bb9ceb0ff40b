package domain

import (
	"slices"
	"sort"
	"time"

	"github.com/paylinks/paylinks/shared/money"
)

// Totals are amounts of money, one per currency (exact decimals).
type Totals map[string]money.Amount

// Add adds a to the totals.
func (t Totals) Add(a money.Amount) {
	if cur, ok := t[a.Currency]; ok {
		t[a.Currency] = cur.Add(a)
		return
	}
	t[a.Currency] = money.Amount{Currency: a.Currency, Value: a.Value}
}

// List is the totals by currency code (an empty list, not nil, when none).
func (t Totals) List() []money.Amount {
	out := make([]money.Amount, 0, len(t))
	for _, a := range t {
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Currency < out[j].Currency })
	return out
}

// Part is a part of a set of links: how many, and their amounts.
type Part struct {
	Count  int
	Amount money.Amount
}

// CurrencySummary is a set of links in one currency: how many, their
// amounts, and of them the paid ones, the open ones (created, clicked or
// declined, not archived: still payable, as a customer's totals count
// them) and the refunded ones (with the amount the
// refunds that succeeded gave back).
type CurrencySummary struct {
	Currency string
	Count    int
	Total    money.Amount
	Paid     Part
	Open     Part
	Refunded Part
}

// Summary is a set of links summed up, per currency by code.
type Summary struct {
	Count      int
	Currencies []CurrencySummary
}

// Summer sums up links one at a time (a listing read in pages).
type Summer struct {
	count int
	by    map[string]*CurrencySummary
}

// Add counts l in.
func (s *Summer) Add(l *Link) {
	if s.by == nil {
		s.by = map[string]*CurrencySummary{}
	}
	c := l.Amount.Currency
	cs, ok := s.by[c]
	if !ok {
		z := money.Zero(c)
		cs = &CurrencySummary{Currency: c, Total: z, Paid: Part{Amount: z}, Open: Part{Amount: z}, Refunded: Part{Amount: z}}
		s.by[c] = cs
	}
	s.count++
	cs.Count++
	cs.Total = cs.Total.Add(l.Amount)
	switch {
	case l.Status == StatusPaid:
		cs.Paid.Count++
		cs.Paid.Amount = cs.Paid.Amount.Add(l.Amount)
	case l.Status.Open() && !l.Archived:
		cs.Open.Count++
		cs.Open.Amount = cs.Open.Amount.Add(l.Amount)
	}
	if l.AmountRefunded.Value.IsPositive() {
		cs.Refunded.Count++
		cs.Refunded.Amount = cs.Refunded.Amount.Add(money.Amount{Currency: c, Value: l.AmountRefunded.Value})
	}
}

// Summary is what was added.
func (s *Summer) Summary() Summary {
	out := Summary{Count: s.count, Currencies: make([]CurrencySummary, 0, len(s.by))}
	for _, cs := range s.by {
		out.Currencies = append(out.Currencies, *cs)
	}
	slices.SortFunc(out.Currencies, func(a, b CurrencySummary) int {
		switch {
		case a.Currency < b.Currency:
			return -1
		case a.Currency > b.Currency:
			return 1
		}
		return 0
	})
	return out
}

// Median is the median of ds (the mean of the middle two for an even
// count, rounded down to the nanosecond); ok is false for none. ds is
// sorted in place.
func Median(ds []time.Duration) (time.Duration, bool) {
	if len(ds) == 0 {
		return 0, false
	}
	slices.Sort(ds)
	n := len(ds)
	if n%2 == 1 {
		return ds[n/2], true
	}
	a, b := ds[n/2-1], ds[n/2]
	return a + (b-a)/2, true
}

// Conversion is paid out of links, in [0, 1] (0 for no links).
func Conversion(paid, links int) float64 {
	if links <= 0 || paid <= 0 {
		return 0
	}
	return min(float64(paid)/float64(links), 1)
}

// TimeToPay is how long a paid link took to be paid: from the last time
// it was sent when that was before the payment, else from its creation (0
// for a link not paid, or paid before it was made by a skewed clock).
func TimeToPay(l *Link) time.Duration {
	if l.PaidAt == nil {
		return 0
	}
	from := l.CreatedAt
	if l.LastSentAt != nil && l.LastSentAt.Before(*l.PaidAt) && l.LastSentAt.After(from) {
		from = *l.LastSentAt
	}
	return max(l.PaidAt.Sub(from), 0)
}
