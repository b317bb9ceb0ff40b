package store

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/paylinks/paylinks/shared/bank/reference"
	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/seal"
)

// Core is the single table: the client, the table's name, and the
// helpers every aggregate's part shares.
type Core struct {
	DB    *dynamodb.Client
	Table string
	// Sealer seals merchants' secrets before they are written and opens
	// them when read; a store without one refuses to write or read them.
	Sealer seal.Sealer
}

// The table's parts, one per aggregate, each over the same Core.
type (
	// Links is a link's item, its timeline, sends, reminder, listing and expiry.
	Links struct{ *Core }
	// Customers is the merchants' customers, their import and erasure.
	Customers struct{ *Core }
	// People is the people of the dashboard: persons, memberships,
	// sessions, sign-in throttling.
	People struct{ *Core }
	// Merchants is a merchant's settings, API keys and the operators' view.
	Merchants struct{ *Core }
	// Deliveries is the outbound webhook deliveries and their attempts.
	Deliveries struct{ *Core }
	// Payments is PSP events, payments kept for review, and refunds.
	Payments struct{ *Core }
	// Audit is the merchant's audit log.
	Audit struct{ *Core }
	// Imports is the CSV imports and their rows.
	Imports struct{ *Core }
	// Requests is the API's idempotency records.
	Requests struct{ *Core }
)

// Store is the table with every part: the parts' methods are promoted, so
// a function composed with the store hands each consumer the part (or the
// small interface) it uses.
type Store struct {
	*Core
	*Links
	*Customers
	*People
	*Merchants
	*Deliveries
	*Payments
	*Audit
	*Imports
	*Requests
	*Statements
	*Feed
}

// New returns a store over the named table.
func New(db *dynamodb.Client, table string) *Store {
	c := &Core{DB: db, Table: table}
	return &Store{Core: c, Links: &Links{c}, Customers: &Customers{c}, People: &People{c}, Merchants: &Merchants{c},
		Deliveries: &Deliveries{c}, Payments: &Payments{c}, Audit: &Audit{c}, Imports: &Imports{c}, Requests: &Requests{c},
		Statements: &Statements{c}, Feed: &Feed{Core: c}}
}

func (s *Core) tbl() *string { return aws.String(s.Table) }

// getItem reads one item (consistently) into v; domain.ErrNotFound when there is
// none. what names it in errors.
func (s *Core) getItem(ctx context.Context, pk, sk, what string, v any) error {
	out, err := s.DB.GetItem(ctx, &dynamodb.GetItemInput{TableName: s.tbl(), Key: key(pk, sk), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return fmt.Errorf("get %s: %w", what, err)
	}
	if out.Item == nil {
		return domain.ErrNotFound
	}
	if err := attributevalue.UnmarshalMap(out.Item, v); err != nil {
		return fmt.Errorf("unmarshal %s: %w", what, err)
	}
	return nil
}

// NewLink is a new link as one transaction writes it.
type NewLink struct {
	Link  *domain.Link
	Event domain.Event // its created event
	// Customer, when set, is the link's new customer, written with its
	// index items (ErrCustomerNumberTaken when its number was taken
	// meanwhile).
	Customer *domain.CustomerRecord
	// Done, when set, is the request's idempotent answer (a create with an
	// Idempotency-Key costs no extra write).
	Done *IdempotencyDone
	// Row, when set, is the CSV import row it comes from: the row's marker
	// and the import's counter (a redelivered row creates nothing: ErrRowDone).
	Row *ImportRow
}

// CreateLink writes a new link in one TransactWriteItems: the link, its
// reference marker (when it has a reference), its bank reference's marker
// (when it offers a bank transfer), its first timeline event,
// its entry under its customer, its audit entry, and what n adds. The
// link's code needs no marker: it is (merchant, link id, tag), so the link
// item's own attribute_not_exists(PK) makes it unique. A reused reference
// fails with domain.ErrDuplicateReference, a bank reference another link
// has with ErrBankReferenceTaken, and neither writes anything.
func (s *Links) CreateLink(ctx context.Context, n NewLink) error {
	l, ev := n.Link, n.Event
	stampActor(ctx, &ev)
	var t txn
	if err := s.createItems(&t, l, ev); err != nil {
		return err
	}
	if l.Customer.ID != "" {
		// Listed under its customer (GET /v1/customers/{id}/payment-links).
		t.add("", s.customerLinkPut(l.Merchant, l.Customer.ID, l.ID, l.CreatedAt))
		// Not made for a customer whose erasure has begun: the erasure
		// walks the listing once, and a link listed after its walk would
		// keep the person's data after the erasure answered.
		t.add(failErasing, types.TransactWriteItem{ConditionCheck: &types.ConditionCheck{TableName: s.tbl(),
			Key: key(erasedPK(l.Merchant, l.Customer.ID), erasedSK), ConditionExpression: aws.String("attribute_not_exists(PK)")}})
	}
	if n.Customer != nil {
		cs, _, err := s.customerWrites(l.Merchant, nil, n.Customer)
		if err != nil {
			return err
		}
		t.addCustomer(cs)
	}
	if audit, ok, err := s.eventAudit(ctx, l.Merchant, ev); err != nil {
		return err
	} else if ok {
		t.add("", audit)
	}
	if n.Done != nil {
		t.add("", types.TransactWriteItem{Update: n.Done.update(s.tbl())})
	}
	if n.Row != nil {
		for _, it := range n.Row.items(s.tbl()) {
			t.add(failRowDone, it)
		}
	}
	_, err := s.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: t.items})
	if err == nil {
		return nil
	}
	if refused := t.refusal(err); refused != nil {
		return refused
	}
	return fmt.Errorf("create link %s: %w", l.ID, err)
}

