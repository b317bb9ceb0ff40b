package redirect_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"sync"
	"time"

	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/merchant"
	"github.com/paylinks/paylinks/shared/redirect"
	"github.com/paylinks/paylinks/shared/store"
	"github.com/paylinks/paylinks/shared/testkit/fakes"
)

// fakeStore is redirect.Store in memory: links by code, merchants by id,
// and a count of every write, so a test can say that nothing was written.
type fakeStore struct {
	mu        sync.Mutex
	links     map[string]*domain.Link // by code
	merchants map[string]*merchant.Merchant
	clicks    int               // CountClick calls
	opened    int               // Transition calls
	checkouts int               // SaveCheckout calls
	logos     map[string][]byte // by merchant
}

var _ redirect.Store = (*fakeStore)(nil)

func newFakeStore() *fakeStore {
	return &fakeStore{links: map[string]*domain.Link{}, merchants: map[string]*merchant.Merchant{}}
}

func (f *fakeStore) put(l *domain.Link) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := *l
	f.links[l.Code] = &c
}

func (f *fakeStore) writes() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.clicks + f.opened + f.checkouts
}

func (f *fakeStore) GetByCode(_ context.Context, code string) (*domain.Link, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return fakes.Copy(f.links, code)
}

func (f *fakeStore) GetMerchant(_ context.Context, id string) (*merchant.Merchant, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return fakes.Copy(f.merchants, id)
}

// CountClick counts a click on a link already clicked, else reports the
// link it found (as the table's conditional write does).
func (f *fakeStore) CountClick(_ context.Context, _, _, code string, now time.Time) (store.ClickWrite, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.clicks++
	l, ok := f.links[code]
	if !ok {
		return store.ClickWrite{}, nil
	}
	if l.Status == domain.StatusClicked && now.Before(l.ExpiresAt) && !l.Archived {
		l.ClickCount++
		c := *l
		return store.ClickWrite{Counted: true, Link: &c}, nil
	}
	c := *l
	return store.ClickWrite{Found: &c}, nil
}

// Transition replaces the link when it is still as cur says.
func (f *fakeStore) Transition(_ context.Context, cur, next *domain.Link, _ domain.Event) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.opened++
	l, ok := f.links[cur.Code]
	if !ok || l.Status != cur.Status {
		return domain.ErrConflict
	}
	c := *next
	f.links[cur.Code] = &c
	return nil
}

// GetLogo is the merchant's logo and its ETag (the PNG's SHA-256, as
// brand.SanitizePNG makes it).
func (f *fakeStore) GetLogo(_ context.Context, merchantID string) ([]byte, string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	png, ok := f.logos[merchantID]
	if !ok {
		return nil, "", domain.ErrNotFound
	}
	sum := sha256.Sum256(png)
	return png, hex.EncodeToString(sum[:8]), nil
}

func (f *fakeStore) SaveCheckout(_ context.Context, l *domain.Link, url string, expires time.Time) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.checkouts++
	if cur, ok := f.links[l.Code]; ok && cur.Attempt == l.Attempt {
		cur.CheckoutURL, cur.CheckoutExpiresAt = url, &expires
	}
	l.CheckoutURL, l.CheckoutExpiresAt = url, &expires
	return nil
}
