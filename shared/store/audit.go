package store

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"golang.org/x/sync/errgroup"

	"github.com/paylinks/paylinks/shared/domain"
)

// The audit log: who changed what. Entries are write-sharded per merchant
// (M#<m>#AUDIT#<shard>, by the entry's id) with the entry's id (a ULID:
// time order) as sort key; a page reads every shard newest first and
// merges. The table's TTL drops an entry after AuditRetention.

// AuditShards is the number of write shards of a merchant's audit log.
const AuditShards = 8

// AuditRetention is how long an entry is kept (at least 400 days).
const AuditRetention = 400 * 24 * time.Hour

func auditPK(m string, s int) string { return fmt.Sprintf("%s#AUDIT#%d", tenant(m), s) }

// AuditEntry is one change (API.md, audit log).
type AuditEntry struct {
	ID        string          `json:"id" dynamodbav:"id"`
	At        time.Time       `json:"at" dynamodbav:"at"`
	Actor     domain.Actor    `json:"actor" dynamodbav:"actor"`
	IP        string          `json:"ip" dynamodbav:"ip"`
	UserAgent string          `json:"user_agent" dynamodbav:"user_agent"`
	Action    string          `json:"action" dynamodbav:"action"`
	Resource  string          `json:"resource" dynamodbav:"resource"`
	Before    json.RawMessage `json:"before,omitempty" dynamodbav:"-"`
	After     json.RawMessage `json:"after,omitempty" dynamodbav:"-"`
}

type auditItem struct {
	PK      string `dynamodbav:"PK"`
	SK      string `dynamodbav:"SK"`
	Type    string `dynamodbav:"type"`
	TTL     int64  `dynamodbav:"ttl"`
	ActorID string `dynamodbav:"actor_id"`
	// BeforeJSON and AfterJSON are Before and After as JSON text (readable
	// in the table, unlike binary).
	BeforeJSON string `dynamodbav:"before,omitempty"`
	AfterJSON  string `dynamodbav:"after,omitempty"`
	AuditEntry
}

// AuditPut is the write of an entry, to join a transaction (the change and
// its record land together or not at all).
func (s *Store) AuditPut(m string, e AuditEntry) (types.TransactWriteItem, error) {
	av, err := attributevalue.MarshalMap(auditItem{PK: auditPK(m, shard(e.ID, AuditShards)), SK: e.ID, Type: "audit",
		TTL: e.At.Add(AuditRetention).Unix(), ActorID: e.Actor.ID, BeforeJSON: string(e.Before), AfterJSON: string(e.After), AuditEntry: e})
	if err != nil {
		return types.TransactWriteItem{}, fmt.Errorf("marshal audit entry: %w", err)
	}
	return types.TransactWriteItem{Put: &types.Put{TableName: s.tbl(), Item: av}}, nil
}

// AppendAudit records an entry on its own (a change that is one call of
// another service, such as an invitation).
func (s *Store) AppendAudit(ctx context.Context, m string, e AuditEntry) error {
	put, err := s.AuditPut(m, e)
	if err != nil {
		return err
	}
	if _, err := s.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: s.tbl(), Item: put.Put.Item}); err != nil {
		return fmt.Errorf("append audit entry: %w", err)
	}
	return nil
}

// AuditQuery is a page of a merchant's audit log.
type AuditQuery struct {
	Merchant string
	Actor    string // an actor's id
	Resource string // a resource's id
	Limit    int
	Cursor   string
}

// maxAuditRounds bounds the reads of one page when filters are sparse: the
// caller gets a cursor to carry on.
const maxAuditRounds = 8

// ListAudit returns entries newest first and the cursor of the next page
// ("" at the end).
func (s *Store) ListAudit(ctx context.Context, q AuditQuery) ([]AuditEntry, string, error) {
	before, err := decodeAuditCursor(q.Cursor, q.Merchant)
	if err != nil {
		return nil, "", err
	}
	out := []AuditEntry{}
	for round := 0; round < maxAuditRounds; round++ {
		page, more, err := s.auditRound(ctx, q, before)
		if err != nil {
			return nil, "", err
		}
		for _, e := range page.entries {
			if len(out) == q.Limit {
				return out, encodeAuditCursor(q.Merchant, out[len(out)-1].ID), nil
			}
			out = append(out, e)
		}
		if !more {
			return out, "", nil
		}
		before = page.last
	}
	if len(out) == 0 {
		return out, "", nil
	}
	return out, encodeAuditCursor(q.Merchant, before), nil
}

type auditPage struct {
	entries []AuditEntry
	last    string // the oldest id this round read in every shard
}

