package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/money"
)

// Kinds of payments kept for review: they never move a link.
const (
	ReviewUnmatched  = domain.ReviewUnmatched  // no such link
	ReviewSecond     = domain.ReviewSecond     // another payment on a paid link
	ReviewMismatched = domain.ReviewMismatched // currency or amount differ from the link's (or none was reported)
)

// States of a review payment.
const (
	ReviewOpen      = "open"
	ReviewRefunding = "refunding"
	ReviewRefunded  = "refunded"
	// A bank payment matched to a link by hand (ReviewMatching while the
	// link's payment is being applied).
	ReviewMatching = "matching"
	ReviewMatched  = "matched"
)

// EventReviewOpened is the timeline and outbound event written on a link
// when one of its payments is kept for review.
const EventReviewOpened = "payment.review_opened"

// Review errors.
var (
	ErrReviewNotOpen  = errors.New("the payment is not open for review (refunding or refunded)")
	ErrReviewNoAmount = errors.New("the PSP reported no amount for this payment: refund it at the PSP")
	// ErrReviewBankNoAmount is ErrReviewNoAmount of a bank payment (kept
	// before bank payments without an amount were refused): no refund file
	// can pay it back.
	ErrReviewBankNoAmount = errors.New("the bank reported no amount paylinks can pay back for this payment (zero, or not an amount of its currency): " +
		"no refund file can hold it; if money did come in, send it back from your bank's own banking")
	// ErrBankNoAmount: a bank payment is kept for review only with its
	// amount (one without could be neither matched nor refunded).
	ErrBankNoAmount = errors.New("a bank payment is kept for review only with an amount")
	// ErrReviewNotMatchable: only an open, unmatched bank payment is matched
	// to a link by hand.
	ErrReviewNotMatchable = errors.New("only an open, unmatched bank payment can be matched to a link")
	// ErrReviewByBank: an open bank payment is refunded by a bank refund
	// file (StartBankReviewRefund), not through a PSP.
	ErrReviewByBank = errors.New("a bank payment is refunded by bank transfer")
)

// ReviewPayment is a PSP payment paylinks did not put on a link.
type ReviewPayment struct {
	ID            string
	Merchant      string
	Kind          string
	PSP           string
	PSPReference  string
	PSPEventID    string
	Amount        *money.Amount // what the PSP reported; nil when it reported none
	LinkID        string        // "" for unmatched payments
	Expected      *money.Amount // the link's amount; nil for unmatched payments
	ReceivedAt    time.Time
	State         string
	RefundAttempt int    // refunds asked for so far (the PSP key of each derives from the id and it)
	RefundRef     string // the PSP's refund id
	FailureReason string // why the last refund failed
	Submitted     bool   // the PSP accepted the refund and settles it later
	// Debtor and Remittance are a bank payment's payer and free text (nil
	// and "" for PSP payments).
	Debtor     *domain.Debtor
	Remittance string
	// BookedOn is a bank payment's booking date (YYYY-MM-DD; "" for a
	// PSP's): a match by hand is after the link's expiry by it.
	BookedOn string
	// EndToEndID is the payout of a bank payment's refund (its current
	// attempt), BankFileID the bank refund file that pays it out ("" until
	// it is in one).
	EndToEndID string
	BankFileID string
}

// RefundKey is the refund id sent to the PSP for the current refund attempt:
// its idempotency key derives from it, so a redelivered message refunds once.
func (p *ReviewPayment) RefundKey() string { return fmt.Sprintf("%s-%d", p.ID, p.RefundAttempt) }

// ReviewFromRefundKey splits a RefundKey back into the review id and attempt.
func ReviewFromRefundKey(k string) (id string, attempt int, ok bool) {
	i := strings.LastIndexByte(k, '-')
	if !strings.HasPrefix(k, domain.PrefixReview) || i < 0 {
		return "", 0, false
	}
	attempt, err := strconv.Atoi(k[i+1:])
	if err != nil || attempt < 1 || !domain.ValidID(domain.PrefixReview, k[:i]) {
		return "", 0, false
	}
	return k[:i], attempt, true
}

