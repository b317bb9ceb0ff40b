package spec

import "time"

// Queue is one work queue and its DLQ.
type Queue struct {
	Name            string        // logical name; the queue is <prefix>-<Name>
	ConsumerTimeout time.Duration // the consuming function's timeout
	MaxReceiveCount int           // deliveries before the DLQ (>= 5)
	Retention       time.Duration
}

// Visibility is 6x the consumer's timeout (AWS's advice for Lambda).
func (d Queue) Visibility() time.Duration { return 6 * d.ConsumerTimeout }

// Queue names.
const (
	PSPEvents = "psp-events"
	Refunds   = "refunds"
	Send      = "send"
	Imports   = "imports"
	Webhooks  = "webhooks"
	// Statements carries bank statements to reconcile: the API's uploads,
	// S3's notifications of files dropped in the statements bucket, and
	// the worker's own continuations.
	Statements = "statements"
)

// Queues are paylinks' work queues.
var Queues = []Queue{
	{Name: PSPEvents, ConsumerTimeout: 30 * time.Second, MaxReceiveCount: 5, Retention: 4 * 24 * time.Hour},
	{Name: Refunds, ConsumerTimeout: 30 * time.Second, MaxReceiveCount: 8, Retention: 4 * 24 * time.Hour},
	{Name: Send, ConsumerTimeout: 30 * time.Second, MaxReceiveCount: 6, Retention: 2 * 24 * time.Hour},
	{Name: Imports, ConsumerTimeout: 120 * time.Second, MaxReceiveCount: 5, Retention: 4 * 24 * time.Hour},
	// Outbound webhooks space their own retries (ChangeMessageVisibility,
	// 14 attempts over 75.6 hours) and put what they give up on in the DLQ
	// themselves; the redrive count only catches a message that keeps
	// crashing its consumer.
	{Name: Webhooks, ConsumerTimeout: 30 * time.Second, MaxReceiveCount: 30, Retention: 5 * 24 * time.Hour},
	{Name: Statements, ConsumerTimeout: 300 * time.Second, MaxReceiveCount: 5, Retention: 4 * 24 * time.Hour},
}

// LookupQueue returns the definition of a queue.
func LookupQueue(name string) (Queue, bool) {
	for _, d := range Queues {
		if d.Name == name {
			return d, true
		}
	}
	return Queue{}, false
}

// Consumer is the function consuming queue q ("" when none does).
func Consumer(q string) string {
	for _, f := range Functions {
		if f.Consumes == q {
			return f.Name
		}
	}
	return ""
}
