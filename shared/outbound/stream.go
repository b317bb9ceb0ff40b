package outbound

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	streamtypes "github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"

	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/merchant"
	"github.com/paylinks/paylinks/shared/queue"
	"github.com/paylinks/paylinks/shared/store"
)

// Message is what the webhooks queue carries: which delivery, and which
// generation of it (a manual retry starts a new one).
type Message struct {
	Merchant   string `json:"merchant"`
	DeliveryID string `json:"delivery_id"`
	Gen        int    `json:"gen"`
}

// StreamStore is what the stream needs of the table: an event's
// delivery stored once, listed under its customer when its body carries
// the customer's data (refused once the customer is erased). *store.Store
// is one.
type StreamStore interface {
	PutDelivery(ctx context.Context, d *store.Delivery, now time.Time) (bool, error)
	PutDeliveryOf(ctx context.Context, d *store.Delivery, customerID string, now time.Time) (bool, error)
	// PutFeedEvent writes the event into the merchant's event feed
	// (GET /v1/events), every event whether or not an endpoint is set.
	PutFeedEvent(ctx context.Context, ev *store.FeedEvent, customerID string, now func() time.Time) (bool, error)
}

// Stream turns the table's stream into deliveries.
type Stream struct {
	Store     StreamStore
	Merchants func(ctx context.Context, id string) (*merchant.Merchant, error)
	Queue     queue.Enqueuer
	// SendRequested queues the send a link's creation asked for (a created
	// event whose data names a channel): the table's stream is what makes
	// that send survive a queue that was down when the link was made.
	SendRequested func(ctx context.Context, l *domain.Link, data map[string]string) error
	PublicBaseURL string
	Log           *slog.Logger
	Now           func() time.Time
}

// Handle processes records in order. It returns the sequence number of the
// first record it could not process ("" when all went through): Lambda
// retries from there (ReportBatchItemFailures), and since a delivery is
// keyed by its event, records handled twice make one delivery.
//
// Each merchant is read once per batch, when the batch is handled: its
// records were all written before, so settings changed before an event
// apply to it, at one read per merchant and batch rather than per record.
func (s *Stream) Handle(ctx context.Context, recs []Record) string {
	read := map[string]*merchant.Merchant{}
	merchantOf := func(ctx context.Context, id string) (*merchant.Merchant, error) {
		if m, ok := read[id]; ok {
			return m, nil
		}
		m, err := s.Merchants(ctx, id)
		if err == nil {
			read[id] = m
		}
		return m, err
	}
	for _, r := range recs {
		if err := s.handle(ctx, r, merchantOf); err != nil {
			s.Log.LogAttrs(ctx, slog.LevelWarn, "stream record failed", slog.String("sequence", r.Sequence), slog.String("error", err.Error()))
			return r.Sequence
		}
	}
	return ""
}

func (s *Stream) handle(ctx context.Context, r Record, merchantOf func(context.Context, string) (*merchant.Merchant, error)) error {
	ev, ok, err := FromRecord(r)
	if err != nil {
		// An unreadable link image is a bug, never fixed by a retry: log it
		// loudly and go on, so one bad record cannot block the shard.
		s.Log.LogAttrs(ctx, slog.LevelError, "stream record unreadable", slog.String("sequence", r.Sequence), slog.String("error", err.Error()))
		return nil
	}
	if !ok {
		return nil
	}
	if ev.Type == domain.EventCreated && s.SendRequested != nil {
		if err := s.SendRequested(ctx, ev.Link, ev.Data); err != nil {
			return err
		}
	}
	m, err := merchantOf(ctx, ev.Link.Merchant)
	if errors.Is(err, domain.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("merchant %s: %w", ev.Link.Merchant, err)
	}
	fe := &store.FeedEvent{ID: store.DeliveryIDFor(ev.ID), Merchant: m.ID, Type: ev.Type, LinkID: ev.Link.ID}
	b := &bodies{ev: ev, baseURL: s.PublicBaseURL}
	err = s.put(ctx, b, func(body, customerID string) error {
		fe.Body = body
		_, err := s.Store.PutFeedEvent(ctx, fe, customerID, s.Now)
		return err
	})
	if errors.Is(err, errUnrenderable) {
		s.Log.LogAttrs(ctx, slog.LevelError, "event unrenderable", slog.String("event_id", ev.ID), slog.String("error", err.Error()))
		return nil
	}
	if err != nil {
		return err
	}
	if !m.WebhookEnabled() {
		return nil
	}
	if beforeEndpoint(m, ev) {
		s.Log.LogAttrs(ctx, slog.LevelInfo, "webhook event older than the endpoint dropped", slog.String("merchant", m.ID),
			slog.String("link_id", ev.Link.ID), slog.String("event", ev.Type), slog.String("event_id", ev.ID))
		return nil
	}
	d := &store.Delivery{ID: store.DeliveryIDFor(ev.ID), Merchant: m.ID, EventID: ev.ID, EventType: ev.Type,
		LinkID: ev.Link.ID, Sequence: ev.Sequence}
	var created bool
	err = s.put(ctx, b, func(body, customerID string) error {
		d.Body = body
		if customerID == "" {
			created, err = s.Store.PutDelivery(ctx, d, s.Now())
		} else {
			created, err = s.Store.PutDeliveryOf(ctx, d, customerID, s.Now())
		}
		return err
	})
	if err != nil {
		return err
	}
	// Sent even when the delivery existed (this record was seen before and
	// its message may not have gone out): the worker drops duplicates.
	if err := s.Queue.Send(ctx, Message{Merchant: m.ID, DeliveryID: d.ID}, 0); err != nil {
		return err
	}
	s.Log.LogAttrs(ctx, slog.LevelInfo, "webhook queued", slog.String("merchant", m.ID), slog.String("link_id", ev.Link.ID),
		slog.String("event", ev.Type), slog.String("delivery_id", d.ID), slog.Bool("new", created))
	return nil
}

