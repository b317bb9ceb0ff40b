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

	"github.com/paylinks/paylinks/shared/spec"
)

// Def is one work queue and its DLQ (spec.Queue: defined once for the CDK
// stack and the local bootstrap).
type Def = spec.Queue

// Queue names.
const (
	PSPEvents = spec.PSPEvents
	Refunds   = spec.Refunds
	Send      = spec.Send
	Imports   = spec.Imports
	Webhooks  = spec.Webhooks
	// Statements is the bank statements' queue.
	Statements = spec.Statements
)

// Defs are paylinks' queues.
var Defs = spec.Queues

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
