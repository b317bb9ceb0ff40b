// Package admin is what the account's operators do, and only they: create,
// list, suspend and resume merchants, issue, list and revoke their API
// keys. It is served by the admin function, which nothing public reaches
// (it has no route: `aws lambda invoke`, IAM-authorized), and driven by
// `go run ./infra/admin` against a deployed stack or make dev, whose demo
// merchant is made by the same code.
package admin

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/paylinks/paylinks/shared/domain"
	"github.com/paylinks/paylinks/shared/merchant"
	"github.com/paylinks/paylinks/shared/store"
	"github.com/paylinks/paylinks/shared/team"
)

// Request is one operator action, as the admin function receives it.
type Request struct {
	// Action is create_merchant, list_merchants, get_merchant,
	// suspend_merchant, resume_merchant, issue_key, list_keys, revoke_key
	// or invite_owner.
	Action   string `json:"action"`
	Merchant string `json:"merchant,omitempty"`
	Name     string `json:"name,omitempty"`
	Mode     string `json:"mode,omitempty"`   // create_merchant: test (default) or live
	KeyID    string `json:"key_id,omitempty"` // revoke_key
	// Email is invite_owner's person.
	Email string `json:"email,omitempty"`
	// Secret is the key issue_key stores instead of making one (make dev's
	// fixed PAYLINKS_DEV_API_KEY); it must match the merchant's mode.
	Secret string `json:"secret,omitempty"`
}

// Merchant is a merchant as operators see it (never its secrets).
type Merchant struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	Mode      string `json:"mode"`
	PSP       string `json:"psp,omitempty"`
	Suspended bool   `json:"suspended"`
	Created   string `json:"created_at,omitempty"`
}

// Key is an API key as operators see it; Secret only in issue_key's answer.
type Key struct {
	ID      string `json:"id"`
	Prefix  string `json:"prefix"`
	Last4   string `json:"last4"`
	Created string `json:"created_at"`
	Secret  string `json:"secret,omitempty"`
}

// Response is an action's result.
type Response struct {
	Merchant  *Merchant      `json:"merchant,omitempty"`
	Merchants []Merchant     `json:"merchants,omitempty"`
	Key       *Key           `json:"key,omitempty"`
	Keys      []Key          `json:"keys,omitempty"`
	Revoked   string         `json:"revoked,omitempty"`
	Member    *domain.Member `json:"member,omitempty"`
}

// ErrInvalid is a request an operator must fix.
var ErrInvalid = errors.New("invalid request")

// Admin performs the actions on the store.
type Admin struct {
	Store *store.Store
	// Sandbox says the stage has the sandbox PSP: a new test merchant is
	// given it (with a webhook secret of its own); elsewhere a merchant
	// picks its PSP with PUT /v1/settings.
	Sandbox bool
	Now     func() time.Time
	// Team invites owners (invite_owner).
	Team *team.Team
}

func invalid(format string, a ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, a...))
}

// Handle performs one action.
func (a *Admin) Handle(ctx context.Context, r Request) (Response, error) {
	if r.Action != "list_merchants" && !domain.ValidMerchantID(r.Merchant) {
		return Response{}, invalid("merchant: 2 to 32 of a-z, 0-9 and -, starting with a letter or digit")
	}
	switch r.Action {
	case "create_merchant":
		m, err := a.CreateMerchant(ctx, r.Merchant, r.Name, r.Mode)
		return Response{Merchant: m}, err
	case "list_merchants":
		return a.list(ctx)
	case "get_merchant":
		m, err := a.Store.GetMerchant(ctx, r.Merchant)
		if err != nil {
			return Response{}, err
		}
		return Response{Merchant: view(m, "")}, nil
	case "suspend_merchant", "resume_merchant":
		return a.suspend(ctx, r.Merchant, r.Action == "suspend_merchant")
	case "issue_key":
		k, err := a.IssueKey(ctx, r.Merchant, r.Secret)
		return Response{Key: k}, err
	case "list_keys":
		return a.keys(ctx, r.Merchant)
	case "revoke_key":
		if err := a.Store.DeleteKey(ctx, r.Merchant, r.KeyID); err != nil {
			return Response{}, err
		}
		return Response{Revoked: r.KeyID}, nil
	case "invite_owner":
		mem, err := a.InviteOwner(ctx, r.Merchant, r.Email)
		return Response{Member: mem}, err
	}
	return Response{}, invalid("action: one of create_merchant, list_merchants, get_merchant, suspend_merchant, resume_merchant, issue_key, list_keys, revoke_key, invite_owner")
}

