package imports_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/imports"
	"github.com/paylinks/paylinks/shared/merchant"
	"github.com/paylinks/paylinks/shared/store"
	"github.com/paylinks/paylinks/shared/testkit/fakes"
)

// fakeStore is imports.Store in memory, with the table's guards: each
// import row is handled once (a link made, a customer upserted or an error
// recorded: store.ErrRowDone after), a link's reference is the merchant's
// once, and a customer number names one customer.
type fakeStore struct {
	mu         sync.Mutex
	links      map[string]*domain.Link           // by id
	references map[string]string                 // reference -> link id
	customers  map[string]*domain.CustomerRecord // by id
	numbers    map[string]string                 // customer number -> customer id
	erased     map[string]bool                   // customer numbers of erased customers
	rows       map[string]bool                   // import id#row handled
	failed     map[int]string                    // row -> "field: message"
}

var _ imports.Store = (*fakeStore)(nil)

func newFakeStore() *fakeStore {
	return &fakeStore{links: map[string]*domain.Link{}, references: map[string]string{}, customers: map[string]*domain.CustomerRecord{},
		numbers: map[string]string{}, erased: map[string]bool{}, rows: map[string]bool{}, failed: map[int]string{}}
}

// numberOf is a customer's number ("" when it has none).
func numberOf(c *domain.CustomerRecord) string {
	if c.CustomerNumber == nil {
		return ""
	}
	return *c.CustomerNumber
}

func rowKey(r store.ImportRow) string { return fmt.Sprintf("%s#%d", r.ImportID, r.Row) }

func (f *fakeStore) GetMerchant(_ context.Context, id string) (*merchant.Merchant, error) {
	return &merchant.Merchant{ID: id, Name: "Shop"}, nil
}

func (f *fakeStore) GetCustomer(_ context.Context, _, id string) (*domain.CustomerRecord, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, ok := f.customers[id]
	if !ok {
		return nil, domain.ErrNotFound
	}
	return c, nil
}

func (f *fakeStore) CustomerByNumber(_ context.Context, _, number string) (*domain.CustomerRecord, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if id, ok := f.numbers[number]; ok {
		return f.customers[id], nil
	}
	return nil, domain.ErrNotFound
}

func (f *fakeStore) CustomersByEmail(_ context.Context, _, email string, limit int) ([]*domain.CustomerRecord, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []*domain.CustomerRecord
	for _, c := range f.customers {
		if len(out) < limit && strings.EqualFold(c.Email, email) {
			out = append(out, c)
		}
	}
	return out, nil
}

func (f *fakeStore) CreateLink(_ context.Context, n store.NewLink) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case n.Row != nil && f.rows[rowKey(*n.Row)]:
		return store.ErrRowDone
	case n.Link.Reference != "" && f.references[n.Link.Reference] != "":
		return domain.ErrDuplicateReference
	case n.Customer != nil && numberOf(n.Customer) != "" && f.numbers[numberOf(n.Customer)] != "":
		return store.ErrCustomerNumberTaken
	}
	if n.Row != nil {
		f.rows[rowKey(*n.Row)] = true
	}
	if n.Link.Reference != "" {
		f.references[n.Link.Reference] = n.Link.ID
	}
	if c := n.Customer; c != nil {
		f.customers[c.ID] = c
		if numberOf(c) != "" {
			f.numbers[numberOf(c)] = c.ID
		}
	}
	l := *n.Link
	f.links[l.ID] = &l
	return nil
}

func (f *fakeStore) Get(_ context.Context, _, id string) (*domain.Link, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return fakes.Copy(f.links, id)
}

func (f *fakeStore) Transition(_ context.Context, cur, next *domain.Link, _ domain.Event) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if l, ok := f.links[cur.ID]; !ok || l.Status != cur.Status {
		return domain.ErrConflict
	}
	c := *next
	f.links[cur.ID] = &c
	return nil
}

func (f *fakeStore) Delete(_ context.Context, cur *domain.Link) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.links, cur.ID)
	return nil
}

// ImportCustomer upserts by customer number: "created" or "updated".
func (f *fakeStore) ImportCustomer(_ context.Context, in domain.CustomerInput, row store.ImportRow, now time.Time) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.rows[rowKey(row)] {
		return "", store.ErrRowDone
	}
	if in.CustomerNumber == nil || *in.CustomerNumber == "" {
		return "", domain.FieldErrors{{Field: "customer_number", Message: "is required here"}}
	}
	number := *in.CustomerNumber
	if f.erased[number] {
		return "", domain.ErrCustomerArchived
	}
	f.rows[rowKey(row)] = true
	if id, ok := f.numbers[number]; ok {
		if in.Email != nil {
			f.customers[id].Email = *in.Email
		}
		return "updated", nil
	}
	c := &domain.CustomerRecord{ID: domain.NewID("cus_", now), CustomerNumber: &number}
	if in.Email != nil {
		c.Email = *in.Email
	}
	f.customers[c.ID], f.numbers[number] = c, c.ID
	return "created", nil
}

// FailImportRow records a row's error once.
func (f *fakeStore) FailImportRow(_ context.Context, r store.ImportRow, field, msg string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.rows[rowKey(r)] {
		return nil
	}
	f.rows[rowKey(r)] = true
	f.failed[r.Row] = field + ": " + msg
	return nil
}
