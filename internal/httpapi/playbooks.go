package httpapi

import (
	"net/http"
)

// listPlaybooks serves GET /playbooks/list: a bare array of the enabled
// playbooks, as Drift answers it.
func (s *Server) listPlaybooks(w http.ResponseWriter, r *http.Request) error {
	ps, err := s.cfg.Store.ListPlaybooks(r.Context(), orgID(r), false)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, ps)
}

// listLandingPages serves GET /playbooks/clp: the enabled conversational
// landing pages, a bare array in the playbook shape (docs/design.md).
func (s *Server) listLandingPages(w http.ResponseWriter, r *http.Request) error {
	ps, err := s.cfg.Store.ListPlaybooks(r.Context(), orgID(r), true)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, ps)
}
