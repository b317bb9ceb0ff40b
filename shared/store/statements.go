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
)

// Statements is the merchants' bank statements: each file's progress, its
// entries and what they did, and the entries' identity across files.
type Statements struct{ *Core }

// Bank statements (docs/data-model.md, Bank statements):
//   - M#<m>#BS#<id> / BS: the statement (status, format, account, counts,
//     how far processing got), its entries E#<index> in the same partition;
//   - M#<m>#BSL / BS#<id>: the merchant's list of statements, newest first
//     (statements are uploads, a few a day: one partition holds the list);
//   - M#<m>#BSE#<payment id> / BSE: an entry's identity marker (the
//     payment id of domain.BankPaymentID, from bank.Entry.Key): the first
//     statement and position that read it, so the same entry in two files
//     counts once.
func statementPK(m, id string) string      { return tenant(m) + "#BS#" + id }
func statementListPK(m string) string      { return tenant(m) + "#BSL" }
func statementListSK(id string) string     { return "BS#" + id }
func entryMarkerPK(m, payID string) string { return tenant(m) + "#BSE#" + payID }
func statementEntrySK(i int) string        { return fmt.Sprintf("E#%08d", i) }

const (
	statementSK   = "BS"
	entryMarkerSK = "BSE"
)

// StatementTTL is how long a statement, its entries (the debtors' names,
// IBANs and remittance texts among them) and its entries' identity markers
// are kept: a year of reconciliation and a month more. docs/security.md,
// Personal data.
const StatementTTL = 395 * 24 * time.Hour

// States of a statement.
const (
	StatementProcessing = "processing"
	StatementDone       = "done"
	StatementFailed     = "failed"
)

// Statement is a bank statement file and how its processing went.
type Statement struct {
	ID          string `dynamodbav:"id"`
	Merchant    string `dynamodbav:"merchant"`
	Status      string `dynamodbav:"status"`
	Format      string `dynamodbav:"format,omitempty"`
	AccountIBAN string `dynamodbav:"account_iban,omitempty"`
	// Source is how the file came: "api" (an upload) or "drop" (a file put
	// in the bucket's drop/ prefix); File is its object key.
	Source string `dynamodbav:"source"`
	File   string `dynamodbav:"file"`
	// Validated: the whole file was read once without error and Entries
	// counted. Next is the position up to which entries are processed and
	// counted.
	Validated  bool   `dynamodbav:"validated"`
	Entries    int    `dynamodbav:"entries"`
	Next       int    `dynamodbav:"next"`
	Matched    int    `dynamodbav:"matched"`
	Review     int    `dynamodbav:"review"`
	Ignored    int    `dynamodbav:"ignored"`
	Duplicates int    `dynamodbav:"duplicates"`
	Error      string `dynamodbav:"error,omitempty"`
	CreatedAt  string `dynamodbav:"created_at"`
	UpdatedAt  string `dynamodbav:"updated_at,omitempty"`
	// LeaseHolder is the worker processing the statement until LeaseUntil
	// (LeaseStatement).
	LeaseHolder string `dynamodbav:"lease_holder,omitempty"`
	LeaseUntil  string `dynamodbav:"lease_until,omitempty"`
}

// StatementCounts are entries' outcomes counted.
type StatementCounts struct{ Matched, Review, Ignored, Duplicates int }

// Add counts one outcome.
func (c *StatementCounts) Add(o domain.EntryOutcome) {
	switch o {
	case domain.EntryMatched:
		c.Matched++
	case domain.EntryReview:
		c.Review++
	case domain.EntryIgnored:
		c.Ignored++
	case domain.EntryDuplicate:
		c.Duplicates++
	}
}

// StatementEntry is one entry of a statement and what it did.
type StatementEntry struct {
	Index      int                 `dynamodbav:"idx"`
	Outcome    domain.EntryOutcome `dynamodbav:"outcome"`
	Reason     string              `dynamodbav:"reason"`
	LinkID     string              `dynamodbav:"link_id,omitempty"`
	ReviewID   string              `dynamodbav:"review_id,omitempty"`
	PaymentID  string              `dynamodbav:"payment_id"`
	BookedOn   string              `dynamodbav:"booked_on,omitempty"`
	Currency   string              `dynamodbav:"currency"`
	Amount     string              `dynamodbav:"amount"` // the decimal as the bank wrote it
	Credit     bool                `dynamodbav:"credit"`
	Reference  string              `dynamodbav:"reference,omitempty"`
	DebtorName string              `dynamodbav:"debtor_name,omitempty"`
	DebtorIBAN string              `dynamodbav:"debtor_iban,omitempty"`
	Remittance string              `dynamodbav:"remittance,omitempty"`
}

