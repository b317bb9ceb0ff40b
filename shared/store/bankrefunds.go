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

// Refunds of bank payments (docs/api.md, Bank refunds): a payout is
// written with the refund that makes it, in the same transaction, twice:
//   - M#<m>#BPO#<end-to-end id> / BPO: the payout, found by the end-to-end
//     id a statement's debit carries;
//   - M#<m>#BPW / W#<created>#<end-to-end id>: the merchant's list of payouts
//     waiting for a file, oldest first (a few a day: one partition).
//
// A file claims each payout on its refund (the link's refund item, or the
// review payment): bank_file_id set, guarded on it being unset and the
// refund pending, in one transaction with the file's item
// M#<m>#BF / BF#<id> (newest first). Its payouts then leave the list.
func payoutPK(m, e2e string) string { return tenant(m) + "#BPO#" + e2e }
func waitingPK(m string) string     { return tenant(m) + "#BPW" }
func waitingSK(created, e2e string) string {
	return "W#" + created + "#" + e2e
}
func bankFilePK(m string) string  { return tenant(m) + "#BF" }
func bankFileSK(id string) string { return "BF#" + id }

const payoutSK = "BPO"

// Bank refund file statuses.
const (
	BankFileReady = "ready"
)

// ErrPayoutsTaken is a file whose payouts (some of them) were filed or
// settled meanwhile (another file won the race): nothing was written, and
// those payouts left the list; read the list again.
var ErrPayoutsTaken = errors.New("payouts were taken by another file meanwhile")

// payoutItem is a payout as stored, as its record and on the waiting list.
type payoutItem struct {
	PK         string `dynamodbav:"PK"`
	SK         string `dynamodbav:"SK"`
	Type       string `dynamodbav:"type"`
	Merchant   string `dynamodbav:"merchant"`
	EndToEndID string `dynamodbav:"end_to_end_id"`
	LinkID     string `dynamodbav:"link_id,omitempty"`
	RefundID   string `dynamodbav:"refund_id,omitempty"`
	ReviewID   string `dynamodbav:"review_id,omitempty"`
	Attempt    int    `dynamodbav:"attempt,omitempty"`
	Currency   string `dynamodbav:"currency"`
	Amount     string `dynamodbav:"amount"`
	PayeeName  string `dynamodbav:"payee_name"`
	PayeeIBAN  string `dynamodbav:"payee_iban"`
	PayeeBIC   string `dynamodbav:"payee_bic,omitempty"`
	Remittance string `dynamodbav:"remittance,omitempty"`
	CreatedAt  string `dynamodbav:"created_at"`
}

// WaitingPayout is a payout on the waiting list.
type WaitingPayout struct {
	domain.Payout
	CreatedAt string // as stored: its place in the list
}

func payoutToItem(m string, p domain.Payout, now time.Time) payoutItem {
	return payoutItem{Merchant: m, EndToEndID: p.EndToEndID, LinkID: p.LinkID, RefundID: p.RefundID, ReviewID: p.ReviewID, Attempt: p.Attempt,
		Currency: p.Amount.Currency, Amount: p.Amount.String(), PayeeName: p.Payee.Name, PayeeIBAN: p.Payee.IBAN, PayeeBIC: p.Payee.BIC,
		Remittance: p.Remittance, CreatedAt: ft(now)}
}

func payoutFromItem(it *payoutItem) (WaitingPayout, error) {
	a, err := money.Parse(it.Currency, it.Amount)
	if err != nil {
		return WaitingPayout{}, fmt.Errorf("payout %s amount: %w", it.EndToEndID, err)
	}
	return WaitingPayout{CreatedAt: it.CreatedAt, Payout: domain.Payout{EndToEndID: it.EndToEndID, LinkID: it.LinkID, RefundID: it.RefundID,
		ReviewID: it.ReviewID, Attempt: it.Attempt, Amount: a, Remittance: it.Remittance,
		Payee: domain.Payee{Name: it.PayeeName, IBAN: it.PayeeIBAN, BIC: it.PayeeBIC}}}, nil
}