// What a refused item of a link's creation means.
const (
	failRowDone       = "row"
	failReference     = "reference"
	failNumber        = "customer_number"
	failBankReference = "bank_reference"
	failErasing       = "customer_erasing"
)

// ErrBankReferenceTaken is a new link's bank transfer reference that
// another link of the merchant has: nothing was written, and the link may
// be made again with its next reference (domain.BankReference).
var ErrBankReferenceTaken = errors.New("the bank transfer reference belongs to another link of the merchant")

// txn is a transaction's items, each with what its refusal means (""
// when a refusal is not the caller's to hear of), so that a cancelled
// transaction is read by what was refused, not by where it sat.
type txn struct {
	items []types.TransactWriteItem
	roles []string
}

func (t *txn) add(role string, it types.TransactWriteItem) {
	t.items, t.roles = append(t.items, it), append(t.roles, role)
}

// addCustomer adds a new customer's items (customerWrites): its number's
// marker is refused when the number is another customer's.
func (t *txn) addCustomer(items []types.TransactWriteItem) {
	for _, it := range items {
		role := ""
		if it.Put != nil {
			if sk, ok := it.Put.Item["SK"].(*types.AttributeValueMemberS); ok && sk.Value == customerNoSK {
				role = failNumber
			}
		}
		t.add(role, it)
	}
}

// refusal is the error of a transaction refused by a condition of one of
// its named items (nil for anything else).
func (t *txn) refusal(err error) error {
	reasons, ok := cancelReasons(err)
	if !ok {
		return nil
	}
	for i, r := range reasons {
		if r != "ConditionalCheckFailed" || i >= len(t.roles) {
			continue
		}
		switch t.roles[i] {
		case failRowDone:
			return ErrRowDone
		case failNumber:
			return ErrCustomerNumberTaken
		case failReference:
			return domain.ErrDuplicateReference
		case failBankReference:
			return ErrBankReferenceTaken
		case failErasing:
			return domain.ErrCustomerArchived
		}
	}
	return nil
}

// createItems adds a new link's own items to t: the link, its reference
// and bank reference markers and its created event (and its reminder's
// schedule item).
func (s *Links) createItems(t *txn, l *domain.Link, ev domain.Event) error {
	l.LastEvent, l.Timeline = ev.Ref(), []string{ev.ID}
	linkAV, err := attributevalue.MarshalMap(toItem(l))
	if err != nil {
		return fmt.Errorf("marshal link: %w", err)
	}
	evAV, err := attributevalue.MarshalMap(eventToItem(l.Merchant, ev))
	if err != nil {
		return fmt.Errorf("marshal event: %w", err)
	}
	notExists := aws.String("attribute_not_exists(PK)")
	t.add("", types.TransactWriteItem{Put: &types.Put{TableName: s.tbl(), Item: linkAV, ConditionExpression: notExists}})
	if l.Reference != "" {
		t.add(failReference, types.TransactWriteItem{Put: &types.Put{TableName: s.tbl(), ConditionExpression: notExists, Item: map[string]types.AttributeValue{
			"PK": sv(refPK(l.Merchant, l.Reference)), "SK": sv(refSK), "type": sv("reference"), "link_id": sv(l.ID),
		}}})
	}
	if l.BankReference != "" {
		// Kept when the link is deleted: a transfer made late with the
		// reference can never pay another link.
		t.add(failBankReference, types.TransactWriteItem{Put: &types.Put{TableName: s.tbl(), ConditionExpression: notExists, Item: map[string]types.AttributeValue{
			"PK": sv(bankRefPK(l.Merchant, reference.Normalize(l.BankReference))), "SK": sv(bankRefSK), "type": sv("bank_reference"), "link_id": sv(l.ID),
		}}})
	}
	t.add("", types.TransactWriteItem{Put: &types.Put{TableName: s.tbl(), Item: evAV, ConditionExpression: notExists}})
	if l.ReminderAt != nil {
		t.add("", reminderItem(s.tbl(), l))
	}
	return nil
}

