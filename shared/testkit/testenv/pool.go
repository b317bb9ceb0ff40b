package testenv

import (
	"context"
	"os"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/paylinks/paylinks/shared/identity"
)

// NewPool makes a user pool and its app client on the cognito-idp emulator
// (moto), set as the stack sets them: invitation only, the e-mail as the
// user name and verified, a password policy, optional TOTP MFA, a client
// with ADMIN_USER_PASSWORD_AUTH (server-side sign-in only: a password alone
// never yields a token outside the dashboard) and refresh, no secret. The pool is deleted
// when the test ends.
func NewPool(t testing.TB) identity.Pool {
	t.Helper()
	cfg := AWSConfig(t)
	c := cip.NewFromConfig(cfg)
	ctx := context.Background()
	p, err := c.CreateUserPool(ctx, &cip.CreateUserPoolInput{
		PoolName:               aws.String("paylinks-test"),
		AdminCreateUserConfig:  &types.AdminCreateUserConfigType{AllowAdminCreateUserOnly: true},
		UsernameAttributes:     []types.UsernameAttributeType{types.UsernameAttributeTypeEmail},
		AutoVerifiedAttributes: []types.VerifiedAttributeType{types.VerifiedAttributeTypeEmail},
		MfaConfiguration:       types.UserPoolMfaTypeOptional,
		Policies:               &types.UserPoolPolicyType{PasswordPolicy: &types.PasswordPolicyType{MinimumLength: aws.Int32(12), RequireLowercase: true, RequireUppercase: true, RequireNumbers: true, RequireSymbols: true, TemporaryPasswordValidityDays: 7}},
	})
	if err != nil {
		t.Fatalf("create user pool on the cognito-idp emulator (moto; run `make test`, which starts it): %v", err)
	}
	id := aws.ToString(p.UserPool.Id)
	t.Cleanup(func() {
		_, _ = c.DeleteUserPool(context.Background(), &cip.DeleteUserPoolInput{UserPoolId: aws.String(id)})
	})
	cl, err := c.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{UserPoolId: aws.String(id), ClientName: aws.String("dashboard"),
		ExplicitAuthFlows:     []types.ExplicitAuthFlowsType{types.ExplicitAuthFlowsTypeAllowAdminUserPasswordAuth, types.ExplicitAuthFlowsTypeAllowRefreshTokenAuth},
		EnableTokenRevocation: aws.Bool(true), PreventUserExistenceErrors: types.PreventUserExistenceErrorTypesEnabled})
	if err != nil {
		t.Fatalf("create user pool client: %v", err)
	}
	return identity.Pool{Region: cfg.Region, ID: id, ClientID: aws.ToString(cl.UserPoolClient.ClientId), Endpoint: os.Getenv("AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER")}
}
