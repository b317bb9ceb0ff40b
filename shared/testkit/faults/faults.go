// Package faults injects failures into AWS SDK calls through a middleware:
// throttling, 5xx and connection failures on chosen operations at a chosen
// rate, counted, so the reliability suite can show what paylinks does under
// each (tests and `make soak` only).
package faults

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
	smithymw "github.com/aws/smithy-go/middleware"
)

// Rule fails a share of the calls to some operations.
type Rule struct {
	Name string   // what the figure is called
	Ops  []string // operation names (PutItem, TransactWriteItems, SendMessage, ...); empty: all
	Rate float64  // 0..1
	Err  func() error
}

// Throttled is DynamoDB's throttling answer.
func Throttled() error {
	return &types.ProvisionedThroughputExceededException{Message: ptr("injected: rate of requests exceeds the allowed throughput")}
}

// ServerError is an AWS 5xx.
func ServerError() error {
	return &smithy.GenericAPIError{Code: "InternalServerError", Message: "injected: internal server error", Fault: smithy.FaultServer}
}

// ConnectionReset is a failure below HTTP.
func ConnectionReset() error { return errors.New("injected: read tcp: connection reset by peer") }

func ptr(s string) *string { return &s }

// Injector applies the active rules.
type Injector struct {
	mu       sync.Mutex
	rules    []Rule
	injected map[string]int
}

// New returns an injector with no rules (a no-op).
func New() *Injector { return &Injector{injected: map[string]int{}} }

// Set replaces the active rules.
func (in *Injector) Set(rules ...Rule) {
	in.mu.Lock()
	in.rules = rules
	in.mu.Unlock()
}

// Injected is how many failures each rule made.
func (in *Injector) Injected() map[string]int {
	in.mu.Lock()
	defer in.mu.Unlock()
	out := map[string]int{}
	for k, v := range in.injected {
		out[k] = v
	}
	return out
}

// Attach adds the injector to a client's API options. It sits after the
// SDK's retry middleware, so an injected failure is retried by the SDK as
// a real one would be, and only what outlasts those retries reaches
// paylinks.
func (in *Injector) Attach(stack *smithymw.Stack) error {
	return stack.Finalize.Add(smithymw.FinalizeMiddlewareFunc("paylinks.faults", func(ctx context.Context, fin smithymw.FinalizeInput, next smithymw.FinalizeHandler) (smithymw.FinalizeOutput, smithymw.Metadata, error) {
		if err := in.pick(middleware.GetOperationName(ctx)); err != nil {
			return smithymw.FinalizeOutput{}, smithymw.Metadata{}, err
		}
		return next.HandleFinalize(ctx, fin)
	}), smithymw.After)
}

func (in *Injector) pick(op string) error {
	in.mu.Lock()
	defer in.mu.Unlock()
	for _, r := range in.rules {
		match := len(r.Ops) == 0
		for _, o := range r.Ops {
			match = match || o == op
		}
		if match && rand.Float64() < r.Rate {
			in.injected[r.Name]++
			return r.Err()
		}
	}
	return nil
}
