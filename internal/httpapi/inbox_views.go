package httpapi

import (
	"net/http"
)

// inboxAwaiting serves GET /inbox/api/awaiting: how many open conversations
// await a reply in each of the signed-in agent's views (Mine, Unassigned,
// All), the counts shown beside the views.
func (s *Server) inboxAwaiting(w http.ResponseWriter, r *http.Request) error {
	a, err := s.cfg.Store.InboxAwaiting(r.Context(), orgID(r), sessionOf(r).User.ID)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, data(a))
}
