package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/paylinks/paylinks/shared/domain"
)

// How long PSP event markers are kept: well beyond the PSPs' retry windows
// (Stripe retries for 3 days, Mollie for about 26 hours).
const pspMarkerTTL = 30 * 24 * time.Hour

// Applied is what applying a PSP event did.
type Applied string

// Outcomes of ApplyPSPEvent.
const (
	AppliedChange    Applied = "applied"   // the link moved
	AppliedDuplicate Applied = "duplicate" // this event was applied before
	AppliedNoChange  Applied = "no_change" // the link's status does not allow it (e.g. a decline after paid)
	AppliedReview    Applied = "review"    // no such link, a second payment, or not the link's money: kept for review
)

func ttlAt(now time.Time, d time.Duration) int { return int(now.Add(d).Unix()) }

// RecordWebhook notes an incoming PSP event before it is enqueued. It
// returns true when the same event was already recorded and enqueued (a PSP
// retry): the caller answers 2xx and does nothing else.
func (s *Store) RecordWebhook(ctx context.Context, merchant, provider string, ev domain.PaymentEvent, now time.Time) (bool, error) {
	payload, _ := json.Marshal(ev)
	_, err := s.DB.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: s.tbl(),
		Item: map[string]types.AttributeValue{
			"PK": sv(pspPK(merchant, provider, ev.ID)), "SK": sv(pspIngestSK), "type": sv("psp_webhook"),
			"provider": sv(provider), "event": sv(string(payload)), "received_at": sv(ft(now)), "enqueued": bv(false),
			"ttl": nv(ttlAt(now, pspMarkerTTL)),
		},
		ConditionExpression:       aws.String("attribute_not_exists(PK) OR enqueued = :false"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":false": bv(false)},
	})
	if _, ok := isConditionFailed(err); ok {
		return true, nil
	}
	if err != nil {
		return false, fmt.Errorf("record webhook %s: %w", ev.ID, err)
	}
	return false, nil
}

// MarkEnqueued notes that a recorded webhook is on the queue.
func (s *Store) MarkEnqueued(ctx context.Context, merchant, provider, id string) error {
	_, err := s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: s.tbl(), Key: key(pspPK(merchant, provider, id), pspIngestSK),
		UpdateExpression:          aws.String("SET enqueued = :true"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":true": bv(true)},
	})
	if err != nil {
		return fmt.Errorf("mark webhook %s enqueued: %w", id, err)
	}
	return nil
}

// maxApplyTries bounds retries of transactions that lost a race.
const maxApplyTries = 10

// ApplyPSPEvent applies a payment or decline to its link in one
// TransactWriteItems: the guarded link update (status guard, the link's
// currency and amount, version bump), the timeline event and the event's
// dedupe marker. A duplicate changes nothing; a payment for an unknown link,
// a second payment on a paid link, or one whose currency or amount is not
// the link's (or that reports none) is kept for review (keepForReview).
// Money that moved is never dropped.
func (s *Store) ApplyPSPEvent(ctx context.Context, merchant, provider string, ev domain.PaymentEvent, now time.Time) (Applied, error) {
	switch ev.Kind {
	case domain.PaymentSucceeded, domain.PaymentFailed:
	default:
		return AppliedNoChange, nil
	}
	fromExpired := false
	for try := 0; try < maxApplyTries; try++ {
		items, err := s.applyItems(merchant, provider, ev, now, fromExpired)
		if err != nil {
			return "", err
		}
		_, err = s.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
		if err == nil {
			return AppliedChange, nil
		}
		var tce *types.TransactionCanceledException
		if !errors.As(err, &tce) {
			return "", fmt.Errorf("apply %s event %s: %w", provider, ev.ID, err)
		}
		r := tce.CancellationReasons
		if len(r) > 1 && aws.ToString(r[1].Code) == "ConditionalCheckFailed" {
			return AppliedDuplicate, nil
		}
		if aws.ToString(r[0].Code) != "ConditionalCheckFailed" {
			backoff(try) // TransactionConflict: another write to the link; try again
			continue
		}
		if r[0].Item == nil {
			if ev.Kind != domain.PaymentSucceeded {
				return AppliedNoChange, nil // a decline of a link we do not know moves no money
			}
			return s.keepForReview(ctx, merchant, provider, ev, ReviewUnmatched, nil, now)
		}
		cur, err := unmarshalLink(r[0].Item)
		if err != nil {
			return "", err
		}
		switch {
		case ev.Kind == domain.PaymentSucceeded && cur.Status == domain.StatusPaid:
			if cur.PSPReference == ev.PaymentRef {
				return AppliedDuplicate, nil
			}
			return s.keepForReview(ctx, merchant, provider, ev, ReviewSecond, cur, now)
		case ev.Kind == domain.PaymentSucceeded && !sameMoney(ev.Amount, cur.Amount):
			return s.keepForReview(ctx, merchant, provider, ev, ReviewMismatched, cur, now)
		case ev.Kind == domain.PaymentSucceeded && cur.Status == domain.StatusExpired && !fromExpired:
			fromExpired = true
			continue
		default:
			return AppliedNoChange, nil
		}
	}
	return "", fmt.Errorf("apply %s event %s: %w after %d tries", provider, ev.ID, domain.ErrConflict, maxApplyTries)
}

// backoff sleeps a little, more with each try, with jitter.
func backoff(try int) {
	d := time.Duration(5<<min(try, 5)) * time.Millisecond
	time.Sleep(d/2 + time.Duration(rand.Int64N(int64(d/2)+1)))
}

