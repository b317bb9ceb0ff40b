package store

import (
	"context"
	"crypto/subtle"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/paylinks/paylinks/shared/merchant"
)

func apiKeyPK(hash string) string { return "APIKEY#" + hash }

type merchantItem struct {
	PK   string `dynamodbav:"PK"`
	SK   string `dynamodbav:"SK"`
	Type string `dynamodbav:"type"`
	merchant.Merchant
}

type keyItem struct {
	PK   string `dynamodbav:"PK"`
	SK   string `dynamodbav:"SK"`
	Type string `dynamodbav:"type"`
	merchant.Key
}

// PutMerchant writes a merchant's profile and settings.
func (s *Store) PutMerchant(ctx context.Context, m *merchant.Merchant) error {
	av, err := attributevalue.MarshalMap(merchantItem{PK: merchantPK(m.ID), SK: "MERCHANT", Type: "merchant", Merchant: *m})
	if err != nil {
		return fmt.Errorf("marshal merchant: %w", err)
	}
	if _, err := s.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: s.tbl(), Item: av}); err != nil {
		return fmt.Errorf("put merchant %s: %w", m.ID, err)
	}
	return nil
}

// GetMerchant reads a merchant.
func (s *Store) GetMerchant(ctx context.Context, id string) (*merchant.Merchant, error) {
	out, err := s.DB.GetItem(ctx, &dynamodb.GetItemInput{TableName: s.tbl(), Key: key(merchantPK(id), "MERCHANT"), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return nil, fmt.Errorf("get merchant %s: %w", id, err)
	}
	if out.Item == nil {
		return nil, ErrNotFound
	}
	var it merchantItem
	if err := attributevalue.UnmarshalMap(out.Item, &it); err != nil {
		return nil, fmt.Errorf("unmarshal merchant: %w", err)
	}
	return &it.Merchant, nil
}

// PutKey stores an API key (its hash).
func (s *Store) PutKey(ctx context.Context, k merchant.Key) error {
	av, err := attributevalue.MarshalMap(keyItem{PK: apiKeyPK(k.Hash), SK: "APIKEY", Type: "apikey", Key: k})
	if err != nil {
		return fmt.Errorf("marshal key: %w", err)
	}
	if _, err := s.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: s.tbl(), Item: av}); err != nil {
		return fmt.Errorf("put key: %w", err)
	}
	return nil
}

// DeleteKey revokes an API key.
func (s *Store) DeleteKey(ctx context.Context, hash string) error {
	_, err := s.DB.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: s.tbl(), Key: key(apiKeyPK(hash), "APIKEY")})
	if err != nil {
		return fmt.Errorf("delete key: %w", err)
	}
	return nil
}

// LookupKey finds the merchant of a secret key, or ErrNotFound.
func (s *Store) LookupKey(ctx context.Context, secret string) (string, error) {
	h := merchant.HashKey(secret)
	out, err := s.DB.GetItem(ctx, &dynamodb.GetItemInput{TableName: s.tbl(), Key: key(apiKeyPK(h), "APIKEY"), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return "", fmt.Errorf("lookup key: %w", err)
	}
	if out.Item == nil {
		return "", ErrNotFound
	}
	var it keyItem
	if err := attributevalue.UnmarshalMap(out.Item, &it); err != nil {
		return "", fmt.Errorf("unmarshal key: %w", err)
	}
	// The item was found by the hash; compare the stored hash in constant
	// time all the same, so that no code path compares secrets byte by byte.
	if subtle.ConstantTimeCompare([]byte(it.Hash), []byte(h)) != 1 {
		return "", ErrNotFound
	}
	return it.Merchant, nil
}
