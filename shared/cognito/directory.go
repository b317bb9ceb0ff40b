// Package cognito is the members' Amazon Cognito user pool: invitation,
// sign-in, sign-out (moto's cognito-idp in make dev and the tests). Only the
// functions that manage people link it; verifying tokens needs only
// package identity.
package cognito

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/identity"
)

// Errors of signing in, each a clear answer to the person.
var (
	// ErrBadCredentials is a wrong e-mail or password (never which).
	ErrBadCredentials = errors.New("the e-mail or password is wrong")
	// ErrWeakPassword is a new password the pool's policy refuses.
	ErrWeakPassword = errors.New("the password does not meet the policy: at least 12 characters with upper and lower case letters, a digit and a symbol")
	// ErrBadCode is a wrong or used MFA code.
	ErrBadCode = errors.New("the code is wrong or was already used")
	// ErrExpiredStep is a sign-in step answered too late: start again.
	ErrExpiredStep = errors.New("the sign-in took too long; start again")
)

// The challenges a sign-in may stop at.
const (
	ChallengeNewPassword = "NEW_PASSWORD_REQUIRED"
	ChallengeMFA         = "SOFTWARE_TOKEN_MFA"
)

// Tokens are what a completed sign-in gives.
type Tokens struct{ Access, ID, Refresh string }

// Step is where a sign-in stands: a challenge to answer (with the pool's
// session for it), or tokens.
type Step struct {
	Challenge string
	Session   string
	Tokens    *Tokens
}

// New is the directory of pool, over an SDK configuration.
func New(cfg aws.Config, pool identity.Pool, mail func(context.Context, Invitation) error) *Directory {
	return &Directory{Client: cip.NewFromConfig(cfg), Pool: pool, Mail: mail}
}

// Invitation is the message inviting a person, when paylinks mails it
// itself (Directory.Mail).
type Invitation struct {
	Email string
	// TemporaryPassword is set for a person new to the pool; empty for one
	// who already signs in (to another merchant).
	TemporaryPassword string
}

// Directory is the user pool: invitation, sign-in, sign-out.
type Directory struct {
	Client *cip.Client
	Pool   identity.Pool
	// Mail, when set, sends invitations: the pool is asked not to mail and
	// the temporary password is made here (make dev and the tests: moto
	// mails nothing; the invitation lands in the dev outbox). Unset, the
	// deployed pool mails its own invitation template.
	Mail func(context.Context, Invitation) error
}

// Invite makes sure a person with email exists in the pool (made with a
// verified e-mail and a temporary password) and returns the pool's
// username and subject for them.
func (d *Directory) Invite(ctx context.Context, email string) (username, sub string, err error) {
	in := &cip.AdminCreateUserInput{
		UserPoolId: aws.String(d.Pool.ID),
		Username:   aws.String(email),
		UserAttributes: []types.AttributeType{
			{Name: aws.String("email"), Value: aws.String(email)},
			{Name: aws.String("email_verified"), Value: aws.String("true")},
		},
		DesiredDeliveryMediums: []types.DeliveryMediumType{types.DeliveryMediumTypeEmail},
	}
	var temp string
	if d.Mail != nil {
		temp = TemporaryPassword()
		in.MessageAction = types.MessageActionTypeSuppress
		in.TemporaryPassword = aws.String(temp)
	}
	out, err := d.Client.AdminCreateUser(ctx, in)
	var exists *types.UsernameExistsException
	if errors.As(err, &exists) {
		got, gerr := d.Client.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: aws.String(d.Pool.ID), Username: aws.String(email)})
		if gerr != nil {
			return "", "", fmt.Errorf("cognito: get %s: %w", "user", gerr)
		}
		username, sub = aws.ToString(got.Username), attr(got.UserAttributes, "sub")
		temp = ""
	} else if err != nil {
		var bad *types.InvalidParameterException
		if errors.As(err, &bad) {
			// The pool refuses the address (its own checks are stricter
			// than some valid ones): the person's input, not a failure.
			return "", "", domain.FieldErrors{{Field: "email", Message: "the user pool does not accept this address"}}
		}
		return "", "", fmt.Errorf("cognito: invite: %w", err)
	} else {
		username, sub = aws.ToString(out.User.Username), attr(out.User.Attributes, "sub")
	}
	if sub == "" {
		return "", "", errors.New("cognito: the user has no sub")
	}
	if d.Mail != nil {
		if err := d.Mail(ctx, Invitation{Email: email, TemporaryPassword: temp}); err != nil {
			return "", "", fmt.Errorf("invitation: %w", err)
		}
	}
	return username, sub, nil
}

