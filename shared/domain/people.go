package domain

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"
)

// ActorType is who made a change (docs/api.md, audit log).
type ActorType string

// The actor types.
const (
	ActorMember   ActorType = "member"
	ActorAPIKey   ActorType = "api_key"
	ActorOperator ActorType = "operator"
	ActorSystem   ActorType = "system"
)

// Actor is who made a change: a member or an API key by id and name, the
// operator, or paylinks itself (a PSP webhook, the sweep).
type Actor struct {
	Type ActorType `json:"type" dynamodbav:"type"`
	ID   string    `json:"id,omitempty" dynamodbav:"id,omitempty"`
	Name string    `json:"name,omitempty" dynamodbav:"name,omitempty"`
	// IP and UserAgent are where the change came from (not in the JSON of
	// timeline events: the audit log shows them).
	IP        string `json:"-" dynamodbav:"ip,omitempty"`
	UserAgent string `json:"-" dynamodbav:"user_agent,omitempty"`
}

// System is the actor of what paylinks does by itself.
var System = Actor{Type: ActorSystem, ID: "paylinks", Name: "paylinks"}

type actorKey struct{}

// WithActor returns ctx carrying who acts in it.
func WithActor(ctx context.Context, a Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// ActorOf is who acts in ctx: System when nobody was set.
func ActorOf(ctx context.Context) Actor {
	if a, ok := ctx.Value(actorKey{}).(Actor); ok {
		return a
	}
	return System
}

// Public is the actor without where it came from (IP, user agent): what a
// timeline event keeps.
func (a Actor) Public() Actor {
	a.IP, a.UserAgent = "", ""
	return a
}

// Acts reports an actor that made a change by asking (a member, an API
// key, the operator): its changes are in the audit log.
func (a Actor) Acts() bool { return a.Type != "" && a.Type != ActorSystem }

// MemberStatus is where a member stands.
type MemberStatus string

// The member statuses: invited until their first sign-in.
const (
	MemberInvited MemberStatus = "invited"
	MemberActive  MemberStatus = "active"
)

// Member is a person's place in a merchant: one person (a Cognito subject)
// may be a member of several merchants, with a role in each.
type Member struct {
	ID       string       `json:"id" dynamodbav:"id"`
	Merchant string       `json:"-" dynamodbav:"merchant"`
	Email    string       `json:"email" dynamodbav:"email"`
	Role     Role         `json:"role" dynamodbav:"role"`
	Status   MemberStatus `json:"status" dynamodbav:"status"`
	// Sub and Username are the person in the user pool.
	Sub      string `json:"-" dynamodbav:"sub"`
	Username string `json:"-" dynamodbav:"username"`
	// InvitedBy is who invited them.
	InvitedBy  Actor      `json:"invited_by" dynamodbav:"invited_by"`
	Created    time.Time  `json:"created_at" dynamodbav:"created_at"`
	LastSignIn *time.Time `json:"last_sign_in_at" dynamodbav:"last_sign_in_at,omitempty"`
	// CredentialsAfter ends the person's sessions and tokens in this
	// merchant made before it (a role change: they sign in again with the
	// new role); their other merchants are not touched.
	CredentialsAfter *time.Time `json:"-" dynamodbav:"credentials_after,omitempty"`
	// Language is the dashboard's language the member chose (one of
	// Languages; "" until they choose: their browser's).
	Language string `json:"language,omitempty" dynamodbav:"language,omitempty"`
}

// Grants are the member's permissions: its role's.
func (m Member) Grants() []Permission { return Roles[m.Role] }

// MembershipIn is the membership of mems in merchant, if any.
func MembershipIn(mems []Member, merchant string) (Member, bool) {
	i := slices.IndexFunc(mems, func(m Member) bool { return m.Merchant == merchant })
	if i < 0 {
		return Member{}, false
	}
	return mems[i], true
}

// Actor is the member as the actor of a change.
func (m Member) Actor() Actor { return Actor{Type: ActorMember, ID: m.ID, Name: m.Email} }

// ParseRole reads a role by name (422 on field otherwise).
func ParseRole(field, s string) (Role, error) {
	r := Role(s)
	if _, ok := Roles[r]; !ok {
		return "", FieldErrors{{Field: field, Message: fmt.Sprintf("must be one of %s", roleList())}}
	}
	return r, nil
}

func roleList() string {
	names := make([]string, len(RoleNames))
	for i, r := range RoleNames {
		names[i] = string(r)
	}
	return strings.Join(names, ", ")
}

// NormalEmail checks an e-mail address for a member and returns it lower
// case (a person is one address whatever its case). Only the characters
// every mail system and the user pool take: letters, digits and ._%+- before
// the @, a DNS name after it.
func NormalEmail(field, s string) (string, error) {
	if len(s) > 254 || !memberEmail().MatchString(s) {
		return "", FieldErrors{{Field: field, Message: "must be an e-mail address such as ana@example.com"}}
	}
	return strings.ToLower(s), nil
}

var memberEmail = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^[A-Za-z0-9._%+-]{1,64}@([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$`)
})

// Person is someone in the user pool as paylinks knows them: their
// memberships (joined and invited) and when their credentials stop
// counting.
type Person struct {
	Sub         string
	Memberships []Member
	// TokensValidAfter ends every session and token the person had before
	// it (sign-out, removal, a role change).
	TokensValidAfter time.Time
	// MFASince is when TOTP became their sign-in step (nil: never).
	MFASince *time.Time
}

// Active are the merchants the person joined.
func (p Person) Active() []Member {
	return slices.DeleteFunc(slices.Clone(p.Memberships), func(m Member) bool { return m.Status != MemberActive })
}

// Invitations are the merchants that invited the person and that they have
// not joined yet.
func (p Person) Invitations() []Member {
	return slices.DeleteFunc(slices.Clone(p.Memberships), func(m Member) bool { return m.Status != MemberInvited })
}

// Default is the merchant a person acts in when they name none: the one
// they joined first.
func (p Person) Default() (Member, bool) {
	act := p.Active()
	if len(act) == 0 {
		return Member{}, false
	}
	return slices.MinFunc(act, func(a, b Member) int { return a.Created.Compare(b.Created) }), true
}

// CredentialCounts reports whether a session or token made at made still
// counts in merchant mem: made strictly after the person's
// TokensValidAfter (a sign-out ends all) and after the membership's
// CredentialsAfter (a role change ends those of its merchant). Tokens are
// timed to the second: one made in the second of a sign-out does not count.
func (p Person) CredentialCounts(mem Member, made time.Time, toSecond bool) bool {
	after := func(mark time.Time) bool {
		if toSecond {
			return made.Unix() > mark.Unix()
		}
		return made.After(mark)
	}
	return after(p.TokensValidAfter) && (mem.CredentialsAfter == nil || after(*mem.CredentialsAfter))
}

// TokenHadMFA reports whether a token authenticated at authTime (to the
// second) was had with the person's TOTP code: TOTP was their sign-in step
// by then (the pool asks every sign-in for it from then on).
func (p Person) TokenHadMFA(authTime time.Time) bool {
	return p.MFASince != nil && authTime.Unix() >= p.MFASince.Unix()
}

// ErrMFARequired is a member acting without two-step verification in a
// merchant that requires it.
var ErrMFARequired = errors.New("this merchant requires two-step verification: sign in again with your authenticator code")
