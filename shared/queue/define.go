package queue

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// Def is one work queue and its DLQ, defined once for the CDK stack and the
// local bootstrap.
type Def struct {
	Name            string        // logical name; the queue is <prefix>-<Name>
	ConsumerTimeout time.Duration // the consuming function's timeout
	MaxReceiveCount int           // deliveries before the DLQ (>= 5)
	Retention       time.Duration
}

// Visibility is 6x the consumer's timeout (AWS's advice for Lambda).
func (d Def) Visibility() time.Duration { return 6 * d.ConsumerTimeout }

// Queue names.
const (
	PSPEvents = "psp-events"
	Refunds   = "refunds"
	Send      = "send"
	Imports   = "imports"
	Webhooks  = "webhooks"
)

// Defs are paylinks' queues.
var Defs = []Def{
	{Name: PSPEvents, ConsumerTimeout: 30 * time.Second, MaxReceiveCount: 5, Retention: 4 * 24 * time.Hour},
	{Name: Refunds, ConsumerTimeout: 30 * time.Second, MaxReceiveCount: 8, Retention: 4 * 24 * time.Hour},
	{Name: Send, ConsumerTimeout: 30 * time.Second, MaxReceiveCount: 6, Retention: 2 * 24 * time.Hour},
	{Name: Imports, ConsumerTimeout: 120 * time.Second, MaxReceiveCount: 5, Retention: 4 * 24 * time.Hour},
	// Outbound webhooks space their own retries (ChangeMessageVisibility,
	// 14 attempts over 75.6 hours) and put what they give up on in the DLQ
	// themselves; the redrive count only catches a message that keeps
	// crashing its consumer.
	{Name: Webhooks, ConsumerTimeout: 30 * time.Second, MaxReceiveCount: 30, Retention: 5 * 24 * time.Hour},
}

// Lookup returns the definition of a queue.
func Lookup(name string) (Def, bool) {
	for _, d := range Defs {
		if d.Name == name {
			return d, true
		}
	}
	return Def{}, false
}

// Create makes a queue and its DLQ (redrive policy set) and returns the
// queue's URL. Existing queues are kept. visibility overrides the
// definition's when set (tests redeliver failures quickly).
func Create(ctx context.Context, c *sqs.Client, prefix string, d Def, visibility time.Duration) (string, error) {
	if visibility == 0 {
		visibility = d.Visibility()
	}
	dlq, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(prefix + "-" + d.Name + "-dlq"),
		Attributes: map[string]string{string(types.QueueAttributeNameMessageRetentionPeriod): "1209600"}})
	if err != nil {
		return "", fmt.Errorf("create dlq %s: %w", d.Name, err)
	}
	attrs, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: dlq.QueueUrl, AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameQueueArn}})
	if err != nil {
		return "", fmt.Errorf("dlq arn %s: %w", d.Name, err)
	}
	redrive, _ := json.Marshal(map[string]string{"deadLetterTargetArn": attrs.Attributes[string(types.QueueAttributeNameQueueArn)], "maxReceiveCount": strconv.Itoa(d.MaxReceiveCount)})
	q, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(prefix + "-" + d.Name), Attributes: map[string]string{
		string(types.QueueAttributeNameVisibilityTimeout):      strconv.Itoa(int(visibility / time.Second)),
		string(types.QueueAttributeNameMessageRetentionPeriod): strconv.Itoa(int(d.Retention / time.Second)),
		string(types.QueueAttributeNameRedrivePolicy):          string(redrive),
	}})
	if err != nil {
		return "", fmt.Errorf("create queue %s: %w", d.Name, err)
	}
	return aws.ToString(q.QueueUrl), nil
}