// Get reads a merchant's link (strongly consistent).
func (s *Links) Get(ctx context.Context, merchant, id string) (*domain.Link, error) {
	if !domain.ValidID(domain.PrefixLink, id) {
		return nil, domain.ErrNotFound
	}
	out, err := s.DB.GetItem(ctx, &dynamodb.GetItemInput{TableName: s.tbl(), Key: linkKey(merchant, id), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return nil, fmt.Errorf("get link %s: %w", id, err)
	}
	if out.Item == nil {
		return nil, domain.ErrNotFound
	}
	return unmarshalLink(out.Item)
}

// LinkIDByBankReference is the id of merchant's link whose bank transfer
// reference is ref (in any written form: reference.Normalize), read from
// its marker (one consistent GetItem); domain.ErrNotFound when none has it.
func (s *Links) LinkIDByBankReference(ctx context.Context, merchant, ref string) (string, error) {
	n := reference.Normalize(ref)
	if n == "" {
		return "", domain.ErrNotFound
	}
	var it struct {
		LinkID string `dynamodbav:"link_id"`
	}
	if err := s.getItem(ctx, bankRefPK(merchant, n), bankRefSK, "bank reference of "+merchant, &it); err != nil {
		return "", err
	}
	if it.LinkID == "" {
		return "", fmt.Errorf("bank reference marker of %s: no link_id", merchant)
	}
	return it.LinkID, nil
}

// GetByCode reads the link a public code points at.
func (s *Links) GetByCode(ctx context.Context, code string) (*domain.Link, error) {
	c, err := domain.ParseCode(code)
	if err != nil {
		return nil, domain.ErrNotFound
	}
	l, err := s.Get(ctx, c.Merchant, c.LinkID)
	if err != nil {
		return nil, err
	}
	if l.Code != code {
		return nil, domain.ErrNotFound
	}
	return l, nil
}

// queryLink reads items of a link's partition whose sort keys lie between
// from and to (every item when from is ""), in sort key order.
func (s *Links) queryLink(ctx context.Context, merchant, linkID, from, to string) ([]map[string]types.AttributeValue, error) {
	var items []map[string]types.AttributeValue
	in := &dynamodb.QueryInput{
		TableName:                 s.tbl(),
		KeyConditionExpression:    aws.String("PK = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": sv(linkPK(merchant, linkID))},
		ConsistentRead:            aws.Bool(true),
	}
	if from != "" {
		in.KeyConditionExpression = aws.String("PK = :pk AND SK BETWEEN :from AND :to")
		in.ExpressionAttributeValues[":from"], in.ExpressionAttributeValues[":to"] = sv(from), sv(to)
	}
	p := dynamodb.NewQueryPaginator(s.DB, in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("query link %s: %w", linkID, err)
		}
		items = append(items, page.Items...)
	}
	return items, nil
}

// eventsFrom converts the event items among items, in id order.
func eventsFrom(items []map[string]types.AttributeValue) ([]domain.Event, error) {
	var evs []domain.Event
	for _, av := range items {
		if !strings.HasPrefix(avS(av["SK"]), eventSK("")) {
			continue
		}
		var it eventItem
		if err := attributevalue.UnmarshalMap(av, &it); err != nil {
			return nil, fmt.Errorf("unmarshal event: %w", err)
		}
		e, err := eventFromItem(&it)
		if err != nil {
			return nil, err
		}
		evs = append(evs, e)
	}
	return evs, nil
}

// queryEvents reads a link's events in id order.
func (s *Links) queryEvents(ctx context.Context, merchant, linkID string) ([]domain.Event, error) {
	items, err := s.queryLink(ctx, merchant, linkID, eventSK(""), eventSK("~"))
	if err != nil {
		return nil, err
	}
	return eventsFrom(items)
}

