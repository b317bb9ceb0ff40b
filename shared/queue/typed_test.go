package queue_test

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/paylinks/paylinks/shared/queue"
)

type order struct {
	ID string `json:"id"`
}

func (o *order) Validate() error {
	if o.ID == "" {
		return errors.New("id is required")
	}
	return nil
}

func TestTypedDecodesOnceAndClassifies(t *testing.T) {
	var got []queue.Message[order]
	retry := errors.New("busy")
	h := queue.Typed(func(_ context.Context, m queue.Message[order]) error {
		got = append(got, m)
		if m.Body.ID == "busy" {
			return retry
		}
		return nil
	})
	ctx := context.Background()
	msg := func(body string) events.SQSMessage {
		return events.SQSMessage{MessageId: "m1", ReceiptHandle: "r1", Body: body, Attributes: map[string]string{"ApproximateReceiveCount": "3"}}
	}
	if err := h(ctx, msg(`{"id":"o1"}`)); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Body.ID != "o1" || got[0].ID != "m1" || got[0].Receipt != "r1" || got[0].ReceiveCount != 3 {
		t.Fatalf("decoded %+v", got)
	}
	for _, bad := range []string{`not json`, `{"id":""}`, `{}`, `[]`} {
		if err := h(ctx, msg(bad)); !errors.Is(err, queue.ErrPermanent) {
			t.Errorf("%s: %v, want permanent", bad, err)
		}
	}
	if len(got) != 1 {
		t.Fatalf("malformed bodies reached the worker: %+v", got)
	}
	if err := h(ctx, msg(`{"id":"busy"}`)); !errors.Is(err, retry) || errors.Is(err, queue.ErrPermanent) {
		t.Fatalf("worker's own error: %v", err)
	}
}
