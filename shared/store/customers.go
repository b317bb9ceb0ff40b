package store

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/paylinks/paylinks/shared/domain"
)

// Customers. A customer is its own partition (M#<m>#CUS#<id>), listed
// through the listing index write-sharded per merchant (16 shards, newest
// first by its id). It owns index items, rewritten with it in one
// transaction and listed on the item (idx) so that a change removes the
// ones it no longer has:
//   - M#<m>#CUSNO#<number> / CUSNO: the customer number's marker (unique),
//     with a copy of the customer: matching a link's customer by number is
//     one read;
//   - M#<m>#CUSEMAIL#<email> / <id>: by e-mail (several customers may share
//     one), with the copy: matching by e-mail is one Query;
//   - M#<m>#CUSQ#<first letter> / <key>\x1f<id>: each folded name (first,
//     last, company, "first last") for prefix search with begins_with.
// Links made for a customer are listed under M#<m>#CUSL#<id> (written with
// the link).

// CustomerListShards is the number of listing shards of a merchant's customers.
const CustomerListShards = 16

func customerPK(m, id string) string { return tenant(m) + "#CUS#" + id }
func customerNoPK(m, no string) string {
	return tenant(m) + "#CUSNO#" + no
}
func customerEmailPK(m, email string) string {
	return tenant(m) + "#CUSEMAIL#" + strings.ToLower(email)
}
func customerNamePK(m, key string) string {
	r := []rune(key)
	return tenant(m) + "#CUSQ#" + string(r[0])
}
func customerListShardPK(m string, s int) string {
	return fmt.Sprintf("%s#CUSTS#%02d", tenant(m), s)
}
func customerLinksPK(m, id string) string { return tenant(m) + "#CUSL#" + id }

// nameSep ends a name key in its index entry's sort key: below every
// printable character, so a key sorts before its longer keys ("zoe" before
// "zoe family").
const nameSep = "\x1f"

const (
	customerSK   = "CUS"
	customerNoSK = "CUSNO"
)

type customerItem struct {
	PK      string   `dynamodbav:"PK"`
	SK      string   `dynamodbav:"SK"`
	Type    string   `dynamodbav:"type"`
	GSI1PK  string   `dynamodbav:"GSI1PK,omitempty"` // none on a merged customer's tombstone
	GSI1SK  string   `dynamodbav:"GSI1SK,omitempty"`
	Version int      `dynamodbav:"version"`
	Idx     []string `dynamodbav:"idx,omitempty"` // "PK|SK" of its index items
	domain.CustomerRecord
}

// indexItem is one of a customer's index items; Copy is the customer (JSON)
// on the number and e-mail items.
type indexItem struct {
	PK       string `dynamodbav:"PK"`
	SK       string `dynamodbav:"SK"`
	Type     string `dynamodbav:"type"`
	Customer string `dynamodbav:"customer_id"`
	Copy     string `dynamodbav:"copy,omitempty"`
	// Keys are all the customer's name keys (on name items): a prefix
	// search counts a customer once, at its first key with the prefix.
	Keys []string `dynamodbav:"keys,omitempty"`
}

// customerIndex is the index items of c in merchant m.
func customerIndex(m string, c *domain.CustomerRecord) ([]indexItem, error) {
	if c.Erased || c.MergedInto != "" {
		return nil, nil
	}
	cp, err := json.Marshal(c)
	if err != nil {
		return nil, fmt.Errorf("marshal customer: %w", err)
	}
	var out []indexItem
	if c.CustomerNumber != nil {
		out = append(out, indexItem{PK: customerNoPK(m, *c.CustomerNumber), SK: customerNoSK, Type: "customer_number", Customer: c.ID, Copy: string(cp)})
	}
	if c.Email != "" {
		out = append(out, indexItem{PK: customerEmailPK(m, c.Email), SK: c.ID, Type: "customer_email", Customer: c.ID, Copy: string(cp)})
	}
	keys := c.SearchTokens()
	for _, k := range keys {
		out = append(out, indexItem{PK: customerNamePK(m, k), SK: k + nameSep + c.ID, Type: "customer_name", Customer: c.ID, Keys: keys})
	}
	return out, nil
}

func idxKey(pk, sk string) string { return pk + "|" + sk }

