package store

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// partitionPage is one page of a listing held in one partition (a
// merchant's statements, a statement's entries, its bank refund files):
// one Query of PK (and the sort keys beginning with Prefix), in order or
// newest first, resumed at a cursor of the collection (its position
// checked by Valid), asking one item more than Limit to know whether a
// next page exists.
type partitionPage struct {
	Merchant, Collection string
	PK, Prefix           string
	Newest               bool
	Limit                int // 50 when zero or less
	Cursor               string
	Valid                func(pos string) bool
	// Projection and its Names, when only some attributes are read.
	Projection string
	Names      map[string]string
}

// readPage reads the page into items of T and returns them (at most
// Limit) with the next page's cursor ("" at the end).
func readPage[T any](ctx context.Context, s *Core, p partitionPage) ([]T, string, error) {
	limit := p.Limit
	if limit <= 0 {
		limit = 50
	}
	values := map[string]types.AttributeValue{":pk": sv(p.PK)}
	cond := "PK = :pk"
	if p.Prefix != "" {
		cond += " AND begins_with(SK, :prefix)"
		values[":prefix"] = sv(p.Prefix)
	}
	in := &dynamodb.QueryInput{TableName: s.tbl(), ScanIndexForward: aws.Bool(!p.Newest), Limit: aws.Int32(int32(limit + 1)),
		KeyConditionExpression: aws.String(cond), ExpressionAttributeValues: values}
	if p.Projection != "" {
		in.ProjectionExpression, in.ExpressionAttributeNames = aws.String("SK, "+p.Projection), p.Names
	}
	if p.Cursor != "" {
		pos, err := decodeCursor(p.Cursor, p.Merchant, p.Collection, p.Valid)
		if err != nil {
			return nil, "", err
		}
		in.ExclusiveStartKey = key(p.PK, pos)
	}
	out, err := s.DB.Query(ctx, in)
	if err != nil {
		return nil, "", fmt.Errorf("list %s of %s: %w", p.Collection, p.Merchant, err)
	}
	rows := out.Items[:min(len(out.Items), limit)]
	items := make([]T, 0, len(rows))
	if err := attributevalue.UnmarshalListOfMaps(rows, &items); err != nil {
		return nil, "", fmt.Errorf("unmarshal %s: %w", p.Collection, err)
	}
	next := ""
	if len(out.Items) > limit {
		next = encodeCursor(p.Merchant, p.Collection, avS(rows[len(rows)-1]["SK"]))
	}
	return items, next, nil
}
