package store

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/merchant"
)

// logoSK is the item that holds a merchant's cleaned logo (a binary
// attribute of at most brand.MaxStoredBytes, under DynamoDB's 400 KB item):
// apart from the merchant's item, which every request reads.
const logoSK = "BRAND#LOGO"

// PutLogo writes the merchant's new settings (m, read at m.Version-1, with
// its brand's logo described) and the logo's PNG in one transaction:
// domain.ErrConflict when the settings changed meanwhile.
func (s *Merchants) PutLogo(ctx context.Context, m *merchant.Merchant, png []byte) error {
	if m.Brand == nil || m.Brand.Logo == nil {
		return fmt.Errorf("put logo of %s: the brand describes no logo", m.ID)
	}
	logo := map[string]types.AttributeValue{"PK": sv(merchantItemPK(m.ID)), "SK": sv(logoSK), "type": sv("brand_logo"),
		"etag": sv(m.Brand.Logo.ETag), "png": &types.AttributeValueMemberB{Value: png}}
	return s.writeWithMerchant(ctx, m, types.TransactWriteItem{Put: &types.Put{TableName: s.tbl(), Item: logo}}, "put logo")
}

// DeleteLogo writes the merchant's new settings (with no logo) and deletes
// the logo's item in one transaction.
func (s *Merchants) DeleteLogo(ctx context.Context, m *merchant.Merchant) error {
	return s.writeWithMerchant(ctx, m, types.TransactWriteItem{Delete: &types.Delete{TableName: s.tbl(), Key: key(merchantItemPK(m.ID), logoSK)}}, "delete logo")
}

// writeWithMerchant writes m over the version before it together with w.
func (s *Merchants) writeWithMerchant(ctx context.Context, m *merchant.Merchant, w types.TransactWriteItem, what string) error {
	av, err := s.merchantAV(ctx, m)
	if err != nil {
		return err
	}
	_, err = s.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Put: &types.Put{TableName: s.tbl(), Item: av, ConditionExpression: aws.String("#version = :v"),
			ExpressionAttributeNames:  map[string]string{"#version": "version"},
			ExpressionAttributeValues: map[string]types.AttributeValue{":v": nv(m.Version - 1)}}},
		w,
	}})
	if reasons, ok := cancelReasons(err); ok && len(reasons) > 0 && reasons[0] == "ConditionalCheckFailed" {
		return domain.ErrConflict
	}
	if err != nil {
		return fmt.Errorf("%s of %s: %w", what, m.ID, err)
	}
	return nil
}

// GetLogo reads a merchant's logo: its PNG and entity tag, or
// domain.ErrNotFound.
func (s *Merchants) GetLogo(ctx context.Context, merchantID string) ([]byte, string, error) {
	out, err := s.DB.GetItem(ctx, &dynamodb.GetItemInput{TableName: s.tbl(), Key: key(merchantItemPK(merchantID), logoSK)})
	if err != nil {
		return nil, "", fmt.Errorf("get logo of %s: %w", merchantID, err)
	}
	png, ok := out.Item["png"].(*types.AttributeValueMemberB)
	etag, ok2 := out.Item["etag"].(*types.AttributeValueMemberS)
	if !ok || !ok2 {
		return nil, "", domain.ErrNotFound
	}
	return png.Value, etag.Value, nil
}