// ErrStatementExists is a statement created twice (a redelivered drop).
var ErrStatementExists = errors.New("the statement exists already")

// CreateStatement records a new statement (processing) and lists it under
// its merchant, in one transaction; ErrStatementExists when its id is
// taken (nothing is written).
func (s *Statements) CreateStatement(ctx context.Context, st *Statement, now time.Time) error {
	st.Status, st.CreatedAt = StatementProcessing, ft(now)
	av, err := attributevalue.MarshalMap(st)
	if err != nil {
		return fmt.Errorf("marshal statement %s: %w", st.ID, err)
	}
	ttl := nv(ttlAt(now, StatementTTL))
	av["PK"], av["SK"], av["type"], av["ttl"] = sv(statementPK(st.Merchant, st.ID)), sv(statementSK), sv("bank_statement"), ttl
	notExists := aws.String("attribute_not_exists(PK)")
	_, err = s.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Put: &types.Put{TableName: s.tbl(), Item: av, ConditionExpression: notExists}},
		{Put: &types.Put{TableName: s.tbl(), ConditionExpression: notExists, Item: map[string]types.AttributeValue{
			"PK": sv(statementListPK(st.Merchant)), "SK": sv(statementListSK(st.ID)), "type": sv("bank_statement_ref"), "ttl": ttl,
		}}},
	}})
	if reasons, ok := cancelReasons(err); ok && reasons[0] == "ConditionalCheckFailed" {
		return ErrStatementExists
	}
	if err != nil {
		return fmt.Errorf("create statement %s: %w", st.ID, err)
	}
	return nil
}

// GetStatement reads one of a merchant's statements.
func (s *Statements) GetStatement(ctx context.Context, merchant, id string) (*Statement, error) {
	if !domain.ValidID(domain.PrefixStatement, id) {
		return nil, domain.ErrNotFound
	}
	var st Statement
	if err := s.getItem(ctx, statementPK(merchant, id), statementSK, "statement "+id, &st); err != nil {
		return nil, err
	}
	return &st, nil
}

// StatementPage is a page of statements and the next page's cursor ("" at the end).
type StatementPage struct {
	Items []Statement
	Next  string
}

// ListStatements reads a page of a merchant's statements, newest first: a
// Query of its list, then one BatchGetItem of the statements.
func (s *Statements) ListStatements(ctx context.Context, merchant string, limit int, cursor string) (StatementPage, error) {
	type listed struct {
		SK string `dynamodbav:"SK"`
	}
	refs, next, err := readPage[listed](ctx, s.Core, partitionPage{Merchant: merchant, Collection: "statements", PK: statementListPK(merchant), Newest: true,
		Limit: limit, Cursor: cursor, Valid: func(p string) bool {
			return domain.ValidID(domain.PrefixStatement, strings.TrimPrefix(p, statementListSK("")))
		}})
	if err != nil {
		return StatementPage{}, err
	}
	page := StatementPage{Items: []Statement{}, Next: next}
	if len(refs) == 0 {
		return page, nil
	}
	keys := make([]map[string]types.AttributeValue, len(refs))
	for i, r := range refs {
		keys[i] = key(statementPK(merchant, strings.TrimPrefix(r.SK, statementListSK(""))), statementSK)
	}
	got, err := s.batchGetConsistent(ctx, keys)
	if err != nil {
		return StatementPage{}, fmt.Errorf("read statements of %s: %w", merchant, err)
	}
	byID := map[string]Statement{}
	for _, item := range got {
		if item == nil {
			continue // gone only when its TTL took it first
		}
		var st Statement
		if err := attributevalue.UnmarshalMap(item, &st); err != nil {
			return StatementPage{}, fmt.Errorf("unmarshal statement: %w", err)
		}
		byID[st.ID] = st
	}
	for _, k := range keys {
		id := strings.TrimPrefix(avS(k["PK"]), statementPK(merchant, ""))
		if st, ok := byID[id]; ok { // gone only when its TTL took it first
			page.Items = append(page.Items, st)
		}
	}
	return page, nil
}

// StartStatement records what the first, validating read of a statement's
// file found: its format, account and number of entries. Only a statement
// still processing takes it (domain.ErrConflict otherwise).
func (s *Statements) StartStatement(ctx context.Context, merchant, id, format, accountIBAN string, entries int, now time.Time) error {
	return s.updateStatement(ctx, merchant, id, "SET validated = :true, #format = :format, account_iban = :acct, entries = :n, updated_at = :now",
		"#status = :processing AND validated = :false", map[string]types.AttributeValue{
			":true": bv(true), ":false": bv(false), ":format": sv(format), ":acct": sv(accountIBAN), ":n": nv(entries), ":now": sv(ft(now)),
			":processing": sv(StatementProcessing),
		})
}

