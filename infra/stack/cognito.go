package stack

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscognito"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/jsii-runtime-go"

	"github.com/paylinks/paylinks/shared/spec"
)

// The identity contract (shared/config reads them when a function uses
// spec.NeedIdentity or spec.NeedIdentityAdmin).
const (
	envUserPoolID = "COGNITO_USER_POOL_ID"
	envClientID   = "COGNITO_CLIENT_ID"
)

// identityAdminActions are what spec.NeedIdentityAdmin calls on the pool
// (shared/cognito: invitations, the member's record, the dashboard's
// server-side sign-in and its TOTP step, signing a member out everywhere);
// the refresh (InitiateAuth) and the TOTP set-up calls are unauthenticated.
var identityAdminActions = []string{"cognito-idp:AdminCreateUser", "cognito-idp:AdminGetUser", "cognito-idp:AdminInitiateAuth", "cognito-idp:AdminRespondToAuthChallenge", "cognito-idp:AdminUserGlobalSignOut"}

// userPool is the team members' directory: the operator's own pool when
// the props name one (context userPoolId + userPoolClientId), else a pool
// made here with its "dashboard" app client.
type userPool struct {
	pool     awscognito.IUserPool
	id       *string
	clientID *string
}

func newUserPool(st awscdk.Stack, p *Props, base string, prod bool) userPool {
	if p.UserPoolID != "" {
		pool := awscognito.UserPool_FromUserPoolId(st, jsii.String("UserPool"), jsii.String(p.UserPoolID))
		return userPool{pool: pool, id: jsii.String(p.UserPoolID), clientID: jsii.String(p.UserPoolClientID)}
	}
	signIn := base + "/dashboard/sign-in"
	pool := awscognito.NewUserPool(st, jsii.String("UserPool"), &awscognito.UserPoolProps{
		UserPoolName:      jsii.String("paylinks-" + p.Stage),
		SelfSignUpEnabled: jsii.Bool(false), // members are invited
		SignInAliases:     &awscognito.SignInAliases{Email: jsii.Bool(true)},
		AutoVerify:        &awscognito.AutoVerifiedAttrs{Email: jsii.Bool(true)},
		StandardAttributes: &awscognito.StandardAttributes{
			Email: &awscognito.StandardAttribute{Required: jsii.Bool(true), Mutable: jsii.Bool(true)},
		},
		PasswordPolicy: &awscognito.PasswordPolicy{
			MinLength: jsii.Number(12), RequireLowercase: jsii.Bool(true), RequireUppercase: jsii.Bool(true),
			RequireDigits: jsii.Bool(true), RequireSymbols: jsii.Bool(true),
			TempPasswordValidity: awscdk.Duration_Days(jsii.Number(7)),
		},
		// Optional for the pool, so that an owner can require it for the
		// merchant's members; an authenticator app only, never SMS.
		Mfa:             awscognito.Mfa_OPTIONAL,
		MfaSecondFactor: &awscognito.MfaSecondFactor{Otp: jsii.Bool(true), Sms: jsii.Bool(false)},
		AccountRecovery: awscognito.AccountRecovery_EMAIL_ONLY,
		UserInvitation: &awscognito.UserInvitationConfig{
			EmailSubject: jsii.String("Your paylinks invitation"),
			EmailBody: jsii.String("You have been invited to a team on paylinks.<br><br>" +
				"Sign in at " + signIn + " with your e-mail {username} and the temporary password {####}; " +
				"you will choose your own password then. The temporary password is valid for 7 days."),
		},
		DeletionProtection: jsii.Bool(prod),
		RemovalPolicy:      removal(prod),
	})
	client := pool.AddClient(jsii.String("DashboardClient"), &awscognito.UserPoolClientOptions{
		UserPoolClientName: jsii.String("dashboard"),
		GenerateSecret:     jsii.Bool(false),
		// Server-side password sign-in only (the dashboard function, with its
		// IAM role: throttled, and two-step when a merchant requires it): no
		// password or SRP flow of the client's own, so a password alone
		// never yields a token anyone could call /v1 with. And refresh
		// (always on).
		AuthFlows:                  &awscognito.AuthFlow{AdminUserPassword: jsii.Bool(true), UserPassword: jsii.Bool(false), UserSrp: jsii.Bool(false), Custom: jsii.Bool(false)},
		DisableOAuth:               jsii.Bool(true),
		PreventUserExistenceErrors: jsii.Bool(true),
		EnableTokenRevocation:      jsii.Bool(true),
		AccessTokenValidity:        awscdk.Duration_Hours(jsii.Number(1)),
		IdTokenValidity:            awscdk.Duration_Hours(jsii.Number(1)),
		RefreshTokenValidity:       awscdk.Duration_Hours(jsii.Number(12)),
	})
	return userPool{pool: pool, id: pool.UserPoolId(), clientID: client.UserPoolClientId()}
}

// usesIdentity reports whether f checks members' tokens or calls the pool.
func usesIdentity(f spec.Function) bool {
	return f.Uses(spec.NeedIdentity) || f.Uses(spec.NeedIdentityAdmin)
}

// grantIdentity lets fn call exactly the pool's admin actions its spec
// entry needs, on that pool only.
func (u userPool) grantIdentity(f spec.Function, fn awslambda.Function) {
	if !f.Uses(spec.NeedIdentityAdmin) {
		return
	}
	fn.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Actions: jsii.Strings(identityAdminActions...), Resources: &[]*string{u.pool.UserPoolArn()},
	}))
}
