package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// ErrRowDone is an import row that was already created or failed (a
// redelivered batch): nothing is written again.
var ErrRowDone = errors.New("import row already handled")

// Import is a CSV import's progress.
type Import struct {
	ID        string     `json:"id" dynamodbav:"id"`
	Merchant  string     `json:"-" dynamodbav:"merchant"`
	RowsTotal int        `json:"rows_total" dynamodbav:"rows_total"`
	RowsDone  int        `json:"rows_done" dynamodbav:"rows_done"`
	RowsFail  int        `json:"rows_failed" dynamodbav:"rows_failed"`
	CreatedAt string     `json:"created_at" dynamodbav:"created_at"`
	Errors    []RowError `json:"errors" dynamodbav:"-"`
	Status    string     `json:"status" dynamodbav:"-"`
}

// RowError is why one row was not created.
type RowError struct {
	Row     int    `json:"row" dynamodbav:"row"`
	Field   string `json:"field" dynamodbav:"field"`
	Message string `json:"message" dynamodbav:"message"`
}

// CreateImport records a new import of total rows, with its audit entry
// (import.created) in the same transaction when an actor asked for it.
func (s *Imports) CreateImport(ctx context.Context, imp *Import) error {
	put := &types.Put{TableName: s.tbl(), Item: map[string]types.AttributeValue{
		"PK": sv(importPK(imp.Merchant, imp.ID)), "SK": sv(importSK), "type": sv("import"), "id": sv(imp.ID), "merchant": sv(imp.Merchant),
		"rows_total": nv(imp.RowsTotal), "rows_done": nv(0), "rows_failed": nv(0), "created_at": sv(imp.CreatedAt),
	}, ConditionExpression: aws.String("attribute_not_exists(PK)")}
	at, err := time.Parse(time.RFC3339, imp.CreatedAt)
	if err != nil {
		return fmt.Errorf("create import %s: created_at: %w", imp.ID, err)
	}
	audit, ok, err := s.actorAudit(ctx, imp.Merchant, at, "import.created", imp.ID, nil, map[string]int{"rows_total": imp.RowsTotal})
	if err != nil {
		return err
	}
	if ok {
		_, err = s.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{{Put: put}, audit}})
	} else {
		_, err = s.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: put.TableName, Item: put.Item, ConditionExpression: put.ConditionExpression})
	}
	if err != nil {
		return fmt.Errorf("create import %s: %w", imp.ID, err)
	}
	return nil
}

// ImportRow is the part of a link's create transaction that ties it to its
// import row: a marker that exists once, and the progress counter.
type ImportRow struct {
	Merchant, ImportID string
	Row                int
}

func (r *ImportRow) items(table *string) []types.TransactWriteItem {
	return []types.TransactWriteItem{
		{Put: &types.Put{TableName: table, ConditionExpression: aws.String("attribute_not_exists(PK)"), Item: map[string]types.AttributeValue{
			"PK": sv(importRowPK(r.Merchant, r.ImportID, r.Row)), "SK": sv(importRowSK), "type": sv("import_row"),
		}}},
		{Update: &types.Update{TableName: table, Key: key(importPK(r.Merchant, r.ImportID), importSK),
			UpdateExpression: aws.String("ADD rows_done :one"), ExpressionAttributeValues: map[string]types.AttributeValue{":one": nv(1)}}},
	}
}

// FailImportRow records a row's error and counts it, once.
func (s *Imports) FailImportRow(ctx context.Context, r ImportRow, field, msg string) error {
	_, err := s.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Put: &types.Put{TableName: s.tbl(), ConditionExpression: aws.String("attribute_not_exists(PK)"), Item: map[string]types.AttributeValue{
			"PK": sv(importPK(r.Merchant, r.ImportID)), "SK": sv(importErrSK(r.Row)), "type": sv("import_error"),
			"row": nv(r.Row), "field": sv(field), "message": sv(msg),
		}}},
		{Put: &types.Put{TableName: s.tbl(), ConditionExpression: aws.String("attribute_not_exists(PK)"), Item: map[string]types.AttributeValue{
			"PK": sv(importRowPK(r.Merchant, r.ImportID, r.Row)), "SK": sv(importRowSK), "type": sv("import_row"),
		}}},
		{Update: &types.Update{TableName: s.tbl(), Key: key(importPK(r.Merchant, r.ImportID), importSK),
			UpdateExpression: aws.String("ADD rows_failed :one"), ExpressionAttributeValues: map[string]types.AttributeValue{":one": nv(1)}}},
	}})
	if _, ok := cancelReasons(err); ok {
		return nil // handled before
	}
	if err != nil {
		return fmt.Errorf("fail import row %d: %w", r.Row, err)
	}
	return nil
}

// GetImport reads an import with its row errors.
func (s *Imports) GetImport(ctx context.Context, merchant, id string) (*Import, error) {
	imp := &Import{Errors: []RowError{}}
	if err := s.getItem(ctx, importPK(merchant, id), importSK, "import "+id, imp); err != nil {
		return nil, err
	}
	rows, err := queryPrefix[RowError](ctx, s.Core, importPK(merchant, id), "ERR#", "import errors")
	if err != nil {
		return nil, err
	}
	imp.Errors = append(imp.Errors, rows...)
	imp.Status = "processing"
	if imp.RowsDone+imp.RowsFail >= imp.RowsTotal {
		imp.Status = "completed"
	}
	return imp, nil
}
