package account

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
)

// tokenPrefix marks crn secrets so secret scanners can recognise leaked ones.
const tokenPrefix = "crn_"

// newToken returns a fresh secret and the hash stored in the database.
func newToken() (secret, hash string, err error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", "", fmt.Errorf("new token: %w", err)
	}
	secret = tokenPrefix + base64.RawURLEncoding.EncodeToString(b)
	return secret, hashToken(secret), nil
}

// hashToken is what identifies a token in the database. Tokens carry 256
// bits of randomness, so a plain SHA-256 (no salt, no stretching) is enough
// and keeps the per-request lookup cheap.
func hashToken(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// CSRFToken derives the anti-forgery token bound to a session secret. A page
// can read it (it is also sent as a non-HttpOnly cookie) but another site
// cannot compute it without the HttpOnly session secret.
func CSRFToken(sessionSecret string) string {
	m := hmac.New(sha256.New, []byte(sessionSecret))
	m.Write([]byte("crn csrf v1"))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// CheckCSRF reports whether got is the anti-forgery token of sessionSecret.
func CheckCSRF(sessionSecret, got string) bool {
	want := CSRFToken(sessionSecret)
	return subtle.ConstantTimeCompare([]byte(want), []byte(got)) == 1
}