func attr(attrs []types.AttributeType, name string) string {
	for _, a := range attrs {
		if aws.ToString(a.Name) == name {
			return aws.ToString(a.Value)
		}
	}
	return ""
}

// SignIn starts a sign-in with e-mail and password, server-side
// (ADMIN_USER_PASSWORD_AUTH, with the function's IAM credentials): the app
// client allows no password flow of its own, so a password alone yields a
// token only through the dashboard's throttled, two-step sign-in.
func (d *Directory) SignIn(ctx context.Context, email, password string) (Step, error) {
	out, err := d.Client.AdminInitiateAuth(ctx, &cip.AdminInitiateAuthInput{
		UserPoolId:     aws.String(d.Pool.ID),
		ClientId:       aws.String(d.Pool.ClientID),
		AuthFlow:       types.AuthFlowTypeAdminUserPasswordAuth,
		AuthParameters: map[string]string{"USERNAME": email, "PASSWORD": password},
	})
	if err != nil {
		return Step{}, signInError(err)
	}
	return step(out.ChallengeName, out.Session, out.AuthenticationResult), nil
}

// Respond answers a challenge: a new password for NEW_PASSWORD_REQUIRED, a
// TOTP code for SOFTWARE_TOKEN_MFA.
func (d *Directory) Respond(ctx context.Context, challenge, email, session, answer string) (Step, error) {
	responses := map[string]string{"USERNAME": email}
	switch challenge {
	case ChallengeNewPassword:
		responses["NEW_PASSWORD"] = answer
	case ChallengeMFA:
		responses["SOFTWARE_TOKEN_MFA_CODE"] = answer
	default:
		return Step{}, ErrExpiredStep
	}
	out, err := d.Client.AdminRespondToAuthChallenge(ctx, &cip.AdminRespondToAuthChallengeInput{
		UserPoolId:         aws.String(d.Pool.ID),
		ClientId:           aws.String(d.Pool.ClientID),
		ChallengeName:      types.ChallengeNameType(challenge),
		Session:            aws.String(session),
		ChallengeResponses: responses,
	})
	if err != nil {
		var noStep *types.ResourceNotFoundException
		if errors.As(err, &noStep) {
			return Step{}, ErrExpiredStep // a forged step: its session unknown to the pool
		}
		return Step{}, signInError(err)
	}
	return step(out.ChallengeName, out.Session, out.AuthenticationResult), nil
}

func step(name types.ChallengeNameType, session *string, res *types.AuthenticationResultType) Step {
	if res != nil && res.AccessToken != nil {
		return Step{Tokens: &Tokens{Access: aws.ToString(res.AccessToken), ID: aws.ToString(res.IdToken), Refresh: aws.ToString(res.RefreshToken)}}
	}
	return Step{Challenge: string(name), Session: aws.ToString(session)}
}

// signInError maps the pool's refusals to the person's errors; anything
// else (throttling, the network) stays as it is (a 503).
func signInError(err error) error {
	var (
		notAuth  *types.NotAuthorizedException
		noUser   *types.UserNotFoundException
		weak     *types.InvalidPasswordException
		code     *types.CodeMismatchException
		expired  *types.ExpiredCodeException
		badParam *types.InvalidParameterException
	)
	switch {
	case errors.As(err, &notAuth) && strings.Contains(strings.ToLower(notAuth.ErrorMessage()), "session"):
		return ErrExpiredStep
	case errors.As(err, &notAuth), errors.As(err, &noUser):
		return ErrBadCredentials
	case errors.As(err, &weak):
		return ErrWeakPassword
	case errors.As(err, &code), errors.As(err, &expired):
		return ErrBadCode
	case errors.As(err, &badParam):
		return ErrWeakPassword
	}
	return fmt.Errorf("cognito: %w", err)
}

// SignOut ends every session of the person in the pool: their refresh
// tokens stop working (AdminUserGlobalSignOut). username may be the e-mail
// (an alias the pool's admin calls accept).
func (d *Directory) SignOut(ctx context.Context, username string) error {
	_, err := d.Client.AdminUserGlobalSignOut(ctx, &cip.AdminUserGlobalSignOutInput{UserPoolId: aws.String(d.Pool.ID), Username: aws.String(username)})
	if err != nil {
		return fmt.Errorf("cognito: sign out: %w", err)
	}
	return nil
}

