// Package ddbcount counts AWS SDK calls by operation with an SDK middleware,
// so tests and benchmarks can hold hot paths to their round-trip budget.
package ddbcount

import (
	"context"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	smithymw "github.com/aws/smithy-go/middleware"
)

// Counter counts calls per operation, and for DynamoDB the capacity they
// consumed (it asks for ReturnConsumedCapacity TOTAL) and the time spent in
// the SDK calls themselves.
type Counter struct {
	mu       sync.Mutex
	n        map[string]int
	rcu, wcu float64
	inSDK    time.Duration
}

// New returns an empty counter.
func New() *Counter { return &Counter{n: map[string]int{}} }

// Attach adds the counting middleware to a client's API options; use it as
// `dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options){ o.APIOptions = append(o.APIOptions, c.Attach) })`.
func (c *Counter) Attach(stack *smithymw.Stack) error {
	return stack.Initialize.Add(smithymw.InitializeMiddlewareFunc("paylinks.count", func(ctx context.Context, in smithymw.InitializeInput, next smithymw.InitializeHandler) (smithymw.InitializeOutput, smithymw.Metadata, error) {
		op := middleware.GetOperationName(ctx)
		askCapacity(in.Parameters)
		start := time.Now()
		out, md, err := next.HandleInitialize(ctx, in)
		took := time.Since(start)
		r, w := consumed(op, out.Result)
		c.mu.Lock()
		c.n[op]++
		c.rcu += r
		c.wcu += w
		c.inSDK += took
		c.mu.Unlock()
		return out, md, err
	}), smithymw.After)
}

// askCapacity sets ReturnConsumedCapacity on DynamoDB inputs that left it out.
func askCapacity(in any) {
	total := types.ReturnConsumedCapacityTotal
	switch v := in.(type) {
	case *dynamodb.GetItemInput:
		if v.ReturnConsumedCapacity == "" {
			v.ReturnConsumedCapacity = total
		}
	case *dynamodb.PutItemInput:
		if v.ReturnConsumedCapacity == "" {
			v.ReturnConsumedCapacity = total
		}
	case *dynamodb.UpdateItemInput:
		if v.ReturnConsumedCapacity == "" {
			v.ReturnConsumedCapacity = total
		}
	case *dynamodb.DeleteItemInput:
		if v.ReturnConsumedCapacity == "" {
			v.ReturnConsumedCapacity = total
		}
	case *dynamodb.QueryInput:
		if v.ReturnConsumedCapacity == "" {
			v.ReturnConsumedCapacity = total
		}
	case *dynamodb.ScanInput:
		if v.ReturnConsumedCapacity == "" {
			v.ReturnConsumedCapacity = total
		}
	case *dynamodb.TransactWriteItemsInput:
		if v.ReturnConsumedCapacity == "" {
			v.ReturnConsumedCapacity = total
		}
	case *dynamodb.TransactGetItemsInput:
		if v.ReturnConsumedCapacity == "" {
			v.ReturnConsumedCapacity = total
		}
	case *dynamodb.BatchWriteItemInput:
		if v.ReturnConsumedCapacity == "" {
			v.ReturnConsumedCapacity = total
		}
	case *dynamodb.BatchGetItemInput:
		if v.ReturnConsumedCapacity == "" {
			v.ReturnConsumedCapacity = total
		}
	}
}

var writeOps = map[string]bool{"PutItem": true, "UpdateItem": true, "DeleteItem": true, "TransactWriteItems": true, "BatchWriteItem": true}

// consumed reads the capacity a DynamoDB answer reports.
func consumed(op string, out any) (rcu, wcu float64) {
	var caps []types.ConsumedCapacity
	switch v := out.(type) {
	case *dynamodb.GetItemOutput:
		caps = one(v.ConsumedCapacity)
	case *dynamodb.PutItemOutput:
		caps = one(v.ConsumedCapacity)
	case *dynamodb.UpdateItemOutput:
		caps = one(v.ConsumedCapacity)
	case *dynamodb.DeleteItemOutput:
		caps = one(v.ConsumedCapacity)
	case *dynamodb.QueryOutput:
		caps = one(v.ConsumedCapacity)
	case *dynamodb.ScanOutput:
		caps = one(v.ConsumedCapacity)
	case *dynamodb.TransactWriteItemsOutput:
		caps = v.ConsumedCapacity
	case *dynamodb.TransactGetItemsOutput:
		caps = v.ConsumedCapacity
	case *dynamodb.BatchWriteItemOutput:
		caps = v.ConsumedCapacity
	case *dynamodb.BatchGetItemOutput:
		caps = v.ConsumedCapacity
	}
	for _, c := range caps {
		units := 0.0
		if c.CapacityUnits != nil {
			units = *c.CapacityUnits
		}
		if writeOps[op] {
			wcu += units
		} else {
			rcu += units
		}
	}
	return rcu, wcu
}

func one(c *types.ConsumedCapacity) []types.ConsumedCapacity {
	if c == nil {
		return nil
	}
	return []types.ConsumedCapacity{*c}
}

// Capacity is the read and write capacity consumed since the last reset.
func (c *Counter) Capacity() (rcu, wcu float64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.rcu, c.wcu
}

// InSDK is the time spent inside SDK calls since the last reset.
func (c *Counter) InSDK() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.inSDK
}

// Reset zeroes the counts.
func (c *Counter) Reset() {
	c.mu.Lock()
	c.n, c.rcu, c.wcu, c.inSDK = map[string]int{}, 0, 0, 0
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
