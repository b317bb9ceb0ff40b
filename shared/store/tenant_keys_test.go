package store_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/links"
	"github.com/paylinks/paylinks/shared/merchant"
	"github.com/paylinks/paylinks/shared/money"
	"github.com/paylinks/paylinks/shared/spec"
	"github.com/paylinks/paylinks/shared/store"
	"github.com/paylinks/paylinks/shared/testkit/testenv"
)

// smallWorkload writes one of everything the store keeps for merchant m:
// links (with reference, idempotency answer, reminder), clicks, a payment,
// a decline, a review payment, a refund, a send, a delivery, an import with
// a created and a failed row, the merchant and an API key.
func smallWorkload(t *testing.T, env *testenv.Env, m string, now time.Time) {
	t.Helper()
	env.Merchant(t, m)
	l, ev := newLink(t, m, "REF-"+m, now)
	at := now.Add(24 * time.Hour)
	l.ReminderAt, l.ReminderChannel = &at, "email"
	if _, err := env.Store.ReserveIdempotency(ctx, m, "idem-1", "h", now); err != nil {
		t.Fatal(err)
	}
	done := &store.IdempotencyDone{Merchant: m, Key: "idem-1", Answer: store.Stored{Status: 201, Body: []byte("{}"), Type: "application/json"}}
	if err := env.Store.CreateLink(ctx, store.NewLink{Link: l, Event: ev, Done: done}); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		if _, _, err := links.Click(ctx, env.Store, l.Code, now.Add(time.Duration(i)*time.Second)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := env.Store.RecordWebhook(ctx, m, "sandbox", domain.PaymentEvent{ID: "evt_1", Kind: domain.PaymentSucceeded, LinkID: l.ID}, now); err != nil {
		t.Fatal(err)
	}
	if err := env.Store.MarkEnqueued(ctx, m, "sandbox", "evt_1"); err != nil {
		t.Fatal(err)
	}
	paidWith := l.Amount
	if r, err := links.ApplyPayment(ctx, env.Store, m, "sandbox", domain.PaymentEvent{ID: "evt_1", Kind: domain.PaymentSucceeded, LinkID: l.ID, PaymentRef: "pay_1", Amount: &paidWith, At: now}, now); err != nil || r != links.AppliedChange {
		t.Fatalf("apply: %v %v", r, err)
	}
	if r, err := links.ApplyPayment(ctx, env.Store, m, "sandbox", domain.PaymentEvent{ID: "evt_2", Kind: domain.PaymentSucceeded, LinkID: l.ID, PaymentRef: "pay_2", Amount: &paidWith, At: now}, now); err != nil || r != links.AppliedReview {
		t.Fatalf("second payment: %v %v", r, err)
	}
	paid, err := env.Store.Get(ctx, m, l.ID)
	if err != nil {
		t.Fatal(err)
	}
	ref := &store.Refund{ID: domain.NewID(domain.PrefixRefund, now), Amount: money.MustParse("EUR", "10.00"), PSP: "sandbox"}
	if err := env.Store.CreateRefund(ctx, paid, ref, now); err != nil {
		t.Fatal(err)
	}
	if _, err := env.Store.ClaimSend(ctx, m, l.ID, "snd_1", now, time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := env.Store.FinishSend(ctx, m, l.ID, "snd_1", "sent", domain.NewEvent(l.ID, "message.sent", "", "", now, nil)); err != nil {
		t.Fatal(err)
	}
	evID := domain.NewID(domain.PrefixEvent, now)
	if ok, err := env.Store.PutDelivery(ctx, &store.Delivery{ID: store.DeliveryIDFor(evID), Merchant: m, EventID: evID, EventType: "payment_link.paid", LinkID: l.ID, Body: "{}"}, now); !ok || err != nil {
		t.Fatalf("delivery: %v %v", ok, err)
	}
	imp := &store.Import{ID: domain.NewID(domain.PrefixImport, now), Merchant: m, RowsTotal: 2, CreatedAt: ft(now)}
	if err := env.Store.CreateImport(ctx, imp); err != nil {
		t.Fatal(err)
	}
	row, rowEv := newLink(t, m, "", now)
	if err := env.Store.CreateLink(ctx, store.NewLink{Link: row, Event: rowEv, Row: &store.ImportRow{Merchant: m, ImportID: imp.ID, Row: 1}}); err != nil {
		t.Fatal(err)
	}
	if err := env.Store.FailImportRow(ctx, store.ImportRow{Merchant: m, ImportID: imp.ID, Row: 2}, "amount", "bad"); err != nil {
		t.Fatal(err)
	}
}

func ft(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// TestEveryKeyTenantFirst: every item two merchants' workloads write has a
// partition key of its own merchant (M#<m>#..., or M#<m> for the merchant
// and its key references), or is a system item (APIKEY#, SWEEP, META, the
// operators' register OPERATOR, a person's memberships PERSON#, a dashboard
// session SESSION#); every
// listing index key begins with M#<m>#; no code marker is written.
func TestEveryKeyTenantFirst(t *testing.T) {
	env := testenv.New(t)
	now := time.Now().UTC()
	smallWorkload(t, env, "shop-a", now)
	smallWorkload(t, env, "shop-b", now)
	// A merchant the operators made: its register entry is a system item.
	if err := env.Store.CreateMerchant(ctx, &merchant.Merchant{ID: "shop-a-ops", Name: "Ops", Version: 1}, now); err != nil {
		t.Fatal(err)
	}
	p := dynamodb.NewScanPaginator(env.DB, &dynamodb.ScanInput{TableName: aws.String(env.Table)})
	n := 0
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, av := range page.Items {
			var it struct{ PK, SK, GSI1PK, Type, Merchant string }
			if err := attributevalue.UnmarshalMap(av, &it); err != nil {
				t.Fatal(err)
			}
			it.Merchant = tenantOf(it.PK)
			n++
			if !tenantFirst(it.PK, it.SK) {
				t.Errorf("item %s / %s (%s) is not under its merchant", it.PK, it.SK, it.Type)
			}
			if it.GSI1PK != "" && !strings.HasPrefix(it.GSI1PK, "M#"+it.Merchant+"#") {
				t.Errorf("item %s / %s lists under %s", it.PK, it.SK, it.GSI1PK)
			}
		}
	}
	if n < 30 {
		t.Fatalf("only %d items written", n)
	}
}

// tenantOf is the merchant a partition key names ("" for system items).
func tenantOf(pk string) string {
	if !strings.HasPrefix(pk, "M#") {
		return ""
	}
	rest := pk[2:]
	if i := strings.IndexByte(rest, '#'); i >= 0 {
		return rest[:i]
	}
	return rest
}

func tenantFirst(pk, sk string) bool {
	m := tenantOf(pk)
	switch {
	case m == "shop-a" || m == "shop-b" || m == "shop-a-ops":
		if pk == "M#"+m {
			return sk == "MERCHANT" || strings.HasPrefix(sk, "KEY#")
		}
		return strings.HasPrefix(pk, "M#"+m+"#")
	case strings.HasPrefix(pk, "APIKEY#"), pk == "SWEEP", pk == "META":
		return true
	case pk == "OPERATOR": // the operators' register of merchants
		return strings.HasPrefix(sk, "MERCHANT#")
	case strings.HasPrefix(pk, "PERSON#"): // a person's memberships, one per merchant
		return strings.HasPrefix(sk, "M#") && !strings.Contains(sk[2:], "#")
	case strings.HasPrefix(pk, "SESSION#"): // a dashboard session
		return sk == "SESSION"
	}
	return false
}

// TestLayoutVersion: a new table carries the code's layout; a table stamped
// with another layout is refused at cold start, and so is re-creating it.
func TestLayoutVersion(t *testing.T) {
	env := testenv.New(t)
	if store.Layout != spec.Table.Layout {
		t.Fatalf("store layout %d, spec %d", store.Layout, spec.Table.Layout)
	}
	out, err := env.DB.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(env.Table), Key: key("META", "LAYOUT"), ConsistentRead: aws.Bool(true)})
	if err != nil || out.Item == nil {
		t.Fatalf("no layout item: %v", err)
	}
	var meta struct {
		Version int    `dynamodbav:"version"`
		Since   string `dynamodbav:"since"`
	}
	if err := attributevalue.UnmarshalMap(out.Item, &meta); err != nil || meta.Version != store.Layout || meta.Since == "" {
		t.Fatalf("layout item %+v %v", meta, err)
	}
	if err := env.Store.EnsureLayout(ctx); err != nil {
		t.Fatalf("same layout: %v", err)
	}
	// A table without the item (made before it existed) is stamped once.
	if _, err := env.DB.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(env.Table), Key: key("META", "LAYOUT")}); err != nil {
		t.Fatal(err)
	}
	if err := env.Store.EnsureLayout(ctx); err != nil {
		t.Fatalf("unstamped table: %v", err)
	}
	// A v1 table is refused, by EnsureLayout and by CreateTable.
	if _, err := env.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(env.Table), Key: key("META", "LAYOUT"),
		UpdateExpression: aws.String("SET version = :v"), ExpressionAttributeValues: map[string]types.AttributeValue{":v": &types.AttributeValueMemberN{Value: "1"}}}); err != nil {
		t.Fatal(err)
	}
	err = env.Store.EnsureLayout(ctx)
	if !errors.Is(err, store.ErrLayout) || !strings.Contains(err.Error(), "layout v1, code expects v2") {
		t.Fatalf("v1 table: %v", err)
	}
	if err := store.CreateTableNoStream(ctx, env.DB, env.Table); !errors.Is(err, store.ErrLayout) {
		t.Fatalf("create over a v1 table: %v", err)
	}
}

