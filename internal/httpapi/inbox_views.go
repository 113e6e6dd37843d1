package httpapi

import (
	"net/http"

	"github.com/driftwood-chat/driftwood/internal/apperr"
)

// inboxAwaiting serves GET /inbox/api/awaiting: how many open conversations
// await a reply in each of the signed-in agent's views (Mine, Unassigned,
// All), the counts shown beside the views.
func (s *Server) inboxAwaiting(w http.ResponseWriter, r *http.Request) error {
	a, err := s.cfg.Store.InboxAwaiting(r.Context(), orgID(r), sessionOf(r).User.ID)
	if err != nil {
		return err
	}
	byTeam, err := s.countByTeam(r, a.ByAssignee)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, data(map[string]any{"mine": a.Mine, "unassigned": a.Unassigned, "all": a.All, "teams": byTeam}))
}

// inboxTeam is a team as the inbox's views list it.
type inboxTeam struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

// myTeams are the teams of the signed-in agent, for the views.
func (s *Server) myTeams(r *http.Request) ([]inboxTeam, error) {
	teams, err := s.cfg.Store.TeamsOfUser(r.Context(), orgID(r), sessionOf(r).User.ID)
	if err != nil {
		return nil, err
	}
	out := make([]inboxTeam, 0, len(teams))
	for _, t := range teams {
		out = append(out, inboxTeam{ID: t.ID, Name: t.Name})
	}
	return out, nil
}

// teamOfOrg checks that id is a team of the org; any other is not found.
func (s *Server) teamOfOrg(r *http.Request, id int64) error {
	teams, err := s.cfg.Store.ListTeams(r.Context(), orgID(r))
	if err != nil {
		return err
	}
	for _, t := range teams {
		if t.ID == id {
			return nil
		}
	}
	return apperr.NotFoundf("no team with id %d", id)
}
