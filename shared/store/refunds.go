package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/money"
)

// Refund errors.
var (
	ErrRefundClaimed = errors.New("the refund is being submitted by another worker")
)

// Refund statuses.
const (
	RefundPending   = domain.RefundStatusPending
	RefundSucceeded = domain.RefundStatusSucceeded
	RefundFailed    = domain.RefundStatusFailed
)

// Refund is a (partial) refund of a paid link.
type Refund struct {
	ID            string       `json:"id"`
	LinkID        string       `json:"link_id"`
	Merchant      string       `json:"-"`
	Amount        money.Amount `json:"amount"`
	Reason        string       `json:"reason,omitempty"`
	Status        string       `json:"status"`
	PSP           string       `json:"psp"`
	PSPReference  string       `json:"psp_reference,omitempty"`
	FailureReason string       `json:"failure_reason,omitempty"`
	Submitted     bool         `json:"-"`
	// EndToEndID is a refund by bank transfer's end-to-end id (its payout:
	// domain.PayoutEndToEndID), BankFileID the bank refund file that pays
	// it out ("" until it is in one).
	EndToEndID string `json:"-"`
	BankFileID string `json:"-"`
	// HeldBy is the reversal (its review payment) that took back the
	// payment a refund by bank transfer was to pay back, before any file
	// held the refund: no file ever will (the bank has the money back).
	HeldBy    string    `json:"-"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

type refundItem struct {
	PK            string `dynamodbav:"PK"`
	SK            string `dynamodbav:"SK"`
	Type          string `dynamodbav:"type"`
	ID            string `dynamodbav:"id"`
	LinkID        string `dynamodbav:"link_id"`
	Merchant      string `dynamodbav:"merchant"`
	Currency      string `dynamodbav:"currency"`
	Amount        string `dynamodbav:"amount"`
	Reason        string `dynamodbav:"reason,omitempty"`
	Status        string `dynamodbav:"status"`
	PSP           string `dynamodbav:"psp"`
	PSPReference  string `dynamodbav:"psp_reference,omitempty"`
	FailureReason string `dynamodbav:"failure_reason,omitempty"`
	Submitted     bool   `dynamodbav:"submitted"`
	ClaimedUntil  string `dynamodbav:"claimed_until,omitempty"`
	EndToEndID    string `dynamodbav:"end_to_end_id,omitempty"`
	BankFileID    string `dynamodbav:"bank_file_id,omitempty"`
	HeldBy        string `dynamodbav:"held_by,omitempty"`
	CreatedAt     string `dynamodbav:"created_at"`
	UpdatedAt     string `dynamodbav:"updated_at"`
}

func refundFromItem(it *refundItem) (*Refund, error) {
	a, err := money.Parse(it.Currency, it.Amount)
	if err != nil {
		return nil, fmt.Errorf("refund %s amount: %w", it.ID, err)
	}
	c, _ := pt(it.CreatedAt)
	u, _ := pt(it.UpdatedAt)
	return &Refund{ID: it.ID, LinkID: it.LinkID, Merchant: it.Merchant, Amount: a, Reason: it.Reason, Status: it.Status, PSP: it.PSP,
		PSPReference: it.PSPReference, FailureReason: it.FailureReason, Submitted: it.Submitted, EndToEndID: it.EndToEndID, BankFileID: it.BankFileID,
		HeldBy: it.HeldBy, CreatedAt: c, UpdatedAt: u}, nil
}

// CreateRefund reserves the amount on the paid link and writes the pending
// refund and its timeline event, in one transaction. The guard keeps what
// refunds hold (succeeded + pending) at or below the paid amount (what the
// link received: only a payment of exactly its amount pays it), whatever
// runs concurrently: domain.ErrNotPaid or domain.ErrRefundTooLarge otherwise.
func (s *Payments) CreateRefund(ctx context.Context, l *domain.Link, r *Refund, now time.Time) error {
	return s.createRefund(ctx, l, r, now, nil)
}

// createRefund is CreateRefund with more items in its transaction (after
// the reservation, the refund, its event and the audit entry).
func (s *Payments) createRefund(ctx context.Context, l *domain.Link, r *Refund, now time.Time, more []types.TransactWriteItem) error {
	limit := l.Amount.Minor() - r.Amount.Minor()
	if limit < 0 {
		return domain.ErrRefundTooLarge
	}
	it := refundItem{PK: linkPK(l.Merchant, l.ID), SK: refundSK(r.ID), Type: "refund", ID: r.ID, LinkID: l.ID, Merchant: l.Merchant,
		Currency: r.Amount.Currency, Amount: r.Amount.String(), Reason: r.Reason, Status: RefundPending, PSP: r.PSP,
		EndToEndID: r.EndToEndID, CreatedAt: ft(now), UpdatedAt: ft(now)}
	av, err := attributevalue.MarshalMap(it)
	if err != nil {
		return err
	}
	ev := domain.NewEvent(l.ID, domain.EventRefundCreated, "", "", now, map[string]string{"refund_id": r.ID, "amount": r.Amount.String(), "currency": r.Amount.Currency})
	stampActor(ctx, &ev)
	evAV, err := attributevalue.MarshalMap(eventToItem(l.Merchant, ev))
	if err != nil {
		return err
	}
	reserve, err := s.reserveRefundItem(l, r.Amount, limit)
	if err != nil {
		return err
	}
	items := []types.TransactWriteItem{
		reserve,
		{Put: &types.Put{TableName: s.tbl(), Item: av, ConditionExpression: aws.String("attribute_not_exists(PK)")}},
		{Put: &types.Put{TableName: s.tbl(), Item: evAV, ConditionExpression: aws.String("attribute_not_exists(PK)")}},
	}
	if audit, ok, err := s.actorAudit(ctx, l.Merchant, now, domain.EventRefundCreated, r.ID, nil,
		map[string]string{"link_id": l.ID, "amount": r.Amount.String(), "currency": r.Amount.Currency, "reason": r.Reason}); err != nil {
		return err
	} else if ok {
		items = append(items, audit)
	}
	items = append(items, more...)
	_, err = s.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	if err == nil {
		r.Status, r.CreatedAt, r.UpdatedAt, r.LinkID = RefundPending, now, now, l.ID
		return nil
	}
	var tce *types.TransactionCanceledException
	if errors.As(err, &tce) && len(tce.CancellationReasons) > 0 && aws.ToString(tce.CancellationReasons[0].Code) == "ConditionalCheckFailed" {
		if item := tce.CancellationReasons[0].Item; item != nil {
			if err := domain.RefundRefusal(&domain.Link{Status: domain.Status(avS(item["status"])), ReversedBy: avS(item["reversed_by"])}); err != nil {
				return err
			}
		}
		return domain.ErrRefundTooLarge
	}
	if errors.As(err, &tce) {
		return domain.ErrConflict
	}
	return fmt.Errorf("create refund on %s: %w", l.ID, err)
}

// reserveRefundItem adds amt to what the link has committed to refunds,
// guarded by the statuses the domain lets a link be refunded in, by no
// reversal having taken its payment back (reversed_by: domain.RefundRefusal)
// and by limit (what may be committed before amt).
func (s *Payments) reserveRefundItem(l *domain.Link, amt money.Amount, limit int64) (types.TransactWriteItem, error) {
	names := map[string]string{}
	values := map[string]types.AttributeValue{":amt": n64(amt.Minor()), ":limit": n64(limit)}
	guard, err := statusGuard(names, values, domain.Refundable())
	if err != nil {
		return types.TransactWriteItem{}, fmt.Errorf("create refund on %s: %w", l.ID, err)
	}
	return types.TransactWriteItem{Update: &types.Update{
		TableName: s.tbl(), Key: linkKey(l.Merchant, l.ID),
		UpdateExpression:                    aws.String("ADD refund_committed_minor :amt"),
		ConditionExpression:                 aws.String(guard + " AND attribute_not_exists(reversed_by) AND (attribute_not_exists(refund_committed_minor) OR refund_committed_minor <= :limit)"),
		ExpressionAttributeNames:            names,
		ExpressionAttributeValues:           values,
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	}}, nil
}

func n64(n int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: fmt.Sprint(n)}
}

// GetRefund reads one refund.
func (s *Payments) GetRefund(ctx context.Context, merchant, linkID, id string) (*Refund, error) {
	var it refundItem
	if err := s.getItem(ctx, linkPK(merchant, linkID), refundSK(id), "refund "+id, &it); err != nil {
		return nil, err
	}
	return refundFromItem(&it)
}

// Refunds lists a link's refunds, oldest first.
func (s *Payments) Refunds(ctx context.Context, merchant, linkID string) ([]*Refund, error) {
	items, err := queryPrefix[refundItem](ctx, s.Core, linkPK(merchant, linkID), refundSK(""), "refunds of "+linkID)
	if err != nil {
		return nil, err
	}
	var out []*Refund
	for i := range items {
		r, err := refundFromItem(&items[i])
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// ClaimRefund gives one worker the right to submit a pending refund to the
// PSP for lease; a refund already submitted or settled is not claimed
// (false). ErrRefundClaimed while another worker holds it.
func (s *Payments) ClaimRefund(ctx context.Context, merchant, linkID, id string, now time.Time, lease time.Duration) (*Refund, bool, error) {
	out, err := s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: s.tbl(), Key: key(linkPK(merchant, linkID), refundSK(id)),
		UpdateExpression:         aws.String("SET claimed_until = :until"),
		ConditionExpression:      aws.String("#status = :pending AND submitted = :false AND (attribute_not_exists(claimed_until) OR claimed_until < :now)"),
		ExpressionAttributeNames: map[string]string{"#status": "status"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":until": sv(ft(now.Add(lease))), ":now": sv(ft(now)), ":pending": sv(RefundPending), ":false": bv(false),
		},
		ReturnValues:                        types.ReturnValueAllNew,
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	if ccf, ok := isConditionFailed(err); ok {
		if ccf.Item == nil {
			return nil, false, domain.ErrNotFound
		}
		var it refundItem
		_ = attributevalue.UnmarshalMap(ccf.Item, &it)
		r, _ := refundFromItem(&it)
		if it.Status == RefundPending && !it.Submitted {
			return r, false, ErrRefundClaimed
		}
		return r, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("claim refund %s: %w", id, err)
	}
	var it refundItem
	if err := attributevalue.UnmarshalMap(out.Attributes, &it); err != nil {
		return nil, false, err
	}
	r, err := refundFromItem(&it)
	return r, true, err
}

// MarkRefundSubmitted notes that the PSP accepted the refund and will
// settle it later (a webhook).
func (s *Payments) MarkRefundSubmitted(ctx context.Context, merchant, linkID, id, ref string, now time.Time) error {
	_, err := s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: s.tbl(), Key: key(linkPK(merchant, linkID), refundSK(id)),
		UpdateExpression:          aws.String("SET submitted = :true, psp_reference = :ref, updated_at = :now REMOVE claimed_until"),
		ConditionExpression:       aws.String("#status = :pending"),
		ExpressionAttributeNames:  map[string]string{"#status": "status"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":true": bv(true), ":ref": sv(ref), ":now": sv(ft(now)), ":pending": sv(RefundPending)},
	})
	if _, ok := isConditionFailed(err); ok {
		return nil // settled meanwhile (a fast webhook)
	}
	if err != nil {
		return fmt.Errorf("mark refund %s submitted: %w", id, err)
	}
	return nil
}

// ReleaseRefundClaim gives a claim back after a transient PSP failure.
func (s *Payments) ReleaseRefundClaim(ctx context.Context, merchant, linkID, id string) error {
	_, err := s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: s.tbl(), Key: key(linkPK(merchant, linkID), refundSK(id)),
		UpdateExpression: aws.String("REMOVE claimed_until"),
	})
	if err != nil {
		return fmt.Errorf("release refund %s: %w", id, err)
	}
	return nil
}

// SettleRefund carries out d (domain.DecideRefundSettlement on r as read)
// in one transaction: the refund's new status (guarded: still pending),
// the link's counters by d's deltas and the timeline event. It returns
// false when the refund was settled meanwhile (nothing was written).
func (s *Payments) SettleRefund(ctx context.Context, merchant string, r *Refund, d domain.RefundSettlement, ref, reason string, now time.Time) (bool, error) {
	if !d.Settle {
		return false, nil
	}
	linkID, id, ok := r.LinkID, r.ID, d.Status == RefundSucceeded
	status, typ := d.Status, d.EventType
	linkUpdate, amt := "ADD refunded_minor :amt", d.RefundedDelta
	if !ok {
		linkUpdate, amt = "ADD refund_committed_minor :amt", d.CommittedDelta
	}
	if ref == "" {
		ref = r.PSPReference
	}
	data := map[string]string{"refund_id": id, "amount": r.Amount.String(), "currency": r.Amount.Currency}
	if reason != "" {
		data["reason"] = reason
	}
	event := domain.NewEvent(linkID, typ, "", "", now, data)
	evAV, err := attributevalue.MarshalMap(eventToItem(merchant, event))
	if err != nil {
		return false, err
	}
	linkValues := map[string]types.AttributeValue{":amt": n64(amt), ":le": lastEventAV(event), ":one": nv(1), ":now": sv(ft(now))}
	sets := []string{"#status = :st", "updated_at = :now"}
	values := map[string]types.AttributeValue{":st": sv(status), ":now": sv(ft(now)), ":pending": sv(RefundPending)}
	if ref != "" {
		sets = append(sets, "psp_reference = :ref")
		values[":ref"] = sv(ref)
	}
	if reason != "" && !ok {
		sets = append(sets, "failure_reason = :reason")
		values[":reason"] = sv(reason)
	}
	refUpdate := "SET " + strings.Join(sets, ", ") + " REMOVE claimed_until"
	_, err = s.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Update: &types.Update{
			TableName: s.tbl(), Key: key(linkPK(merchant, linkID), refundSK(id)),
			UpdateExpression: aws.String(refUpdate), ConditionExpression: aws.String("#status = :pending"),
			ExpressionAttributeNames: map[string]string{"#status": "status"}, ExpressionAttributeValues: values,
		}},
		{Update: &types.Update{
			TableName: s.tbl(), Key: linkKey(merchant, linkID),
			UpdateExpression:          aws.String("SET last_event = :le, #version = #version + :one, updated_at = :now " + linkUpdate),
			ExpressionAttributeNames:  map[string]string{"#version": "version"},
			ExpressionAttributeValues: linkValues,
			ConditionExpression:       aws.String("attribute_exists(PK)"),
		}},
		{Put: &types.Put{TableName: s.tbl(), Item: evAV, ConditionExpression: aws.String("attribute_not_exists(PK)")}},
	}})
	if reasons, isCancel := cancelReasons(err); isCancel {
		if len(reasons) > 0 && reasons[0] == "ConditionalCheckFailed" {
			return false, nil // settled by someone else
		}
		return false, domain.ErrConflict
	}
	if err != nil {
		return false, fmt.Errorf("settle refund %s: %w", id, err)
	}
	return true, nil
}
