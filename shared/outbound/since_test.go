package outbound

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/merchant"
)

// TestEventsBeforeTheEndpointAreDropped, over generated event and endpoint
// times (nanoseconds apart, either way): an event is dropped exactly when
// it happened before the endpoint was set; a deletion counts from the time
// the stream wrote it (rounded down to the second, so within the second
// the endpoint was set it counts as before); an event of unknown time is
// dropped for an endpoint with a since-time; an endpoint without one (set
// before it was recorded) takes every event.
func TestEventsBeforeTheEndpointAreDropped(t *testing.T) {
	rng := rand.New(rand.NewPCG(12, 34))
	base := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	for i := 0; i < 2000; i++ {
		since := base.Add(time.Duration(rng.Int64N(int64(time.Hour))))
		at := since.Add(time.Duration(rng.Int64N(int64(4*time.Second))) - 2*time.Second)
		if i%7 == 0 {
			at = since // the same instant: not before
		}
		m := &merchant.Merchant{ID: "acme", WebhookSince: since.Format(time.RFC3339Nano)}
		ref := &domain.EventRef{ID: "ev_01JD3Q4ZK1W8Y6N0M5C2B7V9XB", Type: domain.EventPaid, At: at.Format(time.RFC3339Nano)}
		ev, ok, err := FromRecord(Record{Name: "MODIFY", New: linkImage(t, sampleLink(4, ref))})
		if err != nil || !ok {
			t.Fatalf("record: %v %v", ok, err)
		}
		if got, want := beforeEndpoint(m, ev), at.Before(since); got != want {
			t.Fatalf("event at %s, endpoint since %s: dropped %v, want %v", at.Format(time.RFC3339Nano), m.WebhookSince, got, want)
		}
		if beforeEndpoint(&merchant.Merchant{ID: "acme"}, ev) {
			t.Fatal("an endpoint without a since-time dropped an event")
		}
		created := sampleLink(1, &domain.EventRef{ID: "ev_01JD3Q4ZK1W8Y6N0M5C2B7V9XF", Type: domain.EventCreated, At: base.Add(-time.Hour).Format(time.RFC3339Nano)})
		created.Status = domain.StatusCreated
		written := at.Truncate(time.Second)
		del, ok, err := FromRecord(Record{Name: "REMOVE", Old: linkImage(t, created), Written: written})
		if err != nil || !ok {
			t.Fatalf("deletion: %v %v", ok, err)
		}
		if got, want := beforeEndpoint(m, del), written.Before(since); got != want || (at.Before(since) && !got) {
			t.Fatalf("deletion written %s (at %s), endpoint since %s: dropped %v", written, at, m.WebhookSince, got)
		}
	}
	unknown := &Event{ID: "ev_x", Type: domain.EventPaid, Link: sampleLink(1, nil)}
	if !beforeEndpoint(&merchant.Merchant{WebhookSince: base.Format(time.RFC3339Nano)}, unknown) {
		t.Fatal("an event of unknown time was sent to an endpoint with a since-time")
	}
}

// The Lambda stream event's approximate creation time is the record's
// Written time (a deletion's time).
func TestFromLambdaKeepsTheWriteTime(t *testing.T) {
	at := time.Date(2026, 11, 23, 10, 0, 7, 0, time.UTC)
	recs, err := FromLambda(events.DynamoDBEvent{Records: []events.DynamoDBEventRecord{{EventName: "REMOVE",
		Change: events.DynamoDBStreamRecord{SequenceNumber: "1", ApproximateCreationDateTime: events.SecondsEpochTime{Time: at}}}}})
	if err != nil || len(recs) != 1 || !recs[0].Written.Equal(at) {
		t.Fatalf("records %+v %v", recs, err)
	}
}
