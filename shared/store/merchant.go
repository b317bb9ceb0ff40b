package store

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/merchant"
)

func apiKeyPK(hash string) string { return "APIKEY#" + hash }

type merchantItem struct {
	PK   string `dynamodbav:"PK"`
	SK   string `dynamodbav:"SK"`
	Type string `dynamodbav:"type"`
	merchant.Merchant
	// Sealed holds the merchant's secrets (PSP credentials, webhook
	// secrets) sealed by the store's Sealer; they are never written in
	// plain text.
	Sealed string `dynamodbav:"secrets_sealed,omitempty"`
}

// merchantSecrets is what a merchant item keeps sealed.
type merchantSecrets struct {
	PSPCredentials   map[string]string `json:"psp_credentials,omitempty"`
	WebhookSecrets   []string          `json:"webhook_secrets,omitempty"`
	PSPWebhookSecret string            `json:"psp_webhook_secret,omitempty"`
}

func sealBinding(merchantID string) map[string]string {
	return map[string]string{"paylinks:merchant": merchantID, "paylinks:purpose": "merchant-secrets"}
}

// merchantAV is the item of m with its secrets sealed.
func (s *Merchants) merchantAV(ctx context.Context, m *merchant.Merchant) (map[string]types.AttributeValue, error) {
	it := merchantItem{PK: merchantItemPK(m.ID), SK: "MERCHANT", Type: "merchant", Merchant: *m}
	sec := merchantSecrets{PSPCredentials: m.PSPCredentials, WebhookSecrets: m.WebhookSecrets, PSPWebhookSecret: m.PSPWebhookSecret}
	if len(sec.PSPCredentials) > 0 || len(sec.WebhookSecrets) > 0 || sec.PSPWebhookSecret != "" {
		if s.Sealer == nil {
			return nil, fmt.Errorf("merchant %s: no sealer configured for its secrets", m.ID)
		}
		raw, err := json.Marshal(sec)
		if err != nil {
			return nil, fmt.Errorf("marshal merchant secrets: %w", err)
		}
		if it.Sealed, err = s.Sealer.Seal(ctx, raw, sealBinding(m.ID)); err != nil {
			return nil, fmt.Errorf("seal merchant %s secrets: %w", m.ID, err)
		}
	}
	it.PSPCredentials, it.WebhookSecrets, it.PSPWebhookSecret = nil, nil, ""
	av, err := attributevalue.MarshalMap(it)
	if err != nil {
		return nil, fmt.Errorf("marshal merchant: %w", err)
	}
	return av, nil
}

type keyItem struct {
	PK   string `dynamodbav:"PK"`
	SK   string `dynamodbav:"SK"`
	Type string `dynamodbav:"type"`
	merchant.Key
}

// PutMerchant writes a merchant's profile and settings.
func (s *Merchants) PutMerchant(ctx context.Context, m *merchant.Merchant) error {
	av, err := s.merchantAV(ctx, m)
	if err != nil {
		return err
	}
	if _, err := s.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: s.tbl(), Item: av}); err != nil {
		return fmt.Errorf("put merchant %s: %w", m.ID, err)
	}
	return nil
}

// UpdateMerchant writes new settings over those read at version
// m.Version-1 (optimistic lock); domain.ErrConflict when they changed meanwhile.
func (s *Merchants) UpdateMerchant(ctx context.Context, m *merchant.Merchant) error {
	av, err := s.merchantAV(ctx, m)
	if err != nil {
		return err
	}
	_, err = s.DB.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: s.tbl(), Item: av,
		ConditionExpression:       aws.String("#version = :v"),
		ExpressionAttributeNames:  map[string]string{"#version": "version"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":v": nv(m.Version - 1)},
	})
	if _, ok := isConditionFailed(err); ok {
		return domain.ErrConflict
	}
	if err != nil {
		return fmt.Errorf("update merchant %s: %w", m.ID, err)
	}
	return nil
}

// GetMerchant reads a merchant.
func (s *Merchants) GetMerchant(ctx context.Context, id string) (*merchant.Merchant, error) {
	var it merchantItem
	if err := s.getItem(ctx, merchantItemPK(id), "MERCHANT", "merchant "+id, &it); err != nil {
		return nil, err
	}
	if it.Sealed != "" {
		if s.Sealer == nil {
			return nil, fmt.Errorf("merchant %s: no sealer configured to open its secrets", id)
		}
		raw, err := s.Sealer.Open(ctx, it.Sealed, sealBinding(id))
		if err != nil {
			return nil, fmt.Errorf("open merchant %s secrets: %w", id, err)
		}
		var sec merchantSecrets
		if err := json.Unmarshal(raw, &sec); err != nil {
			return nil, fmt.Errorf("unmarshal merchant secrets: %w", err)
		}
		it.PSPCredentials, it.WebhookSecrets, it.PSPWebhookSecret = sec.PSPCredentials, sec.WebhookSecrets, sec.PSPWebhookSecret
	}
	return &it.Merchant, nil
}

func keySK(id string) string { return "KEY#" + id }

