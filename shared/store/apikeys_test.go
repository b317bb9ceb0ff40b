package store_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/merchant"
	"github.com/paylinks/paylinks/shared/testkit/testenv"
)

// TestKeyPermissions: a restricted key's permissions live on its items and
// LookupKey and ListKeys return them; a key item written without them (as
// every key before permissions) is a full key.
func TestKeyPermissions(t *testing.T) {
	env := testenv.New(t)
	secret, k, err := merchant.NewKey("shop", false)
	if err != nil {
		t.Fatal(err)
	}
	k.Name, k.Permissions, k.Created = "erp", []domain.Permission{domain.LinksWrite, domain.LinksRead}, "2026-11-25T09:00:00Z"
	if err := env.Store.PutKey(ctx, k); err != nil {
		t.Fatal(err)
	}
	got, err := env.Store.LookupKey(ctx, secret)
	if err != nil || got.Merchant != "shop" || got.Name != "erp" || !got.Restricted() || !slices.Equal(got.Grants(), k.Permissions) {
		t.Fatalf("LookupKey = %+v %v", got, err)
	}
	list, err := env.Store.ListKeys(ctx, "shop")
	if err != nil || len(list) != 1 || !slices.Equal(list[0].Permissions, k.Permissions) {
		t.Fatalf("ListKeys = %+v %v", list, err)
	}

	// A key item as written before permissions existed: no attribute.
	legacy := "sk_test_legacylegacylegacylegacylegacy1"
	h := merchant.HashKey(legacy)
	_, err = env.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(env.Table), Item: map[string]types.AttributeValue{
		"PK": &types.AttributeValueMemberS{Value: "APIKEY#" + h}, "SK": &types.AttributeValueMemberS{Value: "APIKEY"},
		"type": &types.AttributeValueMemberS{Value: "apikey"}, "hash": &types.AttributeValueMemberS{Value: h},
		"merchant": &types.AttributeValueMemberS{Value: "shop"}, "prefix": &types.AttributeValueMemberS{Value: "sk_test_"},
		"last4": &types.AttributeValueMemberS{Value: "acy1"}, "created_at": &types.AttributeValueMemberS{Value: "2026-01-01T00:00:00Z"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	got, err = env.Store.LookupKey(ctx, legacy)
	if err != nil || got.Merchant != "shop" || got.Restricted() || !slices.Equal(got.Grants(), domain.AllPermissions) {
		t.Fatalf("legacy key = %+v %v, want a full key", got, err)
	}
	if _, err := env.Store.LookupKey(ctx, "sk_test_nosuchkeynosuchkeynosuchkey00"); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("unknown key: %v", err)
	}
}
