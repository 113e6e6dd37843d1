// Package oauth is OAuth 2.0 for apps (RFC 6749, as Drift serves it): the
// consent of an org admin, single-use short-lived authorization codes bound
// to the client and its redirect URI, PKCE (RFC 7636, S256), access tokens
// that expire, refresh tokens that rotate on every use, and revocation
// (RFC 7009). A refresh token or code presented twice is a sign that it
// leaked, so the second use revokes the whole grant.
//
// Every secret it hands out (codes, access and refresh tokens) is stored
// only as a keyed hash.
package oauth

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/driftwood-chat/driftwood/internal/apperr"
	"github.com/driftwood-chat/driftwood/internal/auth"
	"github.com/driftwood-chat/driftwood/internal/integration"
	"github.com/driftwood-chat/driftwood/internal/secrets"
)

// Defaults of Server's lifetimes.
const (
	DefaultAccessTTL = 2 * time.Hour
	// DefaultCodeTTL is short: a code travels by redirect straight to the
	// client, which exchanges it at once (RFC 6749 §4.1.2 allows 10 minutes).
	DefaultCodeTTL = time.Minute
	// CodePrefix marks authorization codes for secret scanners.
	CodePrefix = "dwac_"
)

// Error codes of RFC 6749 §4.1.2.1 and §5.2.
const (
	InvalidRequest          = "invalid_request"
	InvalidClient           = "invalid_client"
	InvalidGrant            = "invalid_grant"
	UnauthorizedClient      = "unauthorized_client"
	UnsupportedGrantType    = "unsupported_grant_type"
	UnsupportedResponseType = "unsupported_response_type"
	InvalidScope            = "invalid_scope"
	AccessDenied            = "access_denied"
)

// Error is an OAuth error, answered in RFC 6749's shape
// {"error", "error_description"} (§5.2) rather than Drift's.
type Error struct {
	Code        string
	Description string
	Status      int
	Err         error // the cause, never shown (a server_error's fault)
}

func (e *Error) Error() string {
	if e.Err != nil {
		return e.Code + ": " + e.Description + ": " + e.Err.Error()
	}
	return e.Code + ": " + e.Description
}

func (e *Error) Unwrap() error { return e.Err }

// ServerError is the OAuth answer to a fault of the server: err is logged,
// never shown.
func ServerError(err error) *Error {
	return &Error{Code: "server_error", Status: http.StatusInternalServerError, Description: "internal server error", Err: err}
}

// WireError returns the answer to send for e: its status, its media type
// and its RFC 6749 §5.2 body.
func (e *Error) WireError() (status int, contentType string, body []byte) {
	b, err := json.Marshal(struct {
		Code        string `json:"error"`
		Description string `json:"error_description"`
	}{e.Code, e.Description})
	if err != nil {
		panic(err) // strings only: cannot fail
	}
	return e.Status, "application/json; charset=utf-8", append(b, '\n')
}

func errorf(code string, status int, format string, args ...any) *Error {
	return &Error{Code: code, Status: status, Description: fmt.Sprintf(format, args...)}
}

// grantError is invalid_grant: a code or refresh token that is unknown,
// expired, used, or not this client's.
func grantError(format string, args ...any) *Error {
	return errorf(InvalidGrant, http.StatusBadRequest, format, args...)
}

// ErrReplay marks a code or refresh token presented a second time. The
// store revokes the grant made from it and commits that, then returns the
// error.
var ErrReplay = grantError("this code or refresh token was already used; every token of its grant is now revoked")

// Code is an authorization code as stored (under the hash of its value).
type Code struct {
	ID          int64
	AppID       int64
	OrgID       int64 // the consenting org
	RedirectURI string
	Scopes      []auth.Scope
	Challenge   string // PKCE S256 code_challenge, "" without PKCE
	GrantID     int64  // the grant it was exchanged for, once used
	CreatedAt   int64
	ExpiresAt   int64
	UsedAt      int64
}

// Grant is what one consent produced: an app's access to an org with
// scopes, through a chain of rotating refresh tokens.
type Grant struct {
	ID        int64
	AppID     int64
	OrgID     int64
	Scopes    []auth.Scope
	CreatedAt int64
	RevokedAt int64
}