// Refresh trades a refresh token for new access and id tokens; a revoked
// or expired one is ErrBadCredentials.
func (d *Directory) Refresh(ctx context.Context, refresh string) (Tokens, error) {
	out, err := d.Client.InitiateAuth(ctx, &cip.InitiateAuthInput{
		ClientId:       aws.String(d.Pool.ClientID),
		AuthFlow:       types.AuthFlowTypeRefreshTokenAuth,
		AuthParameters: map[string]string{"REFRESH_TOKEN": refresh},
	})
	if err != nil {
		return Tokens{}, signInError(err)
	}
	res := out.AuthenticationResult
	if res == nil {
		return Tokens{}, ErrBadCredentials
	}
	return Tokens{Access: aws.ToString(res.AccessToken), ID: aws.ToString(res.IdToken), Refresh: refresh}, nil
}

// TemporaryPassword is a random first password that meets the pool's
// policy: 20 characters with every class.
func TemporaryPassword() string {
	classes := []string{"ABCDEFGHJKLMNPQRSTUVWXYZ", "abcdefghijkmnopqrstuvwxyz", "23456789", "!#%+-=?@^_"}
	all := strings.Join(classes, "")
	b := make([]byte, 0, 20)
	for _, c := range classes {
		b = append(b, c[randInt(len(c))])
	}
	for len(b) < 20 {
		b = append(b, all[randInt(len(all))])
	}
	for i := len(b) - 1; i > 0; i-- {
		j := randInt(i + 1)
		b[i], b[j] = b[j], b[i]
	}
	return string(b)
}

func randInt(n int) int {
	v, err := rand.Int(rand.Reader, big.NewInt(int64(n)))
	if err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return int(v.Int64())
}

// SetPassword gives a person a permanent password (make dev's demo owner;
// never the deployed path, where people choose theirs).
func (d *Directory) SetPassword(ctx context.Context, email, password string) error {
	_, err := d.Client.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{UserPoolId: aws.String(d.Pool.ID),
		Username: aws.String(email), Password: aws.String(password), Permanent: true})
	if err != nil {
		return fmt.Errorf("cognito: set password: %w", signInError(err))
	}
	return nil
}

// HasTOTP reports whether the person signs in with a TOTP code.
func (d *Directory) HasTOTP(ctx context.Context, email string) (bool, error) {
	out, err := d.Client.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: aws.String(d.Pool.ID), Username: aws.String(email)})
	if err != nil {
		return false, fmt.Errorf("cognito: get user: %w", err)
	}
	return slices.Contains(out.UserMFASettingList, string(types.ChallengeNameTypeSoftwareTokenMfa)), nil
}

// AssociateTOTP starts setting up TOTP for the person of an access token:
// the secret (base32) their authenticator app takes.
func (d *Directory) AssociateTOTP(ctx context.Context, accessToken string) (string, error) {
	out, err := d.Client.AssociateSoftwareToken(ctx, &cip.AssociateSoftwareTokenInput{AccessToken: aws.String(accessToken)})
	if err != nil {
		return "", fmt.Errorf("cognito: associate software token: %w", signInError(err))
	}
	return aws.ToString(out.SecretCode), nil
}

// VerifyTOTP finishes the set-up with a code of the app and makes TOTP the
// person's sign-in step; a wrong code is ErrBadCode.
func (d *Directory) VerifyTOTP(ctx context.Context, accessToken, code string) error {
	out, err := d.Client.VerifySoftwareToken(ctx, &cip.VerifySoftwareTokenInput{AccessToken: aws.String(accessToken), UserCode: aws.String(code),
		FriendlyDeviceName: aws.String("paylinks")})
	if err != nil {
		return fmt.Errorf("cognito: verify software token: %w", signInError(err))
	}
	if out.Status != types.VerifySoftwareTokenResponseTypeSuccess {
		return ErrBadCode
	}
	_, err = d.Client.SetUserMFAPreference(ctx, &cip.SetUserMFAPreferenceInput{AccessToken: aws.String(accessToken),
		SoftwareTokenMfaSettings: &types.SoftwareTokenMfaSettingsType{Enabled: true, PreferredMfa: true}})
	if err != nil {
		return fmt.Errorf("cognito: set mfa preference: %w", signInError(err))
	}
	return nil
}
