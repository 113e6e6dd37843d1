// Package pagetoken makes opaque, tamper-evident page cursors: a position is
// encoded as JSON, bound to a purpose (which list, for whom) and an expiry,
// and signed with HMAC-SHA256. A token that was altered, made for another
// purpose, or has expired does not decode.
package pagetoken

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"time"
)

// ErrInvalid is returned for a token that is forged, altered, malformed or
// made for another purpose.
var ErrInvalid = errors.New("pagetoken: invalid token")

// ErrExpired is returned for a genuine token past its expiry.
var ErrExpired = errors.New("pagetoken: expired token")

// DefaultTTL is how long a token stays valid: long enough to walk a list,
// short enough that old links do not live forever.
const DefaultTTL = 24 * time.Hour

// Codec signs and checks tokens with one key.
type Codec struct {
	key []byte
	TTL time.Duration
	Now func() time.Time
}

// New returns a codec keyed with key, which must stay secret.
func New(key []byte) *Codec {
	return &Codec{key: key, TTL: DefaultTTL, Now: time.Now}
}

type envelope struct {
	Exp int64           `json:"e"` // unix seconds
	Pos json.RawMessage `json:"p"`
}

// Encode returns the token for position pos, usable only with purpose.
func (c *Codec) Encode(purpose string, pos any) (string, error) {
	p, err := json.Marshal(pos)
	if err != nil {
		return "", err
	}
	body, err := json.Marshal(envelope{Exp: c.Now().Add(c.TTL).Unix(), Pos: p})
	if err != nil {
		return "", err
	}
	b64 := base64.RawURLEncoding.EncodeToString(body)
	return b64 + "." + base64.RawURLEncoding.EncodeToString(c.sign(purpose, b64)), nil
}

// Decode checks token and decodes its position into pos.
func (c *Codec) Decode(purpose, token string, pos any) error {
	b64, sig, ok := strings.Cut(token, ".")
	if !ok {
		return ErrInvalid
	}
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || !hmac.Equal(got, c.sign(purpose, b64)) {
		return ErrInvalid
	}
	body, err := base64.RawURLEncoding.DecodeString(b64)
	if err != nil {
		return ErrInvalid
	}
	var env envelope
	if err := json.Unmarshal(body, &env); err != nil {
		return ErrInvalid
	}
	if c.Now().Unix() > env.Exp {
		return ErrExpired
	}
	if err := json.Unmarshal(env.Pos, pos); err != nil {
		return ErrInvalid
	}
	return nil
}

func (c *Codec) sign(purpose, b64 string) []byte {
	m := hmac.New(sha256.New, c.key)
	m.Write([]byte(purpose))
	m.Write([]byte{0})
	m.Write([]byte(b64))
	return m.Sum(nil)
}