// customerWrites are the transaction items that make cur (nil: none) into
// next: the customer (conditioned on cur's version), index items put, the
// ones it no longer has deleted, the number marker put only when absent or
// its own.
func (s *Core) customerWrites(m string, cur *customerItem, next *domain.CustomerRecord) ([]types.TransactWriteItem, *customerItem, error) {
	idx, err := customerIndex(m, next)
	if err != nil {
		return nil, nil, err
	}
	it := &customerItem{PK: customerPK(m, next.ID), SK: customerSK, Type: "customer", CustomerRecord: *next}
	if next.MergedInto == "" {
		// A merged customer's tombstone leaves the listing.
		it.GSI1PK, it.GSI1SK = customerListShardPK(m, shard(next.ID, CustomerListShards)), next.ID
	}
	if len(it.Metadata) == 0 {
		// No empty map in the table: a stream record's empty map reads
		// back as nothing (withMetadata shows {}).
		it.Metadata = nil
	}
	for _, x := range idx {
		it.Idx = append(it.Idx, idxKey(x.PK, x.SK))
	}
	put := &types.Put{TableName: s.tbl(), ConditionExpression: aws.String("attribute_not_exists(PK)")}
	if cur != nil {
		it.Version = cur.Version + 1
		put.ConditionExpression = aws.String("version = :v")
		put.ExpressionAttributeValues = map[string]types.AttributeValue{":v": nv(cur.Version)}
	}
	if put.Item, err = attributevalue.MarshalMap(it); err != nil {
		return nil, nil, fmt.Errorf("marshal customer: %w", err)
	}
	items := []types.TransactWriteItem{{Put: put}}
	for _, x := range idx {
		av, err := attributevalue.MarshalMap(x)
		if err != nil {
			return nil, nil, fmt.Errorf("marshal customer index: %w", err)
		}
		p := &types.Put{TableName: s.tbl(), Item: av}
		if x.SK == customerNoSK {
			p.ConditionExpression = aws.String("attribute_not_exists(PK) OR customer_id = :me")
			p.ExpressionAttributeValues = map[string]types.AttributeValue{":me": sv(next.ID)}
		}
		items = append(items, types.TransactWriteItem{Put: p})
	}
	if cur != nil {
		for _, k := range cur.Idx {
			if slices.Contains(it.Idx, k) {
				continue
			}
			pk, sk, _ := strings.Cut(k, "|")
			items = append(items, types.TransactWriteItem{Delete: &types.Delete{TableName: s.tbl(), Key: key(pk, sk)}})
		}
	}
	return items, it, nil
}

// ErrCustomerNumberTaken is a customer number another customer has.
var ErrCustomerNumberTaken = fmt.Errorf("%w: the customer_number belongs to another customer", domain.ErrConflict)

// customerNumberTaken reports a cancelled customer transaction whose
// number marker (item 1 when the customer has a number) refused.
func customerNumberTaken(err error, c *domain.CustomerRecord, first int) bool {
	reasons, ok := cancelReasons(err)
	return ok && c.CustomerNumber != nil && len(reasons) > first+1 && reasons[first+1] == "ConditionalCheckFailed"
}

// CreateCustomer writes a new customer with its index items and audit
// entry; ErrCustomerNumberTaken when its number is another's.
func (s *Customers) CreateCustomer(ctx context.Context, m string, c *domain.CustomerRecord, e AuditEntry) error {
	items, _, err := s.customerWrites(m, nil, c)
	if err != nil {
		return err
	}
	audit, err := s.AuditPut(m, e)
	if err != nil {
		return err
	}
	_, err = s.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: append(items, audit)})
	if customerNumberTaken(err, c, 0) {
		return ErrCustomerNumberTaken
	}
	if err != nil {
		return fmt.Errorf("create customer: %w", err)
	}
	return nil
}

// GetCustomer reads a customer (domain.ErrNotFound).
func (s *Customers) GetCustomer(ctx context.Context, m, id string) (*domain.CustomerRecord, error) {
	it, err := s.getCustomerItem(ctx, m, id)
	if err != nil {
		return nil, err
	}
	return &it.CustomerRecord, nil
}