// beforeEndpoint reports an event that happened before the merchant's
// endpoint was set (or changed, or turned back on): it was never meant for
// that endpoint. The stream may hand a record over late (a retried batch,
// `make dev` reading the stream again from its start after a restart), and
// the merchant is read as it is now; the event's own time against
// WebhookSince decides, so the answer is the same whenever the record is
// handled. An event made while no endpoint was configured is never sent,
// and after a change from A to B the events of A's time are not sent to B
// (a delivery keeps no URL: the worker posts to the merchant's endpoint of
// the moment, so the only safe choice for a late record is to drop it;
// deliveries made while A was set were sent to A as they were made). A
// merchant whose endpoint was set before WebhookSince was recorded has
// none and receives every event, as before. An event already made into a
// delivery is never undone: the delivery stays as it was.
func beforeEndpoint(m *merchant.Merchant, ev *Event) bool {
	if m.WebhookSince == "" {
		return false
	}
	since, err := time.Parse(time.RFC3339Nano, m.WebhookSince)
	if err != nil {
		return true // never written so; refuse rather than guess
	}
	return ev.Happened.IsZero() || ev.Happened.Before(since)
}

// errUnrenderable is an event Body cannot render: a bug, logged, skipped.
var errUnrenderable = errors.New("event unrenderable")

// put stores the record's body (b, rendered once) with write: the feed's event
// or the delivery (each keyed by the event: written once).
//
// A body holds the link as sent, with the customer's snapshot (name,
// e-mail), and the image it is made from may be older than an erasure of
// that customer (the record was read before the erasure and handled after
// it, or handed over again later). Erasure is final under every
// interleaving because both sides go through the customer's erasure
// marker, which the erasure writes before anything else
// (store.EraseCustomerLinks):
//   - a body with a customer's data is written only with the customer's id
//     (store.PutDeliveryOf, store.PutFeedEvent): one transaction that
//     checks the marker is absent, puts the item and lists it under the
//     customer. So it commits before the marker exists, and the erasure,
//     which reads that list (strongly consistent) after writing the
//     marker, finds and scrubs it; an item whose write would come after
//     the marker is refused;
//   - refused (ErrCustomerErased), the body is made again with the
//     customer reduced to its id, as the erasure leaves links, deliveries
//     and the feed, and written without the customer's id.
//
// A link whose snapshot is already only the id (or has no customer) needs
// no check. The worker sends the stored body and the feed serves it, never
// a link image, so what leaves after an erasure is what is stored after it.
func (s *Stream) put(_ context.Context, b *bodies, write func(body, customerID string) error) error {
	body, err := b.full()
	if err != nil {
		return err
	}
	c := b.ev.Link.Customer
	if c.ID == "" || c == (domain.Customer{ID: c.ID}) {
		return write(body, "")
	}
	if !b.erased {
		err := write(body, c.ID)
		if !errors.Is(err, store.ErrCustomerErased) {
			return err
		}
		b.erased = true // the delivery after the feed's event goes straight to the scrubbed body
	}
	if body, err = b.scrubbed(); err != nil {
		return err
	}
	return write(body, "")
}

// bodies renders a record's event once for both its writes (the feed's
// event and the delivery): the body as sent, and the body with the
// customer reduced to its id once the customer's erasure is met.
type bodies struct {
	ev           *Event
	baseURL      string
	body, scrub  string
	erased       bool
	rendered, sc bool
}

