package httpapi

import (
	"net/http"

	"github.com/driftwood-chat/driftwood/internal/apperr"
	"github.com/driftwood-chat/driftwood/internal/user"
)

// The inbox's Playbooks view: the admin API's playbook routes
// (admin_playbooks.go, admin_directory.go) under /inbox/api/playbooks for
// signed-in admins, with the same handlers, so the same store writes,
// validation (errors naming the field, as definition.steps[2].next) and
// events.
func (s *Server) inboxPlaybookRoutes(noToken func(string, http.Handler)) {
	admin := func(h handlerFunc) http.Handler { return s.agentRoute(false, adminSession(h)) }
	noToken("GET /inbox/api/playbooks", admin(s.adminListPlaybooks))
	noToken("POST /inbox/api/playbooks", admin(s.adminCreatePlaybook))
	noToken("GET /inbox/api/playbooks/{id}", admin(s.adminGetPlaybook))
	noToken("PATCH /inbox/api/playbooks/{id}", admin(s.adminUpdatePlaybook))
	noToken("DELETE /inbox/api/playbooks/{id}", admin(s.adminDeletePlaybook))
	noToken("POST /inbox/api/playbooks/{id}/test", admin(s.adminTestPlaybook))
}

// adminSession refuses an inbox request of a user who is not an admin, with
// 403: admins change the org's settings, agents answer.
func adminSession(h handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if sessionOf(r).User.Role != user.RoleAdmin {
			return apperr.New(apperr.Forbidden, "only an admin may see and change the org's playbooks")
		}
		return h(w, r)
	}
}
