package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/paylinks/paylinks/shared/domain"
)

// Erasure markers and the customer's list of deliveries: each customer's
// its own partition.
//   - M#<m>#CUSX#<customer> / ERASED: the customer's erasure has begun;
//   - M#<m>#CUSD#<customer> / <delivery id>: a delivery, or the feed's
//     event of the same id, whose body was written with the customer's
//     data (PutDeliveryOf, PutFeedEvent).
func erasedPK(m, customerID string) string             { return tenant(m) + "#CUSX#" + customerID }
func customerDeliveriesPK(m, customerID string) string { return tenant(m) + "#CUSD#" + customerID }

const erasedSK = "ERASED"

// EraseCustomerLinks removes the person's data from every link made for
// customer id: the link's snapshot becomes only the customer's id (the
// customer filter's text with it), and the webhook deliveries of those
// links (their bodies hold the link as sent) keep the customer's id only,
// a deleted link's deliveries too. Amounts, statuses, PSP references and
// timelines stay. It returns the number of links and deliveries scrubbed;
// run again, it changes nothing more.
//
// Erasure is final: nothing written after it holds the person's data,
// whatever runs meanwhile (clicks, payments, the table's stream handled
// late or twice). In this order:
//  1. the erasure marker is written first. From then on a delivery body
//     with the person's data cannot be written (PutDeliveryOf checks the
//     marker in its transaction; the stream makes the body again from what
//     remains, the id); every one written before it is in the customer's
//     list of deliveries;
//  2. each link's snapshot is reduced to the id, and its version moves on:
//     a change that read the link before (a first click, a refund) fails
//     its version guard and is made again from the scrubbed link, instead
//     of writing the old snapshot back. Later images of the link hold no
//     data;
//  3. what the bank said of who paid the link (or is paid back) is removed
//     (eraseLinkBank: the link's payer, its statement entries, its review
//     payments, its settled payouts);
//  4. the deliveries are scrubbed: those of the links' listing (made
//     before the customer's list existed), and those listed under the
//     customer (read strongly consistent, after the marker: all of those
//     with data).
//
// The links of a page of the customer's listing are worked on at once
// (eraseWorkers at a time, each link's steps in the order above), the
// deliveries' listing is read once for all of them, and what is read by
// key is read in batches: a customer with hundreds of links is erased (or
// previewed) within one request.
func (s *Customers) EraseCustomerLinks(ctx context.Context, m, id string) (links, deliveries int, err error) {
	c, err := s.EraseCustomerData(ctx, m, id)
	return c.Links, c.Deliveries, err
}

// EraseCustomerData is EraseCustomerLinks counting everything it changed
// (ErasurePreview's counts, taken before, are these).
func (s *Customers) EraseCustomerData(ctx context.Context, m, id string) (ErasureCounts, error) {
	return s.erasure(ctx, m, id, false)
}

// ErasureCounts are what an erasure of a customer changes: links whose
// snapshot holds the person's data, records of what a bank said of the
// people around those links (payers, statement entries, review payments,
// settled payouts), and webhook deliveries holding the person's data.
type ErasureCounts struct {
	Links       int `json:"links"`
	BankRecords int `json:"bank_records"`
	Deliveries  int `json:"webhook_deliveries"`
}

// ErasurePreview counts what erasing customer id would change, walking
// what the erasure walks with the same functions, writing nothing.
func (s *Customers) ErasurePreview(ctx context.Context, m, id string) (ErasureCounts, error) {
	return s.erasure(ctx, m, id, true)
}

// eraser is one erasure (or its preview, dry): the customer's id and the
// ids of the customers merged into it, which older deliveries still name.
type eraser struct {
	*Customers
	dry bool
	ids []string
	mu  sync.Mutex // guards counted and links (links are erased at once)
	// counted are the items a preview counted: the erasure changes an
	// item once, however many ways reach it.
	counted map[string]bool
	// links are the ids of the links walked, whose deliveries are scrubbed.
	links map[string]bool
}

// eraseWorkers is how many links (or deliveries, or shards of the
// deliveries' listing) an erasure works on at once.
const eraseWorkers = 8

