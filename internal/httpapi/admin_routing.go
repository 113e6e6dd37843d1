package httpapi

import (
	"net/http"

	"github.com/driftwood-chat/driftwood/internal/routing"
)

// getRouting serves GET /driftwood/v1/routing: whether conversations
// without a playbook are routed, agents' capacity and load, and the queue.
func (s *Server) getRouting(w http.ResponseWriter, r *http.Request) error {
	st, err := s.cfg.Store.RoutingSettings(r.Context(), orgID(r))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, data(st))
}

// patchRouting serves PATCH /driftwood/v1/routing {routeNewConversations,
// capacities: {"userId": n}}.
func (s *Server) patchRouting(w http.ResponseWriter, r *http.Request) error {
	var p routing.Patch
	if err := decodeJSON(r, &p); err != nil {
		return err
	}
	st, err := s.cfg.Store.UpdateRouting(r.Context(), orgID(r), p)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, data(st))
}
