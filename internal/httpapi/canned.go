package httpapi

import (
	"net/http"

	"github.com/driftwood-chat/driftwood/internal/apperr"
	"github.com/driftwood-chat/driftwood/internal/canned"
	"github.com/driftwood-chat/driftwood/internal/user"
)

// listCanned serves GET /driftwood/v1/canned-replies and, to signed-in
// agents, GET /inbox/api/canned-replies: the org's canned replies by
// shortcut.
func (s *Server) listCanned(w http.ResponseWriter, r *http.Request) error {
	rs, err := s.cfg.Store.ListCannedReplies(r.Context(), orgID(r))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, data(rs))
}

// createCanned serves POST /driftwood/v1/canned-replies {shortcut, body}
// and, to signed-in admins, POST /inbox/api/canned-replies.
func (s *Server) createCanned(w http.ResponseWriter, r *http.Request) error {
	if err := requireAdminSession(r); err != nil {
		return err
	}
	var p canned.Patch
	if err := decodeJSON(r, &p); err != nil {
		return err
	}
	if p.Shortcut == nil || p.Body == nil {
		return apperr.Invalidf("shortcut", "shortcut and body are required")
	}
	c, err := s.cfg.Store.CreateCannedReply(r.Context(), orgID(r), p)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, data(c))
}

// updateCanned serves PATCH /driftwood/v1/canned-replies/{id}.
func (s *Server) updateCanned(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var p canned.Patch
	if err := decodeJSON(r, &p); err != nil {
		return err
	}
	c, err := s.cfg.Store.UpdateCannedReply(r.Context(), orgID(r), id, p)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, data(c))
}

// deleteCanned serves DELETE /driftwood/v1/canned-replies/{id}.
func (s *Server) deleteCanned(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := s.cfg.Store.DeleteCannedReply(r.Context(), orgID(r), id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// requireAdminSession refuses an inbox request of a user who is not an
// admin: admins change the org's settings, agents answer. A request with
// an API token (no session) has passed its scope check already.
func requireAdminSession(r *http.Request) error {
	if sess := sessionOf(r); sess != nil && sess.User.Role != user.RoleAdmin {
		return apperr.New(apperr.Forbidden, "only an admin may change the org's canned replies")
	}
	return nil
}