// auditRound reads up to Limit+1 entries older than before from each
// shard and returns, merged newest first, those no unread entry may
// precede: a shard that has more has read everything newer than where it
// stopped, so entries at or above the newest of those stops are final.
func (s *Store) auditRound(ctx context.Context, q AuditQuery, before string) (auditPage, bool, error) {
	per := make([][]AuditEntry, AuditShards)
	stops := make([]string, AuditShards)
	g, gctx := errgroup.WithContext(ctx)
	for i := 0; i < AuditShards; i++ {
		g.Go(func() error {
			es, stop, err := s.auditShard(gctx, q, i, before)
			per[i], stops[i] = es, stop
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return auditPage{}, false, err
	}
	frontier := ""
	for _, stop := range stops {
		if stop > frontier {
			frontier = stop
		}
	}
	var all []AuditEntry
	for _, es := range per {
		for _, e := range es {
			if e.ID >= frontier {
				all = append(all, e)
			}
		}
	}
	sort.Slice(all, func(i, j int) bool { return all[i].ID > all[j].ID })
	return auditPage{entries: all, last: frontier}, frontier != "", nil
}

// auditShard reads one shard's entries older than before (newest first),
// filtered; stop is where it stopped when the shard has older ones ("" when
// it read to the end).
func (s *Store) auditShard(ctx context.Context, q AuditQuery, i int, before string) (es []AuditEntry, stop string, err error) {
	in := &dynamodb.QueryInput{TableName: s.tbl(), ScanIndexForward: aws.Bool(false), Limit: aws.Int32(int32(q.Limit + 1)),
		KeyConditionExpression:    aws.String("PK = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": sv(auditPK(q.Merchant, i))}}
	if before != "" {
		in.KeyConditionExpression = aws.String("PK = :pk AND SK < :before")
		in.ExpressionAttributeValues[":before"] = sv(before)
	}
	var filters []string
	if q.Actor != "" {
		filters = append(filters, "actor_id = :actor")
		in.ExpressionAttributeValues[":actor"] = sv(q.Actor)
	}
	if q.Resource != "" {
		filters = append(filters, "#res = :res")
		in.ExpressionAttributeNames = map[string]string{"#res": "resource"}
		in.ExpressionAttributeValues[":res"] = sv(q.Resource)
	}
	if len(filters) > 0 {
		in.FilterExpression = aws.String(strings.Join(filters, " AND "))
	}
	out, err := s.DB.Query(ctx, in)
	if err != nil {
		return nil, "", fmt.Errorf("query audit log: %w", err)
	}
	var items []auditItem
	if err := attributevalue.UnmarshalListOfMaps(out.Items, &items); err != nil {
		return nil, "", fmt.Errorf("unmarshal audit entries: %w", err)
	}
	es = make([]AuditEntry, len(items))
	for j, it := range items {
		es[j] = it.AuditEntry
		if it.BeforeJSON != "" {
			es[j].Before = json.RawMessage(it.BeforeJSON)
		}
		if it.AfterJSON != "" {
			es[j].After = json.RawMessage(it.AfterJSON)
		}
	}
	if out.LastEvaluatedKey != nil {
		var k struct{ SK string }
		if err := attributevalue.UnmarshalMap(out.LastEvaluatedKey, &k); err != nil {
			return nil, "", fmt.Errorf("unmarshal audit position: %w", err)
		}
		stop = k.SK
	}
	return es, stop, nil
}

type auditCursor struct {
	V  int    `json:"v"`
	M  string `json:"m"`
	ID string `json:"id"`
}

func encodeAuditCursor(m, id string) string {
	b, _ := json.Marshal(auditCursor{V: 1, M: m, ID: id})
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeAuditCursor(c, m string) (string, error) {
	if c == "" {
		return "", nil
	}
	b, err := base64.RawURLEncoding.DecodeString(c)
	var cur auditCursor
	if err != nil || json.Unmarshal(b, &cur) != nil || cur.V != 1 || cur.M != m || !strings.HasPrefix(cur.ID, "au_") {
		return "", domain.ErrBadCursor
	}
	return cur.ID, nil
}

// NewAuditEntry is the record of a change by the actor of ctx at a time;
// before and after are marshalled as JSON (nil: left out).
func NewAuditEntry(ctx context.Context, at time.Time, action, resource string, before, after any) AuditEntry {
	actor := domain.ActorOf(ctx)
	e := AuditEntry{ID: domain.NewSeqID("au_", at), At: at.UTC(), Actor: actor, IP: actor.IP, UserAgent: actor.UserAgent,
		Action: action, Resource: resource}
	e.Actor.IP, e.Actor.UserAgent = "", ""
	if before != nil {
		e.Before, _ = json.Marshal(before)
	}
	if after != nil {
		e.After, _ = json.Marshal(after)
	}
	return e
}

// stampActor gives ev the actor of ctx when it has none (System when nobody
// acts in ctx: a webhook, the sweep, a click); the event keeps neither IP
// nor user agent.
func stampActor(ctx context.Context, ev *domain.Event) {
	if ev.Actor.Type == "" {
		ev.Actor = domain.ActorOf(ctx)
	}
	ev.Actor = ev.Actor.Public()
}

// actorAudit is the audit entry of a change by the actor of ctx, to join
// the change's transaction: none (ok false) when paylinks itself acts.
func (s *Store) actorAudit(ctx context.Context, m string, at time.Time, action, resource string, before, after any) (types.TransactWriteItem, bool, error) {
	if !domain.ActorOf(ctx).Acts() {
		return types.TransactWriteItem{}, false, nil
	}
	put, err := s.AuditPut(m, NewAuditEntry(ctx, at, action, resource, before, after))
	return put, err == nil, err
}

// auditActions names the audit action of the timeline events whose type
// says less to a reader of the log; any other event's action is its type.
var auditActions = map[string]string{"message.queued": "payment_link.sent"}

// eventAudit is actorAudit for a timeline event: the action is the event's
// type (or its auditActions name; payment_link.duplicated for a link
// created as another's duplicate), the resource its link, and after what
// the event records.
func (s *Store) eventAudit(ctx context.Context, m string, ev domain.Event) (types.TransactWriteItem, bool, error) {
	var after any
	if len(ev.Data) > 0 {
		after = ev.Data
	}
	action := ev.Type
	if a, ok := auditActions[action]; ok {
		action = a
	}
	if ev.Type == domain.EventCreated && ev.Data[domain.DataDuplicatedFrom] != "" {
		action = domain.ActionDuplicated
	}
	return s.actorAudit(ctx, m, ev.At, action, ev.LinkID, nil, after)
}
