package store_test

import (
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/store"
	"github.com/paylinks/paylinks/shared/testkit/testenv"
)

var (
	keyActor    = domain.Actor{Type: domain.ActorAPIKey, ID: "key_00aa11bb22cc33dd", Name: "erp", IP: "203.0.113.7", UserAgent: "erp/2.1"}
	memberActor = domain.Actor{Type: domain.ActorMember, ID: "mem_01M80000000000000000000000", Name: "ana@shop.example", IP: "198.51.100.4", UserAgent: "Firefox"}
)

// scanType reads every item of a type in the test's table.
func scanType(t *testing.T, env *testenv.Env, typ string) []map[string]types.AttributeValue {
	t.Helper()
	var out []map[string]types.AttributeValue
	p := dynamodb.NewScanPaginator(env.DB, &dynamodb.ScanInput{TableName: aws.String(env.Table), ConsistentRead: aws.Bool(true),
		FilterExpression: aws.String("#t = :t"), ExpressionAttributeNames: map[string]string{"#t": "type"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":t": &types.AttributeValueMemberS{Value: typ}}})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, page.Items...)
	}
	return out
}

// TestAuditPagesAcrossShards: 230 entries by two actors on two resources,
// read 37 at a time across the shards: newest first, no gap, no duplicate;
// the filters by actor and by resource page the same way; every entry
// lives at least 400 days.
func TestAuditPagesAcrossShards(t *testing.T) {
	env := testenv.New(t)
	start := time.Now().UTC().Add(-time.Hour)
	var all, byMember, onLink []string
	for i := 0; i < 230; i++ {
		a, res := keyActor, "pl_one"
		if i%3 == 0 {
			a = memberActor
		}
		if i%5 == 0 {
			res = "pl_two"
		}
		e := store.NewAuditEntry(domain.WithActor(ctx, a), start.Add(time.Duration(i)*time.Second), "payment_link.updated", res, nil, map[string]int{"i": i})
		if err := env.Store.AppendAudit(ctx, "shop", e); err != nil {
			t.Fatal(err)
		}
		all = append([]string{e.ID}, all...)
		if a.ID == memberActor.ID {
			byMember = append([]string{e.ID}, byMember...)
		}
		if res == "pl_two" {
			onLink = append([]string{e.ID}, onLink...)
		}
	}
	// Another merchant's entries never show.
	if err := env.Store.AppendAudit(ctx, "other", store.NewAuditEntry(domain.WithActor(ctx, keyActor), start, "settings.updated", "other", nil, nil)); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		q    store.AuditQuery
		want []string
	}{
		{"all", store.AuditQuery{Merchant: "shop", Limit: 37}, all},
		{"actor", store.AuditQuery{Merchant: "shop", Limit: 37, Actor: memberActor.ID}, byMember},
		{"resource", store.AuditQuery{Merchant: "shop", Limit: 37, Resource: "pl_two"}, onLink},
		{"both", store.AuditQuery{Merchant: "shop", Limit: 7, Actor: memberActor.ID, Resource: "pl_two"}, intersect(byMember, onLink)},
	} {
		got := readAudit(t, env, c.q)
		if strings.Join(got, ",") != strings.Join(c.want, ",") {
			t.Errorf("%s: %d entries, want %d (order or gap)", c.name, len(got), len(c.want))
		}
	}
	if _, _, err := env.Store.ListAudit(ctx, store.AuditQuery{Merchant: "other", Limit: 5, Cursor: firstCursor(t, env)}); err != domain.ErrBadCursor {
		t.Fatalf("another merchant's cursor: %v", err)
	}
	items := scanType(t, env, "audit")
	if len(items) != 231 {
		t.Fatalf("%d audit items", len(items))
	}
	for _, it := range items {
		var e struct {
			TTL int64     `dynamodbav:"ttl"`
			At  time.Time `dynamodbav:"at"`
		}
		if err := attributevalue.UnmarshalMap(it, &e); err != nil {
			t.Fatal(err)
		}
		if e.TTL < e.At.Add(400*24*time.Hour).Unix() || e.TTL < time.Now().Add(399*24*time.Hour).Unix() {
			t.Fatalf("ttl %d for an entry at %s: under 400 days", e.TTL, e.At)
		}
	}
}

func firstCursor(t *testing.T, env *testenv.Env) string {
	t.Helper()
	_, next, err := env.Store.ListAudit(ctx, store.AuditQuery{Merchant: "shop", Limit: 5})
	if err != nil || next == "" {
		t.Fatalf("first page: %q %v", next, err)
	}
	return next
}

