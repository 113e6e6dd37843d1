package httpapi

import (
	"net/http"

	"github.com/driftwood-chat/driftwood/internal/conversation"
)

// inboxTyping serves POST /inbox/api/conversations/{id}/typing: the
// signed-in agent is writing a reply (conversation_typing, author the
// user), which the visitor's widget and the other agents' inboxes show.
// The inbox sends it at most every few seconds while the agent types.
func (s *Server) inboxTyping(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	author := conversation.Author{Type: conversation.AuthorUser, ID: sessionOf(r).User.ID}
	if err := s.cfg.Store.RecordTyping(r.Context(), orgID(r), id, author); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"ok": true})
}