// eachBounded runs f(0) .. f(n-1), at most limit at a time, and returns
// their errors joined.
func eachBounded(n, limit int, f func(i int) error) error {
	errs := make([]error, n)
	sem := make(chan struct{}, limit)
	var wg sync.WaitGroup
	for i := range n {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			errs[i] = f(i)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// countOnce reports whether a preview counts the item at pk, sk now (false
// when it already did).
func (s *eraser) countOnce(pk, sk string) bool {
	k := idxKey(pk, sk)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.counted[k] {
		return false
	}
	s.counted[k] = true
	return true
}

// erasure walks the customer's links (see EraseCustomerLinks), changing
// them unless dry, and counts what it changes (or would).
func (s *Customers) erasure(ctx context.Context, m, id string, dry bool) (ErasureCounts, error) {
	var n ErasureCounts
	e := &eraser{Customers: s, dry: dry, ids: []string{id}, counted: map[string]bool{}, links: map[string]bool{}}
	// The customer's marker before reading whom it absorbed: a merge into
	// it is refused from the marker on (beginMerge), so one that began
	// before is in merged_from as read here.
	if err := e.markErased(ctx, m, id); err != nil {
		return n, err
	}
	if c, err := s.GetCustomer(ctx, m, id); err == nil {
		e.ids = append(e.ids, c.MergedFrom...)
	} else if !errors.Is(err, domain.ErrNotFound) {
		return n, err
	}
	for _, cid := range e.ids[1:] {
		if err := e.markErased(ctx, m, cid); err != nil {
			return n, err
		}
	}
	// The links still listed under a customer merged into this one first
	// (a merge not finished moves them here after), then its own: a link
	// the merge moves meanwhile is either scrubbed where it was or found
	// here afterwards.
	for _, cid := range append(slices.Clone(e.ids[1:]), id) {
		if err := e.eraseListedLinks(ctx, m, cid, &n); err != nil {
			return n, err
		}
	}
	d, err := e.eraseLinksDeliveries(ctx, m)
	n.Deliveries += d
	if err != nil {
		return n, err
	}
	for _, cid := range e.ids {
		d, err := e.eraseListedDeliveries(ctx, m, cid)
		if err != nil {
			return n, err
		}
		n.Deliveries += d
	}
	return n, nil
}

// eraseListedLinks erases the person from every link listed under
// customer cid (the customer erased, or one merged into it), a page of
// the listing at a time, and notes the links for their deliveries.
func (e *eraser) eraseListedLinks(ctx context.Context, m, cid string, n *ErasureCounts) error {
	cursor := ""
	for {
		ids, next, err := e.customerLinkIDs(ctx, m, cid, 100, cursor, true) // consistent: a link moved in by a merge, or made just before the marker, is seen
		if err != nil {
			return err
		}
		// A preview reads the page's links at once; the erasure's update
		// of each returns the link.
		heads := make([]map[string]types.AttributeValue, len(ids))
		if e.dry && len(ids) > 0 {
			keys := make([]map[string]types.AttributeValue, len(ids))
			for i, linkID := range ids {
				keys[i] = linkKey(m, linkID)
			}
			if heads, err = e.batchGetConsistent(ctx, keys); err != nil {
				return fmt.Errorf("erasure preview of the links of %s: %w", cid, err)
			}
		}
		err = eachBounded(len(ids), eraseWorkers, func(i int) error {
			c, err := e.eraseLink(ctx, m, ids[i], cid, heads[i])
			e.mu.Lock()
			defer e.mu.Unlock()
			n.Links += c.Links
			n.BankRecords += c.BankRecords
			e.links[ids[i]] = true
			return err
		})
		if err != nil {
			return err
		}
		if next == "" {
			return nil
		}
		cursor = next
	}
}

// eraseLink erases the person from one link listed under customer cid
// and its bank records (a preview given the link as read), counting them.
func (e *eraser) eraseLink(ctx context.Context, m, linkID, cid string, link map[string]types.AttributeValue) (ErasureCounts, error) {
	var n ErasureCounts
	scrubbed, link, err := e.eraseLinkCustomer(ctx, m, linkID, cid, link)
	if err != nil {
		return n, err
	}
	if scrubbed {
		n.Links++
	}
	n.BankRecords, err = e.eraseLinkBank(ctx, m, linkID, link)
	return n, err
}

// markErased writes the customer's erasure marker (kept with the time of
// the first erasure).
func (s *eraser) markErased(ctx context.Context, m, customerID string) error {
	if s.dry {
		return nil
	}
	_, err := s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: s.tbl(), Key: key(erasedPK(m, customerID), erasedSK),
		UpdateExpression:         aws.String("SET #type = :t, customer_id = :c, erased_at = if_not_exists(erased_at, :now)"),
		ExpressionAttributeNames: map[string]string{"#type": "type"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":t": sv("customer_erased"), ":c": sv(customerID), ":now": sv(ft(time.Now())),
		}})
	if err != nil {
		return fmt.Errorf("mark customer %s erased: %w", customerID, err)
	}
	return nil
}

