// Package queue sends JSON messages to SQS and runs SQS batches through a
// per-message handler with partial batch failures (ReportBatchItemFailures).
// The local poller feeds the same handlers from the emulator under `make dev`.
package queue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// Enqueuer puts a message on a queue (a Sender, or a test's stand-in).
type Enqueuer interface {
	Send(ctx context.Context, v any, delay time.Duration) error
}

// Sender puts messages on one queue.
type Sender struct {
	SQS *sqs.Client
	URL string
	// DLQ is the URL of the queue's dead-letter queue; <URL>-dlq (as
	// Create names it) when empty.
	DLQ string
}

// Send marshals v and sends it, delayed by delay (at most 15 minutes).
func (s *Sender) Send(ctx context.Context, v any, delay time.Duration) error {
	body, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("marshal message: %w", err)
	}
	in := &sqs.SendMessageInput{QueueUrl: aws.String(s.URL), MessageBody: aws.String(string(body))}
	if delay > 0 {
		if delay > 15*time.Minute {
			delay = 15 * time.Minute
		}
		in.DelaySeconds = int32(delay / time.Second)
	}
	if _, err := s.SQS.SendMessage(ctx, in); err != nil {
		return fmt.Errorf("send to %s: %w", s.URL, err)
	}
	return nil
}

// ErrPermanent marks a message that can never succeed (malformed): it is
// reported as failed like any other, so that SQS moves it to the DLQ after
// maxReceiveCount, and logged as poison.
var ErrPermanent = errors.New("permanent failure")

// Handler handles one message; an error leaves it on the queue.
type Handler func(ctx context.Context, msg events.SQSMessage) error

// Batch runs every message of the batch through h and reports the failed
// ones, so only they are retried.
func Batch(ctx context.Context, log *slog.Logger, queue string, h Handler, ev events.SQSEvent) events.SQSEventResponse {
	var resp events.SQSEventResponse
	for _, m := range ev.Records {
		err := h(ctx, m)
		if err == nil {
			continue
		}
		level := slog.LevelWarn
		if errors.Is(err, ErrPermanent) {
			level = slog.LevelError
		}
		log.LogAttrs(ctx, level, "message failed", slog.String("queue", queue), slog.String("message_id", m.MessageId),
			slog.String("receive_count", m.Attributes["ApproximateReceiveCount"]), slog.String("error", err.Error()))
		resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: m.MessageId})
	}
	return resp
}

// ReceiveCount is how many times SQS has handed out the message.
func ReceiveCount(m events.SQSMessage) int {
	n, _ := strconv.Atoi(m.Attributes["ApproximateReceiveCount"])
	return n
}

// Poll feeds a queue to h the way Lambda's event source mapping does: batches
// of up to 10, failed messages left for redelivery after the visibility
// timeout (and the DLQ after maxReceiveCount), until ctx ends.
func Poll(ctx context.Context, log *slog.Logger, client *sqs.Client, name, url string, h Handler) {
	for ctx.Err() == nil {
		out, err := client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
			QueueUrl: aws.String(url), MaxNumberOfMessages: 10, WaitTimeSeconds: 1,
			MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameAll},
		})
		if err != nil {
			if ctx.Err() == nil {
				log.Warn("receive", "queue", name, "error", err.Error())
				time.Sleep(time.Second)
			}
			continue
		}
		if len(out.Messages) == 0 {
			continue
		}
		ev := events.SQSEvent{}
		for _, m := range out.Messages {
			attrs := map[string]string{}
			for k, v := range m.Attributes {
				attrs[k] = v
			}
			ev.Records = append(ev.Records, events.SQSMessage{MessageId: aws.ToString(m.MessageId), ReceiptHandle: aws.ToString(m.ReceiptHandle),
				Body: aws.ToString(m.Body), Attributes: attrs, EventSourceARN: name})
		}
		resp := Batch(ctx, log, name, h, ev)
		failed := map[string]bool{}
		for _, f := range resp.BatchItemFailures {
			failed[f.ItemIdentifier] = true
		}
		for _, m := range ev.Records {
			if failed[m.MessageId] {
				continue
			}
			if _, err := client.DeleteMessage(context.WithoutCancel(ctx), &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: aws.String(m.ReceiptHandle)}); err != nil {
				log.Warn("delete", "queue", name, "error", err.Error())
			}
		}
	}
}

// Postpone makes a received message visible again after d (SQS allows at
// most 12 hours): the way a consumer spaces its retries.
func (s *Sender) Postpone(ctx context.Context, receipt string, d time.Duration) error {
	if d > 12*time.Hour {
		d = 12 * time.Hour
	}
	_, err := s.SQS.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{
		QueueUrl: aws.String(s.URL), ReceiptHandle: aws.String(receipt), VisibilityTimeout: int32(d / time.Second),
	})
	if err != nil {
		return fmt.Errorf("postpone on %s: %w", s.URL, err)
	}
	return nil
}

// DeadLetter puts v on the queue's DLQ: a consumer that gave up keeps the
// message there for replay.
func (s *Sender) DeadLetter(ctx context.Context, v any) error {
	url := s.DLQ
	if url == "" {
		url = s.URL + "-dlq"
	}
	return (&Sender{SQS: s.SQS, URL: url}).Send(ctx, v, 0)
}