// Refresh is a refresh token as stored.
type Refresh struct {
	ID        int64
	GrantID   int64
	CreatedAt int64
	ExpiresAt int64 // 0: never
	UsedAt    int64
}

// Pair is an access and a refresh token to store under a grant; the store
// sets Access.GrantID (and the grant's id) before inserting.
type Pair struct {
	Access           auth.Token
	AccessHash       string
	RefreshHash      string
	RefreshExpiresAt int64
}

// Store is the persistence of codes, grants and refresh tokens. Each method
// is one transaction.
type Store interface {
	// AppByClientID finds an app of any org by its client id.
	AppByClientID(ctx context.Context, clientID string) (*integration.App, error)
	InsertCode(ctx context.Context, c *Code, hash string) error
	// RedeemCode locks the code stored under hash and runs check on it. When
	// check accepts it, the code is marked used, the app installed in the
	// code's org, a grant created and the pair(grant) stored. When check
	// returns ErrReplay, the grant made from the code is revoked. An unknown
	// hash is invalid_grant.
	RedeemCode(ctx context.Context, hash string, check func(c *Code) error, pair func(g *Grant) *Pair) (*Grant, error)
	// RotateRefresh locks the refresh token stored under hash and its grant
	// and runs check. When check accepts them, the token is marked used, the
	// grant's earlier access tokens are revoked and pair(grant) is stored.
	// When check returns ErrReplay, the whole grant is revoked.
	RotateRefresh(ctx context.Context, hash string, check func(r *Refresh, g *Grant) error, pair func(g *Grant) *Pair) (*Grant, error)
	// RevokeHash revokes the access or refresh token stored under hash when
	// it was issued to app: the token's whole grant when it has one. An
	// unknown token, or another app's, is left alone without an error.
	RevokeHash(ctx context.Context, hash string, appID int64) error
}

// Server runs the OAuth flows.
type Server struct {
	Store Store
	Key   *secrets.Key
	Now   func() time.Time
	// AccessTTL is the lifetime of access tokens (expires_in).
	AccessTTL time.Duration
	CodeTTL   time.Duration
	// RefreshTTL retires a refresh token unused for this long (0: never);
	// Driftwood sets it to the token idle timeout.
	RefreshTTL time.Duration
}

// Request is an authorization request: the query of GET /oauth2/authorize
// and the fields of its consent form.
type Request struct {
	ResponseType        string
	ClientID            string
	RedirectURI         string
	State               string
	Scope               string
	CodeChallenge       string
	CodeChallengeMethod string
}

// Consent is a checked authorization request, ready for an org's decision.
type Consent struct {
	Request
	App    *integration.App
	Scopes []auth.Scope
	// Redirectable is set once the redirect URI is known to be one the app
	// registered: only then may errors be sent to it.
	Redirectable bool
}

// Check validates an authorization request. An error about the client or
// its redirect URI comes with a nil or non-Redirectable Consent: it must be
// shown, never redirected (RFC 6749 §4.1.2.1). Any other error is to be
// sent back to the redirect URI (see Consent.ErrorURL).
func (s *Server) Check(ctx context.Context, req Request) (*Consent, error) {
	if req.ClientID == "" {
		return nil, errorf(InvalidRequest, http.StatusBadRequest, "client_id is required")
	}
	app, err := s.Store.AppByClientID(ctx, req.ClientID)
	if errors.Is(err, apperr.ErrNotFound) {
		return nil, errorf(InvalidClient, http.StatusBadRequest, "no app has client_id %q", req.ClientID)
	}
	if err != nil {
		return nil, err
	}
	if req.RedirectURI == "" && len(app.RedirectURIs) == 1 {
		req.RedirectURI = app.RedirectURIs[0]
	}
	c := &Consent{Request: req, App: app}
	if !slices.Contains(app.RedirectURIs, req.RedirectURI) {
		return c, errorf(InvalidRequest, http.StatusBadRequest,
			"redirect_uri %q is not one of the app's registered redirect URIs (they must match exactly)", req.RedirectURI)
	}
	c.Redirectable = true
	if req.ResponseType != "code" {
		return c, errorf(UnsupportedResponseType, http.StatusBadRequest, "response_type must be code")
	}
	want, unknown := auth.ParseScopes(req.Scope)
	if unknown != "" {
		return c, errorf(InvalidScope, http.StatusBadRequest, "unknown scope %q", unknown)
	}
	if c.Scopes, err = app.InstallScopes(scopeNames(want)); err != nil || len(c.Scopes) == 0 {
		return c, errorf(InvalidScope, http.StatusBadRequest, "the scopes asked for must be among the app's scopes %v", app.Scopes)
	}
	switch {
	case req.CodeChallenge == "" && app.Public:
		return c, errorf(InvalidRequest, http.StatusBadRequest, "this app is public: PKCE (code_challenge with code_challenge_method=S256) is required")
	case req.CodeChallenge == "":
	case req.CodeChallengeMethod != "S256":
		return c, errorf(InvalidRequest, http.StatusBadRequest, "code_challenge_method must be S256")
	case !validChallenge(req.CodeChallenge):
		return c, errorf(InvalidRequest, http.StatusBadRequest, "code_challenge must be 43 base64url characters (SHA-256 of the verifier)")
	}
	return c, nil
}

