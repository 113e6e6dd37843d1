package drift

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// TokenSource supplies the bearer token of each request.
type TokenSource interface {
	Token(ctx context.Context) (string, error)
}

// Refresher is a TokenSource that can replace a token the API refused. A
// Client calls Refresh once when a request is answered 401 or 403, then
// sends the request again with the new token.
type Refresher interface {
	TokenSource
	// Refresh returns a token other than failed: a new one, or one another
	// caller already got in the meantime.
	Refresh(ctx context.Context, failed string) (string, error)
}

// StaticToken is a token that never changes: an app's install token (Drift
// "API token"), or a Driftwood token.
type StaticToken string

// Token implements TokenSource.
func (t StaticToken) Token(context.Context) (string, error) { return string(t), nil }

// OAuthConfig is a public app's OAuth 2.0 credentials (reference: Drift's
// "Authentication and scopes").
type OAuthConfig struct {
	ClientID     string
	ClientSecret string
	// BaseURL is the API whose POST /oauth2/token issues tokens; default
	// DefaultBaseURL.
	BaseURL string
	// AuthorizeURL is the consent page users are sent to; default
	// https://dev.drift.com/authorize (Driftwood: BaseURL + "/oauth2/authorize").
	AuthorizeURL string
	// HTTPClient sends the token requests; default http.DefaultClient.
	HTTPClient *http.Client
}

// OAuthToken is the token endpoint's answer.
type OAuthToken struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int64  `json:"expires_in"` // seconds; 0 means it does not expire
	OrgID        int64  `json:"orgId"`
	// Expiry is when the access token expires (zero: never), computed
	// from ExpiresIn when the token was received.
	Expiry time.Time `json:"-"`
}

// AuthCodeURL is the consent page's address that asks the user to install
// the app, coming back to redirectURI with ?code=…&state=state.
func (c *OAuthConfig) AuthCodeURL(state, redirectURI string) string {
	return c.authCodeURL(state, redirectURI, nil)
}

// AuthCodeURLPKCE is AuthCodeURL with pkce's challenge (method S256), which
// Driftwood requires of public apps; exchange the code with ExchangePKCE
// and pkce's verifier.
func (c *OAuthConfig) AuthCodeURLPKCE(state, redirectURI string, pkce PKCE) string {
	return c.authCodeURL(state, redirectURI, &pkce)
}

func (c *OAuthConfig) authCodeURL(state, redirectURI string, pkce *PKCE) string {
	base := c.AuthorizeURL
	if base == "" {
		base = "https://dev.drift.com/authorize"
	}
	q := url.Values{"response_type": {"code"}, "client_id": {c.ClientID}, "redirect_uri": {redirectURI}, "state": {state}}
	if pkce != nil {
		q.Set("code_challenge", pkce.Challenge)
		q.Set("code_challenge_method", "S256")
	}
	return base + "?" + q.Encode()
}

// Exchange trades an authorization code for tokens.
func (c *OAuthConfig) Exchange(ctx context.Context, code, redirectURI string) (*OAuthToken, error) {
	return c.ExchangePKCE(ctx, code, redirectURI, "")
}

// ExchangePKCE is Exchange for a code asked for with a PKCE challenge:
// verifier is the PKCE pair's Verifier.
func (c *OAuthConfig) ExchangePKCE(ctx context.Context, code, redirectURI, verifier string) (*OAuthToken, error) {
	form := url.Values{"grant_type": {"authorization_code"}, "code": {code}}
	if redirectURI != "" {
		form.Set("redirect_uri", redirectURI)
	}
	if verifier != "" {
		form.Set("code_verifier", verifier)
	}
	return c.tokenRequest(ctx, form)
}

// PKCE is a Proof Key for Code Exchange pair (RFC 7636, method S256): the
// challenge goes with the authorization request, the verifier with the
// code exchange. Driftwood requires one for public apps.
type PKCE struct {
	Verifier  string
	Challenge string
}

// NewPKCE makes a random PKCE pair.
func NewPKCE() PKCE {
	b := make([]byte, 32)
	rand.Read(b)
	v := base64.RawURLEncoding.EncodeToString(b)
	sum := sha256.Sum256([]byte(v))
	return PKCE{Verifier: v, Challenge: base64.RawURLEncoding.EncodeToString(sum[:])}
}

