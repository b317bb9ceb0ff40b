package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/paylinks/paylinks/shared/domain"
)

// Merging customers (docs/api.md, Customers, Merge). A merge of many links
// cannot be one transaction, so it goes in steps, each one transaction,
// each safe to run again, the merged customer's item being the durable
// record of where it stands:
//  1. begin: the merged customer becomes its tombstone (merged_into the
//     kept one, merging, archived, out of the listing, its index items
//     gone) and the kept customer absorbs its details (domain.Absorb: the
//     number, contact and address it lacked, metadata, merged_from), with
//     an audit entry under each id: one transaction;
//  2. move: the merged customer's link listing is read strongly consistent
//     in batches; each batch's links take the kept customer's id (the
//     link's version moves on, so a change made from a link read before
//     fails its guard rather than writing the old id back) and their
//     listing entries move under the kept customer (same sort key: a link
//     is listed there once, however often a batch is replayed): one
//     transaction a batch;
//  3. finish: when the listing is empty, merging is cleared.
//
// A merge that stops anywhere (a crash, a timeout) is resumed by merging
// again into the same customer; merging a merged customer again moves
// whatever was listed under it since (a link created from a read made
// before step 1).

// MergeBatch is how many links one move transaction carries (3 writes
// each, within DynamoDB's 100).
const MergeBatch = 25

// ErrMergeTarget is a merge into a customer that does not exist.
var ErrMergeTarget = errors.New("the customer to merge into does not exist")

// MergeCustomer merges customer from into customer into (steps above) and
// returns the kept customer and the links moved by this call. audit makes
// the entries of the merge (recorded with step 1). domain.ErrNotFound for
// an unknown from, ErrMergeTarget for an unknown into, CheckMerge's errors.
func (s *Customers) MergeCustomer(ctx context.Context, m, fromID, intoID string, now time.Time,
	audit func(from, into *domain.CustomerRecord) []AuditEntry) (*domain.CustomerRecord, int, error) {
	for try := 0; ; try++ {
		from, err := s.getCustomerItem(ctx, m, fromID)
		if err != nil {
			return nil, 0, err
		}
		if from.MergedInto != "" && from.MergedInto != intoID {
			return nil, 0, domain.ErrMergedElsewhere
		}
		into, err := s.getCustomerItem(ctx, m, intoID)
		if errors.Is(err, domain.ErrNotFound) {
			return nil, 0, ErrMergeTarget
		}
		if err != nil {
			return nil, 0, err
		}
		if err := domain.CheckMerge(&from.CustomerRecord, &into.CustomerRecord); err != nil {
			return nil, 0, err
		}
		if from.MergedInto == "" {
			err := s.beginMerge(ctx, m, from, into, now, audit)
			if errors.Is(err, domain.ErrConflict) && try < 3 {
				continue // either changed since read: read again
			}
			if err != nil {
				return nil, 0, err
			}
		}
		moved, err := s.moveCustomerLinks(ctx, m, fromID, intoID)
		if err != nil {
			return nil, moved, err
		}
		if err := s.finishMerge(ctx, m, fromID, intoID); err != nil {
			return nil, moved, err
		}
		kept, err := s.GetCustomer(ctx, m, intoID)
		return kept, moved, err
	}
}

// beginMerge is step 1: one transaction.
func (s *Customers) beginMerge(ctx context.Context, m string, from, into *customerItem, now time.Time,
	audit func(from, into *domain.CustomerRecord) []AuditEntry) error {
	tomb := domain.MergedTombstone(from.CustomerRecord, into.ID, now)
	kept := domain.Absorb(into.CustomerRecord, from.CustomerRecord, now)
	fromItems, _, err := s.customerWrites(m, from, &tomb)
	if err != nil {
		return err
	}
	intoItems, _, err := s.customerWrites(m, into, &kept)
	if err != nil {
		return err
	}
	items := append(withoutPutKeys(fromItems, intoItems), intoItems...)
	if kept.CustomerNumber != nil {
		// The merged customer's number moves with it: its marker may be
		// rewritten for the kept customer.
		for _, it := range intoItems {
			if p := it.Put; p != nil && avS(p.Item["SK"]) == customerNoSK {
				p.ConditionExpression = aws.String("attribute_not_exists(PK) OR customer_id = :me OR customer_id = :from")
				p.ExpressionAttributeValues[":from"] = sv(from.ID)
			}
		}
	}
	for _, e := range audit(&from.CustomerRecord, &kept) {
		a, err := s.AuditPut(m, e)
		if err != nil {
			return err
		}
		items = append(items, a)
	}
	// The kept customer's erasure has not begun (its marker, written
	// before the erasure reads merged_from): else its links would move in
	// after the erasure walked them.
	// Nor has the merged customer's: its details would move to the kept
	// one, its links out from under the erasure's walk.
	erasing := len(items)
	for _, id := range []string{into.ID, from.ID} {
		items = append(items, types.TransactWriteItem{ConditionCheck: &types.ConditionCheck{TableName: s.tbl(),
			Key: key(erasedPK(m, id), erasedSK), ConditionExpression: aws.String("attribute_not_exists(PK)")}})
	}
	_, err = s.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	if reasons, ok := cancelReasons(err); ok {
		if erasing < len(reasons) && reasons[erasing] == "ConditionalCheckFailed" {
			gone := into.CustomerRecord
			gone.Erased = true
			return domain.CheckMerge(&from.CustomerRecord, &gone)
		}
		if erasing+1 < len(reasons) && reasons[erasing+1] == "ConditionalCheckFailed" {
			gone := from.CustomerRecord
			gone.Erased = true
			return domain.CheckMerge(&gone, &into.CustomerRecord)
		}
		if customerNumberTaken(err, &kept, len(withoutPutKeys(fromItems, intoItems))) {
			return ErrCustomerNumberTaken
		}
		for _, r := range reasons {
			if r == "ConditionalCheckFailed" || r == "TransactionConflict" {
				return fmt.Errorf("begin merge of %s: %w", from.ID, domain.ErrConflict)
			}
		}
	}
	if err != nil {
		return fmt.Errorf("begin merge of %s into %s: %w", from.ID, into.ID, err)
	}
	return nil
}