// FailStatement marks a statement failed with why (the reader's error); only
// one still processing (domain.ErrConflict otherwise).
func (s *Statements) FailStatement(ctx context.Context, merchant, id, why string, now time.Time) error {
	return s.updateStatement(ctx, merchant, id, "SET #status = :failed, #error = :why, updated_at = :now", "#status = :processing",
		map[string]types.AttributeValue{":failed": sv(StatementFailed), ":why": sv(why), ":now": sv(ft(now)), ":processing": sv(StatementProcessing)})
}

// CheckpointStatement counts the outcomes of the entries from..to-1 and
// moves the statement's position to to (done when it is the last), once:
// guarded on the position being from, so a chunk processed twice (a
// redelivered message, two workers) is counted once. It returns false when
// the position was not from (nothing written).
func (s *Statements) CheckpointStatement(ctx context.Context, merchant, id string, from, to int, c StatementCounts, done bool, now time.Time) (bool, error) {
	update := "SET #next = :to, updated_at = :now ADD matched :m, review :r, ignored :i, duplicates :d"
	values := map[string]types.AttributeValue{":to": nv(to), ":from": nv(from), ":now": sv(ft(now)), ":processing": sv(StatementProcessing),
		":m": nv(c.Matched), ":r": nv(c.Review), ":i": nv(c.Ignored), ":d": nv(c.Duplicates), ":true": bv(true)}
	if done {
		update = strings.Replace(update, "SET ", "SET #status = :done, ", 1)
		values[":done"] = sv(StatementDone)
	}
	err := s.updateStatement(ctx, merchant, id, update, "#status = :processing AND validated = :true AND #next = :from", values)
	if errors.Is(err, domain.ErrConflict) {
		return false, nil
	}
	return err == nil, err
}

// updateStatement runs one guarded update of a statement: domain.ErrNotFound
// when there is none, domain.ErrConflict when the guard fails.
func (s *Statements) updateStatement(ctx context.Context, merchant, id, update, cond string, values map[string]types.AttributeValue) error {
	expr := update + " " + cond
	var names map[string]string // DynamoDB refuses a name the expressions do not use, and an empty map
	for _, n := range []string{"status", "format", "error", "next"} {
		if strings.Contains(expr, "#"+n) {
			if names == nil {
				names = map[string]string{}
			}
			names["#"+n] = n
		}
	}
	_, err := s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: s.tbl(), Key: key(statementPK(merchant, id), statementSK),
		UpdateExpression: aws.String(update), ConditionExpression: aws.String("attribute_exists(PK) AND " + cond),
		ExpressionAttributeNames: names, ExpressionAttributeValues: values,
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	if ccf, ok := isConditionFailed(err); ok {
		if ccf.Item == nil {
			return domain.ErrNotFound
		}
		return fmt.Errorf("update statement %s: %w", id, domain.ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("update statement %s: %w", id, err)
	}
	return nil
}

// Claim is what claiming an entry's identity found.
type Claim string

// Claims.
const (
	ClaimNew   Claim = "new"   // the entry's first reading: now
	ClaimAgain Claim = "again" // this statement and position claimed it before (a retry)
	ClaimTaken Claim = "taken" // another statement, or another position of this one, read it first: a duplicate
)

// ClaimEntry records that statement id's entry at index is the payment
// payID's first reading, and says whether it is.
func (s *Statements) ClaimEntry(ctx context.Context, merchant, payID, id string, index int, now time.Time) (Claim, error) {
	out, err := s.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: s.tbl(), Item: entryClaimItem(merchant, payID, id, index, now),
		ConditionExpression:       aws.String("attribute_not_exists(PK) OR (statement = :s AND idx = :i)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":s": sv(id), ":i": nv(index)},
		ReturnValues:              types.ReturnValueAllOld,
	})
	if _, ok := isConditionFailed(err); ok {
		return ClaimTaken, nil
	}
	if err != nil {
		return "", fmt.Errorf("claim bank entry %s: %w", payID, err)
	}
	if len(out.Attributes) > 0 {
		return ClaimAgain, nil
	}
	return ClaimNew, nil
}

// StatementEntry reads the record of statement id's entry at index
// (domain.ErrNotFound when it has none yet).
func (s *Statements) StatementEntry(ctx context.Context, merchant, id string, index int) (*StatementEntry, error) {
	var e StatementEntry
	if err := s.getItem(ctx, statementPK(merchant, id), statementEntrySK(index), fmt.Sprintf("statement %s entry %d", id, index), &e); err != nil {
		return nil, err
	}
	return &e, nil
}