// Refresh trades a refresh token for new tokens. The answer may carry a new
// refresh token that replaces the old one.
func (c *OAuthConfig) Refresh(ctx context.Context, refreshToken string) (*OAuthToken, error) {
	return c.tokenRequest(ctx, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refreshToken}})
}

// tokenRequest posts the form to the token endpoint, with the client's
// credentials in the form as Drift documents it.
func (c *OAuthConfig) tokenRequest(ctx context.Context, form url.Values) (*OAuthToken, error) {
	form.Set("client_id", c.ClientID)
	form.Set("client_secret", c.ClientSecret)
	base := c.BaseURL
	if base == "" {
		base = DefaultBaseURL
	}
	var opts []Option
	if c.HTTPClient != nil {
		opts = append(opts, WithHTTPClient(c.HTTPClient))
	}
	cl := NewClient(base, nil, opts...)
	resp, err := cl.send(ctx, request{method: http.MethodPost, path: "/oauth2/token",
		body: []byte(form.Encode()), contentType: "application/x-www-form-urlencoded"})
	if err != nil {
		return nil, err
	}
	var t OAuthToken
	if err := decode(resp, &t); err != nil {
		return nil, err
	}
	if t.AccessToken == "" {
		return nil, errors.New("drift: the token endpoint answered no access_token")
	}
	if t.ExpiresIn > 0 {
		t.Expiry = time.Now().Add(time.Duration(t.ExpiresIn) * time.Second)
	}
	return &t, nil
}

// OAuthTokenSource is a TokenSource of OAuth access tokens. It refreshes
// the access token a minute before it expires, and when the API refuses
// it; it keeps the refresh token the token endpoint rotates to. It is safe
// for concurrent use: concurrent callers share one refresh.
type OAuthTokenSource struct {
	conf     *OAuthConfig
	onRotate func(OAuthToken)
	sem      chan struct{} // a mutex that a context can give up waiting for
	tok      OAuthToken
}

// TokenSource returns a source that starts from tok (its AccessToken may be
// empty: the first call then refreshes). onRotate, when not nil, is called
// with every new token, inside the refresh, so the caller can persist the
// rotated refresh token.
func (c *OAuthConfig) TokenSource(tok OAuthToken, onRotate func(OAuthToken)) *OAuthTokenSource {
	return &OAuthTokenSource{conf: c, onRotate: onRotate, sem: make(chan struct{}, 1), tok: tok}
}

func (s *OAuthTokenSource) lock(ctx context.Context) error {
	select {
	case s.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s *OAuthTokenSource) unlock() { <-s.sem }

// Token implements TokenSource.
func (s *OAuthTokenSource) Token(ctx context.Context) (string, error) {
	if err := s.lock(ctx); err != nil {
		return "", err
	}
	defer s.unlock()
	if s.tok.AccessToken != "" && (s.tok.Expiry.IsZero() || time.Until(s.tok.Expiry) > time.Minute) {
		return s.tok.AccessToken, nil
	}
	return s.refresh(ctx)
}

// Refresh implements Refresher.
func (s *OAuthTokenSource) Refresh(ctx context.Context, failed string) (string, error) {
	if err := s.lock(ctx); err != nil {
		return "", err
	}
	defer s.unlock()
	if s.tok.AccessToken != "" && s.tok.AccessToken != failed {
		return s.tok.AccessToken, nil // another caller refreshed already
	}
	return s.refresh(ctx)
}

// Current returns the token the source holds now.
func (s *OAuthTokenSource) Current() OAuthToken {
	s.sem <- struct{}{}
	defer s.unlock()
	return s.tok
}

// refresh runs with the lock held.
func (s *OAuthTokenSource) refresh(ctx context.Context) (string, error) {
	if s.tok.RefreshToken == "" {
		return "", errors.New("drift: the access token needs refreshing and there is no refresh token")
	}
	t, err := s.conf.Refresh(ctx, s.tok.RefreshToken)
	if err != nil {
		return "", err
	}
	if strings.TrimSpace(t.RefreshToken) == "" {
		t.RefreshToken = s.tok.RefreshToken // not rotated
	}
	s.tok = *t
	if s.onRotate != nil {
		s.onRotate(*t)
	}
	return t.AccessToken, nil
}