func key(pk, sk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{"PK": &types.AttributeValueMemberS{Value: pk}, "SK": &types.AttributeValueMemberS{Value: sk}}
}

// TestDeleteRemovesThePartition: deleting a never-opened link removes its
// whole partition (link, events, reminder, send claims) and its reference
// marker, so the reference is free again.
func TestDeleteRemovesThePartition(t *testing.T) {
	env := testenv.New(t)
	now := time.Now().UTC()
	l, ev := newLink(t, "m1", "ORDER-DEL", now)
	at := now.Add(time.Hour)
	l.ReminderAt, l.ReminderChannel = &at, "email"
	if err := env.Store.CreateLink(ctx, store.NewLink{Link: l, Event: ev}); err != nil {
		t.Fatal(err)
	}
	if _, err := env.Store.ClaimSend(ctx, "m1", l.ID, "snd_1", now, time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := env.Store.AddEvent(ctx, "m1", domain.NewEvent(l.ID, "message.queued", "", "", now, nil)); err != nil {
		t.Fatal(err)
	}
	partition := func() int {
		out, err := env.DB.Query(ctx, &dynamodb.QueryInput{TableName: aws.String(env.Table), KeyConditionExpression: aws.String("PK = :pk"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":pk": store.LinkKey("m1", l.ID)["PK"]}, ConsistentRead: aws.Bool(true)})
		if err != nil {
			t.Fatal(err)
		}
		return int(out.Count)
	}
	if n := partition(); n != 5 { // link, 2 events, reminder, send claim
		t.Fatalf("%d items in the link's partition, want 5", n)
	}
	if err := env.Store.Delete(ctx, l); err != nil {
		t.Fatal(err)
	}
	if n := partition(); n != 0 {
		t.Fatalf("%d items left in the link's partition", n)
	}
	again, evAgain := newLink(t, "m1", "ORDER-DEL", now)
	if err := env.Store.CreateLink(ctx, store.NewLink{Link: again, Event: evAgain}); err != nil {
		t.Fatalf("the reference is still taken: %v", err)
	}
}