func (s *Customers) getCustomerItem(ctx context.Context, m, id string) (*customerItem, error) {
	var it customerItem
	if !strings.HasPrefix(id, "cus_") || len(id) > 40 {
		return nil, domain.ErrNotFound
	}
	if err := s.getItem(ctx, customerPK(m, id), customerSK, "customer", &it); err != nil {
		return nil, err
	}
	withMetadata(&it.CustomerRecord)
	return &it, nil
}

// UpdateCustomer changes a customer with change (given the current one;
// its error stops the update) and records e(before, after); retried on a
// concurrent change. ErrCustomerNumberTaken, domain.ErrNotFound.
func (s *Customers) UpdateCustomer(ctx context.Context, m, id string, change func(cur domain.CustomerRecord) (domain.CustomerRecord, error),
	audit func(before, after *domain.CustomerRecord) AuditEntry) (*domain.CustomerRecord, error) {
	for try := 0; ; try++ {
		cur, err := s.getCustomerItem(ctx, m, id)
		if err != nil {
			return nil, err
		}
		next, err := change(cur.CustomerRecord)
		if err != nil {
			return nil, err
		}
		items, it, err := s.customerWrites(m, cur, &next)
		if err != nil {
			return nil, err
		}
		a, err := s.AuditPut(m, audit(&cur.CustomerRecord, &next))
		if err != nil {
			return nil, err
		}
		_, err = s.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: append(items, a)})
		if reasons, ok := cancelReasons(err); ok && len(reasons) > 0 && reasons[0] == "ConditionalCheckFailed" && try < 3 {
			continue // changed since read: read again
		}
		if customerNumberTaken(err, &next, 0) {
			return nil, ErrCustomerNumberTaken
		}
		if err != nil {
			return nil, fmt.Errorf("update customer: %w", err)
		}
		withMetadata(&it.CustomerRecord)
		return &it.CustomerRecord, nil
	}
}

// CustomerByNumber is the customer with a customer number (one read of
// its marker, which holds a copy); domain.ErrNotFound.
func (s *Customers) CustomerByNumber(ctx context.Context, m, no string) (*domain.CustomerRecord, error) {
	var x indexItem
	if err := s.getItem(ctx, customerNoPK(m, no), customerNoSK, "customer number", &x); err != nil {
		return nil, err
	}
	return copyOf(x)
}

func copyOf(x indexItem) (*domain.CustomerRecord, error) {
	var c domain.CustomerRecord
	if err := json.Unmarshal([]byte(x.Copy), &c); err != nil {
		return nil, fmt.Errorf("unmarshal customer copy: %w", err)
	}
	withMetadata(&c)
	return &c, nil
}

// CustomersByEmail are the customers with an e-mail address, newest first
// (one Query; copies).
func (s *Customers) CustomersByEmail(ctx context.Context, m, email string, limit int) ([]*domain.CustomerRecord, error) {
	out, err := s.DB.Query(ctx, &dynamodb.QueryInput{TableName: s.tbl(), KeyConditionExpression: aws.String("PK = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": sv(customerEmailPK(m, email))},
		ScanIndexForward:          aws.Bool(false), Limit: aws.Int32(int32(limit))})
	if err != nil {
		return nil, fmt.Errorf("customers by e-mail: %w", err)
	}
	var xs []indexItem
	if err := attributevalue.UnmarshalListOfMaps(out.Items, &xs); err != nil {
		return nil, fmt.Errorf("unmarshal customer index: %w", err)
	}
	cs := make([]*domain.CustomerRecord, 0, len(xs))
	for _, x := range xs {
		c, err := copyOf(x)
		if err != nil {
			return nil, err
		}
		cs = append(cs, c)
	}
	return cs, nil
}

// CustomerQuery is a page of a merchant's customers.
type CustomerQuery struct {
	Merchant       string
	Q              string // a name prefix
	Email          string
	CustomerNumber string
	Archived       *bool
	Limit          int
	Cursor         string
}

