package store

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/merchant"
)

// The operators' register of merchants is a system item per merchant (not
// tenant data: only the administration function reads it), so that
// listing merchants is one Query, never a Scan.
const operatorPK = "OPERATOR"

func registerSK(id string) string { return "MERCHANT#" + id }

// Registered is a merchant as the operators' register lists it.
type Registered struct {
	ID        string `json:"id" dynamodbav:"id"`
	Name      string `json:"name" dynamodbav:"name"`
	Live      bool   `json:"live" dynamodbav:"live"`
	Suspended bool   `json:"suspended" dynamodbav:"suspended"`
	Created   string `json:"created_at" dynamodbav:"created_at"`
}

type registeredItem struct {
	PK   string `dynamodbav:"PK"`
	SK   string `dynamodbav:"SK"`
	Type string `dynamodbav:"type"`
	Registered
}

// CreateMerchant writes a new merchant and its entry in the operators'
// register in one transaction; domain.ErrConflict when the id is taken.
func (s *Merchants) CreateMerchant(ctx context.Context, m *merchant.Merchant, now time.Time) error {
	av, err := s.merchantAV(ctx, m)
	if err != nil {
		return err
	}
	reg, err := attributevalue.MarshalMap(registeredItem{PK: operatorPK, SK: registerSK(m.ID), Type: "merchant_register",
		Registered: Registered{ID: m.ID, Name: m.Name, Live: m.Live, Created: now.UTC().Format(time.RFC3339)}})
	if err != nil {
		return fmt.Errorf("marshal register entry: %w", err)
	}
	absent := aws.String("attribute_not_exists(PK)")
	_, err = s.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Put: &types.Put{TableName: s.tbl(), Item: av, ConditionExpression: absent}},
		{Put: &types.Put{TableName: s.tbl(), Item: reg, ConditionExpression: absent}},
	}})
	if reasons, ok := cancelReasons(err); ok && len(reasons) > 0 && (reasons[0] == "ConditionalCheckFailed" || (len(reasons) > 1 && reasons[1] == "ConditionalCheckFailed")) {
		return fmt.Errorf("%w: merchant %s exists", domain.ErrConflict, m.ID)
	}
	if err != nil {
		return fmt.Errorf("create merchant %s: %w", m.ID, err)
	}
	return nil
}

// ListMerchants is the operators' register, by id.
func (s *Merchants) ListMerchants(ctx context.Context) ([]Registered, error) {
	items, err := queryPrefix[registeredItem](ctx, s.Core, operatorPK, registerSK(""), "merchants")
	if err != nil {
		return nil, err
	}
	var out []Registered
	for _, it := range items {
		out = append(out, it.Registered)
	}
	return out, nil
}

// SetSuspended suspends a merchant (its API answers 403, its links 404) or
// lifts it, on the merchant and in the register at once; domain.ErrNotFound
// for an unknown merchant.
func (s *Merchants) SetSuspended(ctx context.Context, id string, suspended bool) error {
	set := func(k map[string]types.AttributeValue) *types.Update {
		return &types.Update{TableName: s.tbl(), Key: k, ConditionExpression: aws.String("attribute_exists(PK)"),
			UpdateExpression:          aws.String("SET suspended = :s"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":s": &types.AttributeValueMemberBOOL{Value: suspended}}}
	}
	_, err := s.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Update: set(key(merchantItemPK(id), "MERCHANT"))},
		{Update: set(key(operatorPK, registerSK(id)))},
	}})
	if reasons, ok := cancelReasons(err); ok && (reasons[0] == "ConditionalCheckFailed" || reasons[1] == "ConditionalCheckFailed") {
		return fmt.Errorf("%w: merchant %s", domain.ErrNotFound, id)
	}
	if err != nil {
		return fmt.Errorf("suspend merchant %s: %w", id, err)
	}
	return nil
}
