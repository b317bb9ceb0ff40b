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

// Members. A merchant's members share one partition (M#<m>#MEMBERS: a
// team, not traffic) with the count of its owners; each membership is also
// written under its person (PERSON#<sub>, a system item: a person may be a
// member of several merchants), so that a signed-in person's memberships
// are one Query. Both copies change in one transaction.
func membersPK(m string) string  { return tenant(m) + "#MEMBERS" }
func memberSK(id string) string  { return "MEM#" + id }
func personPK(sub string) string { return "PERSON#" + sub }

const ownersSK = "OWNERS"

type memberItem struct {
	PK   string `dynamodbav:"PK"`
	SK   string `dynamodbav:"SK"`
	Type string `dynamodbav:"type"`
	domain.Member
}

func (s *People) memberPuts(mem domain.Member) (member, person map[string]types.AttributeValue, err error) {
	member, err = attributevalue.MarshalMap(memberItem{PK: membersPK(mem.Merchant), SK: memberSK(mem.ID), Type: "member", Member: mem})
	if err != nil {
		return nil, nil, fmt.Errorf("marshal member: %w", err)
	}
	person, err = attributevalue.MarshalMap(memberItem{PK: personPK(mem.Sub), SK: tenant(mem.Merchant), Type: "membership", Member: mem})
	if err != nil {
		return nil, nil, fmt.Errorf("marshal membership: %w", err)
	}
	return member, person, nil
}

// owners changes the merchant's owner count by delta; a decrement is
// refused (ErrLastOwner) when it would leave none.
func (s *People) owners(m string, delta int) types.TransactWriteItem {
	u := &types.Update{TableName: s.tbl(), Key: key(membersPK(m), ownersSK),
		UpdateExpression:          aws.String("ADD n :d"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":d": nv(delta)}}
	if delta < 0 {
		u.ConditionExpression = aws.String("n > :one")
		u.ExpressionAttributeValues[":one"] = nv(1)
	}
	return types.TransactWriteItem{Update: u}
}

// AddMember writes a new member with its audit entry; domain.ErrAlreadyMember
// when the person is a member of the merchant already.
func (s *People) AddMember(ctx context.Context, mem domain.Member, e AuditEntry) error {
	member, person, err := s.memberPuts(mem)
	if err != nil {
		return err
	}
	absent := aws.String("attribute_not_exists(PK)")
	items := []types.TransactWriteItem{
		{Put: &types.Put{TableName: s.tbl(), Item: person, ConditionExpression: absent}},
		{Put: &types.Put{TableName: s.tbl(), Item: member, ConditionExpression: absent}},
	}
	if mem.Role == domain.RoleOwner && mem.Status == domain.MemberActive {
		items = append(items, s.owners(mem.Merchant, 1))
	}
	audit, err := s.AuditPut(mem.Merchant, e)
	if err != nil {
		return err
	}
	items = append(items, audit)
	_, err = s.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	if reasons, ok := cancelReasons(err); ok && len(reasons) > 0 && reasons[0] == "ConditionalCheckFailed" {
		return fmt.Errorf("%w: %s", domain.ErrAlreadyMember, mem.Merchant)
	}
	if err != nil {
		return fmt.Errorf("add member: %w", err)
	}
	return nil
}

// GetMember reads one member of merchant m (domain.ErrNotFound).
func (s *People) GetMember(ctx context.Context, m, id string) (domain.Member, error) {
	var it memberItem
	if err := s.getItem(ctx, membersPK(m), memberSK(id), "member", &it); err != nil {
		return domain.Member{}, err
	}
	return it.Member, nil
}

// ListMembers is merchant m's members, oldest first.
func (s *People) ListMembers(ctx context.Context, m string) ([]domain.Member, error) {
	return s.queryMembers(ctx, membersPK(m), memberSK(""))
}

func (s *People) queryMembers(ctx context.Context, pk, prefix string) ([]domain.Member, error) {
	items, err := queryPrefix[memberItem](ctx, s.Core, pk, prefix, "members")
	if err != nil {
		return nil, err
	}
	out := make([]domain.Member, len(items))
	for i, it := range items {
		out[i] = it.Member
	}
	return out, nil
}

// SetRole changes a member's role from what cur holds, and ends the
// person's sessions and tokens in the merchant (they sign in again with the
// new role; their other merchants are not touched);
// domain.ErrConflict when it changed since cur was read,
// domain.ErrLastOwner when the only owner would be demoted.
func (s *People) SetRole(ctx context.Context, cur domain.Member, role domain.Role, at time.Time, e AuditEntry) error {
	if cur.Role == role {
		return nil
	}
	set := func(pk, sk string) types.TransactWriteItem {
		return types.TransactWriteItem{Update: &types.Update{TableName: s.tbl(), Key: key(pk, sk),
			ConditionExpression:       aws.String("#r = :old"),
			UpdateExpression:          aws.String("SET #r = :new, credentials_after = :at"),
			ExpressionAttributeNames:  map[string]string{"#r": "role"},
			ExpressionAttributeValues: map[string]types.AttributeValue{":old": sv(string(cur.Role)), ":new": sv(string(role)), ":at": sv(ft(at))}}}
	}
	items := []types.TransactWriteItem{set(membersPK(cur.Merchant), memberSK(cur.ID)), set(personPK(cur.Sub), tenant(cur.Merchant))}
	switch {
	case cur.Status != domain.MemberActive: // owners count once they join
	case cur.Role == domain.RoleOwner:
		items = append(items, s.owners(cur.Merchant, -1))
	case role == domain.RoleOwner:
		items = append(items, s.owners(cur.Merchant, 1))
	}
	return s.memberChange(ctx, cur.Merchant, items, 2, e, "set role")
}

