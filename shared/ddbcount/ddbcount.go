// Package ddbcount counts AWS SDK calls by operation with an SDK middleware,
// so tests and benchmarks can hold hot paths to their round-trip budget.
package ddbcount

import (
	"context"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws/middleware"
	smithymw "github.com/aws/smithy-go/middleware"
)

// Counter counts calls per operation.
type Counter struct {
	mu sync.Mutex
	n  map[string]int
}

// New returns an empty counter.
func New() *Counter { return &Counter{n: map[string]int{}} }

// Attach adds the counting middleware to a client's API options; use it as
// `dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options){ o.APIOptions = append(o.APIOptions, c.Attach) })`.
func (c *Counter) Attach(stack *smithymw.Stack) error {
	return stack.Initialize.Add(smithymw.InitializeMiddlewareFunc("paylinks.count", func(ctx context.Context, in smithymw.InitializeInput, next smithymw.InitializeHandler) (smithymw.InitializeOutput, smithymw.Metadata, error) {
		op := middleware.GetOperationName(ctx)
		c.mu.Lock()
		c.n[op]++
		c.mu.Unlock()
		return next.HandleInitialize(ctx, in)
	}), smithymw.After)
}

// Reset zeroes the counts.
func (c *Counter) Reset() {
	c.mu.Lock()
	c.n = map[string]int{}
	c.mu.Unlock()
}

// Total is the number of calls since the last reset.
func (c *Counter) Total() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := 0
	for _, v := range c.n {
		t += v
	}
	return t
}

// Snapshot returns a copy of the counts by operation.
func (c *Counter) Snapshot() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]int, len(c.n))
	for k, v := range c.n {
		out[k] = v
	}
	return out
}
