package store

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/paylinks/paylinks/shared/bank/reference"
	"github.com/paylinks/paylinks/shared/domain"
)

// A statement's entries are reconciled a chunk at a time in few round
// trips (docs/performance.md, Reconciling a statement): one batch read of
// what the table knows of the chunk (LookupEntries: the entries' identity
// markers and the links their references name), one transaction per
// payment that holds the entry's claim and record with the payment
// (EntryRead), and one batch of the records of what changes nothing
// (RecordEntries: duplicates, entries not booked, debits).

// EntryClaim is the statement and position that first read an entry.
type EntryClaim struct {
	Statement string
	Index     int
}

// EntryLookup is what the table held of a chunk's entries when it was
// read: the claims of their identities (by payment id; absent: never
// read) and the links of their references (by reference as given; absent:
// no link has it).
type EntryLookup struct {
	Claims map[string]EntryClaim
	Links  map[string]string
}

// LookupEntries reads the identity markers of payIDs and the reference
// markers of refs (any written form: reference.Normalize) in BatchGetItem
// requests of 100 keys, consistently.
func (s *Statements) LookupEntries(ctx context.Context, merchant string, payIDs, refs []string) (EntryLookup, error) {
	look := EntryLookup{Claims: map[string]EntryClaim{}, Links: map[string]string{}}
	keys := make([]map[string]types.AttributeValue, 0, len(payIDs)+len(refs))
	seen := map[string]bool{}
	add := func(pk, sk string) {
		if !seen[pk] {
			seen[pk] = true
			keys = append(keys, key(pk, sk))
		}
	}
	for _, id := range payIDs {
		add(entryMarkerPK(merchant, id), entryMarkerSK)
	}
	for _, ref := range refs {
		if n := reference.Normalize(ref); n != "" {
			add(bankRefPK(merchant, n), bankRefSK)
		}
	}
	items, err := s.batchGetConsistent(ctx, keys)
	if err != nil {
		return look, fmt.Errorf("look up %d bank entries of %s: %w", len(payIDs), merchant, err)
	}
	found := map[string]map[string]types.AttributeValue{}
	for _, it := range items {
		if it != nil {
			found[avS(it["PK"])] = it
		}
	}
	for _, id := range payIDs {
		if it := found[entryMarkerPK(merchant, id)]; it != nil {
			idx, err := strconv.Atoi(avN(it["idx"]))
			if err != nil {
				return look, fmt.Errorf("bank entry marker %s: idx: %w", id, err)
			}
			look.Claims[id] = EntryClaim{Statement: avS(it["statement"]), Index: idx}
		}
	}
	for _, ref := range refs {
		if it := found[bankRefPK(merchant, reference.Normalize(ref))]; it != nil && avS(it["link_id"]) != "" {
			look.Links[ref] = avS(it["link_id"])
		}
	}
	return look, nil
}

// RecordEntries writes the records of entries of statement id that change
// nothing (duplicates, entries not booked, debits), in BatchWriteItem
// requests of 25. A record is a whole item made from its entry alone, so
// writing it again (a retried chunk) writes the same.
func (s *Statements) RecordEntries(ctx context.Context, merchant, id string, recs []StatementEntry, now time.Time) error {
	reqs := make([]types.WriteRequest, 0, len(recs))
	for i := range recs {
		av, err := entryRecordItem(merchant, id, &recs[i], now)
		if err != nil {
			return err
		}
		reqs = append(reqs, types.WriteRequest{PutRequest: &types.PutRequest{Item: av}})
	}
	return s.batchWrite(ctx, "entries of statement "+id, reqs)
}

// entryRecordItem is the item of an entry's record.
func entryRecordItem(merchant, id string, e *StatementEntry, now time.Time) (map[string]types.AttributeValue, error) {
	av, err := attributevalue.MarshalMap(e)
	if err != nil {
		return nil, fmt.Errorf("marshal statement entry %d: %w", e.Index, err)
	}
	av["PK"], av["SK"], av["type"], av["ttl"] = sv(statementPK(merchant, id)), sv(statementEntrySK(e.Index)), sv("bank_statement_entry"), nv(ttlAt(now, StatementTTL))
	return av, nil
}

// entryClaimItem is the identity marker of payment payID: read first by
// statement id at index.
func entryClaimItem(merchant, payID, id string, index int, now time.Time) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		"PK": sv(entryMarkerPK(merchant, payID)), "SK": sv(entryMarkerSK), "type": sv("bank_entry"), "statement": sv(id), "idx": nv(index),
		"at": sv(ft(now)), "ttl": nv(ttlAt(now, StatementTTL)),
	}
}

// EntryRead is a statement entry read for the first time that is a
// payment: its identity's claim and its record go in the payment's own
// transaction (ApplyPaymentRead, KeepForReviewRead), so that the
// payment, the claim and the record are all written or none is. Record
// holds the outcome the payment has when written (KeepForReviewRead sets
// its ReviewID).
type EntryRead struct {
	Statement string
	PaymentID string
	Record    *StatementEntry
}

// items are the claim (only when no other read holds it) and the record
// (only when the position has none) of the read.
func (r *EntryRead) items(tbl *string, merchant string, now time.Time) ([]types.TransactWriteItem, error) {
	rec, err := entryRecordItem(merchant, r.Statement, r.Record, now)
	if err != nil {
		return nil, err
	}
	return []types.TransactWriteItem{
		{Put: &types.Put{TableName: tbl, Item: entryClaimItem(merchant, r.PaymentID, r.Statement, r.Record.Index, now),
			ConditionExpression: aws.String("attribute_not_exists(PK)")}},
		{Put: &types.Put{TableName: tbl, Item: rec, ConditionExpression: aws.String("attribute_not_exists(PK)")}},
	}, nil
}

// ApplyPaymentRead is Payments.ApplyPayment of a payment a statement entry
// read for the first time: the entry's claim and record (read, its Record
// saying matched) are written in the same transaction. An entry claimed or
// recorded already makes it Duplicate: nothing is written.
func (s *Statements) ApplyPaymentRead(ctx context.Context, merchant, provider string, ev domain.PaymentEvent, d domain.PaymentDecision, now time.Time, read *EntryRead) (PaymentWrite, error) {
	return (&Payments{s.Core}).apply(ctx, merchant, provider, ev, d, now, read)
}

// KeepForReviewRead is Payments.KeepForReview of a payment a statement
// entry read for the first time: the entry's claim and record (read; its
// ReviewID is set to the review payment's) are written in the same
// transaction. An entry claimed or recorded already makes it false:
// nothing is written.
func (s *Statements) KeepForReviewRead(ctx context.Context, merchant, provider string, ev domain.PaymentEvent, kind string, link *domain.Link, now time.Time, read *EntryRead) (bool, error) {
	return (&Payments{s.Core}).keep(ctx, merchant, provider, ev, kind, link, now, read)
}

// readRefused reports a transaction refused because the entry it reads is
// claimed (or recorded) already: its two items are the last.
func readRefused(read *EntryRead, reasons []string) bool {
	if read == nil || len(reasons) < 2 {
		return false
	}
	n := len(reasons)
	return reasons[n-2] == "ConditionalCheckFailed" || reasons[n-1] == "ConditionalCheckFailed"
}