// Approve records orgID's consent and returns the redirect carrying a new
// authorization code. A private app (not public) can only be installed in
// the org that owns it.
func (s *Server) Approve(ctx context.Context, c *Consent, orgID int64) (string, error) {
	if !c.App.Public && orgID != c.App.OrgID {
		return "", errorf(AccessDenied, http.StatusForbidden, "this app is private to the org that registered it")
	}
	raw := secrets.RandomToken(CodePrefix)
	now := s.Now()
	code := &Code{AppID: c.App.ID, OrgID: orgID, RedirectURI: c.RedirectURI, Scopes: c.Scopes,
		Challenge: c.CodeChallenge, ExpiresAt: now.Add(s.CodeTTL).UnixMilli()}
	if err := s.Store.InsertCode(ctx, code, s.Key.Hash(raw)); err != nil {
		return "", err
	}
	return c.redirect(url.Values{"code": {raw}}), nil
}

// ErrorURL is the redirect that reports err to the client.
func (c *Consent) ErrorURL(err *Error) string {
	return c.redirect(url.Values{"error": {err.Code}, "error_description": {err.Description}})
}

// redirect adds q and the state to the redirect URI's own query.
func (c *Consent) redirect(q url.Values) string {
	if c.State != "" {
		q.Set("state", c.State)
	}
	u, _ := url.Parse(c.RedirectURI) // registered URIs are valid URLs
	own := u.Query()
	for k, v := range q {
		own[k] = v
	}
	u.RawQuery = own.Encode()
	return u.String()
}

// Client authenticates an OAuth client by its id and secret.
func (s *Server) Client(ctx context.Context, clientID, secret string) (*integration.App, error) {
	bad := errorf(InvalidClient, http.StatusUnauthorized, "client authentication failed: unknown client_id or wrong client_secret")
	if clientID == "" || secret == "" {
		return nil, bad
	}
	app, err := s.Store.AppByClientID(ctx, clientID)
	if errors.Is(err, apperr.ErrNotFound) {
		return nil, bad
	}
	if err != nil {
		return nil, err
	}
	if !hmac.Equal([]byte(s.Key.Hash(secret)), []byte(app.Sealed.ClientSecretHash)) {
		return app, bad
	}
	return app, nil
}

// TokenResponse is the answer of the token endpoint (reference §2).
type TokenResponse struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int64  `json:"expires_in"` // seconds
	OrgID        int64  `json:"orgId"`
	Scope        string `json:"scope"`
}

// Exchange redeems an authorization code of app for its first tokens.
// redirectURI, when given, must be the one the code was issued for; the
// verifier must match the code's PKCE challenge, if it had one.
func (s *Server) Exchange(ctx context.Context, app *integration.App, code, redirectURI, verifier string) (*TokenResponse, error) {
	if code == "" {
		return nil, errorf(InvalidRequest, http.StatusBadRequest, "code is required")
	}
	now := s.Now().UnixMilli()
	resp := &TokenResponse{}
	g, err := s.Store.RedeemCode(ctx, s.Key.Hash(code), func(c *Code) error {
		switch {
		case c.AppID != app.ID:
			return grantError("the code was not issued to this client")
		case c.UsedAt != 0:
			return ErrReplay
		case now >= c.ExpiresAt:
			return grantError("the code has expired; codes last %s", s.CodeTTL)
		case redirectURI != "" && redirectURI != c.RedirectURI:
			return grantError("redirect_uri differs from the one the code was issued for")
		case c.Challenge != "" && verifier == "":
			return errorf(InvalidRequest, http.StatusBadRequest, "code_verifier is required: the authorization used PKCE")
		case c.Challenge != "" && !VerifyS256(verifier, c.Challenge):
			return grantError("code_verifier does not match the code_challenge")
		}
		return nil
	}, s.pair(app, resp))
	return answer(g, resp, err, "authorization code")
}