// RemoveMember deletes the member (or invitation) cur read: removed, left
// or withdrawn, the person's sessions and tokens no longer reach the
// merchant (and nothing of theirs elsewhere changes); domain.ErrLastOwner
// for the only owner.
func (s *People) RemoveMember(ctx context.Context, cur domain.Member, e AuditEntry) error {
	items := s.memberDeletes(cur)
	if cur.Role == domain.RoleOwner && cur.Status == domain.MemberActive {
		items = append(items, s.owners(cur.Merchant, -1))
	}
	return s.memberChange(ctx, cur.Merchant, items, 2, e, "remove member")
}

// memberDeletes delete both copies of the membership cur read, while its
// role is still the one read.
func (s *People) memberDeletes(cur domain.Member) []types.TransactWriteItem {
	del := func(pk, sk string) types.TransactWriteItem {
		return types.TransactWriteItem{Delete: &types.Delete{TableName: s.tbl(), Key: key(pk, sk),
			ConditionExpression:       aws.String("#r = :old"),
			ExpressionAttributeNames:  map[string]string{"#r": "role"},
			ExpressionAttributeValues: map[string]types.AttributeValue{":old": sv(string(cur.Role))}}}
	}
	return []types.TransactWriteItem{del(membersPK(cur.Merchant), memberSK(cur.ID)), del(personPK(cur.Sub), tenant(cur.Merchant))}
}

// DeclineInvitation deletes the invitation inv (both copies) with its
// audit entry; domain.ErrNotFound when it is no invitation any more.
func (s *People) DeclineInvitation(ctx context.Context, inv domain.Member, e AuditEntry) error {
	del := func(pk, sk string) types.TransactWriteItem {
		return types.TransactWriteItem{Delete: &types.Delete{TableName: s.tbl(), Key: key(pk, sk),
			ConditionExpression:       aws.String("#s = :invited"),
			ExpressionAttributeNames:  map[string]string{"#s": "status"},
			ExpressionAttributeValues: map[string]types.AttributeValue{":invited": sv(string(domain.MemberInvited))}}}
	}
	audit, err := s.AuditPut(inv.Merchant, e)
	if err != nil {
		return err
	}
	_, err = s.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		del(membersPK(inv.Merchant), memberSK(inv.ID)), del(personPK(inv.Sub), tenant(inv.Merchant)), audit}})
	if _, ok := cancelReasons(err); ok {
		return fmt.Errorf("%w: invitation %s", domain.ErrNotFound, inv.ID)
	}
	if err != nil {
		return fmt.Errorf("decline invitation: %w", err)
	}
	return nil
}

// memberChange writes a change of members (the two copies, maybe the
// person's record, then at ownersAt the owner count if it changes) with its
// audit entry.
func (s *People) memberChange(ctx context.Context, m string, items []types.TransactWriteItem, ownersAt int, e AuditEntry, what string) error {
	audit, err := s.AuditPut(m, e)
	if err != nil {
		return err
	}
	owners := len(items) > ownersAt
	items = append(items, audit)
	_, err = s.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	if reasons, ok := cancelReasons(err); ok {
		if owners && len(reasons) > ownersAt && reasons[ownersAt] == "ConditionalCheckFailed" {
			return domain.ErrLastOwner
		}
		return fmt.Errorf("%w: %s", domain.ErrConflict, what)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}

// MemberSignedIn records when the member signed in to their merchant (a
// member who joined: an invitation learns nothing of the person).
func (s *People) MemberSignedIn(ctx context.Context, mem domain.Member, at time.Time) error {
	return s.updateMembership(ctx, mem, "SET last_sign_in_at = :at", nil, map[string]types.AttributeValue{":at": sv(ft(at))}, "member signed in")
}

// SetMemberLanguage sets the dashboard language of a member who joined
// (one of domain.Languages; "" removes it: their browser's again), in
// both copies of the membership; domain.ErrNotFound when they are not a
// member.
func (s *People) SetMemberLanguage(ctx context.Context, mem domain.Member, lang string) error {
	names := map[string]string{"#lang": "language"}
	if lang == "" {
		return s.updateMembership(ctx, mem, "REMOVE #lang", names, nil, "member language")
	}
	return s.updateMembership(ctx, mem, "SET #lang = :lang", names, map[string]types.AttributeValue{":lang": sv(lang)}, "member language")
}

// updateMembership applies update (with its names and values) to both
// copies of an active membership (the team's and the person's) in one
// transaction.
func (s *People) updateMembership(ctx context.Context, mem domain.Member, update string, names map[string]string, values map[string]types.AttributeValue, what string) error {
	set := func(pk, sk string) types.TransactWriteItem {
		vals := map[string]types.AttributeValue{":active": sv(string(domain.MemberActive))}
		for k, v := range values {
			vals[k] = v
		}
		nm := map[string]string{"#s": "status"}
		for k, v := range names {
			nm[k] = v
		}
		return types.TransactWriteItem{Update: &types.Update{TableName: s.tbl(), Key: key(pk, sk),
			ConditionExpression:       aws.String("#s = :active"),
			UpdateExpression:          aws.String(update),
			ExpressionAttributeNames:  nm,
			ExpressionAttributeValues: vals}}
	}
	_, err := s.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		set(membersPK(mem.Merchant), memberSK(mem.ID)), set(personPK(mem.Sub), tenant(mem.Merchant))}})
	if _, ok := cancelReasons(err); ok {
		return fmt.Errorf("%w: member %s", domain.ErrNotFound, mem.ID)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	return nil
}
