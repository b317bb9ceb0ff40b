package store

import (
	"context"

	"github.com/paylinks/paylinks/shared/domain"
)

// CustomerTotalsLimit bounds the links a customer's totals read (ten
// pages of its listing).
const CustomerTotalsLimit = 1000

// CustomerTotals are the per-currency totals of the links listed under a
// customer (domain.TotalsOf), read from its listing a page at a time;
// complete is false when it holds more than CustomerTotalsLimit links (the
// totals are then of the newest ones). counted is how many links were
// summed (deleted ones are not).
func (s *Customers) CustomerTotals(ctx context.Context, m, id string) (totals []domain.CurrencyTotals, counted int, complete bool, err error) {
	var links []*domain.Link
	cursor, read := "", 0
	for read < CustomerTotalsLimit {
		page, next, err := s.CustomerLinks(ctx, m, id, min(100, CustomerTotalsLimit-read), cursor)
		if err != nil {
			return nil, 0, false, err
		}
		links = append(links, page...)
		read += 100
		if next == "" {
			return domain.TotalsOf(links), len(links), true, nil
		}
		cursor = next
	}
	return domain.TotalsOf(links), len(links), false, nil
}