type reviewItem struct {
	PK               string `dynamodbav:"PK"`
	SK               string `dynamodbav:"SK"`
	Type             string `dynamodbav:"type"`
	ID               string `dynamodbav:"id"`
	Merchant         string `dynamodbav:"merchant"`
	Kind             string `dynamodbav:"kind"`
	PSP              string `dynamodbav:"psp"`
	PSPReference     string `dynamodbav:"psp_reference"`
	PSPEventID       string `dynamodbav:"psp_event_id"`
	Currency         string `dynamodbav:"currency,omitempty"`
	Amount           string `dynamodbav:"amount,omitempty"`
	LinkID           string `dynamodbav:"link_id,omitempty"`
	ExpectedCurrency string `dynamodbav:"expected_currency,omitempty"`
	ExpectedAmount   string `dynamodbav:"expected_amount,omitempty"`
	ReceivedAt       string `dynamodbav:"received_at"`
	State            string `dynamodbav:"state"`
	RefundAttempt    int    `dynamodbav:"refund_attempt"`
	RefundRef        string `dynamodbav:"refund_ref,omitempty"`
	FailureReason    string `dynamodbav:"failure_reason,omitempty"`
	Submitted        bool   `dynamodbav:"submitted"`
	ClaimedUntil     string `dynamodbav:"claimed_until,omitempty"`
	DebtorName       string `dynamodbav:"debtor_name,omitempty"`
	DebtorIBAN       string `dynamodbav:"debtor_iban,omitempty"`
	DebtorBIC        string `dynamodbav:"debtor_bic,omitempty"`
	Remittance       string `dynamodbav:"remittance,omitempty"`
	BookedOn         string `dynamodbav:"booked_on,omitempty"`
	EndToEndID       string `dynamodbav:"end_to_end_id,omitempty"`
	BankFileID       string `dynamodbav:"bank_file_id,omitempty"`
}

func reviewFromItem(it *reviewItem) (*ReviewPayment, error) {
	p := &ReviewPayment{ID: it.ID, Merchant: it.Merchant, Kind: it.Kind, PSP: it.PSP, PSPReference: it.PSPReference, PSPEventID: it.PSPEventID,
		LinkID: it.LinkID, State: it.State, RefundAttempt: it.RefundAttempt, RefundRef: it.RefundRef, FailureReason: it.FailureReason, Submitted: it.Submitted,
		Remittance: it.Remittance, BookedOn: it.BookedOn, EndToEndID: it.EndToEndID, BankFileID: it.BankFileID}
	if it.DebtorName != "" || it.DebtorIBAN != "" {
		p.Debtor = &domain.Debtor{Name: it.DebtorName, IBAN: it.DebtorIBAN, BIC: it.DebtorBIC}
	}
	if it.Currency != "" {
		a, err := money.Parse(it.Currency, it.Amount)
		if err != nil {
			return nil, fmt.Errorf("review payment %s amount: %w", it.ID, err)
		}
		p.Amount = &a
	}
	if it.ExpectedCurrency != "" {
		a, err := money.Parse(it.ExpectedCurrency, it.ExpectedAmount)
		if err != nil {
			return nil, fmt.Errorf("review payment %s expected: %w", it.ID, err)
		}
		p.Expected = &a
	}
	t, err := pt(it.ReceivedAt)
	if err != nil {
		return nil, fmt.Errorf("review payment %s time: %w", it.ID, err)
	}
	p.ReceivedAt = t
	return p, nil
}

// KeepForReview stores a payment paylinks does not put on a link, in one
// transaction with the event's dedupe marker and the payment's marker (so a
// redelivery, or another event about the same payment, keeps nothing more)
// and, when there is a link, the link's timeline event and last_event: the
// table's stream then tells the merchant (payment.review_opened). It
// returns false when the event or the payment is kept already (nothing was
// written).
func (s *Payments) KeepForReview(ctx context.Context, merchant, provider string, ev domain.PaymentEvent, kind string, link *domain.Link, now time.Time) (bool, error) {
	return s.keep(ctx, merchant, provider, ev, kind, link, now, nil)
}

