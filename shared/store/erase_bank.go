package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/paylinks/paylinks/shared/domain"
)

// What a bank said of the people around a link (docs/security.md,
// Personal data), and how an erasure reaches it from the link:
//   - the link's payer (payer_name, payer_iban, payer_bic): removed;
//   - the statement entry of each bank payment of the link (the one that
//     paid it, found by the link's psp_reference, and those kept for review
//     on it, named by its payment.review_opened events), through the
//     entry's identity marker: debtor and remittance text removed;
//   - the review payments of those bank payments (kept for review on the
//     link, or matched to it by hand: the review marker of the payment):
//     debtor and remittance text removed;
//   - the payouts of the link's refunds by bank transfer once settled
//     (paid out or failed): the payee removed. A payout still waiting for
//     a file, or in a file whose debit no statement has shown, keeps the
//     account the money goes back to: the refund is owed to the person.
//     A settled payout's stale place on the waiting list goes.
//
// A payout's own debit in a statement keeps no copy of the payee
// (statements.Service.payout). The statement files leave with the bucket's
// expiry (30 days), the statements' records with StatementTTL.

// bankErasure is what eraseLinkBank found and scrubbed.
type bankErasure struct {
	payments map[string]bool // bank payment ids (psp references) of the link
	reviews  map[string]bool // review payment ids
	scrubbed int             // items whose personal data was removed
}

// eraseLinkBank removes the bank's personal data around link id of
// merchant m (see above), given the link as read (nil when it is gone),
// and returns the number of items changed. Run again, it changes nothing
// more.
func (s *eraser) eraseLinkBank(ctx context.Context, m, linkID string, link map[string]types.AttributeValue) (int, error) {
	if link == nil {
		return 0, nil
	}
	e := &bankErasure{payments: map[string]bool{}, reviews: map[string]bool{}}
	if avS(link["psp"]) == domain.ProviderBank {
		if ref := avS(link["psp_reference"]); ref != "" {
			e.payments[ref] = true
		}
		if err := s.removeAttrs(ctx, e, linkKey(m, linkID), "payer_name", "payer_iban", "payer_bic"); err != nil {
			return e.scrubbed, fmt.Errorf("erase the payer of %s: %w", linkID, err)
		}
	}
	evs, err := (&Links{s.Core}).queryEvents(ctx, m, linkID)
	if err != nil {
		return e.scrubbed, err
	}
	for _, ev := range evs {
		if ev.Type == EventReviewOpened && ev.Data["psp"] == domain.ProviderBank {
			e.reviews[ev.Data["review_id"]] = ev.Data["review_id"] != ""
			e.payments[ev.Data["payment_ref"]] = ev.Data["payment_ref"] != ""
		}
	}
	for ref, ok := range e.payments {
		if ok {
			if err := s.eraseBankPayment(ctx, e, m, ref); err != nil {
				return e.scrubbed, err
			}
		}
	}
	for id, ok := range e.reviews {
		if ok {
			if err := s.removeAttrs(ctx, e, key(reviewPK(m), reviewSK(id)), "debtor_name", "debtor_iban", "debtor_bic", "remittance"); err != nil {
				return e.scrubbed, fmt.Errorf("erase review payment %s: %w", id, err)
			}
		}
	}
	return e.scrubbed, s.eraseSettledPayouts(ctx, e, m, linkID)
}