func (b *bodies) full() (string, error) {
	if !b.rendered {
		raw, err := Body(b.ev, b.baseURL)
		if err != nil {
			return "", fmt.Errorf("%w: %w", errUnrenderable, err)
		}
		b.body, b.rendered = string(raw), true
	}
	return b.body, nil
}

func (b *bodies) scrubbed() (string, error) {
	if !b.sc {
		erased := *b.ev.Link
		erased.Customer = domain.Customer{ID: erased.Customer.ID}
		ev := *b.ev
		ev.Link = &erased
		raw, err := Body(&ev, b.baseURL)
		if err != nil {
			return "", fmt.Errorf("%w: %w", errUnrenderable, err)
		}
		b.scrub, b.sc = string(raw), true
	}
	return b.scrub, nil
}

// FromLambda converts the records of a Lambda DynamoDB stream event.
func FromLambda(ev events.DynamoDBEvent) ([]Record, error) {
	out := make([]Record, 0, len(ev.Records))
	for _, r := range ev.Records {
		oldImg, err := fromLambdaMap(r.Change.OldImage)
		if err != nil {
			return nil, err
		}
		newImg, err := fromLambdaMap(r.Change.NewImage)
		if err != nil {
			return nil, err
		}
		out = append(out, Record{Name: r.EventName, Sequence: r.Change.SequenceNumber, Old: oldImg, New: newImg,
			Written: r.Change.ApproximateCreationDateTime.Time})
	}
	return out, nil
}

// FromStreams converts records read with the DynamoDB Streams API (the
// local stream reader of `make dev` and the tests).
func FromStreams(recs []streamtypes.Record) ([]Record, error) {
	out := make([]Record, 0, len(recs))
	for _, r := range recs {
		if r.Dynamodb == nil {
			continue
		}
		oldImg, err := attributevalue.FromDynamoDBStreamsMap(r.Dynamodb.OldImage)
		if err != nil {
			return nil, fmt.Errorf("old image: %w", err)
		}
		newImg, err := attributevalue.FromDynamoDBStreamsMap(r.Dynamodb.NewImage)
		if err != nil {
			return nil, fmt.Errorf("new image: %w", err)
		}
		seq := ""
		if r.Dynamodb.SequenceNumber != nil {
			seq = *r.Dynamodb.SequenceNumber
		}
		out = append(out, Record{Name: string(r.EventName), Sequence: seq, Old: oldImg, New: newImg,
			Written: aws.ToTime(r.Dynamodb.ApproximateCreationDateTime)})
	}
	return out, nil
}

func fromLambdaMap(m map[string]events.DynamoDBAttributeValue) (map[string]types.AttributeValue, error) {
	if m == nil {
		return nil, nil
	}
	out := make(map[string]types.AttributeValue, len(m))
	for k, v := range m {
		av, err := fromLambda(v)
		if err != nil {
			return nil, fmt.Errorf("attribute %s: %w", k, err)
		}
		out[k] = av
	}
	return out, nil
}

func fromLambda(v events.DynamoDBAttributeValue) (types.AttributeValue, error) {
	switch v.DataType() {
	case events.DataTypeString:
		return &types.AttributeValueMemberS{Value: v.String()}, nil
	case events.DataTypeNumber:
		return &types.AttributeValueMemberN{Value: v.Number()}, nil
	case events.DataTypeBoolean:
		return &types.AttributeValueMemberBOOL{Value: v.Boolean()}, nil
	case events.DataTypeNull:
		return &types.AttributeValueMemberNULL{Value: true}, nil
	case events.DataTypeBinary:
		return &types.AttributeValueMemberB{Value: v.Binary()}, nil
	case events.DataTypeStringSet:
		return &types.AttributeValueMemberSS{Value: v.StringSet()}, nil
	case events.DataTypeNumberSet:
		return &types.AttributeValueMemberNS{Value: v.NumberSet()}, nil
	case events.DataTypeBinarySet:
		return &types.AttributeValueMemberBS{Value: v.BinarySet()}, nil
	case events.DataTypeList:
		var l []types.AttributeValue
		for _, x := range v.List() {
			av, err := fromLambda(x)
			if err != nil {
				return nil, err
			}
			l = append(l, av)
		}
		return &types.AttributeValueMemberL{Value: l}, nil
	case events.DataTypeMap:
		m, err := fromLambdaMap(v.Map())
		if err != nil {
			return nil, err
		}
		return &types.AttributeValueMemberM{Value: m}, nil
	}
	return nil, fmt.Errorf("unknown attribute type %d", v.DataType())
}
