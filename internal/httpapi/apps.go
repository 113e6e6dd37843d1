package httpapi

import (
	"net/http"

	"github.com/driftwood-chat/driftwood/internal/auth"
	"github.com/driftwood-chat/driftwood/internal/integration"
)

func (s *Server) createApp(w http.ResponseWriter, r *http.Request) error {
	var spec integration.Spec
	if err := decodeJSON(r, &spec); err != nil {
		return err
	}
	a, err := s.cfg.Apps.Create(r.Context(), orgID(r), spec)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, data(a))
}

func (s *Server) listApps(w http.ResponseWriter, r *http.Request) error {
	apps, err := s.cfg.Apps.List(r.Context(), orgID(r))
	if err != nil {
		return err
	}
	if apps == nil {
		apps = []*integration.App{}
	}
	return writeJSON(w, http.StatusOK, data(apps))
}

func (s *Server) getApp(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	a, err := s.cfg.Apps.Get(r.Context(), orgID(r), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, data(a))
}

func (s *Server) updateApp(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var spec integration.Spec
	if err := decodeJSON(r, &spec); err != nil {
		return err
	}
	a, err := s.cfg.Apps.Update(r.Context(), orgID(r), id, spec)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, data(a))
}

func (s *Server) deleteApp(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := s.cfg.Apps.Store.DeleteApp(r.Context(), orgID(r), id); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, okBody)
}

// installApp serves POST /driftwood/v1/apps/{id}/tokens: Drift's "install to
// Drift" of an org-owned app, answering the installation's token once.
func (s *Server) installApp(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var body struct {
		Scopes []string `json:"scopes"`
	}
	if err := decodeOptionalJSON(r, &body); err != nil {
		return err
	}
	raw, t, err := s.cfg.Apps.InstallOwn(r.Context(), orgID(r), id, body.Scopes)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, data(map[string]any{
		"accessToken": raw,
		"tokenType":   "bearer",
		"expiresIn":   0,
		"scope":       auth.JoinScopes(t.Scopes),
		"tokenId":     t.ID,
		"appId":       t.AppID,
		"orgId":       t.OrgID,
	}))
}

// rotateApp serves POST /driftwood/v1/apps/{id}/rotate: new values for the
// verification token and/or the signing secret (both when the body names
// neither).
func (s *Server) rotateApp(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var body struct {
		VerificationToken bool `json:"verificationToken"`
		SigningSecret     bool `json:"signingSecret"`
	}
	if err := decodeOptionalJSON(r, &body); err != nil {
		return err
	}
	if !body.VerificationToken && !body.SigningSecret {
		body.VerificationToken, body.SigningSecret = true, true
	}
	a, err := s.cfg.Apps.Rotate(r.Context(), orgID(r), id, body.VerificationToken, body.SigningSecret)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, data(a))
}
