package dashboard

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
)

// While a person sets up TOTP, their session keeps the pool's access token
// the set-up calls take. It is kept sealed with a key only the session's
// cookie gives (the table holds the cookie's hash, never the cookie): the
// table holds no usable token.

func setupKey(cookieSecret string) []byte {
	m := hmac.New(sha256.New, []byte(cookieSecret))
	m.Write([]byte("paylinks: the TOTP set-up token of this session"))
	return m.Sum(nil)
}

// sealSetupToken is token sealed for the session of cookieSecret.
func sealSetupToken(cookieSecret, token string) (string, error) {
	gcm, err := setupCipher(cookieSecret)
	if err != nil {
		return "", err
	}
	nonce := make([]byte, gcm.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", fmt.Errorf("seal the set-up token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(gcm.Seal(nonce, nonce, []byte(token), nil)), nil
}

// openSetupToken is the token sealSetupToken sealed for the same cookie.
func openSetupToken(cookieSecret, sealed string) (string, error) {
	gcm, err := setupCipher(cookieSecret)
	if err != nil {
		return "", err
	}
	b, err := base64.RawURLEncoding.DecodeString(sealed)
	if err != nil || len(b) < gcm.NonceSize() {
		return "", errSetupToken
	}
	plain, err := gcm.Open(nil, b[:gcm.NonceSize()], b[gcm.NonceSize():], nil)
	if err != nil {
		return "", errSetupToken
	}
	return string(plain), nil
}

var errSetupToken = errors.New("the session's set-up token does not open with its cookie")

func setupCipher(cookieSecret string) (cipher.AEAD, error) {
	block, err := aes.NewCipher(setupKey(cookieSecret))
	if err != nil {
		return nil, fmt.Errorf("set-up token cipher: %w", err)
	}
	return cipher.NewGCM(block)
}
