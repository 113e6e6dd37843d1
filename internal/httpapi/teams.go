package httpapi

import (
	"net/http"
)

// listTeams serves GET /teams/org.
func (s *Server) listTeams(w http.ResponseWriter, r *http.Request) error {
	ts, err := s.cfg.Store.ListTeams(r.Context(), orgID(r))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, data(ts))
}

// listUserTeams serves GET /teams/users/{id}: the teams a user belongs to.
func (s *Server) listUserTeams(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	ts, err := s.cfg.Store.TeamsOfUser(r.Context(), orgID(r), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, data(ts))
}