// Events returns a link's timeline, oldest first, in the order its changes
// were committed: one Query of the link's partition reads its events and
// the link's timeline (E#... sorts before L#...).
func (s *Links) Events(ctx context.Context, merchant, linkID string) ([]domain.Event, error) {
	items, err := s.queryLink(ctx, merchant, linkID, eventSK(""), linkSK(linkID))
	if err != nil {
		return nil, err
	}
	evs, err := eventsFrom(items)
	if err != nil {
		return nil, err
	}
	var tl struct {
		Timeline []string `dynamodbav:"timeline"`
	}
	if n := len(items); n > 0 && avS(items[n-1]["SK"]) == linkSK(linkID) {
		if err := attributevalue.UnmarshalMap(items[n-1], &tl); err != nil {
			return nil, fmt.Errorf("unmarshal timeline: %w", err)
		}
	}
	return OrderByTimeline(evs, tl.Timeline), nil
}

// EventsOf is Events for a link already read: one Query.
func (s *Links) EventsOf(ctx context.Context, l *domain.Link) ([]domain.Event, error) {
	evs, err := s.queryEvents(ctx, l.Merchant, l.ID)
	if err != nil {
		return nil, err
	}
	return OrderByTimeline(evs, l.Timeline), nil
}

// OrderByTimeline puts the events that changed the link in the order their
// changes were committed (the link's timeline) and leaves the others (sends,
// reminders) where their time puts them.
func OrderByTimeline(evs []domain.Event, timeline []string) []domain.Event {
	pos := make(map[string]int, len(timeline))
	for i, id := range timeline {
		pos[id] = i
	}
	var slots []int
	var changes []domain.Event
	for i, e := range evs {
		if _, ok := pos[e.ID]; ok {
			slots = append(slots, i)
			changes = append(changes, e)
		}
	}
	sort.SliceStable(changes, func(i, j int) bool { return pos[changes[i].ID] < pos[changes[j].ID] })
	out := append([]domain.Event(nil), evs...)
	for k, i := range slots {
		out[i] = changes[k]
	}
	return out
}

// fixedAttrs never change after creation (or change only through counters).
var fixedAttrs = map[string]bool{"PK": true, "SK": true, "type": true, "id": true, "merchant": true, "code": true,
	"created_at": true, "GSI1PK": true, "GSI1SK": true, "click_count": true, "currency": true, "amount": true, "amount_num": true,
	"bank_reference": true,                                 // its marker holds it to the link for good
	"refunded_minor": true, "refund_committed_minor": true, // refund counters change only by ADD
	"sent_channels": true, "last_sent_at": true} // written by the send worker only

// optionalAttrs are removed when the new state lacks them.
var optionalAttrs = []string{"GSI2PK", "GSI2SK", "paid_after_expiry", "clicked_at", "paid_at", "psp", "psp_reference", "failure_reason",
	"checkout_url", "checkout_expires_at", "metadata", "reference", "redirect_url", "beneficiary", "end_to_end_id", "payment_methods"}

