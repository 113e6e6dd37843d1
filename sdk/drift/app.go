package drift

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// TokenInfo describes an access token (POST /app/token_info).
type TokenInfo struct {
	AccessToken         string `json:"access_token"`
	AuthenticatedUserID string `json:"authenticated_userid"` // "orgId:<id>"
	CredentialID        string `json:"credential_id"`        // the app's id; may be ""
	TokenType           string `json:"token_type"`
	ExpiresIn           int64  `json:"expires_in"` // milliseconds; 0 until revoked
	CreatedAt           int64  `json:"created_at"` // epoch ms
	Scope               string `json:"scope"`      // space-separated
	ID                  string `json:"id"`
}

// OrgID returns the org of the token, read from AuthenticatedUserID.
func (t *TokenInfo) OrgID() int64 {
	id, _ := strconv.ParseInt(strings.TrimPrefix(t.AuthenticatedUserID, "orgId:"), 10, 64)
	return id
}

// Scopes returns the token's scopes.
func (t *TokenInfo) Scopes() []string { return strings.Fields(t.Scope) }

// TokenInfo describes accessToken. The token travels in the body, and the
// call needs no other authentication (a client with a token sends it too,
// and a bad one is a 401). An unknown, expired or revoked accessToken is a
// 400 (ErrBadRequest).
func (c *Client) TokenInfo(ctx context.Context, accessToken string) (*TokenInfo, error) {
	var ti TokenInfo
	if err := c.Do(ctx, http.MethodPost, "/app/token_info", map[string]string{"access_token": accessToken}, &ti); err != nil {
		return nil, err
	}
	return &ti, nil
}

// UninstallApp uninstalls a public app from the org of the client's token,
// which stops working. Reinstalling goes through OAuth again.
func (c *Client) UninstallApp(ctx context.Context, clientID, clientSecret string) error {
	path := withQuery("/app/uninstall", url.Values{"clientId": {clientID}, "clientSecret": {clientSecret}})
	return c.doOK(ctx, http.MethodPost, path, nil)
}
