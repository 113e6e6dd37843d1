package auth

import (
	"context"
	"errors"
	"net/netip"
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
	// IdleTimeout retires a token unused for this long (0: never), whatever
	// its expiry: a forgotten token is a liability, not an asset.
	IdleTimeout time.Duration
	// Cache, when set, keeps verified tokens so that a request need not
	// read its token from the database (see Cache).
	Cache *Cache
}

// touchEvery bounds how often a token's last use is written: at most once a
// minute per token, so the hot path of every request costs no write.
const touchEvery = time.Minute

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
	tok, hash, err := ts.prepare(raw, t)
	if err != nil {
		return nil, err
	}
	if err := ts.Store.InsertToken(ctx, tok, hash); err != nil {
		return nil, err
	}
	return tok, nil
}

// Prepare makes a new token described by t for a store write that inserts
// it together with what it belongs to (an installation): it returns the
// raw value, shown once, the token and the keyed hash to store it under.
func (ts *Tokens) Prepare(t Token) (raw, hash string, _ *Token, err error) {
	raw = secrets.RandomToken(AccessTokenPrefix)
	tok, hash, err := ts.prepare(raw, t)
	return raw, hash, tok, err
}

func (ts *Tokens) prepare(raw string, t Token) (*Token, string, error) {
	if len(t.Scopes) == 0 {
		return nil, "", apperr.Invalidf("scopes", "a token needs at least one scope")
	}
	t.Hint = HintOf(raw)
	return &t, ts.Key.Hash(raw), nil
}

// ErrBadToken is the one answer for a token that is missing, unknown,
// revoked or expired: the caller learns nothing about which. The message is
// Drift's own wording, which clients match.
var ErrBadToken = apperr.New(apperr.Unauthenticated, "The access token is invalid or has expired")

// Authenticate returns the principal of a raw token used from ip, or an
// error with ErrBadToken's code and message. When the token is known but
// refused (revoked, expired, idle, outside its app's IP allowlist), the
// principal names it anyway, so the refusal can be audited; the error's
// cause says why and is never shown. An invalid ip (the caller knows no
// client address) fails every allowlist.
func (ts *Tokens) Authenticate(ctx context.Context, raw string, ip netip.Addr) (Principal, error) {
	if raw == "" {
		return Principal{}, ErrBadToken
	}
	hash := ts.Key.Hash(raw)
	now := ts.Now().UnixMilli()
	var gen uint64
	if ts.Cache != nil {
		// Only a token the rules accept now is answered from the cache;
		// any refusal is decided on the database's copy.
		if t, ok := ts.Cache.get(hash); ok && ts.refusal(&t, now) == "" && IPAllowed(t.AllowedIPs, ip) {
			ts.Cache.touch(hash, t.ID, now)
			return t.Principal(), nil
		}
		gen = ts.Cache.generationNow() // before the read: see Cache.put
	}
	t, err := ts.Store.TokenByHash(ctx, hash)
	if errors.Is(err, apperr.ErrNotFound) {
		return Principal{}, ErrBadToken
	}
	if err != nil {
		return Principal{}, err
	}
	reason := ts.refusal(t, now)
	if reason == "" && !IPAllowed(t.AllowedIPs, ip) {
		reason = "client address not in the app's IP allowlist"
	}
	if reason != "" {
		return t.Principal(), &apperr.Error{Code: ErrBadToken.Code, Message: ErrBadToken.Message, Err: errors.New(reason)}
	}
	if now-t.LastUsedAt >= touchEvery.Milliseconds() {
		// A database that takes no writes now only delays the last use.
		if err := ts.Store.TouchToken(ctx, t.ID, now); err != nil && !errors.Is(err, apperr.ErrUnavailable) {
			return Principal{}, err
		}
		t.LastUsedAt = now
	}
	if ts.Cache != nil {
		ts.Cache.put(hash, t, gen)
	}
	return t.Principal(), nil
}

// Lookup returns the token whose raw value is raw if it may be used now
// (from an allowed address), else ErrBadToken. It is token_info's question.
func (ts *Tokens) Lookup(ctx context.Context, raw string) (*Token, error) {
	t, err := ts.Store.TokenByHash(ctx, ts.Key.Hash(raw))
	if errors.Is(err, apperr.ErrNotFound) || err == nil && ts.refusal(t, ts.Now().UnixMilli()) != "" {
		return nil, ErrBadToken
	}
	return t, err
}

// refusal says why t may not be used at now, or "" when it may.
func (ts *Tokens) refusal(t *Token, now int64) string {
	switch {
	case t.RevokedAt != 0:
		return "revoked"
	case t.ExpiresAt != 0 && now >= t.ExpiresAt:
		return "expired"
	case ts.IdleTimeout > 0 && now-max(t.LastUsedAt, t.CreatedAt) > ts.IdleTimeout.Milliseconds():
		return "idle"
	}
	return ""
}
