package httpapi

import (
	"net/http"

	"github.com/driftwood-chat/driftwood/internal/auth"
)

// routes is the whole API surface in one place: every path and method of
// Drift's listing, the documented forms clients really send (reference §3.8),
// and Driftwood's own API. Each route names the scope it needs.
func (s *Server) routes() {
	handle := func(pattern string, scope auth.Scope, h handlerFunc) { s.mux.Handle(pattern, s.api(scope, h)) }

	// System: no token.
	s.mux.Handle("GET /healthz", s.public(s.healthz))
	s.mux.Handle("GET /readyz", s.public(s.readyz))
	s.mux.Handle("GET /metrics", s.metrics.Handler())
	s.mux.Handle("GET /openapi.yaml", s.public(s.openapi))

	// Contacts (reference §3.1).
	handle("POST /contacts", auth.ContactWrite, s.createContact)
	handle("GET /contacts", auth.ContactRead, s.listContacts)
	handle("GET /contacts/{$}", auth.ContactRead, s.listContacts)
	handle("GET /contacts/{id}", auth.ContactRead, s.getContact)
	handle("PATCH /contacts/{id}", auth.ContactWrite, s.updateContact)
	handle("DELETE /contacts/{id}", auth.ContactWrite, s.deleteContact)
	handle("POST /contacts/{id}", auth.ContactWrite, s.deleteContact) // the seed's form of delete
	handle("PATCH /contacts/normalize", auth.ContactWrite, s.normalizeContact)
	handle("POST /contacts/timeline", auth.ContactWrite, s.postTimelineEvent)
	handle("GET /contacts/attributes", auth.AllContactRead, s.listContactAttributes)
	handle("POST /emails/unsubscribe", auth.ContactWrite, s.unsubscribe)

	// Users, meetings, teams (reference §3.2).
	handle("GET /users/list", auth.UserRead, notImplemented)
	handle("GET /users", auth.UserRead, notImplemented)
	handle("GET /users/{id}", auth.UserRead, notImplemented)
	handle("PATCH /users/update", auth.UserWrite, notImplemented)
	handle("GET /users/meetings/org", auth.UserRead, notImplemented)
	handle("GET /teams/org", auth.UserRead, notImplemented)
	handle("GET /teams/users/{id}", auth.UserRead, notImplemented)

	// Conversations and messages (reference §3.3).
	handle("POST /conversations/new", auth.ConversationWrite, notImplemented)
	handle("GET /conversations", auth.ConversationRead, notImplemented)
	handle("GET /conversations/list", auth.ConversationRead, notImplemented)
	handle("GET /conversations/stats", auth.ConversationRead, notImplemented)
	handle("GET /conversations/{id}", auth.ConversationRead, notImplemented)
	handle("GET /conversations/{id}/messages", auth.ConversationRead, notImplemented)
	handle("POST /conversations/{id}/messages", auth.ConversationWrite, notImplemented)
	handle("GET /conversations/{id}/transcript", auth.ConversationRead, notImplemented)
	handle("GET /conversations/{id}/json_transcript", auth.ConversationRead, notImplemented)
	handle("GET /attachments/{id}/data", auth.ConversationRead, notImplemented)

	// Accounts (reference §3.4).
	handle("POST /accounts/create", auth.AccountWrite, notImplemented)
	handle("GET /accounts", auth.AccountRead, notImplemented)
	handle("GET /accounts/{id}", auth.AccountRead, notImplemented)
	handle("DELETE /accounts/{id}", auth.AccountWrite, notImplemented)
	handle("PATCH /accounts/update", auth.AccountWrite, notImplemented)

	// Playbooks (reference §3.5).
	handle("GET /playbooks/list", auth.PlaybookRead, notImplemented)
	handle("GET /playbooks/clp", auth.PlaybookRead, notImplemented)

	// App admin (reference §8). token_info carries its token in the body.
	s.mux.Handle("POST /app/token_info", s.public(notImplemented))
	s.mux.Handle("POST /app/uninstall", s.public(notImplemented))

	// GDPR (reference §9).
	handle("POST /gdpr/retrieve", auth.GDPRRead, notImplemented)
	handle("POST /gdpr/delete", auth.GDPRWrite, notImplemented)

	// SCIM 2.0 (reference §10), at /scim and /scim/v2, with the seed's id-less forms.
	for _, base := range []string{"/scim", "/scim/v2"} {
		handle("GET "+base+"/Users", auth.Admin, notImplemented)
		handle("POST "+base+"/Users", auth.Admin, notImplemented)
		handle("PUT "+base+"/Users", auth.Admin, notImplemented)
		handle("DELETE "+base+"/Users", auth.Admin, notImplemented)
		handle("GET "+base+"/Users/{id}", auth.Admin, notImplemented)
		handle("PUT "+base+"/Users/{id}", auth.Admin, notImplemented)
		handle("PATCH "+base+"/Users/{id}", auth.Admin, notImplemented)
		handle("DELETE "+base+"/Users/{id}", auth.Admin, notImplemented)
	}

	// Driftwood's own API: apps and their webhook deliveries (design.md).
	handle("POST /driftwood/v1/apps", auth.Admin, s.createApp)
	handle("GET /driftwood/v1/apps", auth.Admin, s.listApps)
	handle("GET /driftwood/v1/apps/{id}", auth.Admin, s.getApp)
	handle("PATCH /driftwood/v1/apps/{id}", auth.Admin, s.updateApp)
	handle("DELETE /driftwood/v1/apps/{id}", auth.Admin, s.deleteApp)
	handle("POST /driftwood/v1/apps/{id}/tokens", auth.Admin, s.installApp)
	handle("POST /driftwood/v1/apps/{id}/rotate", auth.Admin, s.rotateApp)
	handle("GET /driftwood/v1/deliveries", auth.Admin, s.listDeliveries)
	handle("GET /driftwood/v1/deliveries/{id}", auth.Admin, s.getDelivery)
	handle("POST /driftwood/v1/deliveries/{id}/retry", auth.Admin, s.retryDelivery)

	// OAuth 2.0 (reference §2): no bearer token.
	s.mux.Handle("GET /oauth2/authorize", s.public(notImplemented))
	s.mux.Handle("GET /authorize", s.public(notImplemented))
	s.mux.Handle("POST /oauth2/token", s.public(notImplemented))
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) error {
	return writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) error {
	if err := s.cfg.Store.Ping(r.Context()); err != nil {
		s.log.Warn("not ready", "err", err)
		return writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable"})
	}
	return writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) openapi(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "application/yaml")
	_, err := w.Write(s.cfg.OpenAPI)
	return err
}
