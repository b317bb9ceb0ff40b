package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/paylinks/paylinks/shared/domain"
)

// Browser sessions of the dashboard: a system item per session keyed by
// the hash of its cookie's secret (SESSION#<sha256>), so the table never
// holds a usable cookie. The table's TTL drops it after its absolute end.

// Session is a signed-in person in a browser.
type Session struct {
	Sub string `dynamodbav:"sub"`
	// Email is the person's sign-in name (an alias the pool's admin calls
	// take for the user).
	Email string `dynamodbav:"email"`
	// Merchant is the merchant the person works in now (one of theirs).
	Merchant string `dynamodbav:"merchant"`
	// CSRF is the token every form of the session carries.
	CSRF    string    `dynamodbav:"csrf"`
	Created time.Time `dynamodbav:"created_at"`
	Seen    time.Time `dynamodbav:"seen_at"`
	// Ends is the absolute end, whatever the activity.
	Ends time.Time `dynamodbav:"ends_at"`
	// MFASetupToken is set while the person must set up TOTP before
	// anything else (a merchant of theirs requires it): their access token,
	// which the pool's TOTP calls take; removed once set up.
	MFASetupToken string `dynamodbav:"mfa_setup_token,omitempty"`
	// MFA is a session opened with the person's TOTP code (or that set
	// TOTP up): it counts in a merchant that requires two-step
	// verification.
	MFA bool `dynamodbav:"mfa,omitempty"`
}

type sessionItem struct {
	PK   string `dynamodbav:"PK"`
	SK   string `dynamodbav:"SK"`
	Type string `dynamodbav:"type"`
	TTL  int64  `dynamodbav:"ttl"`
	Session
}

const sessionSK = "SESSION"

func sessionPK(secret string) string {
	h := sha256.Sum256([]byte(secret))
	return "SESSION#" + hex.EncodeToString(h[:])
}

// PutSession stores a new session under its cookie's secret.
func (s *People) PutSession(ctx context.Context, secret string, se Session) error {
	av, err := attributevalue.MarshalMap(sessionItem{PK: sessionPK(secret), SK: sessionSK, Type: "session", TTL: se.Ends.Unix(), Session: se})
	if err != nil {
		return fmt.Errorf("marshal session: %w", err)
	}
	_, err = s.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: s.tbl(), Item: av, ConditionExpression: aws.String("attribute_not_exists(PK)")})
	if err != nil {
		return fmt.Errorf("put session: %w", err)
	}
	return nil
}

// GetSession reads the session of a cookie's secret (domain.ErrNotFound).
func (s *People) GetSession(ctx context.Context, secret string) (Session, error) {
	var it sessionItem
	if err := s.getItem(ctx, sessionPK(secret), sessionSK, "session", &it); err != nil {
		return Session{}, err
	}
	return it.Session, nil
}

// TouchSession records activity (the idle timeout starts again) and, when
// merchant is not empty, the merchant the person switched to.
func (s *People) TouchSession(ctx context.Context, secret string, seen time.Time, merchant string) error {
	expr := "SET seen_at = :seen"
	values := map[string]types.AttributeValue{":seen": sv(seen.UTC().Format(time.RFC3339Nano))}
	if merchant != "" {
		expr += ", merchant = :m"
		values[":m"] = sv(merchant)
	}
	_, err := s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: s.tbl(), Key: key(sessionPK(secret), sessionSK),
		ConditionExpression: aws.String("attribute_exists(PK)"), UpdateExpression: aws.String(expr), ExpressionAttributeValues: values})
	if _, ok := isConditionFailed(err); ok {
		return domain.ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("touch session: %w", err)
	}
	return nil
}

// DeleteSession ends a session (sign-out); ending one that is gone is not
// an error.
func (s *People) DeleteSession(ctx context.Context, secret string) error {
	_, err := s.DB.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: s.tbl(), Key: key(sessionPK(secret), sessionSK)})
	if err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}

// RequiresMFA reads whether merchant m makes its members sign in with a
// TOTP code, without opening its sealed secrets (the dashboard holds no
// key to them).
func (s *People) RequiresMFA(ctx context.Context, m string) (bool, error) {
	out, err := s.DB.GetItem(ctx, &dynamodb.GetItemInput{TableName: s.tbl(), Key: key(merchantItemPK(m), "MERCHANT"),
		ProjectionExpression: aws.String("require_mfa")})
	if err != nil {
		return false, fmt.Errorf("get merchant policy: %w", err)
	}
	var v struct {
		RequireMFA bool `dynamodbav:"require_mfa"`
	}
	if err := attributevalue.UnmarshalMap(out.Item, &v); err != nil {
		return false, fmt.Errorf("unmarshal merchant policy: %w", err)
	}
	return v.RequireMFA, nil
}

// EndMFASetup marks a session's TOTP set up: it works as any other and no
// longer holds the person's access token.
func (s *People) EndMFASetup(ctx context.Context, secret string) error {
	_, err := s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: s.tbl(), Key: key(sessionPK(secret), sessionSK),
		ConditionExpression: aws.String("attribute_exists(PK)"), UpdateExpression: aws.String("REMOVE mfa_setup_token SET mfa = :t"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":t": &types.AttributeValueMemberBOOL{Value: true}}})
	if _, ok := isConditionFailed(err); ok {
		return domain.ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("end mfa setup: %w", err)
	}
	return nil
}
