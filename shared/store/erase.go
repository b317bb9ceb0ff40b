package store

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// EraseCustomerLinks removes the person's data from every link made for
// customer id: the link's snapshot becomes only the customer's id (the
// customer filter's text with it), and the webhook deliveries of those
// links (their bodies hold the link as sent) keep the customer's id only,
// a deleted link's deliveries too. Amounts, statuses, PSP references and
// timelines stay. It returns the number of links and deliveries scrubbed;
// run again, it changes nothing more.
func (s *Store) EraseCustomerLinks(ctx context.Context, m, id string) (links, deliveries int, err error) {
	cursor := ""
	for {
		ids, next, err := s.customerLinkIDs(ctx, m, id, 100, cursor)
		if err != nil {
			return links, deliveries, err
		}
		for _, linkID := range ids {
			scrubbed, err := s.eraseLinkCustomer(ctx, m, linkID, id)
			if err != nil {
				return links, deliveries, err
			}
			if scrubbed {
				links++
			}
			n, err := s.eraseDeliveries(ctx, m, linkID, id)
			if err != nil {
				return links, deliveries, err
			}
			deliveries += n
		}
		if next == "" {
			return links, deliveries, nil
		}
		cursor = next
	}
}

// eraseLinkCustomer reduces a link's customer to its id; false when the
// link is gone (deleted before it was opened).
func (s *Store) eraseLinkCustomer(ctx context.Context, m, linkID, customerID string) (bool, error) {
	_, err := s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: s.tbl(), Key: linkKey(m, linkID),
		ConditionExpression: aws.String("attribute_exists(PK)"),
		UpdateExpression:    aws.String("SET customer = :c, customer_search = :empty"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":c":     &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"ID": sv(customerID)}},
			":empty": sv(""),
		}})
	if _, ok := isConditionFailed(err); ok {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("erase link %s: %w", linkID, err)
	}
	return true, nil
}

// eraseDeliveries rewrites the bodies of a link's webhook deliveries with
// the customer reduced to its id.
func (s *Store) eraseDeliveries(ctx context.Context, m, linkID, customerID string) (int, error) {
	n, cursor := 0, ""
	for {
		ds, next, err := s.ListDeliveries(ctx, DeliveryQuery{Merchant: m, LinkID: linkID, Limit: 100, Cursor: cursor})
		if err != nil {
			return n, err
		}
		for _, d := range ds {
			body, changed := scrubCustomer(d.Body, customerID)
			if !changed {
				continue
			}
			_, err := s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: s.tbl(), Key: key(deliveryPK(m, d.ID), deliverySK),
				ConditionExpression: aws.String("attribute_exists(PK)"), UpdateExpression: aws.String("SET body = :b"),
				ExpressionAttributeValues: map[string]types.AttributeValue{":b": sv(body)}})
			if _, gone := isConditionFailed(err); gone {
				continue
			}
			if err != nil {
				return n, fmt.Errorf("erase delivery %s: %w", d.ID, err)
			}
			n++
		}
		if next == "" {
			return n, nil
		}
		cursor = next
	}
}

// scrubCustomer replaces, anywhere in a JSON document, an object under
// "customer" whose id is customerID by {"id": customerID}.
func scrubCustomer(body, customerID string) (string, bool) {
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
				if cm, ok := c.(map[string]any); ok && k == "customer" && cm["id"] == customerID && len(cm) > 1 {
					t[k] = map[string]any{"id": customerID}
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
