// Package auth holds the rules of API access: scopes, tokens and the
// principal a request acts as.
package auth

import (
	"context"
	"net/netip"
	"slices"
	"strings"
)

// Scope is a Drift OAuth scope, or Driftwood's own driftwood_admin.
type Scope string

// Scopes attested for Drift (docs/drift-reference.md §2) and Driftwood's admin scope.
const (
	ContactRead       Scope = "contact_read"
	ContactWrite      Scope = "contact_write"
	AllContactRead    Scope = "all_contact_read"
	ConversationRead  Scope = "conversation_read"
	ConversationWrite Scope = "conversation_write"
	UserRead          Scope = "user_read"
	UserWrite         Scope = "user_write"
	AccountRead       Scope = "account_read"
	AccountWrite      Scope = "account_write"
	PlaybookRead      Scope = "playbook_read"
	GDPRRead          Scope = "gdpr_read"
	GDPRWrite         Scope = "gdpr_write"
	Admin             Scope = "driftwood_admin"
)

// AllScopes lists every scope, in a stable order.
var AllScopes = []Scope{
	ContactRead, ContactWrite, AllContactRead, ConversationRead, ConversationWrite,
	UserRead, UserWrite, AccountRead, AccountWrite, PlaybookRead, GDPRRead, GDPRWrite, Admin,
}

// ValidScope reports whether s names a known scope.
func ValidScope(s string) bool { return slices.Contains(AllScopes, Scope(s)) }

// ParseScopes splits a comma- or space-separated scope list. It returns the
// first unknown name, if any.
func ParseScopes(s string) (scopes []Scope, unknown string) {
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' }) {
		if !ValidScope(f) {
			return nil, f
		}
		if !slices.Contains(scopes, Scope(f)) {
			scopes = append(scopes, Scope(f))
		}
	}
	return scopes, ""
}

// JoinScopes renders scopes space-separated, as token_info does.
func JoinScopes(scopes []Scope) string {
	parts := make([]string, len(scopes))
	for i, s := range scopes {
		parts[i] = string(s)
	}
	return strings.Join(parts, " ")
}

// Token prefixes make Driftwood secrets recognisable to secret scanners.
const (
	AccessTokenPrefix  = "dwat_"
	RefreshTokenPrefix = "dwrt_"
)

// Principal is who a request acts as: a token of one org with its scopes.
type Principal struct {
	OrgID   int64
	TokenID int64
	AppID   int64 // 0 when the token belongs to no app
	Scopes  []Scope
}

// Has reports whether the principal holds scope. all_contact_read is the
// elevated form of contact_read and includes it.
func (p Principal) Has(scope Scope) bool {
	if slices.Contains(p.Scopes, scope) {
		return true
	}
	return scope == ContactRead && slices.Contains(p.Scopes, AllContactRead)
}

type principalKey struct{}

// WithPrincipal returns ctx carrying p.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// FromContext returns the principal of an authenticated request.
func FromContext(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}

// Token is an API access token as stored: never its raw value, only its
// keyed hash and a short hint that lets an operator tell tokens apart.
type Token struct {
	ID         int64   `json:"id"`
	OrgID      int64   `json:"orgId"`
	AppID      int64   `json:"appId,omitempty"`
	GrantID    int64   `json:"grantId,omitempty"` // the OAuth grant it was issued under
	Name       string  `json:"name,omitempty"`
	Hint       string  `json:"hint"` // the first characters of the raw token
	Scopes     []Scope `json:"scopes"`
	CreatedAt  int64   `json:"createdAt"`
	ExpiresAt  int64   `json:"expiresAt,omitempty"` // 0: until revoked
	RevokedAt  int64   `json:"revokedAt,omitempty"`
	LastUsedAt int64   `json:"lastUsedAt,omitempty"`
	// AllowedIPs is the app's IP allowlist (addresses and CIDR prefixes),
	// read with the token; empty allows every address.
	AllowedIPs []string `json:"-"`
}

// Principal returns the principal a request made with t acts as.
func (t Token) Principal() Principal {
	return Principal{OrgID: t.OrgID, TokenID: t.ID, AppID: t.AppID, Scopes: t.Scopes}
}

// HintOf returns the part of a raw token kept for display: the prefix and a
// few characters, never enough to guess the rest.
func HintOf(raw string) string {
	n := len(AccessTokenPrefix) + 4
	if len(raw) <= n+8 {
		return "…" // too short to show any of it (an operator's bootstrap token)
	}
	return raw[:n] + "…"
}

// TokenStore is the persistence of tokens. Raw token values never reach it.
type TokenStore interface {
	// InsertToken stores t under hash, setting its ID and CreatedAt.
	InsertToken(ctx context.Context, t *Token, hash string) error
	// TokenByHash finds a token, revoked or not, by its keyed hash.
	TokenByHash(ctx context.Context, hash string) (*Token, error)
	ListTokens(ctx context.Context, orgID int64) ([]*Token, error)
	// RevokeToken revokes a token of the org; revoking twice is not an error.
	RevokeToken(ctx context.Context, orgID, id int64) error
	// TouchToken sets the token's last use to at unless a later one is recorded.
	TouchToken(ctx context.Context, id, at int64) error
}

// ParseIPRule parses an allowlist entry: an address or a CIDR prefix.
func ParseIPRule(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		return p.Masked(), err
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	return netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()), nil
}

// IPAllowed reports whether ip matches an entry of allowlist; an empty list
// allows every address, and an unknown (invalid) ip matches no entry.
func IPAllowed(allowlist []string, ip netip.Addr) bool {
	if len(allowlist) == 0 {
		return true
	}
	ip = ip.Unmap()
	for _, s := range allowlist {
		if p, err := ParseIPRule(s); err == nil && p.Contains(ip) {
			return true
		}
	}
	return false
}
