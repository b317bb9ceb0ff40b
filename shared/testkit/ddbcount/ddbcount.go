// Package ddbcount counts AWS SDK calls by operation with an SDK middleware,
// so tests and benchmarks can hold hot paths to their round-trip budget.
package ddbcount

import (
	"context"
	"reflect"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/middleware"
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

// askCapacity sets ReturnConsumedCapacity TOTAL on DynamoDB inputs that
// left it out (every input that has the field: item, query, scan, batch and
// transaction calls).
func askCapacity(in any) {
	v := reflect.ValueOf(in)
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
		return
	}
	f := v.Elem().FieldByName("ReturnConsumedCapacity")
	if f.IsValid() && f.CanSet() && f.Type() == reflect.TypeOf(types.ReturnConsumedCapacityTotal) && f.String() == "" {
		f.SetString(string(types.ReturnConsumedCapacityTotal))
	}
}

var writeOps = map[string]bool{"PutItem": true, "UpdateItem": true, "DeleteItem": true, "TransactWriteItems": true, "BatchWriteItem": true}

// consumed reads the capacity a DynamoDB answer reports: one
// ConsumedCapacity for item calls and queries, a list for batches and
// transactions.
func consumed(op string, out any) (rcu, wcu float64) {
	v := reflect.ValueOf(out)
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		return 0, 0
	}
	var caps []types.ConsumedCapacity
	switch c := v.Elem().FieldByName("ConsumedCapacity"); {
	case !c.IsValid():
	case c.Type() == reflect.TypeOf(&types.ConsumedCapacity{}):
		if !c.IsNil() {
			caps = append(caps, *c.Interface().(*types.ConsumedCapacity))
		}
	case c.Type() == reflect.TypeOf([]types.ConsumedCapacity{}):
		caps = c.Interface().([]types.ConsumedCapacity)
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
