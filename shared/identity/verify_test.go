package identity

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// A pool's key server: the JWKS of one key, as Cognito publishes it.
func keyServer(t *testing.T, kid string, pub *rsa.PublicKey) (*httptest.Server, *int) {
	t.Helper()
	fetches := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fetches++
		if !strings.HasSuffix(r.URL.Path, "/.well-known/jwks.json") {
			http.NotFound(w, r)
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"keys": []map[string]string{{
			"kid": kid, "kty": "RSA", "alg": "RS256", "use": "sig",
			"n": base64.RawURLEncoding.EncodeToString(pub.N.Bytes()),
			"e": base64.RawURLEncoding.EncodeToString(big.NewInt(int64(pub.E)).Bytes()),
		}}})
	}))
	t.Cleanup(srv.Close)
	return srv, &fetches
}

func rsaKey(t *testing.T) *rsa.PrivateKey {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func sign(t *testing.T, k *rsa.PrivateKey, kid string, claims jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
	tok.Header["kid"] = kid
	s, err := tok.SignedString(k)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestVerifyRefusesWhatThePoolDidNotIssue: a token verifies only when
// signed by the pool's published key with RS256, issued by the pinned pool
// to the pinned app client, for the use asked, and not expired; everything
// else is ErrInvalidToken.
func TestVerifyRefusesWhatThePoolDidNotIssue(t *testing.T) {
	key, other := rsaKey(t), rsaKey(t)
	srv, fetches := keyServer(t, "k1", &key.PublicKey)
	pool := Pool{Region: "eu-west-1", ID: "eu-west-1_pool", ClientID: "client-1", Endpoint: srv.URL}
	v := NewVerifier(pool)
	now := time.Now()
	access := func(edit func(jwt.MapClaims)) jwt.MapClaims {
		c := jwt.MapClaims{"iss": pool.Issuer(), "sub": "person-1", "client_id": "client-1", "token_use": "access",
			"iat": now.Unix(), "exp": now.Add(time.Hour).Unix()}
		if edit != nil {
			edit(c)
		}
		return c
	}
	good := sign(t, key, "k1", access(nil))
	c, err := v.Verify(context.Background(), good, UseAccess)
	if err != nil || c.Sub != "person-1" {
		t.Fatalf("a good access token: %+v %v", c, err)
	}
	idTok := sign(t, key, "k1", jwt.MapClaims{"iss": pool.Issuer(), "sub": "person-1", "aud": "client-1", "token_use": "id",
		"email": "ana@example.com", "iat": now.Unix(), "exp": now.Add(time.Hour).Unix()})
	if c, err := v.Verify(context.Background(), idTok, UseID); err != nil || c.Email != "ana@example.com" {
		t.Fatalf("a good id token: %+v %v", c, err)
	}
	hs := jwt.NewWithClaims(jwt.SigningMethodHS256, access(nil))
	hs.Header["kid"] = "k1"
	hsTok, _ := hs.SignedString(key.PublicKey.N.Bytes())
	none := jwt.NewWithClaims(jwt.SigningMethodNone, access(nil))
	none.Header["kid"] = "k1"
	noneTok, _ := none.SignedString(jwt.UnsafeAllowNoneSignatureType)
	parts := strings.Split(good, ".")
	payload, _ := json.Marshal(access(func(c jwt.MapClaims) { c["sub"] = "person-2" }))
	altered := parts[0] + "." + base64.RawURLEncoding.EncodeToString(payload) + "." + parts[2]
	bad := map[string]string{
		"forged (another key, same kid)": sign(t, other, "k1", access(nil)),
		"altered payload":                altered,
		"expired":                        sign(t, key, "k1", access(func(c jwt.MapClaims) { c["exp"] = now.Add(-time.Minute).Unix() })),
		"no expiry":                      sign(t, key, "k1", access(func(c jwt.MapClaims) { delete(c, "exp") })),
		"another pool":                   sign(t, key, "k1", access(func(c jwt.MapClaims) { c["iss"] = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_other" })),
		"another client":                 sign(t, key, "k1", access(func(c jwt.MapClaims) { c["client_id"] = "client-2" })),
		"an id token used as access":     idTok,
		"HS256 with the public key":      hsTok,
		"alg none":                       noneTok,
		"unknown kid":                    sign(t, key, "k2", access(nil)),
		"not a token":                    "abc.def.ghi",
	}
	for name, tok := range bad {
		if _, err := v.Verify(context.Background(), tok, UseAccess); !errors.Is(err, ErrInvalidToken) {
			t.Errorf("%s: got %v, want ErrInvalidToken", name, err)
		}
	}
	if *fetches > 2 {
		t.Errorf("the keys were fetched %d times; an unknown kid refetches at most once a minute", *fetches)
	}
}

// TestVerifyWithoutKeysIsNotAnInvalidToken: when the pool's keys cannot be
// fetched the caller is told so (503), not that the token is bad (401).
func TestVerifyWithoutKeysIsNotAnInvalidToken(t *testing.T) {
	key := rsaKey(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusBadGateway) }))
	defer srv.Close()
	pool := Pool{Region: "eu-west-1", ID: "eu-west-1_pool", ClientID: "c", Endpoint: srv.URL}
	tok := sign(t, key, "k1", jwt.MapClaims{"iss": pool.Issuer(), "sub": "p", "client_id": "c", "token_use": "access", "exp": time.Now().Add(time.Hour).Unix()})
	_, err := NewVerifier(pool).Verify(context.Background(), tok, UseAccess)
	if err == nil || errors.Is(err, ErrInvalidToken) {
		t.Fatalf("got %v", err)
	}
}
