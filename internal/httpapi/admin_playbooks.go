package httpapi

import (
	"net/http"

	"github.com/driftwood-chat/driftwood/internal/apperr"
	"github.com/driftwood-chat/driftwood/internal/playbook"
)

// Driftwood's admin API for playbooks as versioned data: the definition
// (targeting, priority, steps) beside Drift's listing fields, and a dry run.
// Creating and patching are in admin_directory.go.

// adminListPlaybooks serves GET /driftwood/v1/playbooks?limit&next: every
// playbook of the org, disabled ones included, by id.
func (s *Server) adminListPlaybooks(w http.ResponseWriter, r *http.Request) error {
	var after int64
	var err error
	if n := r.URL.Query().Get("next"); n != "" {
		if after, err = parseID("next", n); err != nil {
			return err
		}
	}
	limit, err := queryInt(r, "limit", 50, 1, 200)
	if err != nil {
		return err
	}
	ps, err := s.cfg.Store.PlaybooksPage(r.Context(), orgID(r), after, limit+1)
	if err != nil {
		return err
	}
	ps, page := cursorPage(ps, limit, func(p *playbook.Playbook) int64 { return p.ID })
	shown := make([]adminPlaybook, len(ps))
	for i, p := range ps {
		shown[i] = newAdminPlaybook(p)
	}
	return writeJSON(w, http.StatusOK, map[string]any{"data": shown, "pagination": page})
}

func (s *Server) adminGetPlaybook(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	p, err := s.cfg.Store.GetPlaybook(r.Context(), orgID(r), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, showPlaybook(p))
}

func (s *Server) adminDeletePlaybook(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := s.cfg.Store.DeletePlaybook(r.Context(), orgID(r), id); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, okBody)
}

// adminTestPlaybook serves POST /driftwood/v1/playbooks/{id}/test with a
// playbook.Visitor: the dry run of the playbook's current version, with
// the org's routing rules. It writes nothing.
func (s *Server) adminTestPlaybook(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var v playbook.Visitor
	if err := decodeJSON(r, &v); err != nil {
		return err
	}
	if len(v.Answers) > 1000 {
		return apperr.Invalidf("answers", "at most 1000 answers")
	}
	p, err := s.cfg.Store.GetPlaybook(r.Context(), orgID(r), id)
	if err != nil {
		return err
	}
	if p.Definition == nil {
		return apperr.Invalidf("definition", "playbook %d has no definition to run", id)
	}
	note := s.dryRunCountry(&v)
	if len(v.Account) > 1000 {
		return apperr.Invalidf("account", "at most 1000 account attributes")
	}
	// A route to "rules" names the org's rule that would take it.
	rs, err := s.cfg.Store.RoutingSettings(r.Context(), orgID(r))
	if err != nil {
		return err
	}
	run := p.Definition.RunWithRules(v, rs.Rules)
	if note != "" {
		run.Notes = append(run.Notes, note)
	}
	return writeJSON(w, http.StatusOK, data(map[string]any{"playbookId": p.ID, "version": p.Version, "dryRun": run}))
}

// playbookFields decodes the body of a playbook write. In the inbox the
// signed-in admin is its author, unless the body names one; with an API
// token it is the org's bot (the store's default).
func playbookFields(r *http.Request) (playbook.Fields, error) {
	var f playbook.Fields
	if err := decodeJSON(r, &f); err != nil {
		return f, err
	}
	if sess := sessionOf(r); sess != nil && f.AuthorID == nil {
		f.AuthorID = &sess.User.ID
	}
	return f, nil
}
