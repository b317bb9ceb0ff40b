package httpapi_test

import (
	"context"
	"time"

	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/store"
)

// The fast tier does not hold merges, erasure counts or totals (the
// emulator tests do: customermerge_test.go).

func (f *fakeStore) EraseCustomerData(context.Context, string, string) (store.ErasureCounts, error) {
	return store.ErasureCounts{}, errNotHeld("EraseCustomerData")
}

func (f *fakeStore) ErasurePreview(context.Context, string, string) (store.ErasureCounts, error) {
	return store.ErasureCounts{}, errNotHeld("ErasurePreview")
}

func (f *fakeStore) MergeCustomer(context.Context, string, string, string, time.Time,
	func(from, into *domain.CustomerRecord) []store.AuditEntry) (*domain.CustomerRecord, int, error) {
	return nil, 0, errNotHeld("MergeCustomer")
}

func (f *fakeStore) CustomerTotals(context.Context, string, string) ([]domain.CurrencyTotals, int, bool, error) {
	return nil, 0, false, errNotHeld("CustomerTotals")
}