// keep is KeepForReview, with the claim and record of the statement entry
// the payment was read from in the same transaction when read is not nil
// (Statements.KeepForReviewRead).
func (s *Payments) keep(ctx context.Context, merchant, provider string, ev domain.PaymentEvent, kind string, link *domain.Link, now time.Time, read *EntryRead) (bool, error) {
	if provider == domain.ProviderBank && ev.Amount == nil {
		return false, fmt.Errorf("keep bank payment %s for review: %w", ev.ID, ErrBankNoAmount)
	}
	ref := ev.PaymentRef
	if ref == "" {
		ref = "event:" + ev.ID // a PSP that names no payment: the event is all there is
	}
	it := reviewItem{PK: reviewPK(merchant), Type: "review_payment", Merchant: merchant,
		Kind: kind, PSP: provider, PSPReference: ref, PSPEventID: ev.ID, ReceivedAt: ft(now), State: ReviewOpen, Remittance: ev.Remittance, BookedOn: ev.BookedOn}
	if ev.Debtor != nil {
		it.DebtorName, it.DebtorIBAN, it.DebtorBIC = ev.Debtor.Name, ev.Debtor.IBAN, ev.Debtor.BIC
	}
	if ev.Amount != nil {
		it.Currency, it.Amount = ev.Amount.Currency, ev.Amount.String()
	}
	if link != nil {
		it.LinkID, it.ExpectedCurrency, it.ExpectedAmount = link.ID, link.Amount.Currency, link.Amount.String()
	}
	for try := 0; try < maxApplyTries; try++ {
		it.ID = domain.NewSeqID(domain.PrefixReview, now) // newest first, even within a millisecond
		it.SK = reviewSK(it.ID)
		items, err := s.reviewItems(merchant, provider, ev, &it, link, now)
		if err != nil {
			return false, err
		}
		if kind == domain.ReviewReversal && link != nil {
			holds, err := s.holdItems(ctx, link, it.ID)
			if err != nil {
				return false, err
			}
			items = append(items, holds...)
		}
		if read != nil {
			read.Record.ReviewID = it.ID
			more, err := read.items(s.tbl(), merchant, now)
			if err != nil {
				return false, err
			}
			items = append(items, more...)
		}
		_, err = s.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
		if err == nil {
			return true, nil
		}
		reasons, ok := cancelReasons(err)
		if !ok {
			return false, fmt.Errorf("keep %s payment %s for review: %w", kind, ref, err)
		}
		if reasons[0] == "ConditionalCheckFailed" || reasons[1] == "ConditionalCheckFailed" || readRefused(read, reasons) {
			return false, nil // this event, or this payment, is kept already; or the entry was read before
		}
		pause(try) // a concurrent write to the link: try again
	}
	return false, fmt.Errorf("keep %s payment %s for review: %w after %d tries", kind, ref, domain.ErrConflict, maxApplyTries)
}

func (s *Payments) reviewItems(merchant, provider string, ev domain.PaymentEvent, it *reviewItem, link *domain.Link, now time.Time) ([]types.TransactWriteItem, error) {
	av, err := attributevalue.MarshalMap(it)
	if err != nil {
		return nil, fmt.Errorf("marshal review payment: %w", err)
	}
	notExists := aws.String("attribute_not_exists(PK)")
	items := []types.TransactWriteItem{
		{Put: &types.Put{TableName: s.tbl(), ConditionExpression: notExists, Item: map[string]types.AttributeValue{
			"PK": sv(pspPK(merchant, provider, ev.ID)), "SK": sv(pspAppliedSK), "type": sv("psp_applied"),
			"link_id": sv(ev.LinkID), "kind": sv(it.Kind), "review_id": sv(it.ID), "at": sv(ft(now)), "ttl": nv(ttlAt(now, pspMarkerTTL)),
		}}},
		{Put: &types.Put{TableName: s.tbl(), ConditionExpression: notExists, Item: map[string]types.AttributeValue{
			// The payment's marker: one review item per payment however many
			// events (or deliveries of them) speak of it.
			"PK": sv(reviewRefPK(merchant, provider, it.PSPReference)), "SK": sv(reviewRefSK), "type": sv("review_ref"), "review_id": sv(it.ID),
		}}},
		{Put: &types.Put{TableName: s.tbl(), ConditionExpression: notExists, Item: av}},
	}
	if link == nil {
		return items, nil
	}
	data := map[string]string{"review_id": it.ID, "kind": it.Kind, "psp": provider, "payment_ref": it.PSPReference, "psp_event_id": ev.ID,
		"expected_amount": it.ExpectedAmount, "expected_currency": it.ExpectedCurrency}
	if it.Currency != "" {
		data["received_amount"], data["received_currency"] = it.Amount, it.Currency
	}
	event := domain.NewEvent(link.ID, EventReviewOpened, "", "", now, data)
	evAV, err := attributevalue.MarshalMap(eventToItem(merchant, event))
	if err != nil {
		return nil, fmt.Errorf("marshal event: %w", err)
	}
	update := "SET last_event = :le, #version = #version + :one, updated_at = :now"
	values := map[string]types.AttributeValue{":le": lastEventAV(event), ":one": nv(1), ":now": sv(ft(now))}
	if it.Kind == domain.ReviewReversal {
		// The bank took the link's payment back: no refund of it from now
		// on (domain.RefundRefusal; the reservation's guard).
		update += ", reversed_by = :rev"
		values[":rev"] = sv(it.ID)
	}
	return append(items,
		types.TransactWriteItem{Update: &types.Update{
			TableName: s.tbl(), Key: linkKey(merchant, link.ID),
			UpdateExpression:          aws.String(update),
			ConditionExpression:       aws.String("attribute_exists(PK)"),
			ExpressionAttributeNames:  map[string]string{"#version": "version"},
			ExpressionAttributeValues: values,
		}},
		types.TransactWriteItem{Put: &types.Put{TableName: s.tbl(), Item: evAV, ConditionExpression: notExists}},
	), nil
}

