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

// ClickOutcome says what a click found.
type ClickOutcome int

// Click outcomes.
const (
	ClickRecorded ClickOutcome = iota // counted on an opened link
	ClickOpened                       // counted, and moved the link to clicked
	ClickPaid                         // not counted: the link is paid
	ClickExpired                      // not counted: the link expired
)

// maxClickTries bounds the retries of a click racing other clicks.
const maxClickTries = 20

// Click records a person opening the link behind code at now, and returns
// the link as it is after the click. On a link that is already clicked this
// is one UpdateItem (ALL_NEW). A click that changes the status (created or
// declined -> clicked) is a guarded transaction with its timeline event, so
// that concurrent first clicks produce exactly one created->clicked event.
// Paid and expired links are returned unchanged with their outcome; unknown,
// forged and archived codes are domain.ErrNotFound.
func (s *Store) Click(ctx context.Context, code string, now time.Time) (*domain.Link, ClickOutcome, error) {
	c, err := domain.ParseCode(code)
	if err != nil {
		return nil, 0, domain.ErrNotFound
	}
	for try := 0; try < maxClickTries; try++ {
		in, err := s.clickInput(c.Merchant, c.LinkID, code, now)
		if err != nil {
			return nil, 0, err
		}
		out, err := s.DB.UpdateItem(ctx, in)
		if err == nil {
			l, err := unmarshalLink(out.Attributes)
			return l, ClickRecorded, err
		}
		ccf, ok := isConditionFailed(err)
		if !ok {
			return nil, 0, fmt.Errorf("click %s: %w", c.LinkID, err)
		}
		if ccf.Item == nil {
			return nil, 0, domain.ErrNotFound
		}
		cur, err := unmarshalLink(ccf.Item)
		if err != nil {
			return nil, 0, err
		}
		switch {
		case cur.Code != code || cur.Archived:
			return nil, 0, domain.ErrNotFound
		case cur.Status == domain.StatusPaid:
			return cur, ClickPaid, nil
		case cur.Status == domain.StatusExpired || cur.ExpiredAt(now):
			return cur, ClickExpired, nil
		case cur.Status == domain.StatusClicked:
			continue // changed under us (a reopened attempt); count it again
		}
		next := domain.Open(cur, now)
		ev := domain.NewEvent(cur.ID, domain.EventClicked, cur.Status, domain.StatusClicked, now, nil)
		err = s.Transition(ctx, cur, next, ev)
		if errors.Is(err, domain.ErrConflict) {
			continue // another click (or a payment) won; look again
		}
		if err != nil {
			return nil, 0, err
		}
		return next, ClickOpened, nil
	}
	return nil, 0, fmt.Errorf("click %s: %w after %d tries", c.LinkID, domain.ErrConflict, maxClickTries)
}

// clickInput counts a click on a link already clicked: the status a click
// moves a link to, so no transition (and no event) is needed.
func (s *Store) clickInput(merchant, linkID, code string, now time.Time) (*dynamodb.UpdateItemInput, error) {
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
func (s *Store) SaveCheckout(ctx context.Context, l *domain.Link, url string, expires time.Time) error {
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
