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
)

// A person's partition (PERSON#<sub>) holds their memberships, one per
// merchant (SK M#<merchant>), and their record (SK PERSON): when their
// sessions and tokens stop counting and since when TOTP is their sign-in
// step. One Query reads it all: what every authenticated member request
// needs, cached by the functions no longer than their auth cache.

const personSK = "PERSON"

type personItem struct {
	Type             string     `dynamodbav:"type"`
	TokensValidAfter time.Time  `dynamodbav:"tokens_valid_after"`
	MFASince         *time.Time `dynamodbav:"mfa_since,omitempty"`
	domain.Member
}

// Person reads person sub: their memberships, joined and invited, and their
// record (one Query).
func (s *People) Person(ctx context.Context, sub string) (domain.Person, error) {
	out, err := s.DB.Query(ctx, &dynamodb.QueryInput{TableName: s.tbl(), ConsistentRead: aws.Bool(true),
		KeyConditionExpression:    aws.String("PK = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": sv(personPK(sub))}})
	if err != nil {
		return domain.Person{}, fmt.Errorf("query person: %w", err)
	}
	var items []personItem
	if err := attributevalue.UnmarshalListOfMaps(out.Items, &items); err != nil {
		return domain.Person{}, fmt.Errorf("unmarshal person: %w", err)
	}
	p := domain.Person{Sub: sub}
	for _, it := range items {
		switch it.Type {
		case "membership":
			p.Memberships = append(p.Memberships, it.Member)
		case "person":
			p.TokensValidAfter, p.MFASince = it.TokensValidAfter, it.MFASince
		}
	}
	return p, nil
}

// updatePerson sets expr on person sub's record (made when missing).
func (s *People) updatePerson(ctx context.Context, sub, expr string, values map[string]types.AttributeValue, what string) error {
	if values == nil {
		values = map[string]types.AttributeValue{}
	}
	values[":type"] = sv("person")
	_, err := s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: s.tbl(), Key: key(personPK(sub), personSK),
		UpdateExpression:          aws.String("SET #t = :type" + expr),
		ExpressionAttributeNames:  map[string]string{"#t": "type"},
		ExpressionAttributeValues: values})
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

// EndCredentials ends every session and token person sub had before at
// (sign-out).
func (s *People) EndCredentials(ctx context.Context, sub string, at time.Time) error {
	return s.updatePerson(ctx, sub, ", tokens_valid_after = :at", map[string]types.AttributeValue{":at": sv(ft(at))}, "end credentials")
}

// PersonUsesMFA records that TOTP is person sub's sign-in step since at
// (kept when recorded already).
func (s *People) PersonUsesMFA(ctx context.Context, sub string, at time.Time) error {
	return s.updatePerson(ctx, sub, ", mfa_since = if_not_exists(mfa_since, :at)", map[string]types.AttributeValue{":at": sv(ft(at))}, "person uses mfa")
}

// PersonDropsMFA records that TOTP is no longer person sub's sign-in step
// (they signed in without it): no token of theirs counts as had with it.
func (s *People) PersonDropsMFA(ctx context.Context, sub string) error {
	return s.updatePerson(ctx, sub, " REMOVE mfa_since", nil, "person drops mfa")
}

// JoinMerchant turns the person's invitation mem into a membership (both
// copies, still invited when read), with its audit entry;
// domain.ErrNotFound when there is no such invitation any more.
func (s *People) JoinMerchant(ctx context.Context, mem domain.Member, at time.Time, e AuditEntry) error {
	set := func(pk, sk string) types.TransactWriteItem {
		return types.TransactWriteItem{Update: &types.Update{TableName: s.tbl(), Key: key(pk, sk),
			ConditionExpression:       aws.String("#s = :invited AND #r = :role"),
			UpdateExpression:          aws.String("SET #s = :active, joined_at = :at"),
			ExpressionAttributeNames:  map[string]string{"#s": "status", "#r": "role"},
			ExpressionAttributeValues: map[string]types.AttributeValue{":invited": sv(string(domain.MemberInvited)), ":active": sv(string(domain.MemberActive)), ":at": sv(ft(at)), ":role": sv(string(mem.Role))}}}
	}
	audit, err := s.AuditPut(mem.Merchant, e)
	if err != nil {
		return err
	}
	items := []types.TransactWriteItem{set(membersPK(mem.Merchant), memberSK(mem.ID)), set(personPK(mem.Sub), tenant(mem.Merchant)), audit}
	if mem.Role == domain.RoleOwner {
		items = append(items, s.owners(mem.Merchant, 1))
	}
	_, err = s.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	if _, ok := cancelReasons(err); ok {
		return fmt.Errorf("%w: invitation %s", domain.ErrNotFound, mem.ID)
	}
	if err != nil {
		return fmt.Errorf("join merchant: %w", err)
	}
	return nil
}

// OwnerCount is how many owners merchant m has.
func (s *People) OwnerCount(ctx context.Context, m string) (int, error) {
	out, err := s.DB.GetItem(ctx, &dynamodb.GetItemInput{TableName: s.tbl(), Key: key(membersPK(m), ownersSK), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return 0, fmt.Errorf("get owners: %w", err)
	}
	var v struct {
		N int `dynamodbav:"n"`
	}
	if err := attributevalue.UnmarshalMap(out.Item, &v); err != nil {
		return 0, fmt.Errorf("unmarshal owners: %w", err)
	}
	return v.N, nil
}