// ReviewQuery lists a merchant's review payments, newest first.
type ReviewQuery struct {
	Kind   string // "" for every kind
	Limit  int
	Cursor string
}

// ReviewPage is one page of review payments and the cursor of the next ("" at the end).
type ReviewPage struct {
	Items []ReviewPayment
	Next  string
}

// ReviewPayments reads a page of a merchant's review payments, newest
// first: a Query of its review partition, the kind as a filter (review
// payments are exceptions: one partition holds them).
func (s *Payments) ReviewPayments(ctx context.Context, merchant string, q ReviewQuery) (ReviewPage, error) {
	if q.Limit <= 0 {
		q.Limit = 50
	}
	collection := "review:" + q.Kind
	in := &dynamodb.QueryInput{TableName: s.tbl(), ScanIndexForward: aws.Bool(false), Limit: aws.Int32(int32(q.Limit + 1)),
		KeyConditionExpression:    aws.String("PK = :pk AND begins_with(SK, :sk)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": sv(reviewPK(merchant)), ":sk": sv(reviewSK(""))},
	}
	if q.Kind != "" {
		in.FilterExpression = aws.String("kind = :kind")
		in.ExpressionAttributeValues[":kind"] = sv(q.Kind)
	}
	if q.Cursor != "" {
		pos, err := decodeCursor(q.Cursor, merchant, collection, func(p string) bool {
			return domain.ValidID(domain.PrefixReview, strings.TrimPrefix(p, reviewSK("")))
		})
		if err != nil {
			return ReviewPage{}, err
		}
		in.ExclusiveStartKey = key(reviewPK(merchant), pos)
	}
	var items []reviewItem
	for pages := 0; pages < maxPagesPerList; pages++ {
		out, err := s.DB.Query(ctx, in)
		if err != nil {
			return ReviewPage{}, fmt.Errorf("list review payments of %s: %w", merchant, err)
		}
		var got []reviewItem
		if err := attributevalue.UnmarshalListOfMaps(out.Items, &got); err != nil {
			return ReviewPage{}, fmt.Errorf("unmarshal review payments: %w", err)
		}
		items = append(items, got...)
		in.ExclusiveStartKey = out.LastEvaluatedKey
		if len(items) > q.Limit || out.LastEvaluatedKey == nil {
			break
		}
	}
	page := ReviewPage{Items: make([]ReviewPayment, 0, min(len(items), q.Limit))}
	for i := range items[:min(len(items), q.Limit)] {
		p, err := reviewFromItem(&items[i])
		if err != nil {
			return ReviewPage{}, err
		}
		page.Items = append(page.Items, *p)
	}
	switch {
	case len(items) > q.Limit: // one more than asked: there is a next page
		page.Next = encodeCursor(merchant, collection, items[q.Limit-1].SK)
	case in.ExclusiveStartKey != nil: // read budget spent on a sparse kind
		page.Next = encodeCursor(merchant, collection, avS(in.ExclusiveStartKey["SK"]))
	}
	return page, nil
}