// payoutPuts are the payout's record and its place on the waiting list,
// each put once.
func (s *Payments) payoutPuts(m string, p domain.Payout, now time.Time) ([]types.TransactWriteItem, error) {
	rec, wait := payoutToItem(m, p, now), payoutToItem(m, p, now)
	rec.PK, rec.SK, rec.Type = payoutPK(m, p.EndToEndID), payoutSK, "bank_payout"
	wait.PK, wait.SK, wait.Type = waitingPK(m), waitingSK(wait.CreatedAt, p.EndToEndID), "bank_payout_waiting"
	var out []types.TransactWriteItem
	for _, it := range []payoutItem{rec, wait} {
		av, err := attributevalue.MarshalMap(it)
		if err != nil {
			return nil, fmt.Errorf("marshal payout %s: %w", p.EndToEndID, err)
		}
		out = append(out, types.TransactWriteItem{Put: &types.Put{TableName: s.tbl(), Item: av, ConditionExpression: aws.String("attribute_not_exists(PK)")}})
	}
	return out, nil
}

// LinkPayer is who paid link id by bank transfer, as the statement's
// debtor said (nil when the link was not paid so, or the bank named no
// one): the account a refund by bank transfer pays back.
func (s *Payments) LinkPayer(ctx context.Context, merchant, id string) (*domain.Debtor, error) {
	out, err := s.DB.GetItem(ctx, &dynamodb.GetItemInput{TableName: s.tbl(), Key: linkKey(merchant, id), ConsistentRead: aws.Bool(true),
		ProjectionExpression: aws.String("payer_name, payer_iban, payer_bic")})
	if err != nil {
		return nil, fmt.Errorf("payer of %s: %w", id, err)
	}
	d := domain.Debtor{Name: avS(out.Item["payer_name"]), IBAN: avS(out.Item["payer_iban"]), BIC: avS(out.Item["payer_bic"])}
	if d == (domain.Debtor{}) {
		return nil, nil
	}
	return &d, nil
}

// CreateBankRefund is CreateRefund of a refund by bank transfer: in the
// same transaction its payout p is recorded and put on the merchant's
// waiting list, so a reserved refund is never off the list.
func (s *Payments) CreateBankRefund(ctx context.Context, l *domain.Link, r *Refund, p domain.Payout, now time.Time) error {
	puts, err := s.payoutPuts(l.Merchant, p, now)
	if err != nil {
		return err
	}
	r.EndToEndID = p.EndToEndID
	return s.createRefund(ctx, l, r, now, puts)
}

// StartBankReviewRefund moves open bank payment cur (as read: its attempt
// is p's less one) to refunding with payout p, which it records and puts on
// the waiting list in the same transaction. The payment as it is after;
// when it changed since it was read, the errors of StartReviewRefund.
func (s *Payments) StartBankReviewRefund(ctx context.Context, merchant string, cur *ReviewPayment, p domain.Payout, now time.Time) (*ReviewPayment, error) {
	puts, err := s.payoutPuts(merchant, p, now)
	if err != nil {
		return nil, err
	}
	update := &types.Update{TableName: s.tbl(), Key: key(reviewPK(merchant), reviewSK(cur.ID)),
		UpdateExpression: aws.String("SET #state = :refunding, refund_attempt = :attempt, submitted = :false, end_to_end_id = :e2e, updated_at = :now " +
			"REMOVE claimed_until, failure_reason, bank_file_id"),
		ConditionExpression:      aws.String("#state = :open AND psp = :bank AND refund_attempt = :prev AND attribute_exists(currency) AND kind <> :reversal"),
		ExpressionAttributeNames: map[string]string{"#state": "state"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":refunding": sv(ReviewRefunding), ":attempt": nv(p.Attempt), ":prev": nv(p.Attempt - 1),
			":false": bv(false), ":e2e": sv(p.EndToEndID), ":now": sv(ft(now)), ":open": sv(ReviewOpen), ":bank": sv(domain.ProviderBank),
			":reversal": sv(domain.ReviewReversal)},
	}
	_, err = s.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: append([]types.TransactWriteItem{{Update: update}}, puts...)})
	if reasons, ok := cancelReasons(err); ok {
		if len(reasons) > 0 && reasons[0] == "ConditionalCheckFailed" {
			now, err := s.GetReviewPayment(ctx, merchant, cur.ID)
			if err != nil {
				return nil, err
			}
			if err := domain.ReviewRefundRefusal(now.Kind); err != nil {
				return now, err
			}
			if now.State == ReviewOpen && now.Amount == nil {
				return now, ErrReviewBankNoAmount
			}
			return now, ErrReviewNotOpen
		}
		return nil, fmt.Errorf("refund review payment %s: %w", cur.ID, domain.ErrConflict)
	}
	if err != nil {
		return nil, fmt.Errorf("refund review payment %s: %w", cur.ID, err)
	}
	return s.GetReviewPayment(ctx, merchant, cur.ID)
}

