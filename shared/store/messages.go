package store

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/paylinks/paylinks/shared/domain"
)

// AddEvent writes a timeline event that comes with no state change of the
// link itself (a message queued, sent or failed).
//
// Asked for by an actor (a send through the API), the event and its audit
// entry are written in one transaction.
func (s *Links) AddEvent(ctx context.Context, merchant string, ev domain.Event) error {
	stampActor(ctx, &ev)
	av, err := attributevalue.MarshalMap(eventToItem(merchant, ev))
	if err != nil {
		return err
	}
	put := &types.Put{TableName: s.tbl(), Item: av, ConditionExpression: aws.String("attribute_not_exists(PK)")}
	audit, ok, err := s.eventAudit(ctx, merchant, ev)
	if err != nil {
		return err
	}
	if ok {
		_, err = s.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{{Put: put}, audit}})
		if _, cancelled := cancelReasons(err); cancelled {
			return nil // the event is there already: so is its entry
		}
	} else {
		_, err = s.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: put.TableName, Item: put.Item, ConditionExpression: put.ConditionExpression})
	}
	if _, ok := isConditionFailed(err); ok {
		return nil
	}
	if err != nil {
		return fmt.Errorf("add event to %s: %w", ev.LinkID, err)
	}
	return nil
}

// ClaimSend takes the right to deliver message sendID of a link for lease.
// done reports a message already delivered (or given up on): a redelivered
// queue message sends nothing. ErrRefundClaimed-like contention is
// domain.ErrConflict.
func (s *Links) ClaimSend(ctx context.Context, merchant, linkID, sendID string, now time.Time, lease time.Duration) (done bool, err error) {
	_, err = s.DB.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: s.tbl(),
		Item: map[string]types.AttributeValue{
			"PK": sv(linkPK(merchant, linkID)), "SK": sv(sendSK(sendID)), "type": sv("send"), "state": sv("sending"),
			"claimed_until": sv(ft(now.Add(lease))), "ttl": nv(ttlAt(now, pspMarkerTTL)),
		},
		ConditionExpression:                 aws.String("attribute_not_exists(PK) OR (#state = :sending AND claimed_until < :now)"),
		ExpressionAttributeNames:            map[string]string{"#state": "state"},
		ExpressionAttributeValues:           map[string]types.AttributeValue{":sending": sv("sending"), ":now": sv(ft(now))},
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	if ccf, ok := isConditionFailed(err); ok {
		if ccf.Item != nil && avS(ccf.Item["state"]) == "done" {
			return true, nil
		}
		return false, domain.ErrConflict
	}
	if err != nil {
		return false, fmt.Errorf("claim send %s: %w", sendID, err)
	}
	return false, nil
}

// FinishSend marks a message done with its outcome and writes its timeline
// event, in one transaction.
func (s *Links) FinishSend(ctx context.Context, merchant, linkID, sendID, outcome string, ev domain.Event) error {
	av, err := attributevalue.MarshalMap(eventToItem(merchant, ev))
	if err != nil {
		return err
	}
	in := &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Update: &types.Update{
			TableName: s.tbl(), Key: key(linkPK(merchant, linkID), sendSK(sendID)),
			UpdateExpression: aws.String("SET #state = :done, outcome = :o REMOVE claimed_until"), ExpressionAttributeNames: map[string]string{"#state": "state"},
			ExpressionAttributeValues: map[string]types.AttributeValue{":done": sv("done"), ":o": sv(outcome)},
		}},
		{Put: &types.Put{TableName: s.tbl(), Item: av, ConditionExpression: aws.String("attribute_not_exists(PK)")}},
	}}
	if ch := ev.Data["channel"]; outcome == "sent" && ch != "" {
		// The link shows the channels it went out on (the overview's icon,
		// its channel filter, the insights); a link deleted meanwhile is
		// not made again (the condition), the message is still recorded.
		in.TransactItems = append(in.TransactItems, types.TransactWriteItem{Update: &types.Update{
			TableName: s.tbl(), Key: key(linkPK(merchant, linkID), linkSK(linkID)),
			ConditionExpression: aws.String("attribute_exists(PK)"),
			UpdateExpression:    aws.String("ADD sent_channels :ch SET last_sent_at = :at"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":ch": &types.AttributeValueMemberSS{Value: []string{ch}},
				":at": sv(ft(ev.At))},
		}})
	}
	// The message went out: this must land (retried), and an earlier try
	// that landed without its answer shows as the event already there.
	err = persist(ctx, func() error { _, err := s.DB.TransactWriteItems(ctx, in); return err })
	reasons, ok := cancelReasons(err)
	if ok && len(reasons) > 1 && reasons[1] == "ConditionalCheckFailed" {
		return nil
	}
	if ok && len(reasons) == 3 && reasons[2] == "ConditionalCheckFailed" {
		// The link is gone (deleted when archived unopened): record the
		// message without it.
		in.TransactItems = in.TransactItems[:2]
		err = persist(ctx, func() error { _, err := s.DB.TransactWriteItems(ctx, in); return err })
		if reasons, ok := cancelReasons(err); ok && reasons[1] == "ConditionalCheckFailed" {
			return nil
		}
	}
	if err != nil {
		return fmt.Errorf("finish send %s: %w", sendID, err)
	}
	return nil
}

// ReleaseSend gives a claim back after a transient failure.
func (s *Links) ReleaseSend(ctx context.Context, merchant, linkID, sendID string) error {
	err := persist(ctx, func() error {
		_, err := s.DB.DeleteItem(ctx, &dynamodb.DeleteItemInput{
			TableName: s.tbl(), Key: key(linkPK(merchant, linkID), sendSK(sendID)),
			ConditionExpression:       aws.String("#state = :sending"),
			ExpressionAttributeNames:  map[string]string{"#state": "state"},
			ExpressionAttributeValues: map[string]types.AttributeValue{":sending": sv("sending")},
		})
		return err
	})
	if _, ok := isConditionFailed(err); ok || err == nil {
		return nil
	}
	return fmt.Errorf("release send %s: %w", sendID, err)
}

// reminderItem puts a second-chance message in the expiry index at its
// time; the sweep hands it to the send queue when it is due.
func reminderItem(table *string, l *domain.Link) types.TransactWriteItem {
	g2pk, g2sk := expiryEntry(l.Merchant, l.ID, *l.ReminderAt, l.UpdatedAt)
	return types.TransactWriteItem{Put: &types.Put{TableName: table, Item: map[string]types.AttributeValue{
		"PK": sv(linkPK(l.Merchant, l.ID)), "SK": sv(reminderSK), "type": sv("reminder"),
		"merchant": sv(l.Merchant), "id": sv(l.ID), "channel": sv(l.ReminderChannel), "at": sv(ft(*l.ReminderAt)),
		"GSI2PK": sv(g2pk), "GSI2SK": sv(g2sk),
	}}}
}

// DeleteReminder removes a reminder the sweep has handed on.
func (s *Links) DeleteReminder(ctx context.Context, merchant, linkID string) error {
	_, err := s.DB.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: s.tbl(), Key: key(linkPK(merchant, linkID), reminderSK)})
	if err != nil {
		return fmt.Errorf("delete reminder of %s: %w", linkID, err)
	}
	return nil
}