func readAudit(t *testing.T, env *testenv.Env, q store.AuditQuery) []string {
	t.Helper()
	var ids []string
	for pages := 0; pages < 100; pages++ {
		es, next, err := env.Store.ListAudit(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		if len(es) > q.Limit {
			t.Fatalf("page of %d over limit %d", len(es), q.Limit)
		}
		for _, e := range es {
			ids = append(ids, e.ID)
		}
		if next == "" {
			return ids
		}
		q.Cursor = next
	}
	t.Fatal("no end after 100 pages")
	return nil
}

func intersect(a, b []string) []string {
	in := map[string]bool{}
	for _, x := range b {
		in[x] = true
	}
	var out []string
	for _, x := range a {
		if in[x] {
			out = append(out, x)
		}
	}
	return out
}

// TestLinkChangesAudited: a link created and archived by an actor writes
// each change's audit entry in the change's own transaction (one round
// trip each); the timeline events carry the actor without IP or user
// agent; what paylinks does itself (a payment) is by system and not in the
// audit log; an event stored before actors were recorded reads as system.
func TestLinkChangesAudited(t *testing.T) {
	env := testenv.New(t)
	now := time.Now().UTC()
	l, ev := newLink(t, "shop", "INV-9", now)
	actx := domain.WithActor(ctx, keyActor)
	env.Count.Reset()
	if err := env.Store.CreateLink(actx, store.NewLink{Link: l, Event: ev}); err != nil {
		t.Fatal(err)
	}
	if got := env.Count.Snapshot(); got["TransactWriteItems"] != 1 || env.Count.Total() != 1 {
		t.Fatalf("create with its audit entry: %v", got)
	}
	cur, err := env.Store.Get(ctx, "shop", l.ID)
	if err != nil {
		t.Fatal(err)
	}
	paid := *cur
	paid.Status = domain.StatusPaid
	if err := env.Store.Transition(ctx, cur, &paid, domain.NewEvent(l.ID, domain.EventPaid, cur.Status, domain.StatusPaid, now.Add(time.Second), nil)); err != nil {
		t.Fatal(err)
	}
	archived := paid
	archived.Archived = true
	env.Count.Reset()
	if err := env.Store.Transition(actx, &paid, &archived, domain.NewEvent(l.ID, domain.EventArchived, "", "", now.Add(2*time.Second), nil)); err != nil {
		t.Fatal(err)
	}
	if got := env.Count.Snapshot(); got["TransactWriteItems"] != 1 || env.Count.Total() != 1 {
		t.Fatalf("archive with its audit entry: %v", got)
	}
	putOldEvent(t, env, l.ID)
	eventActors(t, env, l.ID)
	es, _, err := env.Store.ListAudit(ctx, store.AuditQuery{Merchant: "shop", Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != 2 || es[0].Action != domain.EventArchived || es[1].Action != domain.EventCreated ||
		es[0].Resource != l.ID || es[0].Actor != keyActor.Public() || es[0].IP != keyActor.IP || es[0].UserAgent != keyActor.UserAgent {
		t.Fatalf("audit of the link: %+v", es)
	}
}

// putOldEvent stores an event as written before actors were recorded: no
// actor attribute.
func putOldEvent(t *testing.T, env *testenv.Env, linkID string) {
	t.Helper()
	old := map[string]types.AttributeValue{}
	for k, v := range map[string]string{"PK": "M#shop#L#" + linkID, "SK": "E#ev_00000000000000000000000000", "type": "event",
		"id": "ev_00000000000000000000000000", "link_id": linkID, "event": "message.sent", "at": "2020-01-01T00:00:00.000Z"} {
		old[k] = &types.AttributeValueMemberS{Value: v}
	}
	if _, err := env.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(env.Table), Item: old}); err != nil {
		t.Fatal(err)
	}
}

// eventActors: the key's changes by the key (no IP or user agent kept), the
// payment and the old event by system.
func eventActors(t *testing.T, env *testenv.Env, linkID string) {
	t.Helper()
	evs, err := env.Store.Events(ctx, "shop", linkID)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]domain.Actor{domain.EventCreated: keyActor.Public(), domain.EventPaid: domain.System,
		domain.EventArchived: keyActor.Public(), "message.sent": domain.System}
	for _, e := range evs {
		if e.Actor != want[e.Type] {
			t.Errorf("%s by %+v, want %+v", e.Type, e.Actor, want[e.Type])
		}
	}
	if len(evs) != 4 {
		t.Fatalf("%d events", len(evs))
	}
	for _, it := range scanType(t, env, "event") {
		if a, ok := it["actor"].(*types.AttributeValueMemberM); ok && (a.Value["ip"] != nil || a.Value["user_agent"] != nil) {
			t.Fatalf("an event keeps where its actor came from: %v", a.Value)
		}
	}
}

// TestUseKeyHourly: a key's use is recorded on its first use, not again
// within the hour (no write at all), then again after it; a revoked key is
// not brought back.
func TestUseKeyHourly(t *testing.T) {
	env := testenv.New(t)
	secret := env.Merchant(t, "shop")
	now := time.Now().UTC().Truncate(time.Second)
	uses := []struct {
		at     time.Time
		writes int
		last   time.Time
	}{
		{now, 1, now},
		{now.Add(10 * time.Minute), 0, now},
		{now.Add(59 * time.Minute), 0, now},
		{now.Add(61 * time.Minute), 1, now.Add(61 * time.Minute)},
	}
	for i, u := range uses {
		env.Count.Reset()
		k, err := env.Store.UseKey(ctx, secret, u.at)
		if err != nil {
			t.Fatal(err)
		}
		if got := env.Count.Snapshot()["TransactWriteItems"]; got != u.writes {
			t.Fatalf("use %d: %d writes, want %d", i, got, u.writes)
		}
		keys, err := env.Store.ListKeys(ctx, "shop")
		if err != nil || len(keys) != 1 {
			t.Fatalf("keys %v %v", keys, err)
		}
		want := u.last.Format(time.RFC3339)
		if keys[0].LastUsed != want || k.LastUsed != want {
			t.Fatalf("use %d: listed %q, looked up %q, want %q", i, keys[0].LastUsed, k.LastUsed, want)
		}
	}
	keys, _ := env.Store.ListKeys(ctx, "shop")
	if err := env.Store.DeleteKey(ctx, "shop", keys[0].ID()); err != nil {
		t.Fatal(err)
	}
	if _, err := env.Store.UseKey(ctx, secret, now.Add(3*time.Hour)); err != domain.ErrNotFound {
		t.Fatalf("revoked key: %v", err)
	}
	if n := len(scanType(t, env, "apikey")) + len(scanType(t, env, "apikey_ref")); n != 0 {
		t.Fatalf("a revoked key's items came back: %d", n)
	}
}