// WaitingPayouts reads up to limit payouts waiting for a file, oldest
// first (consistent: a refund just made is among them).
func (s *Payments) WaitingPayouts(ctx context.Context, merchant string, limit int) ([]WaitingPayout, error) {
	out, err := s.DB.Query(ctx, &dynamodb.QueryInput{TableName: s.tbl(), ConsistentRead: aws.Bool(true), Limit: aws.Int32(int32(limit)),
		KeyConditionExpression:    aws.String("PK = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": sv(waitingPK(merchant))}})
	if err != nil {
		return nil, fmt.Errorf("payouts waiting of %s: %w", merchant, err)
	}
	var items []payoutItem
	if err := attributevalue.UnmarshalListOfMaps(out.Items, &items); err != nil {
		return nil, fmt.Errorf("unmarshal payouts: %w", err)
	}
	ps := make([]WaitingPayout, 0, len(items))
	for i := range items {
		p, err := payoutFromItem(&items[i])
		if err != nil {
			return nil, err
		}
		ps = append(ps, p)
	}
	return ps, nil
}

// PayoutByEndToEnd reads the payout whose end-to-end id is e2e
// (domain.ErrNotFound when the merchant has none).
func (s *Payments) PayoutByEndToEnd(ctx context.Context, merchant, e2e string) (*domain.Payout, error) {
	var it payoutItem
	if err := s.getItem(ctx, payoutPK(merchant, e2e), payoutSK, "payout "+e2e, &it); err != nil {
		return nil, err
	}
	p, err := payoutFromItem(&it)
	if err != nil {
		return nil, err
	}
	return &p.Payout, nil
}

// BankFile is a bank refund file: a pain.001 document paying payouts out.
type BankFile struct {
	ID        string       `dynamodbav:"id"`
	Merchant  string       `dynamodbav:"merchant"`
	Status    string       `dynamodbav:"status"`
	Refunds   int          `dynamodbav:"refunds"`
	Total     money.Amount `dynamodbav:"-"`
	Currency  string       `dynamodbav:"currency"`
	TotalText string       `dynamodbav:"total"`
	CreatedAt string       `dynamodbav:"created_at"`
	// XML is the pain.001 document (left out of lists).
	XML string `dynamodbav:"xml,omitempty"`
}

func (f *BankFile) fromStored() error {
	a, err := money.Parse(f.Currency, f.TotalText)
	if err != nil {
		return fmt.Errorf("bank file %s total: %w", f.ID, err)
	}
	f.Total = a
	return nil
}