func (s *Store) applyItems(merchant, provider string, ev domain.PaymentEvent, now time.Time, fromExpired bool) ([]types.TransactWriteItem, error) {
	at := ev.At
	if at.IsZero() {
		at = now
	}
	names := map[string]string{"#status": "status", "#version": "version"}
	values := map[string]types.AttributeValue{":one": nv(1), ":now": sv(ft(now))}
	var update, cond string
	var to domain.Status
	var err error
	data := map[string]string{"psp": provider, "psp_event_id": ev.ID}
	if ev.PaymentRef != "" {
		data["payment_ref"] = ev.PaymentRef
	}
	switch ev.Kind {
	case domain.PaymentSucceeded:
		to = domain.StatusPaid
		update = "SET #status = :to, paid_at = :at, psp = :psp, psp_reference = :ref, paid_after_expiry = :pae, " +
			"#version = #version + :one, updated_at = :now REMOVE GSI2PK, GSI2SK, failure_reason"
		values[":at"], values[":psp"], values[":ref"], values[":pae"] = sv(ft(at)), sv(provider), sv(ev.PaymentRef), bv(fromExpired)
		from := domain.FromOpen(to)
		if fromExpired {
			from = domain.FromClosed(to)
			data["paid_after_expiry"] = "true"
		}
		if cond, err = statusGuard(names, values, from); err != nil {
			return nil, fmt.Errorf("apply %s event %s: %w", provider, ev.ID, err)
		}
		// Only the link's own money pays it: same currency, same amount
		// (amount_num compares as an exact decimal). Anything else, or no
		// amount at all, fails the guard and is kept for review.
		cond += " AND currency = :currency AND amount_num = :amount_num"
		values[":currency"], values[":amount_num"] = sv(""), nv(0)
		if ev.Amount != nil {
			data["amount"] = ev.Amount.Currency + " " + ev.Amount.String()
			values[":currency"] = sv(ev.Amount.Currency)
			values[":amount_num"] = &types.AttributeValueMemberN{Value: ev.Amount.Value.String()}
		}
	case domain.PaymentFailed:
		to = domain.StatusDeclined
		update = "SET #status = :to, failure_reason = :reason, psp = :psp, #version = #version + :one, updated_at = :now"
		reason := ev.FailureReason
		if reason == "" {
			reason = "declined"
		}
		values[":reason"], values[":psp"] = sv(reason), sv(provider)
		if cond, err = statusGuard(names, values, domain.From(to)); err != nil {
			return nil, fmt.Errorf("apply %s event %s: %w", provider, ev.ID, err)
		}
		if ev.Attempt > 0 {
			cond += " AND attempt = :attempt" // a late decline of an earlier attempt changes nothing
			values[":attempt"] = nv(ev.Attempt)
		}
		data["reason"] = reason
	}
	values[":to"] = sv(string(to))
	event := domain.NewEvent(ev.LinkID, domain.EventFor(to), "", to, now, data)
	update = strings.Replace(update, "SET ", "SET last_event = :le, "+timelineAppend+", ", 1)
	values[":le"] = lastEventAV(event)
	timelineValues(values, event)
	evItem, err := attributevalue.MarshalMap(eventToItem(merchant, event))
	if err != nil {
		return nil, err
	}
	return []types.TransactWriteItem{
		{Update: &types.Update{
			TableName: s.tbl(), Key: linkKey(merchant, ev.LinkID),
			UpdateExpression: aws.String(update), ConditionExpression: aws.String("attribute_exists(PK) AND " + cond),
			ExpressionAttributeNames: names, ExpressionAttributeValues: values,
			ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
		}},
		{Put: &types.Put{TableName: s.tbl(), ConditionExpression: aws.String("attribute_not_exists(PK)"), Item: map[string]types.AttributeValue{
			"PK": sv(pspPK(merchant, provider, ev.ID)), "SK": sv(pspAppliedSK), "type": sv("psp_applied"),
			"link_id": sv(ev.LinkID), "kind": sv(string(ev.Kind)), "at": sv(ft(now)), "ttl": nv(ttlAt(now, pspMarkerTTL)),
		}}},
		{Put: &types.Put{TableName: s.tbl(), Item: evItem, ConditionExpression: aws.String("attribute_not_exists(PK)")}},
	}, nil
}

// ClearCheckout forgets an expired PSP session (named by its id, which its
// URL contains) so the next click makes a new one.
func (s *Store) ClearCheckout(ctx context.Context, merchant, linkID, sessionID string) error {
	if sessionID == "" {
		return nil
	}
	_, err := s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: s.tbl(), Key: linkKey(merchant, linkID),
		UpdateExpression:          aws.String("REMOVE checkout_url, checkout_expires_at"),
		ConditionExpression:       aws.String("contains(checkout_url, :u)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":u": sv(sessionID)},
	})
	if _, ok := isConditionFailed(err); ok || err == nil {
		return nil
	}
	return fmt.Errorf("clear checkout of %s: %w", linkID, err)
}

// persistTries bounds persist: with the SDK's own three attempts each, a
// write after an external side effect (an e-mail sent, a webhook POSTed, an
// answer to keep) gets fifteen chances before the message is retried and
// the side effect may happen twice.
const persistTries = 5

// persist runs a write that must land because something outside DynamoDB
// already happened, retrying transient failures (not refusals: condition
// failures and cancelled transactions return at once) with backoff.
func persist(ctx context.Context, write func() error) error {
	var err error
	for try := 0; try < persistTries; try++ {
		if err = write(); err == nil {
			return nil
		}
		if _, ok := isConditionFailed(err); ok {
			return err
		}
		if _, ok := cancelReasons(err); ok || ctx.Err() != nil {
			return err
		}
		backoff(try + 2)
	}
	return err
}
