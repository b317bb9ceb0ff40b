package queue

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/aws/aws-lambda-go/events"
)

// Message is one received message with its body decoded.
type Message[T any] struct {
	Body         T
	ID           string // SQS message id
	Receipt      string // receipt handle (Postpone)
	ReceiveCount int    // how many times SQS has handed it out
}

// Validator is a message body that can tell it is malformed (a required
// field missing).
type Validator interface{ Validate() error }

// Typed adapts a worker of decoded messages to a Handler: the body is
// decoded and validated once, here; a body that does not decode or validate
// never reaches h and fails permanently (ErrPermanent: logged as poison,
// left to SQS's redrive into the DLQ). h classifies its own failures the
// same way: an error wrapping ErrPermanent can never succeed, any other is
// retried.
func Typed[T any](h func(context.Context, Message[T]) error) Handler {
	return func(ctx context.Context, m events.SQSMessage) error {
		var body T
		if err := json.Unmarshal([]byte(m.Body), &body); err != nil {
			return fmt.Errorf("%w: malformed %T message %s: %v", ErrPermanent, body, m.MessageId, err)
		}
		if v, ok := any(&body).(Validator); ok {
			if err := v.Validate(); err != nil {
				return fmt.Errorf("%w: malformed %T message %s: %v", ErrPermanent, body, m.MessageId, err)
			}
		}
		n, _ := strconv.Atoi(m.Attributes["ApproximateReceiveCount"])
		return h(ctx, Message[T]{Body: body, ID: m.MessageId, Receipt: m.ReceiptHandle, ReceiveCount: n})
	}
}