// claimItem claims payout p for file id on its refund: guarded on the
// refund being pending (a review payment refunding at p's attempt), with
// p's end-to-end id, in no file yet and held by no reversal.
func (s *Payments) claimItem(merchant, id string, p domain.Payout, now time.Time) types.TransactWriteItem {
	values := map[string]types.AttributeValue{":f": sv(id), ":e2e": sv(p.EndToEndID), ":now": sv(ft(now))}
	u := &types.Update{TableName: s.tbl(), UpdateExpression: aws.String("SET bank_file_id = :f, updated_at = :now"),
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld}
	if p.ReviewID != "" {
		u.Key = key(reviewPK(merchant), reviewSK(p.ReviewID))
		u.ConditionExpression = aws.String("#s = :refunding AND refund_attempt = :attempt AND end_to_end_id = :e2e AND attribute_not_exists(bank_file_id)")
		u.ExpressionAttributeNames = map[string]string{"#s": "state"}
		values[":refunding"], values[":attempt"] = sv(ReviewRefunding), nv(p.Attempt)
	} else {
		u.Key = key(linkPK(merchant, p.LinkID), refundSK(p.RefundID))
		u.ConditionExpression = aws.String("#s = :pending AND end_to_end_id = :e2e AND attribute_not_exists(bank_file_id) AND attribute_not_exists(held_by)")
		u.ExpressionAttributeNames = map[string]string{"#s": "status"}
		values[":pending"] = sv(RefundPending)
	}
	u.ExpressionAttributeValues = values
	return types.TransactWriteItem{Update: u}
}

// FileBankRefunds writes file f (its id, count, total, XML set) claiming
// payouts ps (at most domain.MaxFilePayouts), in one transaction: no two
// files ever hold the same payout. Then the payouts leave the waiting
// list. ErrPayoutsTaken when some were filed or settled meanwhile: nothing
// was written, and those left the list (read it again).
func (s *Payments) FileBankRefunds(ctx context.Context, f *BankFile, ps []WaitingPayout, now time.Time) error {
	if len(ps) == 0 || len(ps) > domain.MaxFilePayouts {
		return fmt.Errorf("bank file %s: %d payouts, 1 to %d", f.ID, len(ps), domain.MaxFilePayouts)
	}
	f.Status, f.CreatedAt, f.Currency, f.TotalText = BankFileReady, ft(now), f.Total.Currency, f.Total.String()
	av, err := attributevalue.MarshalMap(f)
	if err != nil {
		return fmt.Errorf("marshal bank file %s: %w", f.ID, err)
	}
	av["PK"], av["SK"], av["type"] = sv(bankFilePK(f.Merchant)), sv(bankFileSK(f.ID)), sv("bank_refund_file")
	items := make([]types.TransactWriteItem, 0, len(ps)+1)
	for _, p := range ps {
		items = append(items, s.claimItem(f.Merchant, f.ID, p.Payout, now))
	}
	items = append(items, types.TransactWriteItem{Put: &types.Put{TableName: s.tbl(), Item: av, ConditionExpression: aws.String("attribute_not_exists(PK)")}})
	_, err = s.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	var tce *types.TransactionCanceledException
	if errors.As(err, &tce) {
		var gone []WaitingPayout
		for i, r := range tce.CancellationReasons {
			if i < len(ps) && aws.ToString(r.Code) == "ConditionalCheckFailed" {
				gone = append(gone, ps[i]) // filed, settled, or no longer this attempt: never to be filed
			}
		}
		if len(gone) == 0 {
			return fmt.Errorf("bank file %s: %w", f.ID, domain.ErrConflict)
		}
		if err := s.unlist(ctx, f.Merchant, gone); err != nil {
			return err
		}
		return ErrPayoutsTaken
	}
	if err != nil {
		return fmt.Errorf("write bank file %s: %w", f.ID, err)
	}
	// The file holds them now. Failing to take them off the list leaves
	// them for the next file, whose claim of them fails and takes them
	// off: not an error of this file.
	_ = s.unlist(ctx, f.Merchant, ps)
	return nil
}

