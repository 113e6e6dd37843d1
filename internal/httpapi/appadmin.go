package httpapi

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/driftwood-chat/driftwood/internal/apperr"
	"github.com/driftwood-chat/driftwood/internal/auth"
	"github.com/driftwood-chat/driftwood/internal/oauth"
)

// tokenInfo serves POST /app/token_info (reference §8): what a token is, in
// Drift's flat shape. A bearer token in the Authorization header, when there
// is one, is checked first (401 when it is bad). The token asked about comes
// in the body (access_token, or accessToken); an unknown, revoked, expired
// or idle one is a 400, as Drift answers. A body without a token asks about
// the header's token.
func (s *Server) tokenInfo(w http.ResponseWriter, r *http.Request) error {
	var caller string
	if r.Header.Get("Authorization") != "" {
		p, err := s.authenticate(r)
		if p.TokenID != 0 {
			defer s.auditUse(w, r, p, err)
		}
		if err != nil {
			w.Header().Set("WWW-Authenticate", `Bearer realm="driftwood"`)
			return err
		}
		_, caller, _ = strings.Cut(strings.TrimSpace(r.Header.Get("Authorization")), " ")
		caller = strings.TrimSpace(caller)
	}
	var body struct {
		AccessToken any `json:"access_token"`
		Camel       any `json:"accessToken"` // Airbyte's spelling
	}
	if err := decodeOptionalJSON(r, &body); err != nil {
		return err
	}
	raw, err := bodyToken(body.AccessToken, body.Camel)
	if err != nil {
		return err
	}
	if raw == "" {
		raw = caller
	}
	if raw == "" {
		return apperr.Invalidf("access_token", "access_token is required")
	}
	t, err := s.cfg.Tokens.Lookup(r.Context(), raw)
	if errors.Is(err, auth.ErrBadToken) {
		return apperr.New(apperr.BadRequest, "%s", auth.ErrBadToken.Message)
	}
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

// maxTokenLength bounds a token asked about; no token Driftwood issues is
// near it.
const maxTokenLength = 512

// bodyToken is the token of token_info's body: access_token, else
// accessToken, each a string when present.
func bodyToken(snake, camel any) (string, error) {
	for _, f := range []struct {
		name string
		v    any
	}{{"access_token", snake}, {"accessToken", camel}} {
		switch v := f.v.(type) {
		case nil:
		case string:
			if len(v) > maxTokenLength {
				return "", apperr.Invalidf(f.name, "%s is longer than %d characters", f.name, maxTokenLength)
			}
			if v != "" {
				return v, nil
			}
		default:
			return "", apperr.Invalidf(f.name, "%s must be a string", f.name)
		}
	}
	return "", nil
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
