// Package fakes holds what the in-memory fakes of the store's consumer
// interfaces (each package's store_fake_test.go) share.
package fakes

import "github.com/paylinks/paylinks/shared/domain"

// Copy returns a copy of m[id], as the store hands out an item read
// afresh (a caller's changes reach the fake only through its writes), or
// domain.ErrNotFound. The caller holds the fake's lock.
func Copy[T any](m map[string]*T, id string) (*T, error) {
	v, ok := m[id]
	if !ok {
		return nil, domain.ErrNotFound
	}
	c := *v
	return &c, nil
}