// eraseLinkCustomer reduces a link's customer to its id and moves its
// version on; false when the link is gone (deleted before it was opened).
// A link already reduced (or now another customer's) is left as it is.
// It returns the link as it is after (nil when gone); a preview is given
// the link as read and tells whether it would change it.
func (s *eraser) eraseLinkCustomer(ctx context.Context, m, linkID, customerID string, link map[string]types.AttributeValue) (bool, map[string]types.AttributeValue, error) {
	if s.dry {
		c, ok := link["customer"].(*types.AttributeValueMemberM)
		return ok && avS(c.Value["ID"]) == customerID && len(c.Value) > 1, link, nil
	}
	out, err := s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: s.tbl(), Key: linkKey(m, linkID),
		ConditionExpression:      aws.String("attribute_exists(PK) AND customer.#id = :id AND size(customer) > :one"),
		UpdateExpression:         aws.String("SET customer = :c, customer_search = :empty, #version = #version + :one"),
		ExpressionAttributeNames: map[string]string{"#id": "ID", "#version": "version"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":c":     &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"ID": sv(customerID)}},
			":id":    sv(customerID),
			":one":   nv(1),
			":empty": sv(""),
		},
		ReturnValues:                        types.ReturnValueAllNew,
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	if ccf, ok := isConditionFailed(err); ok {
		return ccf.Item != nil, ccf.Item, nil
	}
	if err != nil {
		return false, nil, fmt.Errorf("erase link %s: %w", linkID, err)
	}
	return true, out.Attributes, nil
}

// eraseLinksDeliveries rewrites the bodies of the webhook deliveries of
// the links walked, as the deliveries' listing shows them: its shards
// read once each for all the links.
func (s *eraser) eraseLinksDeliveries(ctx context.Context, m string) (int, error) {
	if len(s.links) == 0 {
		return 0, nil
	}
	var mu sync.Mutex
	var keys []map[string]types.AttributeValue
	err := eachBounded(DeliveryListShards, eraseWorkers, func(sh int) error {
		p := dynamodb.NewQueryPaginator(s.DB, &dynamodb.QueryInput{TableName: s.tbl(), IndexName: aws.String(IndexList),
			KeyConditionExpression: aws.String("GSI1PK = :pk AND GSI1SK BETWEEN :from AND :to"),
			ProjectionExpression:   aws.String("PK, SK, link_id"),
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":pk": sv(deliveryListShardPK(m, sh)), ":from": sv(PrefixDelivery), ":to": sv(PrefixDelivery + "~"),
			}})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return fmt.Errorf("deliveries of the customer's links: %w", err)
			}
			mu.Lock()
			for _, it := range page.Items {
				if s.links[avS(it["link_id"])] {
					keys = append(keys, map[string]types.AttributeValue{"PK": it["PK"], "SK": it["SK"]})
				}
			}
			mu.Unlock()
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return s.scrubDeliveries(ctx, m, keys)
}

// scrubDeliveries reads the deliveries at keys (strongly consistent, in
// batches) and scrubs them, counting those changed.
func (s *eraser) scrubDeliveries(ctx context.Context, m string, keys []map[string]types.AttributeValue) (int, error) {
	if len(keys) == 0 {
		return 0, nil
	}
	items, err := s.batchGetConsistent(ctx, keys)
	if err != nil {
		return 0, fmt.Errorf("erase deliveries: %w", err)
	}
	var mu sync.Mutex
	n := 0
	err = eachBounded(len(items), eraseWorkers, func(i int) error {
		if items[i] == nil {
			return nil
		}
		var d Delivery
		if err := attributevalue.UnmarshalMap(items[i], &d); err != nil {
			return fmt.Errorf("unmarshal delivery: %w", err)
		}
		changed, err := s.scrubDelivery(ctx, m, d)
		if changed {
			mu.Lock()
			n++
			mu.Unlock()
		}
		return err
	})
	return n, err
}

