package store

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/paylinks/paylinks/shared/domain"
)

// maxDeleteItems keeps a delete inside one transaction (100 items at most).
const maxDeleteItems = 100

// Delete removes a never-opened link for good in one transaction: the link
// (guarded: still created, same version), everything else in its partition
// (timeline, reminder, send claims) and its reference marker.
// domain.ErrConflict when it changed meanwhile.
func (s *Links) Delete(ctx context.Context, cur *domain.Link) error {
	part, err := s.queryLink(ctx, cur.Merchant, cur.ID, "", "")
	if err != nil {
		return err
	}
	link, err := s.deleteLinkItem(cur)
	if err != nil {
		return err
	}
	items := []types.TransactWriteItem{link}
	if cur.Reference != "" {
		items = append(items, types.TransactWriteItem{Delete: &types.Delete{TableName: s.tbl(), Key: key(refPK(cur.Merchant, cur.Reference), refSK)}})
	}
	if len(items)+len(part) > maxDeleteItems {
		return fmt.Errorf("%w: too many items to delete at once", domain.ErrConflict)
	}
	for _, it := range part {
		if sk := avS(it["SK"]); sk != linkSK(cur.ID) {
			items = append(items, types.TransactWriteItem{Delete: &types.Delete{TableName: s.tbl(), Key: key(linkPK(cur.Merchant, cur.ID), sk)}})
		}
	}
	audit, ok, err := s.actorAudit(ctx, cur.Merchant, time.Now(), "payment_link.deleted", cur.ID, map[string]any{
		"status": cur.Status, "reference": cur.Reference, "amount": cur.Amount.String(), "currency": cur.Amount.Currency}, nil)
	if err != nil {
		return err
	}
	if ok {
		items = append(items, audit)
	}
	_, err = s.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	if _, ok := cancelReasons(err); ok {
		return domain.ErrConflict
	}
	if err != nil {
		return fmt.Errorf("delete link %s: %w", cur.ID, err)
	}
	return nil
}

// deleteLinkItem deletes the link item, guarded by its version and by the
// statuses the domain lets a link be deleted in.
func (s *Links) deleteLinkItem(cur *domain.Link) (types.TransactWriteItem, error) {
	names := map[string]string{"#version": "version"}
	values := map[string]types.AttributeValue{":v": nv(cur.Version)}
	guard, err := statusGuard(names, values, domain.Deletable())
	if err != nil {
		return types.TransactWriteItem{}, fmt.Errorf("delete link %s: %w", cur.ID, err)
	}
	return types.TransactWriteItem{Delete: &types.Delete{
		TableName: s.tbl(), Key: linkKey(cur.Merchant, cur.ID),
		ConditionExpression:       aws.String("#version = :v AND " + guard),
		ExpressionAttributeNames:  names,
		ExpressionAttributeValues: values,
	}}, nil
}
