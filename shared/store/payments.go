package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/paylinks/paylinks/shared/backoff"
	"github.com/paylinks/paylinks/shared/domain"
)

// How long PSP event markers are kept: well beyond the PSPs' retry windows
// (Stripe retries for 3 days, Mollie for about 26 hours).
const pspMarkerTTL = 30 * 24 * time.Hour

func ttlAt(now time.Time, d time.Duration) int { return int(now.Add(d).Unix()) }

// RecordWebhook notes an incoming PSP event before it is enqueued. It
// returns true when the same event was already recorded and enqueued (a PSP
// retry): the caller answers 2xx and does nothing else.
func (s *Payments) RecordWebhook(ctx context.Context, merchant, provider string, ev domain.PaymentEvent, now time.Time) (bool, error) {
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
func (s *Payments) MarkEnqueued(ctx context.Context, merchant, provider, id string) error {
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

// PaymentWrite is what carrying out a payment decision found.
type PaymentWrite struct {
	Written   bool         // the link moved, with its event and the event's marker
	Duplicate bool         // this event was applied (or kept for review) before: nothing was written
	Conflict  bool         // another write to the link raced this one: nothing was written, try again
	Found     *domain.Link // the link was not as decided: the link as stored (nil: no such link)
}

// ApplyPayment carries out d (domain.ExpectPayment or domain.DecidePayment,
// Action PaymentApply) for ev in one TransactWriteItems: the link's update,
// guarded by every assumption of the decision (its status among d.From, a
// payment's currency and amount the link's, a decline's attempt), the
// timeline event and the event's dedupe marker. It decides nothing: it
// reports what it found.
func (s *Payments) ApplyPayment(ctx context.Context, merchant, provider string, ev domain.PaymentEvent, d domain.PaymentDecision, now time.Time) (PaymentWrite, error) {
	return s.apply(ctx, merchant, provider, ev, d, now, nil)
}

// apply is ApplyPayment, with the claim and record of the statement entry
// the payment was read from in the same transaction when read is not nil
// (Statements.ApplyPaymentRead).
func (s *Payments) apply(ctx context.Context, merchant, provider string, ev domain.PaymentEvent, d domain.PaymentDecision, now time.Time, read *EntryRead) (PaymentWrite, error) {
	items, err := s.applyItems(merchant, provider, ev, d, now)
	if err != nil {
		return PaymentWrite{}, err
	}
	if read != nil {
		more, err := read.items(s.tbl(), merchant, now)
		if err != nil {
			return PaymentWrite{}, err
		}
		items = append(items, more...)
	}
	_, err = s.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	if err == nil {
		return PaymentWrite{Written: true}, nil
	}
	var tce *types.TransactionCanceledException
	if !errors.As(err, &tce) {
		return PaymentWrite{}, fmt.Errorf("apply %s event %s: %w", provider, ev.ID, err)
	}
	if len(tce.CancellationReasons) < 2 {
		// An emulator or a future API that names no reasons: nothing was
		// written, and nothing says why; the same decision again.
		return PaymentWrite{Conflict: true}, nil
	}
	link, marker := tce.CancellationReasons[0], tce.CancellationReasons[1]
	reasons, _ := cancelReasons(err)
	switch {
	case aws.ToString(marker.Code) == "ConditionalCheckFailed", readRefused(read, reasons):
		return PaymentWrite{Duplicate: true}, nil
	case aws.ToString(link.Code) != "ConditionalCheckFailed":
		return PaymentWrite{Conflict: true}, nil // TransactionConflict: another write to the link
	case link.Item == nil:
		return PaymentWrite{}, nil
	}
	cur, err := unmarshalLink(link.Item)
	if err != nil {
		return PaymentWrite{}, err
	}
	return PaymentWrite{Found: cur}, nil
}

// pause sleeps before try again (backoff.Delay).
func pause(try int) { time.Sleep(backoff.Delay(try)) }

func (s *Payments) applyItems(merchant, provider string, ev domain.PaymentEvent, d domain.PaymentDecision, now time.Time) ([]types.TransactWriteItem, error) {
	at := ev.At
	if at.IsZero() {
		at = now
	}
	names := map[string]string{"#status": "status", "#version": "version"}
	values := map[string]types.AttributeValue{":one": nv(1), ":now": sv(ft(now))}
	var update, cond string
	to := d.To
	data := map[string]string{"psp": provider, "psp_event_id": ev.ID}
	if ev.PaymentRef != "" {
		data["payment_ref"] = ev.PaymentRef
	}
	if d.Action != domain.PaymentApply || len(d.From) == 0 {
		return nil, fmt.Errorf("apply %s event %s: the decision %q writes nothing", provider, ev.ID, d.Action)
	}
	cond, err := statusGuard(names, values, d.From)
	if err != nil {
		return nil, fmt.Errorf("apply %s event %s: %w", provider, ev.ID, err)
	}
	switch to {
	case domain.StatusPaid:
		update = "SET #status = :to, paid_at = :at, psp = :psp, psp_reference = :ref, paid_after_expiry = :pae, " +
			"#version = #version + :one, updated_at = :now REMOVE GSI2PK, GSI2SK, failure_reason"
		values[":at"], values[":psp"], values[":ref"], values[":pae"] = sv(ft(at)), sv(provider), sv(ev.PaymentRef), bv(d.AfterExpiry)
		if d.AfterExpiry {
			data["paid_after_expiry"] = "true"
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
		update = payerUpdate(update, values, provider, ev.Debtor)
		cond += bookedGuard(values, d)
	case domain.StatusDeclined:
		update = "SET #status = :to, failure_reason = :reason, psp = :psp, #version = #version + :one, updated_at = :now"
		reason := ev.FailureReason
		if reason == "" {
			reason = "declined"
		}
		values[":reason"], values[":psp"] = sv(reason), sv(provider)
		if d.Attempt > 0 {
			cond += " AND attempt = :attempt" // a late decline of an earlier attempt changes nothing
			values[":attempt"] = nv(d.Attempt)
		}
		data["reason"] = reason
	default:
		return nil, fmt.Errorf("apply %s event %s: a payment does not move a link to %s", provider, ev.ID, to)
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

// bookedGuard is the condition holding a bank payment's decision to the
// link's expiry (domain.PaymentDecision.Booked): the link expires before
// the booking date exactly when the decision says after expiry. "" for a
// PSP's payment. expires_at is written in one fixed-width UTC layout, so
// it compares as a string.
func bookedGuard(values map[string]types.AttributeValue, d domain.PaymentDecision) string {
	if d.Booked.IsZero() {
		return ""
	}
	values[":booked"] = sv(ft(d.Booked))
	if d.AfterExpiry {
		return " AND expires_at < :booked"
	}
	return " AND expires_at >= :booked"
}

// payerUpdate adds to the update of a link paid by bank transfer who paid
// it (payer_name, payer_iban, payer_bic, as the bank reported them): a
// refund by bank transfer pays that account back (Payments.LinkPayer).
// They are personal data (docs/security.md): never logged, never in the
// link's API answer.
func payerUpdate(update string, values map[string]types.AttributeValue, provider string, d *domain.Debtor) string {
	if provider != domain.ProviderBank || d == nil {
		return update
	}
	var sets []string
	for _, a := range []struct{ attr, v string }{{"payer_name", d.Name}, {"payer_iban", d.IBAN}, {"payer_bic", d.BIC}} {
		if a.v != "" {
			sets = append(sets, a.attr+" = :"+a.attr)
			values[":"+a.attr] = sv(a.v)
		}
	}
	if len(sets) == 0 {
		return update
	}
	return strings.Replace(update, "SET ", "SET "+strings.Join(sets, ", ")+", ", 1)
}

// ClearCheckout forgets an expired PSP session (named by its id, which its
// URL contains) so the next click makes a new one.
func (s *Payments) ClearCheckout(ctx context.Context, merchant, linkID, sessionID string) error {
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
		pause(try + 2)
	}
	return err
}