// GetReviewPayment reads one of a merchant's review payments.
func (s *Payments) GetReviewPayment(ctx context.Context, merchant, id string) (*ReviewPayment, error) {
	if !domain.ValidID(domain.PrefixReview, id) {
		return nil, domain.ErrNotFound
	}
	var it reviewItem
	if err := s.getItem(ctx, reviewPK(merchant), reviewSK(id), "review payment "+id, &it); err != nil {
		return nil, err
	}
	return reviewFromItem(&it)
}

// updateReview runs one guarded update of a review payment and returns it
// as it is after (or, when the guard failed, as it was, with ok false).
func (s *Payments) updateReview(ctx context.Context, merchant, id, update, cond string, values map[string]types.AttributeValue) (*ReviewPayment, bool, error) {
	out, err := s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: s.tbl(), Key: key(reviewPK(merchant), reviewSK(id)),
		UpdateExpression: aws.String(update), ConditionExpression: aws.String("attribute_exists(PK) AND " + cond),
		ExpressionAttributeNames: map[string]string{"#state": "state"}, ExpressionAttributeValues: values, ReturnValues: types.ReturnValueAllNew,
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	item := map[string]types.AttributeValue(nil)
	ok := true
	if ccf, failed := isConditionFailed(err); failed {
		if ccf.Item == nil {
			return nil, false, domain.ErrNotFound
		}
		item, ok = ccf.Item, false
	} else if err != nil {
		return nil, false, fmt.Errorf("update review payment %s: %w", id, err)
	} else {
		item = out.Attributes
	}
	var it reviewItem
	if err := attributevalue.UnmarshalMap(item, &it); err != nil {
		return nil, false, fmt.Errorf("unmarshal review payment %s: %w", id, err)
	}
	p, err := reviewFromItem(&it)
	return p, ok, err
}

// StartReviewRefund moves an open review payment to refunding and counts
// the attempt. domain.ErrPaymentReversed for a reversal (the bank took
// the money back), ErrReviewNotOpen when it is refunding or refunded,
// ErrReviewNoAmount when the PSP reported no amount to give back,
// ErrReviewByBank (with the payment as it is) for an open bank payment.
func (s *Payments) StartReviewRefund(ctx context.Context, merchant, id string, now time.Time) (*ReviewPayment, error) {
	if !domain.ValidID(domain.PrefixReview, id) {
		return nil, domain.ErrNotFound
	}
	p, ok, err := s.updateReview(ctx, merchant, id,
		"SET #state = :refunding, refund_attempt = refund_attempt + :one, submitted = :false, updated_at = :now REMOVE claimed_until, failure_reason",
		"#state = :open AND attribute_exists(currency) AND kind <> :reversal AND psp <> :bank", map[string]types.AttributeValue{
			":refunding": sv(ReviewRefunding), ":open": sv(ReviewOpen), ":one": nv(1), ":false": bv(false), ":now": sv(ft(now)),
			":reversal": sv(domain.ReviewReversal), ":bank": sv(domain.ProviderBank),
		})
	if err != nil {
		return nil, err
	}
	if !ok {
		switch {
		case domain.ReviewRefundRefusal(p.Kind) != nil:
			return p, domain.ReviewRefundRefusal(p.Kind)
		case p.State == ReviewOpen && p.Amount == nil:
			return p, noAmount(p.PSP)
		case p.State == ReviewOpen && p.PSP == domain.ProviderBank:
			return p, ErrReviewByBank
		}
		return p, ErrReviewNotOpen
	}
	return p, nil
}

// noAmount is the refusal of a refund of a payment of provider kept with
// no amount.
func noAmount(provider string) error {
	if provider == domain.ProviderBank {
		return ErrReviewBankNoAmount
	}
	return ErrReviewNoAmount
}

// StartReviewMatch moves an open, unmatched bank payment to matching, for
// link linkID, and returns it as it is after; one matching the same link
// already (a retry) is returned as it is. ErrReviewNotMatchable (with the
// payment as it is) for anything else.
func (s *Payments) StartReviewMatch(ctx context.Context, merchant, id, linkID string, now time.Time) (*ReviewPayment, error) {
	if !domain.ValidID(domain.PrefixReview, id) {
		return nil, domain.ErrNotFound
	}
	p, ok, err := s.updateReview(ctx, merchant, id, "SET #state = :matching, link_id = :link, updated_at = :now",
		"psp = :bank AND kind = :unmatched AND (#state = :open OR (#state = :matching AND link_id = :link))",
		map[string]types.AttributeValue{":matching": sv(ReviewMatching), ":link": sv(linkID), ":now": sv(ft(now)), ":bank": sv(domain.ProviderBank),
			":unmatched": sv(ReviewUnmatched), ":open": sv(ReviewOpen)})
	if err != nil {
		return nil, err
	}
	if !ok {
		return p, ErrReviewNotMatchable
	}
	return p, nil
}

