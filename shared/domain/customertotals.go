package domain

import (
	"slices"

	"github.com/paylinks/paylinks/shared/money"
)

// LinkTally is a count of links and the sum of their amounts in one currency.
type LinkTally struct {
	Count  int          `json:"count"`
	Amount money.Amount `json:"amount"`
}

// CurrencyTotals are a customer's links of one currency (docs/api.md,
// Customers, Totals): open (payable: created, clicked or declined, not
// archived), paid (their amounts), refunded (links with a succeeded
// refund, and what was refunded).
type CurrencyTotals struct {
	Currency string    `json:"currency"`
	Open     LinkTally `json:"open"`
	Paid     LinkTally `json:"paid"`
	Refunded LinkTally `json:"refunded"`
}

// TotalsOf sums links per currency, in currency order; exact decimals.
func TotalsOf(links []*Link) []CurrencyTotals {
	by := map[string]*CurrencyTotals{}
	for _, l := range links {
		cur := l.Amount.Currency
		if cur == "" {
			continue
		}
		t, ok := by[cur]
		if !ok {
			z := LinkTally{Amount: money.Zero(cur)}
			t = &CurrencyTotals{Currency: cur, Open: z, Paid: z, Refunded: z}
			by[cur] = t
		}
		add := func(x *LinkTally, a money.Amount) {
			x.Count++
			x.Amount = x.Amount.Add(a)
		}
		switch {
		case l.Status == StatusPaid:
			add(&t.Paid, l.Amount)
		case !l.Archived && (l.Status == StatusCreated || l.Status == StatusClicked || l.Status == StatusDeclined):
			add(&t.Open, l.Amount)
		}
		if l.AmountRefunded.Currency == cur && l.AmountRefunded.Value.IsPositive() {
			add(&t.Refunded, l.AmountRefunded)
		}
	}
	out := make([]CurrencyTotals, 0, len(by))
	for _, t := range by {
		out = append(out, *t)
	}
	slices.SortFunc(out, func(a, b CurrencyTotals) int {
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
