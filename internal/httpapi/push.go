package httpapi

import "net/http"

// pushConversation serves POST /driftwood/v1/conversations/{id}/push: it
// sends conversation_push for the conversation now (Drift's manual push,
// "ready for export"), as the quiet-period sweep does on its own.
func (s *Server) pushConversation(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	c, err := s.cfg.Store.PushConversation(r.Context(), orgID(r), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, data(c))
}
