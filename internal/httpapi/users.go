package httpapi

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/driftwood-chat/driftwood/internal/apperr"
	"github.com/driftwood-chat/driftwood/internal/meeting"
	"github.com/driftwood-chat/driftwood/internal/user"
)

// maxUserIDs caps the userId values of one GET /users.
const maxUserIDs = 1000

// listUsers serves GET /users/list and GET /users: every user, bots
// included, without paging. GET /users with userId values answers Drift's
// documented map instead (see usersByID).
func (s *Server) listUsers(w http.ResponseWriter, r *http.Request) error {
	ids, err := userIDs(r)
	if err != nil {
		return err
	}
	us, err := s.cfg.Store.ListUsers(r.Context(), orgID(r))
	if err != nil {
		return err
	}
	if ids != nil {
		return writeJSON(w, http.StatusOK, data(usersByID(us, ids)))
	}
	if us == nil {
		us = []*user.User{}
	}
	return writeJSON(w, http.StatusOK, data(us))
}

// userIDs reads GET /users?userId=A&userId=B (also comma-separated); nil
// when there is none. Only GET /users takes them: /users/list lists all.
func userIDs(r *http.Request) (map[int64]bool, error) {
	values, ok := r.URL.Query()["userId"]
	if !ok || r.URL.Path != "/users" {
		return nil, nil
	}
	ids := map[int64]bool{}
	for _, v := range values {
		for _, f := range strings.Split(v, ",") {
			id, err := parseID("userId", strings.TrimSpace(f))
			if err != nil {
				return nil, err
			}
			if ids[id] = true; len(ids) > maxUserIDs {
				return nil, apperr.Invalidf("userId", "at most %d userId values, got more", maxUserIDs)
			}
		}
	}
	return ids, nil
}

// usersByID is Drift's answer to GET /users?userId=…: the users asked for,
// keyed by id. Ids that are not users of the org are left out.
func usersByID(us []*user.User, ids map[int64]bool) map[string]*user.User {
	out := map[string]*user.User{}
	for _, u := range us {
		if ids[u.ID] {
			out[strconv.FormatInt(u.ID, 10)] = u
		}
	}
	return out
}

func (s *Server) getUser(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	u, err := s.cfg.Store.GetUser(r.Context(), orgID(r), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, data(u))
}

// userUpdateBody is PATCH /users/update. Role is read only to refuse a
// change: a client that sends back the user it read, role unchanged, is fine.
type userUpdateBody struct {
	user.Patch
	Role *string `json:"role"`
}

func (s *Server) updateUser(w http.ResponseWriter, r *http.Request) error {
	id, err := parseID("userId", r.URL.Query().Get("userId"))
	if err != nil {
		return err
	}
	var body userUpdateBody
	if err := decodeJSON(r, &body); err != nil {
		return err
	}
	if body.Role != nil {
		cur, err := s.cfg.Store.GetUser(r.Context(), orgID(r), id)
		if err != nil {
			return err
		}
		if *body.Role != cur.Role {
			return apperr.Invalidf("role", "role cannot be changed through the REST API (Drift allows it only in its app or SCIM)")
		}
	}
	u, err := s.cfg.Store.UpdateUser(r.Context(), orgID(r), id, body.Patch)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, data(u))
}

// listMeetings serves GET /users/meetings/org: the meetings whose slot
// starts within [min_start_time, max_start_time], both required epoch ms,
// at most 30 days apart; limit of them (default 100, a larger limit than
// 1000 is capped).
func (s *Server) listMeetings(w http.ResponseWriter, r *http.Request) error {
	var win meeting.Window
	var err error
	if win.Limit, err = cappedQueryInt(r, "limit", meeting.DefaultResults, meeting.MaxResults); err != nil {
		return err
	}
	if win.Min, err = requiredQueryInt64(r, "min_start_time"); err != nil {
		return err
	}
	if win.Max, err = requiredQueryInt64(r, "max_start_time"); err != nil {
		return err
	}
	if err := meeting.CheckWindow(win); err != nil {
		return err
	}
	ms, err := s.cfg.Store.ListMeetings(r.Context(), orgID(r), win)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, data(ms))
}
