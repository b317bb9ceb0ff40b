package merchant

import (
	"context"
	"sync"
	"time"
)

// Cache keeps merchants (and what resolves to them) in memory for a short
// TTL, so a warm function spends its round trips on the work itself.
type Cache[K comparable, V any] struct {
	TTL  time.Duration
	Load func(ctx context.Context, k K) (V, error)
	Now  func() time.Time

	mu sync.Mutex
	m  map[K]entry[V]
}

type entry[V any] struct {
	v   V
	exp time.Time
}

// Get returns the cached value or loads it. Errors are not cached.
func (c *Cache[K, V]) Get(ctx context.Context, k K) (V, error) {
	now := time.Now()
	if c.Now != nil {
		now = c.Now()
	}
	c.mu.Lock()
	e, ok := c.m[k]
	c.mu.Unlock()
	if ok && now.Before(e.exp) {
		return e.v, nil
	}
	v, err := c.Load(ctx, k)
	if err != nil {
		return v, err
	}
	c.mu.Lock()
	if c.m == nil {
		c.m = map[K]entry[V]{}
	}
	c.m[k] = entry[V]{v, now.Add(c.TTL)}
	c.mu.Unlock()
	return v, nil
}

// Forget drops a key (after this process changed it).
func (c *Cache[K, V]) Forget(k K) {
	c.mu.Lock()
	delete(c.m, k)
	c.mu.Unlock()
}

// Clear drops every entry.
func (c *Cache[K, V]) Clear() {
	c.mu.Lock()
	c.m = nil
	c.mu.Unlock()
}