// eraseBankPayment scrubs the statement entry of bank payment ref (by its
// identity marker) and notes the review payment made of it, if any.
func (s *eraser) eraseBankPayment(ctx context.Context, e *bankErasure, m, ref string) error {
	marker, err := s.DB.GetItem(ctx, &dynamodb.GetItemInput{TableName: s.tbl(), Key: key(entryMarkerPK(m, ref), entryMarkerSK), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return fmt.Errorf("erase bank payment %s: read its entry marker: %w", ref, err)
	}
	if st := avS(marker.Item["statement"]); st != "" {
		idx, err := strconv.Atoi(avN(marker.Item["idx"]))
		if err != nil {
			return fmt.Errorf("erase bank payment %s: entry marker index: %w", ref, err)
		}
		if err := s.removeAttrs(ctx, e, key(statementPK(m, st), statementEntrySK(idx)), "debtor_name", "debtor_iban", "remittance"); err != nil {
			return fmt.Errorf("erase entry %d of statement %s: %w", idx, st, err)
		}
	}
	rv, err := s.DB.GetItem(ctx, &dynamodb.GetItemInput{TableName: s.tbl(), Key: key(reviewRefPK(m, domain.ProviderBank, ref), reviewRefSK), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return fmt.Errorf("erase bank payment %s: read its review marker: %w", ref, err)
	}
	if id := avS(rv.Item["review_id"]); id != "" {
		e.reviews[id] = true
	}
	return nil
}

// eraseSettledPayouts removes the payee from the payouts of link id's
// refunds by bank transfer that are settled.
func (s *eraser) eraseSettledPayouts(ctx context.Context, e *bankErasure, m, linkID string) error {
	rs, err := (&Payments{s.Core}).Refunds(ctx, m, linkID)
	if err != nil {
		return fmt.Errorf("erase payouts of %s: %w", linkID, err)
	}
	for _, r := range rs {
		if r.EndToEndID == "" || r.Status == RefundPending {
			continue
		}
		rec, err := s.DB.GetItem(ctx, &dynamodb.GetItemInput{TableName: s.tbl(), Key: key(payoutPK(m, r.EndToEndID), payoutSK), ConsistentRead: aws.Bool(true),
			ProjectionExpression: aws.String("created_at")})
		if err != nil {
			return fmt.Errorf("erase payout %s: %w", r.EndToEndID, err)
		}
		if created := avS(rec.Item["created_at"]); created != "" && !s.dry {
			// A settled refund's place on the waiting list is stale (a file
			// would not claim it): it goes, with the payee it names.
			if _, err := s.DB.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: s.tbl(), Key: key(waitingPK(m), waitingSK(created, r.EndToEndID))}); err != nil {
				return fmt.Errorf("erase payout %s from the waiting list: %w", r.EndToEndID, err)
			}
		}
		if err := s.removeAttrs(ctx, e, key(payoutPK(m, r.EndToEndID), payoutSK), "payee_name", "payee_iban", "payee_bic"); err != nil {
			return fmt.Errorf("erase payout %s: %w", r.EndToEndID, err)
		}
	}
	return nil
}

// removeAttrs removes attrs from the item at k when it holds any of them
// (an item gone, or already without them, is left as it is), counting the
// items changed; a preview (dry) counts the items holding any.
func (s *eraser) removeAttrs(ctx context.Context, e *bankErasure, k map[string]types.AttributeValue, attrs ...string) error {
	if s.dry {
		return s.countAttrs(ctx, e, k, attrs...)
	}
	names := map[string]string{}
	remove, cond := "REMOVE ", ""
	for i, a := range attrs {
		n := "#a" + strconv.Itoa(i)
		names[n] = a
		if i > 0 {
			remove, cond = remove+", ", cond+" OR "
		}
		remove += n
		cond += "attribute_exists(" + n + ")"
	}
	_, err := s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: s.tbl(), Key: k, UpdateExpression: aws.String(remove),
		ConditionExpression: aws.String("attribute_exists(PK) AND (" + cond + ")"), ExpressionAttributeNames: names})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return nil
	}
	if err != nil {
		return err
	}
	e.scrubbed++
	return nil
}

// countAttrs counts the item at k when it holds any of attrs.
func (s *eraser) countAttrs(ctx context.Context, e *bankErasure, k map[string]types.AttributeValue, attrs ...string) error {
	names := map[string]string{}
	proj := ""
	for i, a := range attrs {
		n := "#a" + strconv.Itoa(i)
		names[n] = a
		if i > 0 {
			proj += ", "
		}
		proj += n
	}
	out, err := s.DB.GetItem(ctx, &dynamodb.GetItemInput{TableName: s.tbl(), Key: k, ConsistentRead: aws.Bool(true),
		ProjectionExpression: aws.String(proj), ExpressionAttributeNames: names})
	if err != nil {
		return err
	}
	if len(out.Item) > 0 && s.countOnce(avS(k["PK"]), avS(k["SK"])) {
		e.scrubbed++
	}
	return nil
}
