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

// ClickWrite is what counting a click found: the link after the click
// when it was counted, else the link as stored (Found; nil: no such link).
type ClickWrite struct {
	Counted bool
	Link    *domain.Link
	Found   *domain.Link
}

// CountClick counts a click on the link behind code at now as
// domain.ExpectClick decides before the link is read: one UpdateItem
// (ALL_NEW), guarded by the decision's assumptions (the code, the link
// clicked, not expired, not archived). It decides nothing: when the link is
// not so, it reports the link it found (domain.DecideClick decides then;
// a click that opens a link is a Transition with its event).
func (s *Links) CountClick(ctx context.Context, merchant, linkID, code string, now time.Time) (ClickWrite, error) {
	in, err := s.clickInput(merchant, linkID, code, now)
	if err != nil {
		return ClickWrite{}, err
	}
	out, err := s.DB.UpdateItem(ctx, in)
	if err == nil {
		l, err := unmarshalLink(out.Attributes)
		return ClickWrite{Counted: true, Link: l}, err
	}
	ccf, ok := isConditionFailed(err)
	if !ok {
		return ClickWrite{}, fmt.Errorf("click %s: %w", linkID, err)
	}
	if ccf.Item == nil {
		return ClickWrite{}, nil
	}
	cur, err := unmarshalLink(ccf.Item)
	if err != nil {
		return ClickWrite{}, err
	}
	return ClickWrite{Found: cur}, nil
}

// clickInput counts a click on a link already clicked: the status a click
// moves a link to, so no transition (and no event) is needed.
func (s *Links) clickInput(merchant, linkID, code string, now time.Time) (*dynamodb.UpdateItemInput, error) {
	names := map[string]string{}
	values := map[string]types.AttributeValue{":one": nv(1), ":now": sv(ft(now)), ":code": sv(code), ":false": bv(false)}
	guard, err := statusGuard(names, values, []domain.Status{domain.StatusClicked})
	if err != nil {
		return nil, fmt.Errorf("click %s: %w", linkID, err)
	}
	return &dynamodb.UpdateItemInput{
		TableName:                           s.tbl(),
		Key:                                 linkKey(merchant, linkID),
		UpdateExpression:                    aws.String("ADD click_count :one SET last_clicked_at = :now"),
		ConditionExpression:                 aws.String("code = :code AND " + guard + " AND expires_at > :now AND archived = :false"),
		ExpressionAttributeNames:            names,
		ExpressionAttributeValues:           values,
		ReturnValues:                        types.ReturnValueAllNew,
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	}, nil
}

// SaveCheckout stores the PSP session of the link's current attempt, unless
// the attempt moved on meanwhile.
func (s *Links) SaveCheckout(ctx context.Context, l *domain.Link, url string, expires time.Time) error {
	_, err := s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:           s.tbl(),
		Key:                 linkKey(l.Merchant, l.ID),
		UpdateExpression:    aws.String("SET checkout_url = :u, checkout_expires_at = :e"),
		ConditionExpression: aws.String("attempt = :a"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":u": sv(url), ":e": sv(ft(expires)), ":a": nv(l.Attempt),
		},
	})
	if _, ok := isConditionFailed(err); ok {
		return nil // a newer attempt has its own session
	}
	if err != nil {
		return fmt.Errorf("save checkout of %s: %w", l.ID, err)
	}
	l.CheckoutURL, l.CheckoutExpiresAt = url, &expires
	return nil
}
