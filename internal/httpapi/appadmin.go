package httpapi

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/driftwood-chat/driftwood/internal/apperr"
	"github.com/driftwood-chat/driftwood/internal/auth"
	"github.com/driftwood-chat/driftwood/internal/oauth"
)

// tokenInfo serves POST /app/token_info (reference §8): what a token is, in
// Drift's flat shape. An unknown, revoked, expired or idle token is a 401,
// as it would be on any API call.
func (s *Server) tokenInfo(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		AccessToken string `json:"access_token"`
		Camel       string `json:"accessToken"` // Airbyte's spelling
	}
	if err := decodeJSON(r, &body); err != nil {
		return err
	}
	raw := body.AccessToken
	if raw == "" {
		raw = body.Camel
	}
	if raw == "" {
		return apperr.Invalidf("access_token", "access_token is required")
	}
	t, err := s.cfg.Tokens.Lookup(r.Context(), raw)
	if err != nil {
		return err
	}
	var expiresIn int64 // ms; 0 means until revoked
	if t.ExpiresAt != 0 {
		expiresIn = max(t.ExpiresAt-time.Now().UnixMilli(), 1)
	}
	credential := ""
	if t.AppID != 0 {
		credential = strconv.FormatInt(t.AppID, 10)
	}
	return writeJSON(w, http.StatusOK, map[string]any{
		"access_token":         raw,
		"authenticated_userid": "orgId:" + strconv.FormatInt(t.OrgID, 10),
		"credential_id":        credential,
		"token_type":           "bearer",
		"expires_in":           expiresIn,
		"created_at":           t.CreatedAt,
		"scope":                auth.JoinScopes(t.Scopes),
		"id":                   strconv.FormatInt(t.ID, 10),
	})
}

// uninstallApp serves POST /app/uninstall?clientId=&clientSecret= with the
// customer's token of that app: the installation ends, every token of it
// (this one included) is revoked at once and its webhooks stop.
func (s *Server) uninstallApp(w http.ResponseWriter, r *http.Request) error {
	p, err := s.authenticate(r)
	if p.TokenID != 0 {
		defer s.auditUse(w, r, p, err)
	}
	if err != nil {
		w.Header().Set("WWW-Authenticate", `Bearer realm="driftwood"`)
		return err
	}
	q := r.URL.Query()
	app, err := s.cfg.OAuth.Client(r.Context(), q.Get("clientId"), q.Get("clientSecret"))
	var oe *oauth.Error
	if errors.As(err, &oe) {
		return apperr.New(apperr.Unauthenticated, "clientId and clientSecret do not name an app")
	}
	if err != nil {
		return err
	}
	if p.AppID != app.ID {
		return apperr.New(apperr.BadRequest, "the bearer token was not issued to this app")
	}
	if err := s.cfg.Apps.Store.Uninstall(r.Context(), app.ID, p.OrgID); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, okBody)
}