// PutKey stores an API key (its hash): the lookup item and the merchant's
// listing item, in one transaction.
func (s *Merchants) PutKey(ctx context.Context, k merchant.Key) error {
	look, err := attributevalue.MarshalMap(keyItem{PK: apiKeyPK(k.Hash), SK: "APIKEY", Type: "apikey", Key: k})
	if err != nil {
		return fmt.Errorf("marshal key: %w", err)
	}
	list, err := attributevalue.MarshalMap(keyItem{PK: merchantItemPK(k.Merchant), SK: keySK(k.ID()), Type: "apikey_ref", Key: k})
	if err != nil {
		return fmt.Errorf("marshal key: %w", err)
	}
	_, err = s.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Put: &types.Put{TableName: s.tbl(), Item: look}},
		{Put: &types.Put{TableName: s.tbl(), Item: list}},
	}})
	if err != nil {
		return fmt.Errorf("put key: %w", err)
	}
	return nil
}

// ListKeys lists a merchant's active keys (prefix and last four only).
func (s *Merchants) ListKeys(ctx context.Context, merchantID string) ([]merchant.Key, error) {
	out, err := s.DB.Query(ctx, &dynamodb.QueryInput{
		TableName:              s.tbl(),
		KeyConditionExpression: aws.String("PK = :pk AND begins_with(SK, :k)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": sv(merchantItemPK(merchantID)), ":k": sv(keySK("")),
		},
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return nil, fmt.Errorf("list keys: %w", err)
	}
	var items []keyItem
	if err := attributevalue.UnmarshalListOfMaps(out.Items, &items); err != nil {
		return nil, fmt.Errorf("unmarshal keys: %w", err)
	}
	keys := make([]merchant.Key, len(items))
	for i := range items {
		keys[i] = items[i].Key
	}
	return keys, nil
}

// DeleteKey revokes a merchant's key by its id.
func (s *Merchants) DeleteKey(ctx context.Context, merchantID, id string) error {
	keys, err := s.ListKeys(ctx, merchantID)
	if err != nil {
		return err
	}
	for _, k := range keys {
		if k.ID() != id {
			continue
		}
		_, err := s.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
			{Delete: &types.Delete{TableName: s.tbl(), Key: key(apiKeyPK(k.Hash), "APIKEY")}},
			{Delete: &types.Delete{TableName: s.tbl(), Key: key(merchantItemPK(merchantID), keySK(id))}},
		}})
		if err != nil {
			return fmt.Errorf("delete key: %w", err)
		}
		return nil
	}
	return domain.ErrNotFound
}

// LookupKey finds the stored key of a secret (its merchant, name and
// permissions), or domain.ErrNotFound.
func (s *Merchants) LookupKey(ctx context.Context, secret string) (merchant.Key, error) {
	h := merchant.HashKey(secret)
	out, err := s.DB.GetItem(ctx, &dynamodb.GetItemInput{TableName: s.tbl(), Key: key(apiKeyPK(h), "APIKEY"), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return merchant.Key{}, fmt.Errorf("lookup key: %w", err)
	}
	if out.Item == nil {
		return merchant.Key{}, domain.ErrNotFound
	}
	var it keyItem
	if err := attributevalue.UnmarshalMap(out.Item, &it); err != nil {
		return merchant.Key{}, fmt.Errorf("unmarshal key: %w", err)
	}
	// The item was found by the hash; compare the stored hash in constant
	// time all the same, so that no code path compares secrets byte by byte.
	if subtle.ConstantTimeCompare([]byte(it.Hash), []byte(h)) != 1 {
		return merchant.Key{}, domain.ErrNotFound
	}
	return it.Key, nil
}

// KeyUseEvery is how often a key's last use is recorded at most.
const KeyUseEvery = time.Hour

// UseKey is LookupKey for a request made with the key at now: when the
// key's recorded last use is older than KeyUseEvery (or missing), it
// records now on both of the key's items in one transaction; otherwise it
// writes nothing. A key revoked meanwhile is not brought back.
func (s *Merchants) UseKey(ctx context.Context, secret string, now time.Time) (merchant.Key, error) {
	k, err := s.LookupKey(ctx, secret)
	if err != nil {
		return k, err
	}
	if last, err := time.Parse(time.RFC3339, k.LastUsed); err == nil && now.Sub(last) < KeyUseEvery {
		return k, nil
	}
	stamp := now.UTC().Format(time.RFC3339)
	update := func(pk, sk string) types.TransactWriteItem {
		return types.TransactWriteItem{Update: &types.Update{TableName: s.tbl(), Key: key(pk, sk),
			UpdateExpression:          aws.String("SET last_used_at = :now"),
			ConditionExpression:       aws.String("attribute_exists(PK) AND (attribute_not_exists(last_used_at) OR last_used_at < :now)"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":now": sv(stamp)}}}
	}
	_, err = s.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		update(apiKeyPK(k.Hash), "APIKEY"), update(merchantItemPK(k.Merchant), keySK(k.ID())),
	}})
	if _, cancelled := cancelReasons(err); cancelled {
		return k, nil // revoked, or recorded by another request meanwhile
	}
	if err != nil {
		return k, fmt.Errorf("record key use: %w", err)
	}
	k.LastUsed = stamp
	return k, nil
}