// eraseListedDeliveries scrubs the deliveries listed under the customer:
// the list and each delivery read strongly consistent, so every delivery
// written with the person's data before the marker is found.
func (s *eraser) eraseListedDeliveries(ctx context.Context, m, customerID string) (int, error) {
	n := 0
	in := &dynamodb.QueryInput{TableName: s.tbl(), KeyConditionExpression: aws.String("PK = :pk"), ConsistentRead: aws.Bool(true),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": sv(customerDeliveriesPK(m, customerID))}}
	p := dynamodb.NewQueryPaginator(s.DB, in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return n, fmt.Errorf("deliveries of customer %s: %w", customerID, err)
		}
		keys := make([]map[string]types.AttributeValue, len(page.Items))
		feedKeys := make([]map[string]types.AttributeValue, len(page.Items))
		for i, it := range page.Items {
			keys[i] = key(deliveryPK(m, avS(it["delivery_id"])), deliverySK)
			feedKeys[i] = key(feedEventPK(m, avS(it["delivery_id"])), feedEventSK)
		}
		d, err := s.scrubDeliveries(ctx, m, keys)
		n += d
		if err != nil {
			return n, err
		}
		if err := s.scrubFeedEvents(ctx, m, feedKeys); err != nil {
			return n, err
		}
	}
	return n, nil
}

// scrubFeedEvents rewrites the body of each feed event at keys (the
// copies of the deliveries listed under the customer, as the event feed
// serves them; an id listed may have no event, or no delivery) with the
// customer reduced to its id. A preview counts the deliveries only: the
// feed's events are the same events.
func (s *eraser) scrubFeedEvents(ctx context.Context, m string, keys []map[string]types.AttributeValue) error {
	if s.dry {
		return nil
	}
	items, err := s.batchGetConsistent(ctx, keys)
	if err != nil {
		return fmt.Errorf("feed events of the customer: %w", err)
	}
	return eachBounded(len(items), eraseWorkers, func(i int) error {
		if items[i] == nil {
			return nil
		}
		body, changed := scrubCustomer(avS(items[i]["body"]), s.ids...)
		if !changed {
			return nil
		}
		_, err := s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: s.tbl(), Key: keys[i],
			ConditionExpression: aws.String("attribute_exists(PK)"), UpdateExpression: aws.String("SET body = :b"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":b": sv(body)}})
		if _, gone := isConditionFailed(err); gone {
			return nil
		}
		if err != nil {
			return fmt.Errorf("erase feed event %s: %w", avS(items[i]["id"]), err)
		}
		return nil
	})
}

// scrubDelivery rewrites one delivery's body with the customer reduced to
// its id; false when there was nothing to change (or it is gone).
func (s *eraser) scrubDelivery(ctx context.Context, m string, d Delivery) (bool, error) {
	body, changed := scrubCustomer(d.Body, s.ids...)
	if !changed || s.dry {
		return changed && s.countOnce(deliveryPK(m, d.ID), deliverySK), nil
	}
	_, err := s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: s.tbl(), Key: key(deliveryPK(m, d.ID), deliverySK),
		ConditionExpression: aws.String("attribute_exists(PK)"), UpdateExpression: aws.String("SET body = :b"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":b": sv(body)}})
	if _, gone := isConditionFailed(err); gone {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("erase delivery %s: %w", d.ID, err)
	}
	return true, nil
}

// scrubCustomer replaces, anywhere in a JSON document, an object under
// "customer" whose id is one of ids by {"id": <its id>}.
func scrubCustomer(body string, ids ...string) (string, bool) {
	var v any
	if json.Unmarshal([]byte(body), &v) != nil {
		return body, false
	}
	changed := false
	var walk func(any)
	walk = func(x any) {
		switch t := x.(type) {
		case map[string]any:
			for k, c := range t {
				if cm, ok := c.(map[string]any); ok && k == "customer" && len(cm) > 1 && slices.Contains(ids, fmt.Sprint(cm["id"])) {
					t[k] = map[string]any{"id": cm["id"]}
					changed = true
					continue
				}
				walk(c)
			}
		case []any:
			for _, c := range t {
				walk(c)
			}
		}
	}
	walk(v)
	if !changed {
		return body, false
	}
	b, err := json.Marshal(v)
	if err != nil {
		return body, false
	}
	return string(b), true
}
