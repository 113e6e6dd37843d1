package httpapi

import (
	"net/http"

	"github.com/driftwood-chat/driftwood/internal/playbook"
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
// landing pages, a bare array in the playbook shape (docs/design.md), each
// also with playbookId, playbookName and its landingPageUrl.
func (s *Server) listLandingPages(w http.ResponseWriter, r *http.Request) error {
	ps, err := s.cfg.Store.ListPlaybooks(r.Context(), orgID(r), true)
	if err != nil {
		return err
	}
	pages := make([]playbook.LandingPage, len(ps))
	for i, p := range ps {
		pages[i] = playbook.NewLandingPage(p, s.cfg.PublicURL, s.embedID(orgID(r)))
	}
	return writeJSON(w, http.StatusOK, pages)
}