// LeaseStatement gives worker holder the processing of a statement until
// until: false when another holds it (and its lease runs), or when the
// statement is no longer processing.
func (s *Statements) LeaseStatement(ctx context.Context, merchant, id, holder string, until, now time.Time) (bool, error) {
	err := s.updateStatement(ctx, merchant, id, "SET lease_holder = :h, lease_until = :until",
		"#status = :processing AND (attribute_not_exists(lease_until) OR lease_until < :now OR lease_holder = :h)",
		map[string]types.AttributeValue{":h": sv(holder), ":until": sv(ft(until)), ":now": sv(ft(now)), ":processing": sv(StatementProcessing)})
	if errors.Is(err, domain.ErrConflict) {
		return false, nil
	}
	return err == nil, err
}

// ReleaseStatement ends holder's lease (nothing when it holds none).
func (s *Statements) ReleaseStatement(ctx context.Context, merchant, id, holder string) error {
	err := s.updateStatement(ctx, merchant, id, "REMOVE lease_holder, lease_until", "lease_holder = :h", map[string]types.AttributeValue{":h": sv(holder)})
	if errors.Is(err, domain.ErrConflict) {
		return nil
	}
	return err
}

// RecordEntry writes what an entry of statement id did, once: when the
// entry was recorded before (a retry), the record as it was is returned
// with false and nothing is written.
func (s *Statements) RecordEntry(ctx context.Context, merchant, id string, e *StatementEntry, now time.Time) (*StatementEntry, bool, error) {
	av, err := entryRecordItem(merchant, id, e, now)
	if err != nil {
		return nil, false, err
	}
	_, err = s.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: s.tbl(), Item: av, ConditionExpression: aws.String("attribute_not_exists(PK)"),
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld})
	if ccf, ok := isConditionFailed(err); ok {
		var old StatementEntry
		if err := attributevalue.UnmarshalMap(ccf.Item, &old); err != nil {
			return nil, false, fmt.Errorf("unmarshal statement entry %d: %w", e.Index, err)
		}
		return &old, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("record statement %s entry %d: %w", id, e.Index, err)
	}
	return e, true, nil
}

// EntryPage is a page of a statement's entries, in the file's order.
type EntryPage struct {
	Items []StatementEntry
	Next  string
}

// StatementEntries reads a page of a statement's entries, in the order of
// the file (one Query of the statement's partition).
func (s *Statements) StatementEntries(ctx context.Context, merchant, id string, limit int, cursor string) (EntryPage, error) {
	items, next, err := readPage[StatementEntry](ctx, s.Core, partitionPage{Merchant: merchant, Collection: "statement_entries:" + id,
		PK: statementPK(merchant, id), Prefix: "E#", Limit: limit, Cursor: cursor, Valid: func(p string) bool {
			n, err := strconv.Atoi(strings.TrimPrefix(p, "E#"))
			return err == nil && n >= 0 && p == statementEntrySK(n)
		}})
	if err != nil {
		return EntryPage{}, err
	}
	return EntryPage{Items: items, Next: next}, nil
}

// AppliedPayment is what the applied marker of a payment event says: the
// link it was for and, when it was kept for review, the review payment
// and its kind (Kind is the event's kind when it was applied).
type AppliedPayment struct {
	LinkID   string `dynamodbav:"link_id"`
	Kind     string `dynamodbav:"kind"`
	ReviewID string `dynamodbav:"review_id"`
}

// AppliedPaymentOf reads the applied marker of provider's event evID
// (domain.ErrNotFound when the event was neither applied nor kept).
func (s *Statements) AppliedPaymentOf(ctx context.Context, merchant, provider, evID string) (AppliedPayment, error) {
	var a AppliedPayment
	err := s.getItem(ctx, pspPK(merchant, provider, evID), pspAppliedSK, "applied marker of "+evID, &a)
	return a, err
}

// MerchantExists reports a merchant (its item, nothing of it opened: no
// sealer needed, none of its secrets read).
func (s *Statements) MerchantExists(ctx context.Context, id string) (bool, error) {
	out, err := s.DB.GetItem(ctx, &dynamodb.GetItemInput{TableName: s.tbl(), Key: key(merchantItemPK(id), "MERCHANT"),
		ProjectionExpression: aws.String("PK")})
	if err != nil {
		return false, fmt.Errorf("merchant %s: %w", id, err)
	}
	return out.Item != nil, nil
}