// InviteOwner invites email as an owner of an existing merchant, by the
// operator: the merchant's first owner (or another one).
func (a *Admin) InviteOwner(ctx context.Context, merchantID, email string) (*domain.Member, error) {
	addr, err := domain.NormalEmail("email", email)
	if err != nil {
		return nil, invalid("email: an e-mail address such as ana@example.com")
	}
	if _, err := a.Store.GetMerchant(ctx, merchantID); err != nil {
		return nil, err
	}
	ctx = domain.WithActor(ctx, domain.Actor{Type: domain.ActorOperator, ID: "operator", Name: "operator"})
	mem, err := a.Team.Invite(ctx, merchantID, addr, domain.RoleOwner)
	if err != nil {
		return nil, err
	}
	return &mem, nil
}

// CreateMerchant makes merchant id in mode test (the default) or live;
// domain.ErrConflict when it exists.
func (a *Admin) CreateMerchant(ctx context.Context, id, name, mode string) (*Merchant, error) {
	name = strings.TrimSpace(name)
	if name == "" || utf8.RuneCountInString(name) > 100 || !utf8.ValidString(name) {
		return nil, invalid("name: 1 to 100 characters")
	}
	if mode == "" {
		mode = "test"
	}
	if mode != "test" && mode != "live" {
		return nil, invalid("mode: test or live")
	}
	m := &merchant.Merchant{ID: id, Name: name, Live: mode == "live", PaymentMethods: []string{"card"}, Version: 1}
	if !m.Live && a.Sandbox {
		sec, err := merchant.NewSecret("whsec_sb_")
		if err != nil {
			return nil, fmt.Errorf("sandbox webhook secret: %w", err)
		}
		m.PSP, m.PSPWebhookSecret = "sandbox", sec
	}
	now := a.Now().UTC()
	if err := a.Store.CreateMerchant(ctx, m, now); err != nil {
		return nil, err
	}
	return view(m, now.Format(time.RFC3339)), nil
}

// IssueKey stores a new API key for the merchant (secret when given) and
// returns it with its secret, shown this once.
func (a *Admin) IssueKey(ctx context.Context, merchantID, secret string) (*Key, error) {
	m, err := a.Store.GetMerchant(ctx, merchantID)
	if err != nil {
		return nil, err
	}
	var k merchant.Key
	if secret == "" {
		if secret, k, err = merchant.NewKey(m.ID, m.Live); err != nil {
			return nil, err
		}
	} else {
		if want := map[bool]string{true: "sk_live_", false: "sk_test_"}[m.Live]; !merchant.WellFormed(secret) || !strings.HasPrefix(secret, want) {
			return nil, invalid("secret: a well-formed %s key (32 characters and a checksum; issue_key without a secret makes one)", want)
		}
		k = merchant.KeyFor(m.ID, secret)
	}
	k.Created = a.Now().UTC().Format(time.RFC3339)
	if err := a.Store.PutKey(ctx, k); err != nil {
		return nil, err
	}
	return &Key{ID: k.ID(), Prefix: k.Prefix, Last4: k.Last4, Created: k.Created, Secret: secret}, nil
}

func (a *Admin) list(ctx context.Context) (Response, error) {
	reg, err := a.Store.ListMerchants(ctx)
	if err != nil {
		return Response{}, err
	}
	out := Response{Merchants: []Merchant{}}
	for _, r := range reg {
		out.Merchants = append(out.Merchants, Merchant{ID: r.ID, Name: r.Name, Mode: mode(r.Live), Suspended: r.Suspended, Created: r.Created})
	}
	return out, nil
}

func (a *Admin) suspend(ctx context.Context, id string, suspended bool) (Response, error) {
	if err := a.Store.SetSuspended(ctx, id, suspended); err != nil {
		return Response{}, err
	}
	m, err := a.Store.GetMerchant(ctx, id)
	if err != nil {
		return Response{}, err
	}
	return Response{Merchant: view(m, "")}, nil
}

func (a *Admin) keys(ctx context.Context, id string) (Response, error) {
	ks, err := a.Store.ListKeys(ctx, id)
	if err != nil {
		return Response{}, err
	}
	out := Response{Keys: []Key{}}
	for _, k := range ks {
		out.Keys = append(out.Keys, Key{ID: k.ID(), Prefix: k.Prefix, Last4: k.Last4, Created: k.Created})
	}
	return out, nil
}

func view(m *merchant.Merchant, created string) *Merchant {
	return &Merchant{ID: m.ID, Name: m.Name, Mode: mode(m.Live), PSP: m.PSP, Suspended: m.Suspended, Created: created}
}

func mode(live bool) string {
	if live {
		return "live"
	}
	return "test"
}