// ListCustomers pages through customers: newest first, or by name for a
// prefix (q); by e-mail or number from their index. No Scan.
func (s *Customers) ListCustomers(ctx context.Context, q CustomerQuery) ([]*domain.CustomerRecord, string, error) {
	var (
		cs   []*domain.CustomerRecord
		next string
		err  error
	)
	switch {
	case q.CustomerNumber != "":
		var c *domain.CustomerRecord
		if c, err = s.CustomerByNumber(ctx, q.Merchant, q.CustomerNumber); err == nil {
			cs = []*domain.CustomerRecord{c}
		} else if err == domain.ErrNotFound {
			err = nil
		}
	case q.Email != "":
		cs, err = s.CustomersByEmail(ctx, q.Merchant, q.Email, 100)
	case q.Q != "":
		cs, next, err = s.searchCustomers(ctx, q)
	default:
		cs, next, err = s.latestCustomers(ctx, q)
	}
	if err != nil {
		return nil, "", err
	}
	out := make([]*domain.CustomerRecord, 0, len(cs))
	for _, c := range cs {
		if (q.Archived == nil || c.Archived == *q.Archived) && (q.Email == "" || strings.EqualFold(c.Email, q.Email)) &&
			(q.Q == "" || matchesPrefix(c, domain.SearchKey(q.Q))) {
			out = append(out, c)
		}
	}
	return out, next, nil
}

func matchesPrefix(c *domain.CustomerRecord, p string) bool {
	for _, k := range c.SearchTokens() {
		if strings.HasPrefix(k, p) {
			return true
		}
	}
	return false
}

// latestCustomers merges the merchant's listing shards newest first.
func (s *Customers) latestCustomers(ctx context.Context, q CustomerQuery) ([]*domain.CustomerRecord, string, error) {
	r := shardRead{from: "cus_", to: "cus_~", want: q.Limit + 1}
	if q.Cursor != "" {
		pos, err := decodeCursor(q.Cursor, q.Merchant, "customers", validCustomerID)
		if err != nil {
			return nil, "", err
		}
		r.below, r.to = pos, pos
	}
	if q.Archived != nil {
		r.filter, r.values = "archived = :a", map[string]types.AttributeValue{":a": bv(*q.Archived)}
	}
	for sh := 0; sh < CustomerListShards; sh++ {
		r.pks = append(r.pks, customerListShardPK(q.Merchant, sh))
	}
	entries, frontier, err := s.mergeShards(ctx, r)
	if err != nil {
		return nil, "", fmt.Errorf("list customers of %s: %w", q.Merchant, err)
	}
	entries, next := pageOf(entries, frontier, q.Limit, q.Merchant, "customers")
	cs, err := s.customersAt(ctx, keysOf(entries))
	return cs, next, err
}

func validCustomerID(id string) bool { return strings.HasPrefix(id, "cus_") && len(id) <= 40 }

// customersAt reads customers by key, in order (gone ones left out).
func (s *Customers) customersAt(ctx context.Context, keys []map[string]types.AttributeValue) ([]*domain.CustomerRecord, error) {
	items, err := s.batchGet(ctx, keys)
	if err != nil {
		return nil, fmt.Errorf("read customers: %w", err)
	}
	out := make([]*domain.CustomerRecord, 0, len(items))
	for _, av := range items {
		if av == nil {
			continue
		}
		var it customerItem
		if err := attributevalue.UnmarshalMap(av, &it); err != nil {
			return nil, fmt.Errorf("unmarshal customer: %w", err)
		}
		withMetadata(&it.CustomerRecord)
		out = append(out, &it.CustomerRecord)
	}
	return out, nil
}

// withMetadata shows no metadata as {} (the table does not keep an empty
// map).
func withMetadata(c *domain.CustomerRecord) {
	if c.Metadata == nil {
		c.Metadata = map[string]string{}
	}
}

