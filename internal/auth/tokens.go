package auth

import (
	"context"
	"errors"
	"time"

	"github.com/driftwood-chat/driftwood/internal/apperr"
	"github.com/driftwood-chat/driftwood/internal/secrets"
)

// Tokens issues API tokens and authenticates requests that carry them. Only a
// token's keyed hash is stored; its raw value is returned once, at issue.
type Tokens struct {
	Store TokenStore
	Key   *secrets.Key
	Now   func() time.Time
}

// Issue creates a token described by t (org, app, name, scopes, expiry) and
// returns its raw value, which is shown once and never stored.
func (ts *Tokens) Issue(ctx context.Context, t Token) (raw string, _ *Token, err error) {
	raw = secrets.RandomToken(AccessTokenPrefix)
	tok, err := ts.IssueValue(ctx, raw, t)
	return raw, tok, err
}

// IssueValue stores a token whose raw value the operator chose (the bootstrap
// token). The value is hashed like any other.
func (ts *Tokens) IssueValue(ctx context.Context, raw string, t Token) (*Token, error) {
	if len(t.Scopes) == 0 {
		return nil, apperr.Invalidf("scopes", "a token needs at least one scope")
	}
	t.Hint = HintOf(raw)
	if err := ts.Store.InsertToken(ctx, &t, ts.Key.Hash(raw)); err != nil {
		return nil, err
	}
	return &t, nil
}

// ErrBadToken is the one answer for a token that is missing, unknown,
// revoked or expired: the caller learns nothing about which.
var ErrBadToken = apperr.New(apperr.Unauthenticated, "the access token is missing, invalid, expired or revoked")

// Authenticate returns the principal of a raw token, or ErrBadToken.
func (ts *Tokens) Authenticate(ctx context.Context, raw string) (Principal, error) {
	if raw == "" {
		return Principal{}, ErrBadToken
	}
	t, err := ts.Store.TokenByHash(ctx, ts.Key.Hash(raw))
	if errors.Is(err, apperr.ErrNotFound) {
		return Principal{}, ErrBadToken
	}
	if err != nil {
		return Principal{}, err
	}
	if !t.Active(ts.Now().UnixMilli()) {
		return Principal{}, ErrBadToken
	}
	return t.Principal(), nil
}
