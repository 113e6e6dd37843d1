package widget

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"time"
)

// Identity is what a valid signed identity (the page's userJwt) asserts.
type Identity struct {
	ExternalID string
	Email      string
}

// ErrBadIdentity is any signed identity that does not verify: malformed,
// another algorithm, a wrong signature, expired, or without sub or exp.
var ErrBadIdentity = errors.New("widget: the identity token does not verify")

// VerifyIdentity checks token, a compact JWT signed with HS256 and secret,
// at now: it needs "sub" (the externalId) and an "exp" in the future, and
// may carry "email". Only HS256 is accepted, whatever the header says, so
// an "alg": "none" token never passes.
func VerifyIdentity(token, secret string, now time.Time) (Identity, error) {
	parts := strings.Split(token, ".")
	if secret == "" || len(parts) != 3 || len(token) > 8<<10 {
		return Identity{}, ErrBadIdentity
	}
	var header struct {
		Alg string `json:"alg"`
	}
	if !decodePart(parts[0], &header) || header.Alg != "HS256" {
		return Identity{}, ErrBadIdentity
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return Identity{}, ErrBadIdentity
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(parts[0] + "." + parts[1]))
	if !hmac.Equal(sig, mac.Sum(nil)) {
		return Identity{}, ErrBadIdentity
	}
	var claims struct {
		Sub   string   `json:"sub"`
		Exp   *float64 `json:"exp"`
		Email string   `json:"email"`
	}
	if !decodePart(parts[1], &claims) || claims.Sub == "" || claims.Exp == nil ||
		time.Unix(int64(*claims.Exp), 0).Before(now) {
		return Identity{}, ErrBadIdentity
	}
	return Identity{ExternalID: claims.Sub, Email: claims.Email}, nil
}

func decodePart(s string, v any) bool {
	b, err := base64.RawURLEncoding.DecodeString(s)
	return err == nil && json.Unmarshal(b, v) == nil
}

// SignIdentity makes the token VerifyIdentity accepts, as a site's server
// would: for tests, examples and the demo page.
func SignIdentity(id Identity, secret string, exp time.Time) string {
	enc := base64.RawURLEncoding
	header := enc.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`))
	claims := map[string]any{"sub": id.ExternalID, "exp": exp.Unix()}
	if id.Email != "" {
		claims["email"] = id.Email
	}
	body, _ := json.Marshal(claims)
	payload := enc.EncodeToString(body)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(header + "." + payload))
	return header + "." + payload + "." + enc.EncodeToString(mac.Sum(nil))
}