// Refresh uses a refresh token of app once, answering the next pair.
func (s *Server) Refresh(ctx context.Context, app *integration.App, refresh string) (*TokenResponse, error) {
	if refresh == "" {
		return nil, errorf(InvalidRequest, http.StatusBadRequest, "refresh_token is required")
	}
	now := s.Now().UnixMilli()
	resp := &TokenResponse{}
	g, err := s.Store.RotateRefresh(ctx, s.Key.Hash(refresh), func(r *Refresh, g *Grant) error {
		switch {
		case g.AppID != app.ID:
			return grantError("the refresh token was not issued to this client")
		case g.RevokedAt != 0:
			return grantError("the grant was revoked")
		case r.UsedAt != 0:
			return ErrReplay
		case r.ExpiresAt != 0 && now >= r.ExpiresAt:
			return grantError("the refresh token has expired unused")
		}
		return nil
	}, s.pair(app, resp))
	return answer(g, resp, err, "refresh token")
}

// answer completes resp with grant g's org and scopes, or turns err into
// the token endpoint's error (an unknown code or refresh token is invalid_grant).
func answer(g *Grant, resp *TokenResponse, err error, what string) (*TokenResponse, error) {
	if errors.Is(err, apperr.ErrNotFound) {
		return nil, grantError("unknown %s", what)
	}
	if err != nil {
		return nil, err
	}
	resp.OrgID, resp.Scope = g.OrgID, auth.JoinScopes(g.Scopes)
	return resp, nil
}

// Revoke revokes a token of app (RFC 7009): its whole grant.
func (s *Server) Revoke(ctx context.Context, app *integration.App, token string) error {
	if token == "" {
		return errorf(InvalidRequest, http.StatusBadRequest, "token is required")
	}
	return s.Store.RevokeHash(ctx, s.Key.Hash(token), app.ID)
}

// pair returns the function that makes a grant's next token pair, writing
// the raw values into resp.
func (s *Server) pair(app *integration.App, resp *TokenResponse) func(g *Grant) *Pair {
	return func(g *Grant) *Pair {
		now := s.Now()
		access, refresh := secrets.RandomToken(auth.AccessTokenPrefix), secrets.RandomToken(auth.RefreshTokenPrefix)
		*resp = TokenResponse{AccessToken: access, RefreshToken: refresh, TokenType: "bearer", ExpiresIn: int64(s.AccessTTL / time.Second)}
		p := &Pair{
			Access: auth.Token{OrgID: g.OrgID, AppID: app.ID, Name: app.Name, Hint: auth.HintOf(access),
				Scopes: g.Scopes, ExpiresAt: now.Add(s.AccessTTL).UnixMilli()},
			AccessHash:  s.Key.Hash(access),
			RefreshHash: s.Key.Hash(refresh),
		}
		if s.RefreshTTL > 0 {
			p.RefreshExpiresAt = now.Add(s.RefreshTTL).UnixMilli()
		}
		return p
	}
}

// VerifyS256 reports whether verifier is valid (RFC 7636 §4.1) and hashes
// to challenge.
func VerifyS256(verifier, challenge string) bool {
	if len(verifier) < 43 || len(verifier) > 128 || strings.IndexFunc(verifier, func(r rune) bool {
		return !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || strings.ContainsRune("-._~", r))
	}) >= 0 {
		return false
	}
	return hmac.Equal([]byte(S256(verifier)), []byte(challenge))
}

// S256 is the code_challenge of verifier, as a client computes it.
func S256(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

func validChallenge(c string) bool {
	b, err := base64.RawURLEncoding.DecodeString(c)
	return err == nil && len(b) == sha256.Size
}

func scopeNames(scopes []auth.Scope) []string {
	out := make([]string, len(scopes))
	for i, s := range scopes {
		out[i] = string(s)
	}
	return out
}