// EndReviewMatch ends a match begun by StartReviewMatch: matched when the
// link took the payment, else open again (and no link). It returns the
// payment as it is after; false when it was not matching that link.
func (s *Payments) EndReviewMatch(ctx context.Context, merchant, id, linkID string, matched bool, now time.Time) (*ReviewPayment, bool, error) {
	update := "SET #state = :to, updated_at = :now"
	to := ReviewMatched
	if !matched {
		update, to = update+" REMOVE link_id", ReviewOpen
	}
	return s.updateReview(ctx, merchant, id, update, "#state = :matching AND link_id = :link",
		map[string]types.AttributeValue{":to": sv(to), ":now": sv(ft(now)), ":matching": sv(ReviewMatching), ":link": sv(linkID)})
}

// ClaimReviewRefund gives one worker the right to submit a review payment's
// refund to the PSP for lease; false when it was submitted or settled
// already (a duplicate message), ErrRefundClaimed while another holds it.
func (s *Payments) ClaimReviewRefund(ctx context.Context, merchant, id string, now time.Time, lease time.Duration) (*ReviewPayment, bool, error) {
	p, ok, err := s.updateReview(ctx, merchant, id, "SET claimed_until = :until",
		"#state = :refunding AND submitted = :false AND (attribute_not_exists(claimed_until) OR claimed_until < :now)",
		map[string]types.AttributeValue{":until": sv(ft(now.Add(lease))), ":now": sv(ft(now)), ":refunding": sv(ReviewRefunding), ":false": bv(false)})
	if err != nil || ok {
		return p, ok, err
	}
	if p.State == ReviewRefunding && !p.Submitted {
		return p, false, ErrRefundClaimed
	}
	return p, false, nil
}

// ReleaseReviewClaim gives a claim back after a transient PSP failure.
func (s *Payments) ReleaseReviewClaim(ctx context.Context, merchant, id string) error {
	_, err := s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: s.tbl(), Key: key(reviewPK(merchant), reviewSK(id)), UpdateExpression: aws.String("REMOVE claimed_until"),
	})
	if err != nil {
		return fmt.Errorf("release review payment %s: %w", id, err)
	}
	return nil
}

// MarkReviewRefundSubmitted notes that the PSP took the refund and settles
// it later (a webhook).
func (s *Payments) MarkReviewRefundSubmitted(ctx context.Context, merchant, id string, attempt int, ref string, now time.Time) error {
	_, _, err := s.updateReview(ctx, merchant, id, "SET submitted = :true, refund_ref = :ref, updated_at = :now REMOVE claimed_until",
		"#state = :refunding AND refund_attempt = :attempt", map[string]types.AttributeValue{
			":true": bv(true), ":ref": sv(ref), ":now": sv(ft(now)), ":refunding": sv(ReviewRefunding), ":attempt": nv(attempt),
		})
	return err
}

// SettleReviewRefund ends a refund attempt: refunding -> refunded, or back
// to open (with the reason) when the PSP refused. It returns false when the
// attempt was settled already (a duplicate) or is not the current one.
func (s *Payments) SettleReviewRefund(ctx context.Context, merchant, id string, attempt int, ok bool, ref, reason string, now time.Time) (bool, error) {
	state, sets := ReviewRefunded, "SET #state = :to, updated_at = :now"
	values := map[string]types.AttributeValue{":refunding": sv(ReviewRefunding), ":attempt": nv(attempt), ":now": sv(ft(now))}
	if !ok {
		state = ReviewOpen
		if reason == "" {
			reason = "refund_failed"
		}
		sets += ", failure_reason = :reason"
		values[":reason"] = sv(reason)
	}
	if ref != "" {
		sets += ", refund_ref = :ref"
		values[":ref"] = sv(ref)
	}
	values[":to"] = sv(state)
	_, changed, err := s.updateReview(ctx, merchant, id, sets+" REMOVE claimed_until", "#state = :refunding AND refund_attempt = :attempt", values)
	if err != nil {
		return false, err
	}
	return changed, nil
}