// transitionItems builds the guarded update of cur to next (optimistic lock on
// cur.Version and a status guard on cur.Status) and the event put.
func (s *Links) transitionItems(cur, next *domain.Link, ev *domain.Event) ([]types.TransactWriteItem, error) {
	next.Version = cur.Version + 1
	if ev != nil {
		next.LastEvent = ev.Ref()
		if inTimeline(*ev) {
			next.Timeline = append(append([]string(nil), cur.Timeline...), ev.ID)
		}
	}
	av, err := attributevalue.MarshalMap(toItem(next))
	if err != nil {
		return nil, fmt.Errorf("marshal link: %w", err)
	}
	names := map[string]string{"#status": "status", "#version": "version"}
	values := map[string]types.AttributeValue{":cur_version": nv(cur.Version), ":cur_status": sv(string(cur.Status))}
	var set, remove []string
	keys := make([]string, 0, len(av))
	for k := range av {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for i, k := range keys {
		if fixedAttrs[k] {
			continue
		}
		n, v := "#a"+strconv.Itoa(i), ":a"+strconv.Itoa(i)
		names[n], values[v] = k, av[k]
		set = append(set, n+" = "+v)
	}
	for i, k := range optionalAttrs {
		if _, ok := av[k]; !ok {
			n := "#r" + strconv.Itoa(i)
			names[n] = k
			remove = append(remove, n)
		}
	}
	expr := "SET " + strings.Join(set, ", ")
	if len(remove) > 0 {
		expr += " REMOVE " + strings.Join(remove, ", ")
	}
	if d := next.ClickCount - cur.ClickCount; d > 0 {
		values[":clicks"] = nv(d)
		expr += " ADD click_count :clicks"
	}
	items := []types.TransactWriteItem{{Update: &types.Update{
		TableName:                 s.tbl(),
		Key:                       linkKey(cur.Merchant, cur.ID),
		UpdateExpression:          aws.String(expr),
		ConditionExpression:       aws.String("#version = :cur_version AND #status = :cur_status"),
		ExpressionAttributeNames:  names,
		ExpressionAttributeValues: values,
	}}}
	if ev != nil {
		evAV, err := attributevalue.MarshalMap(eventToItem(cur.Merchant, *ev))
		if err != nil {
			return nil, fmt.Errorf("marshal event: %w", err)
		}
		items = append(items, types.TransactWriteItem{Put: &types.Put{TableName: s.tbl(), Item: evAV, ConditionExpression: aws.String("attribute_not_exists(PK)")}})
	}
	return items, nil
}

// Transition writes next over cur in one TransactWriteItems with its timeline
// event. It fails with domain.ErrConflict when the link changed since cur was read
// (version or status), and writes nothing then. next.Version is set.
func (s *Links) Transition(ctx context.Context, cur, next *domain.Link, ev domain.Event) error {
	if next.Status != cur.Status {
		if err := domain.CheckTransition(cur.Status, next.Status); err != nil {
			return err
		}
	}
	stampActor(ctx, &ev)
	items, err := s.transitionItems(cur, next, &ev)
	if err != nil {
		return err
	}
	if audit, ok, err := s.eventAudit(ctx, cur.Merchant, ev); err != nil {
		return err
	} else if ok {
		items = append(items, audit)
	}
	_, err = s.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	if err != nil {
		if _, ok := cancelReasons(err); ok {
			return domain.ErrConflict
		}
		return fmt.Errorf("transition %s %s -> %s: %w", cur.ID, cur.Status, next.Status, err)
	}
	return nil
}

func sv(s string) types.AttributeValue { return &types.AttributeValueMemberS{Value: s} }
func nv(n int) types.AttributeValue    { return &types.AttributeValueMemberN{Value: strconv.Itoa(n)} }
func bv(b bool) types.AttributeValue   { return &types.AttributeValueMemberBOOL{Value: b} }

// queryPrefix reads every item of partition pk whose sort key begins with
// prefix, in sort key order (consistent, all pages), as T.
func queryPrefix[T any](ctx context.Context, s *Core, pk, prefix, what string) ([]T, error) {
	out := []T{}
	p := dynamodb.NewQueryPaginator(s.DB, &dynamodb.QueryInput{TableName: s.tbl(), ConsistentRead: aws.Bool(true),
		KeyConditionExpression:    aws.String("PK = :pk AND begins_with(SK, :sk)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": sv(pk), ":sk": sv(prefix)}})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("query %s: %w", what, err)
		}
		var items []T
		if err := attributevalue.UnmarshalListOfMaps(page.Items, &items); err != nil {
			return nil, fmt.Errorf("unmarshal %s: %w", what, err)
		}
		out = append(out, items...)
	}
	return out, nil
}

// cancelReasons returns the per-item codes of a cancelled transaction.
func cancelReasons(err error) ([]string, bool) {
	var tce *types.TransactionCanceledException
	if !errors.As(err, &tce) {
		return nil, false
	}
	out := make([]string, len(tce.CancellationReasons))
	for i, r := range tce.CancellationReasons {
		out[i] = aws.ToString(r.Code)
	}
	return out, true
}

func isConditionFailed(err error) (*types.ConditionalCheckFailedException, bool) {
	var ccf *types.ConditionalCheckFailedException
	return ccf, errors.As(err, &ccf)
}

// CountLinks counts a merchant's links (archived included) with a COUNT
// Query of each listing shard; for tests and operators, never on a hot path.
func (s *Links) CountLinks(ctx context.Context, merchant string) (int, error) {
	n := 0
	for sh := 0; sh < LinkListShards; sh++ {
		p := dynamodb.NewQueryPaginator(s.DB, &dynamodb.QueryInput{
			TableName: s.tbl(), IndexName: aws.String(IndexList),
			KeyConditionExpression:    aws.String("GSI1PK = :pk"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":pk": sv(linkListShardPK(merchant, sh))},
			Select:                    types.SelectCount,
		})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return 0, fmt.Errorf("count links of %s: %w", merchant, err)
			}
			n += int(page.Count)
		}
	}
	return n, nil
}