// holdItems hold the bank refunds of link l that no file holds yet for
// reversal rev (review payment): each guarded on being pending and in no
// file, so that a file and the reversal never both take one, and taken
// off the waiting list. They go in the reversal's own transaction
// (Payments.keep).
func (s *Payments) holdItems(ctx context.Context, l *domain.Link, rev string) ([]types.TransactWriteItem, error) {
	refunds, err := s.Refunds(ctx, l.Merchant, l.ID)
	if err != nil {
		return nil, err
	}
	var items []types.TransactWriteItem
	for _, r := range refunds {
		if r.EndToEndID == "" || r.Status != RefundPending || r.BankFileID != "" || r.HeldBy != "" {
			continue
		}
		items = append(items, types.TransactWriteItem{Update: &types.Update{
			TableName: s.tbl(), Key: key(linkPK(l.Merchant, l.ID), refundSK(r.ID)),
			UpdateExpression:          aws.String("SET held_by = :rev"),
			ConditionExpression:       aws.String("#s = :pending AND attribute_not_exists(bank_file_id)"),
			ExpressionAttributeNames:  map[string]string{"#s": "status"},
			ExpressionAttributeValues: map[string]types.AttributeValue{":rev": sv(rev), ":pending": sv(RefundPending)},
		}}, types.TransactWriteItem{Delete: &types.Delete{ // its place on the waiting list (written at the refund's creation)
			TableName: s.tbl(), Key: key(waitingPK(l.Merchant), waitingSK(ft(r.CreatedAt), r.EndToEndID)),
		}})
	}
	return items, nil
}

// unlist takes payouts off the waiting list (batches of deletes). A
// payout left on it by a failure is taken off by the next file, whose
// claim of it fails.
func (s *Payments) unlist(ctx context.Context, merchant string, ps []WaitingPayout) error {
	reqs := make([]types.WriteRequest, 0, len(ps))
	for _, p := range ps {
		reqs = append(reqs, types.WriteRequest{DeleteRequest: &types.DeleteRequest{Key: key(waitingPK(merchant), waitingSK(p.CreatedAt, p.EndToEndID))}})
	}
	if err := s.batchWrite(ctx, "waiting payouts of "+merchant, reqs); err != nil {
		return fmt.Errorf("%w: %w", domain.ErrUnavailable, err)
	}
	return nil
}

// BankFilePage is a page of bank refund files, newest first, and the next
// page's cursor ("" at the end).
type BankFilePage struct {
	Items []BankFile
	Next  string
}

// BankFiles reads a page of a merchant's bank refund files, newest first,
// without their XML.
func (s *Payments) BankFiles(ctx context.Context, merchant string, limit int, cursor string) (BankFilePage, error) {
	items, next, err := readPage[BankFile](ctx, s.Core, partitionPage{Merchant: merchant, Collection: "bank_files", PK: bankFilePK(merchant), Newest: true,
		Limit: limit, Cursor: cursor, Valid: func(p string) bool {
			return domain.ValidID(domain.PrefixBankFile, strings.TrimPrefix(p, bankFileSK("")))
		},
		Projection: "id, merchant, #status, refunds, currency, #total, created_at", Names: map[string]string{"#status": "status", "#total": "total"}})
	if err != nil {
		return BankFilePage{}, err
	}
	for i := range items {
		if err := items[i].fromStored(); err != nil {
			return BankFilePage{}, err
		}
	}
	return BankFilePage{Items: items, Next: next}, nil
}

// GetBankFile reads one of a merchant's bank refund files, with its XML
// (domain.ErrNotFound for an id it does not have).
func (s *Payments) GetBankFile(ctx context.Context, merchant, id string) (*BankFile, error) {
	if !domain.ValidID(domain.PrefixBankFile, id) {
		return nil, domain.ErrNotFound
	}
	var f BankFile
	if err := s.getItem(ctx, bankFilePK(merchant), bankFileSK(id), "bank file "+id, &f); err != nil {
		return nil, err
	}
	return &f, f.fromStored()
}