// withoutPutKeys is items less the deletes of an item that puts writes
// (one transaction may touch an item once: the put replaces it).
func withoutPutKeys(items, puts []types.TransactWriteItem) []types.TransactWriteItem {
	put := map[string]bool{}
	for _, p := range puts {
		if p.Put != nil {
			put[idxKey(avS(p.Put.Item["PK"]), avS(p.Put.Item["SK"]))] = true
		}
	}
	out := make([]types.TransactWriteItem, 0, len(items))
	for _, it := range items {
		if d := it.Delete; d != nil && put[idxKey(avS(d.Key["PK"]), avS(d.Key["SK"]))] {
			continue
		}
		out = append(out, it)
	}
	return out
}

// moveCustomerLinks is step 2: batches until the merged customer lists no
// link; a batch refused by a concurrent change is read again.
func (s *Customers) moveCustomerLinks(ctx context.Context, m, fromID, intoID string) (int, error) {
	moved, refused := 0, 0
	for {
		out, err := s.DB.Query(ctx, &dynamodb.QueryInput{TableName: s.tbl(), KeyConditionExpression: aws.String("PK = :pk"), ConsistentRead: aws.Bool(true),
			ExpressionAttributeValues: map[string]types.AttributeValue{":pk": sv(customerLinksPK(m, fromID))}, Limit: aws.Int32(MergeBatch)})
		if err != nil {
			return moved, fmt.Errorf("merge %s: read its links: %w", fromID, err)
		}
		if len(out.Items) == 0 {
			return moved, nil
		}
		items, err := s.moveBatch(ctx, m, fromID, intoID, out.Items)
		if err != nil {
			return moved, err
		}
		_, err = s.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
		if _, ok := cancelReasons(err); ok && refused < 5 {
			refused++
			continue
		}
		if err != nil {
			return moved, fmt.Errorf("merge %s: move %d links: %w", fromID, len(out.Items), err)
		}
		moved += len(out.Items)
	}
}

// moveBatch is the transaction moving listing entries: each link still
// the merged customer's takes the kept one's id, each entry moves.
func (s *Customers) moveBatch(ctx context.Context, m, fromID, intoID string, entries []map[string]types.AttributeValue) ([]types.TransactWriteItem, error) {
	keys := make([]map[string]types.AttributeValue, len(entries))
	for i, e := range entries {
		keys[i] = linkKey(m, avS(e["link_id"]))
	}
	links, err := s.batchGetConsistent(ctx, keys)
	if err != nil {
		return nil, fmt.Errorf("merge %s: read its links: %w", fromID, err)
	}
	var items []types.TransactWriteItem
	for i, e := range entries {
		linkID, sk := avS(e["link_id"]), avS(e["SK"])
		if l := links[i]; l != nil && customerIDOf(l) == fromID {
			items = append(items, types.TransactWriteItem{Update: &types.Update{TableName: s.tbl(), Key: linkKey(m, linkID),
				ConditionExpression:      aws.String("customer.#id = :from"),
				UpdateExpression:         aws.String("SET customer.#id = :into, #version = #version + :one"),
				ExpressionAttributeNames: map[string]string{"#id": "ID", "#version": "version"},
				ExpressionAttributeValues: map[string]types.AttributeValue{
					":from": sv(fromID), ":into": sv(intoID), ":one": nv(1),
				}}})
		}
		put := s.customerLinkPut(m, intoID, linkID, time.Time{})
		put.Put.Item["SK"] = sv(sk)
		items = append(items, put, types.TransactWriteItem{Delete: &types.Delete{TableName: s.tbl(), Key: key(customerLinksPK(m, fromID), sk)}})
	}
	return items, nil
}

// customerIDOf is the customer id of a link item.
func customerIDOf(l map[string]types.AttributeValue) string {
	if c, ok := l["customer"].(*types.AttributeValueMemberM); ok {
		return avS(c.Value["ID"])
	}
	return ""
}

// finishMerge is step 3: merging cleared on the tombstone once its
// listing is empty (moveCustomerLinks returned).
func (s *Customers) finishMerge(ctx context.Context, m, fromID, intoID string) error {
	_, err := s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: s.tbl(), Key: key(customerPK(m, fromID), customerSK),
		ConditionExpression: aws.String("merged_into = :into"), UpdateExpression: aws.String("REMOVE merging"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":into": sv(intoID)}})
	if _, ok := isConditionFailed(err); ok {
		return fmt.Errorf("finish merge of %s: %w", fromID, domain.ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("finish merge of %s: %w", fromID, err)
	}
	return nil
}
