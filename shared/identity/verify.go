// Package identity is who a merchant's people are: the Amazon Cognito user
// pool they sign in to (Directory) and the in-process check of the tokens
// it issues (Verifier). make dev and the tests run the same code against
// moto's cognito-idp.
package identity

import (
	"context"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// ErrInvalidToken is a token that is not one the pool issued to this
// client, for this use, and still valid: forged, altered, expired, for
// another pool or client, or not a token at all.
var ErrInvalidToken = errors.New("invalid or expired token")

// Use is what a Cognito token is for: "access" (calling paylinks) or "id"
// (who signed in, with the e-mail).
type Use string

// The token uses.
const (
	UseAccess Use = "access"
	UseID     Use = "id"
)

// Claims are what paylinks reads from a verified token.
type Claims struct {
	Sub   string // the person, stable across e-mail changes
	Email string // id tokens only
	Use   Use
	// Expires is when the token stops being valid.
	Expires time.Time
	// AuthTime is when the person authenticated (auth_time; iat when the
	// token has none), to the second.
	AuthTime time.Time
}

// Pool names a user pool and its app client.
type Pool struct {
	Region   string
	ID       string // us-east-1_...
	ClientID string
	// Endpoint is the cognito-idp endpoint when it is not AWS's (moto: its
	// JWKS is served at Endpoint/<pool id>/.well-known/jwks.json).
	Endpoint string
}

// Issuer is the iss every token of the pool carries (also moto's).
func (p Pool) Issuer() string {
	return "https://cognito-idp." + p.Region + ".amazonaws.com/" + p.ID
}

// JWKSURL is where the pool's public keys are published.
func (p Pool) JWKSURL() string {
	if p.Endpoint != "" {
		return strings.TrimRight(p.Endpoint, "/") + "/" + p.ID + "/.well-known/jwks.json"
	}
	return p.Issuer() + "/.well-known/jwks.json"
}

// Verifier checks tokens against the pool's published keys, pinning the
// issuer, the app client, the use and RS256. Keys are fetched once and again
// only for an unknown key id (at most once a minute: a rotation).
type Verifier struct {
	Pool Pool
	HTTP *http.Client
	Now  func() time.Time

	mu      sync.Mutex
	keys    map[string]*rsa.PublicKey
	fetched time.Time
}

// NewVerifier returns a verifier of pool's tokens.
func NewVerifier(pool Pool) *Verifier {
	return &Verifier{Pool: pool, HTTP: &http.Client{Timeout: 5 * time.Second}, Now: time.Now}
}

// refetchEvery bounds how often an unknown key id fetches the keys again.
const refetchEvery = time.Minute

// Verify returns the claims of a valid token of the pool for use, or an
// error wrapping ErrInvalidToken. Only a failure to fetch the keys is
// another error (the caller answers 503).
func (v *Verifier) Verify(ctx context.Context, token string, use Use) (Claims, error) {
	var fetchErr error
	parsed, err := jwt.Parse(token, func(t *jwt.Token) (any, error) {
		kid, _ := t.Header["kid"].(string)
		k, err := v.key(ctx, kid)
		if err != nil {
			fetchErr = err
		}
		return k, err
	},
		jwt.WithValidMethods([]string{"RS256"}),
		jwt.WithIssuer(v.Pool.Issuer()),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithTimeFunc(v.Now),
		jwt.WithLeeway(5*time.Second),
	)
	if fetchErr != nil {
		return Claims{}, fetchErr
	}
	if err != nil {
		return Claims{}, fmt.Errorf("%w: %w", ErrInvalidToken, err)
	}
	mc, _ := parsed.Claims.(jwt.MapClaims)
	return v.claims(mc, use)
}

// claims checks what the library does not: the use, and the app client
// (access tokens name it in client_id, id tokens in aud).
func (v *Verifier) claims(mc jwt.MapClaims, use Use) (Claims, error) {
	str := func(name string) string { s, _ := mc[name].(string); return s }
	if Use(str("token_use")) != use {
		return Claims{}, fmt.Errorf("%w: token_use is %q, not %q", ErrInvalidToken, str("token_use"), use)
	}
	client := str("client_id")
	if use == UseID {
		aud, _ := mc.GetAudience()
		if len(aud) == 1 {
			client = aud[0]
		} else {
			client = ""
		}
	}
	if client != v.Pool.ClientID {
		return Claims{}, fmt.Errorf("%w: issued to another app client", ErrInvalidToken)
	}
	c := Claims{Sub: str("sub"), Email: str("email"), Use: use}
	if c.Sub == "" {
		return Claims{}, fmt.Errorf("%w: no subject", ErrInvalidToken)
	}
	if exp, err := mc.GetExpirationTime(); err == nil && exp != nil {
		c.Expires = exp.Time
	}
	switch at := mc["auth_time"].(type) {
	case float64:
		c.AuthTime = time.Unix(int64(at), 0)
	default:
		iat, err := mc.GetIssuedAt()
		if err != nil || iat == nil {
			return Claims{}, fmt.Errorf("%w: no auth_time nor iat", ErrInvalidToken)
		}
		c.AuthTime = iat.Time
	}
	return c, nil
}

// key returns the public key kid, fetching the pool's keys when it is not
// known yet.
func (v *Verifier) key(ctx context.Context, kid string) (*rsa.PublicKey, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if k, ok := v.keys[kid]; ok {
		return k, nil
	}
	if v.keys != nil && v.Now().Sub(v.fetched) < refetchEvery {
		return nil, fmt.Errorf("%w: unknown key id", ErrInvalidToken)
	}
	keys, err := v.fetch(ctx)
	if err != nil {
		return nil, err
	}
	v.keys, v.fetched = keys, v.Now()
	if k, ok := keys[kid]; ok {
		return k, nil
	}
	return nil, fmt.Errorf("%w: unknown key id", ErrInvalidToken)
}

type jwks struct {
	Keys []struct {
		Kid string `json:"kid"`
		Kty string `json:"kty"`
		Alg string `json:"alg"`
		Use string `json:"use"`
		N   string `json:"n"`
		E   string `json:"e"`
	} `json:"keys"`
}

// fetch reads the pool's JWKS: its RSA signing keys by id.
func (v *Verifier) fetch(ctx context.Context) (map[string]*rsa.PublicKey, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, v.Pool.JWKSURL(), nil)
	if err != nil {
		return nil, fmt.Errorf("jwks: %w", err)
	}
	resp, err := v.HTTP.Do(req)
	if err != nil {
		return nil, fmt.Errorf("jwks: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("jwks: %s answered %d", v.Pool.JWKSURL(), resp.StatusCode)
	}
	var set jwks
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&set); err != nil {
		return nil, fmt.Errorf("jwks: %w", err)
	}
	return parseKeys(set)
}

// parseKeys turns a JWKS's RSA signature keys into public keys by id.
func parseKeys(set jwks) (map[string]*rsa.PublicKey, error) {
	out := map[string]*rsa.PublicKey{}
	for _, k := range set.Keys {
		if k.Kty != "RSA" || (k.Use != "" && k.Use != "sig") || (k.Alg != "" && k.Alg != "RS256") {
			continue
		}
		n, err1 := base64.RawURLEncoding.DecodeString(k.N)
		e, err2 := base64.RawURLEncoding.DecodeString(k.E)
		if err1 != nil || err2 != nil || len(e) == 0 || len(e) > 4 {
			return nil, fmt.Errorf("jwks: key %q is malformed", k.Kid)
		}
		pub := &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
		if pub.N.BitLen() < 2048 {
			return nil, fmt.Errorf("jwks: key %q is shorter than 2048 bits", k.Kid)
		}
		out[k.Kid] = pub
	}
	return out, nil
}
