package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

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

// AuditEntry is one change (docs/api.md, audit log).
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
func (s *Core) AuditPut(m string, e AuditEntry) (types.TransactWriteItem, error) {
	av, err := attributevalue.MarshalMap(auditItem{PK: auditPK(m, shard(e.ID, AuditShards)), SK: e.ID, Type: "audit",
		TTL: e.At.Add(AuditRetention).Unix(), ActorID: e.Actor.ID, BeforeJSON: string(e.Before), AfterJSON: string(e.After), AuditEntry: e})
	if err != nil {
		return types.TransactWriteItem{}, fmt.Errorf("marshal audit entry: %w", err)
	}
	return types.TransactWriteItem{Put: &types.Put{TableName: s.tbl(), Item: av}}, nil
}

// AppendAudit records an entry on its own (a change that is one call of
// another service, such as an invitation).
func (s *Audit) AppendAudit(ctx context.Context, m string, e AuditEntry) error {
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

// ListAudit returns entries newest first and the cursor of the next page
// ("" at the end): the merchant's audit shards merged as the listings are
// (mergeShards, on the table's own keys), filtered by actor and resource.
func (s *Audit) ListAudit(ctx context.Context, q AuditQuery) ([]AuditEntry, string, error) {
	r := shardRead{base: true, from: "au_", to: "au_~", want: q.Limit + 1, values: map[string]types.AttributeValue{}}
	if q.Cursor != "" {
		pos, err := decodeCursor(q.Cursor, q.Merchant, "audit", validAuditID)
		if err != nil {
			return nil, "", err
		}
		r.below, r.to = pos, pos
	}
	var filters []string
	if q.Actor != "" {
		filters = append(filters, "actor_id = :actor")
		r.values[":actor"] = sv(q.Actor)
	}
	if q.Resource != "" {
		filters = append(filters, "#res = :res")
		r.names = map[string]string{"#res": "resource"}
		r.values[":res"] = sv(q.Resource)
	}
	r.filter = strings.Join(filters, " AND ")
	for sh := 0; sh < AuditShards; sh++ {
		r.pks = append(r.pks, auditPK(q.Merchant, sh))
	}
	entries, frontier, err := s.mergeShards(ctx, r)
	if err != nil {
		return nil, "", fmt.Errorf("audit log of %s: %w", q.Merchant, err)
	}
	entries, next := pageOf(entries, frontier, q.Limit, q.Merchant, "audit")
	out := make([]AuditEntry, len(entries))
	for i, e := range entries {
		var it auditItem
		if err := attributevalue.UnmarshalMap(e.item, &it); err != nil {
			return nil, "", fmt.Errorf("unmarshal audit entry: %w", err)
		}
		out[i] = it.AuditEntry
		if it.BeforeJSON != "" {
			out[i].Before = json.RawMessage(it.BeforeJSON)
		}
		if it.AfterJSON != "" {
			out[i].After = json.RawMessage(it.AfterJSON)
		}
	}
	return out, next, nil
}

func validAuditID(id string) bool { return strings.HasPrefix(id, "au_") && len(id) <= 40 }

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
func (s *Core) actorAudit(ctx context.Context, m string, at time.Time, action, resource string, before, after any) (types.TransactWriteItem, bool, error) {
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
func (s *Core) eventAudit(ctx context.Context, m string, ev domain.Event) (types.TransactWriteItem, bool, error) {
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