// searchCustomers finds customers by a name prefix: one Query of the
// prefix's first letter's partition (begins_with on the folded names), by
// name; the cursor is the last name entry read.
func (s *Customers) searchCustomers(ctx context.Context, q CustomerQuery) ([]*domain.CustomerRecord, string, error) {
	p := domain.SearchKey(q.Q)
	if p == "" {
		return nil, "", nil
	}
	in := &dynamodb.QueryInput{TableName: s.tbl(), KeyConditionExpression: aws.String("PK = :pk AND begins_with(SK, :p)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": sv(customerNamePK(q.Merchant, p)), ":p": sv(p)}}
	if q.Cursor != "" {
		pos, err := decodeCursor(q.Cursor, q.Merchant, "customers-q", func(pos string) bool { return strings.HasPrefix(pos, p) })
		if err != nil {
			return nil, "", err
		}
		in.ExclusiveStartKey = key(customerNamePK(q.Merchant, p), pos)
	}
	seen := map[string]bool{}
	var keys []map[string]types.AttributeValue
	last := ""
	for len(keys) < q.Limit {
		in.Limit = aws.Int32(int32(q.Limit - len(keys)))
		out, err := s.DB.Query(ctx, in)
		if err != nil {
			return nil, "", fmt.Errorf("search customers: %w", err)
		}
		for _, av := range out.Items {
			var x indexItem
			if err := attributevalue.UnmarshalMap(av, &x); err != nil {
				return nil, "", fmt.Errorf("unmarshal customer index: %w", err)
			}
			last = x.SK
			if first(x, p) && !seen[x.Customer] {
				seen[x.Customer] = true
				keys = append(keys, key(customerPK(q.Merchant, x.Customer), customerSK))
			}
		}
		if out.LastEvaluatedKey == nil {
			last = ""
			break
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
	next := ""
	if last != "" {
		next = encodeCursor(q.Merchant, "customers-q", last)
	}
	cs, err := s.customersAt(ctx, keys)
	return cs, next, err
}

// first reports the name entry x is its customer's first key with prefix
// p (the one a search counts).
func first(x indexItem, p string) bool {
	k, _, _ := strings.Cut(x.SK, nameSep)
	for _, o := range x.Keys {
		if o < k && strings.HasPrefix(o, p) {
			return false
		}
	}
	return true
}

// customerLinkPut lists a link under its customer.
func (s *Core) customerLinkPut(m, customerID, linkID string, created time.Time) types.TransactWriteItem {
	return types.TransactWriteItem{Put: &types.Put{TableName: s.tbl(), Item: map[string]types.AttributeValue{
		"PK": sv(customerLinksPK(m, customerID)), "SK": sv(listSK(created, linkID)), "type": sv("customer_link"), "link_id": sv(linkID)}}}
}

// CustomerLinks are the links made for a customer, newest first.
func (s *Customers) CustomerLinks(ctx context.Context, m, customerID string, limit int, cursor string) ([]*domain.Link, string, error) {
	ids, next, err := s.customerLinkIDs(ctx, m, customerID, limit, cursor, false)
	if err != nil {
		return nil, "", err
	}
	keys := make([]map[string]types.AttributeValue, len(ids))
	for i, id := range ids {
		keys[i] = linkKey(m, id)
	}
	items, err := s.batchGet(ctx, keys)
	if err != nil {
		return nil, "", fmt.Errorf("customer links: %w", err)
	}
	links := make([]*domain.Link, 0, len(items))
	for _, av := range items {
		if av == nil {
			continue // deleted (archived before it was ever opened)
		}
		l, err := unmarshalLink(av)
		if err != nil {
			return nil, "", err
		}
		links = append(links, l)
	}
	return links, next, nil
}

// customerLinkIDs are the ids of the links made for a customer, newest
// first, deleted ones included (their entries stay).
func (s *Customers) customerLinkIDs(ctx context.Context, m, customerID string, limit int, cursor string, consistent bool) ([]string, string, error) {
	collection := "customer-links:" + customerID
	in := &dynamodb.QueryInput{TableName: s.tbl(), KeyConditionExpression: aws.String("PK = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": sv(customerLinksPK(m, customerID))},
		ScanIndexForward:          aws.Bool(false), Limit: aws.Int32(int32(limit)), ConsistentRead: aws.Bool(consistent)}
	if cursor != "" {
		pos, err := decodeCursor(cursor, m, collection, validLinkPos)
		if err != nil {
			return nil, "", err
		}
		in.ExclusiveStartKey = key(customerLinksPK(m, customerID), pos)
	}
	out, err := s.DB.Query(ctx, in)
	if err != nil {
		return nil, "", fmt.Errorf("customer links: %w", err)
	}
	ids := make([]string, len(out.Items))
	for i, it := range out.Items {
		ids[i] = avS(it["link_id"])
	}
	next := ""
	if out.LastEvaluatedKey != nil {
		next = encodeCursor(m, collection, avS(out.LastEvaluatedKey["SK"]))
	}
	return ids, next, nil
}
