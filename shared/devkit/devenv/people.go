package devenv

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"

	"github.com/paylinks/paylinks/shared/cognito"
	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/identity"
	"github.com/paylinks/paylinks/shared/store"
	"github.com/paylinks/paylinks/shared/team"
)

// DevPoolName is make dev's user pool on moto.
const DevPoolName = "paylinks-dev"

// UserPool finds make dev's user pool on moto's cognito-idp, or makes it
// with its app client (moto keeps them in memory: a restarted moto gets a
// new pool, and the demo owner is invited again into it).
func UserPool(ctx context.Context, cfg aws.Config) (identity.Pool, error) {
	c := cip.NewFromConfig(cfg)
	endpoint := os.Getenv("AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER")
	if endpoint == "" {
		endpoint = os.Getenv("AWS_ENDPOINT_URL")
	}
	pools, err := c.ListUserPools(ctx, &cip.ListUserPoolsInput{MaxResults: aws.Int32(60)})
	if err != nil {
		return identity.Pool{}, fmt.Errorf("list user pools (is moto running? make emulators-start): %w", err)
	}
	for _, p := range pools.UserPools {
		if aws.ToString(p.Name) != DevPoolName {
			continue
		}
		clients, err := c.ListUserPoolClients(ctx, &cip.ListUserPoolClientsInput{UserPoolId: p.Id})
		if err != nil {
			return identity.Pool{}, fmt.Errorf("list user pool clients: %w", err)
		}
		if len(clients.UserPoolClients) > 0 {
			return identity.Pool{Region: cfg.Region, ID: aws.ToString(p.Id), ClientID: aws.ToString(clients.UserPoolClients[0].ClientId), Endpoint: endpoint}, nil
		}
	}
	p, err := c.CreateUserPool(ctx, &cip.CreateUserPoolInput{
		PoolName:               aws.String(DevPoolName),
		AdminCreateUserConfig:  &types.AdminCreateUserConfigType{AllowAdminCreateUserOnly: true},
		UsernameAttributes:     []types.UsernameAttributeType{types.UsernameAttributeTypeEmail},
		AutoVerifiedAttributes: []types.VerifiedAttributeType{types.VerifiedAttributeTypeEmail},
		MfaConfiguration:       types.UserPoolMfaTypeOptional,
		Policies: &types.UserPoolPolicyType{PasswordPolicy: &types.PasswordPolicyType{MinimumLength: aws.Int32(12),
			RequireLowercase: true, RequireUppercase: true, RequireNumbers: true, RequireSymbols: true, TemporaryPasswordValidityDays: 7}},
	})
	if err != nil {
		return identity.Pool{}, fmt.Errorf("create the dev user pool: %w", err)
	}
	cl, err := c.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{UserPoolId: p.UserPool.Id, ClientName: aws.String("dashboard"),
		ExplicitAuthFlows:     []types.ExplicitAuthFlowsType{types.ExplicitAuthFlowsTypeAllowAdminUserPasswordAuth, types.ExplicitAuthFlowsTypeAllowRefreshTokenAuth},
		EnableTokenRevocation: aws.Bool(true), PreventUserExistenceErrors: types.PreventUserExistenceErrorTypesEnabled})
	if err != nil {
		return identity.Pool{}, fmt.Errorf("create the dev user pool client: %w", err)
	}
	return identity.Pool{Region: cfg.Region, ID: aws.ToString(p.UserPool.Id), ClientID: aws.ToString(cl.UserPoolClient.ClientId), Endpoint: endpoint}, nil
}

// DevPassword is PAYLINKS_DEV_PASSWORD, else a password made at the first
// start and kept in the state directory (printed by make dev).
func DevPassword(dir string) (string, error) {
	if v := os.Getenv("PAYLINKS_DEV_PASSWORD"); v != "" {
		return v, nil
	}
	path := filepath.Join(dir, "dev-password")
	if b, err := os.ReadFile(path); err == nil && len(strings.TrimSpace(string(b))) >= 12 {
		return strings.TrimSpace(string(b)), nil
	}
	pw := cognito.TemporaryPassword()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	if err := os.WriteFile(path, []byte(pw+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("keep the dev password: %w", err)
	}
	return pw, nil
}

// SeedOwner makes email an owner of merchant m who signs in with password:
// invited through the team as the operator would, then given the password
// as their own (make dev skips the first-password step). Run at every
// start: a member whose person is not the pool's (moto restarted) is
// replaced.
func SeedOwner(ctx context.Context, st *store.Store, dir *cognito.Directory, m, email, password string) error {
	_, sub, err := dir.Invite(ctx, email)
	if err != nil {
		return err
	}
	mems, err := st.ListMembers(ctx, m)
	if err != nil {
		return err
	}
	ctx = domain.WithActor(ctx, domain.Actor{Type: domain.ActorOperator, ID: "operator", Name: "make dev"})
	now := time.Now()
	for _, mem := range mems {
		if mem.Email != email {
			continue
		}
		if mem.Sub == sub {
			return dir.SetPassword(ctx, email, password)
		}
		// Another pool's person (moto restarted): add the new one first, so
		// that the merchant never has no owner.
		fresh := mem
		fresh.ID, fresh.Sub, fresh.Status = domain.NewID("mem_", now), sub, domain.MemberActive
		if err := st.AddMember(ctx, fresh, store.NewAuditEntry(ctx, now, "member.invited", fresh.ID, nil, fresh)); err != nil {
			return err
		}
		if err := st.RemoveMember(ctx, mem, store.NewAuditEntry(ctx, now, "member.removed", mem.ID, mem, nil)); err != nil {
			return err
		}
		return dir.SetPassword(ctx, email, password)
	}
	// The developer's own demo owner joins at once (a person joins any
	// other merchant on the dashboard).
	t := team.Team{Store: st, Directory: dir, Now: time.Now}
	mem, err := t.Invite(ctx, m, email, domain.RoleOwner)
	if err != nil && !errors.Is(err, domain.ErrAlreadyMember) {
		return err
	}
	if err == nil {
		if err := st.JoinMerchant(ctx, mem, now, store.NewAuditEntry(ctx, now, "member.joined", mem.ID, nil, nil)); err != nil {
			return err
		}
	}
	return dir.SetPassword(ctx, email, password)
}
