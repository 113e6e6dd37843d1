package httpapi

import (
	"net/http"
	"slices"
	"strings"

	"github.com/driftwood-chat/driftwood/internal/auth"
	"github.com/driftwood-chat/driftwood/internal/events"
	"github.com/driftwood-chat/driftwood/internal/logkey"
	"github.com/driftwood-chat/driftwood/internal/scim"
)

// routes is the whole API surface in one place: every path and method of
// Drift's listing, the documented forms clients really send (reference §3.8),
// and Driftwood's own API. Each route names the scope it needs.
func (s *Server) routes() {
	handle := func(pattern string, scope auth.Scope, h handlerFunc) { s.register(pattern, scope, s.api(scope, h)) }
	noToken := func(pattern string, h http.Handler) { s.register(pattern, "", h) }
	// One reader of each org's log for every event stream of this process
	// (the org's, the inbox's, the visitors').
	s.hub = &events.Hub{Read: s.cfg.Store.SettledOrgEvents, Last: s.cfg.Store.LastEventID, Wake: s.cfg.Events, Poll: streamPoll,
		Topics: visitorTopics}

	// System: no token.
	noToken("GET /healthz", s.public(s.healthz))
	noToken("GET /readyz", s.public(s.readyz))
	noToken("GET /metrics", s.metrics.Handler())
	noToken("GET /openapi.yaml", s.public(s.openapi))
	noToken("GET /{$}", s.public(s.index))
	noToken("GET /docs", s.public(s.docs))

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
	// Legacy tags (drift-python), kept in the "tags" attribute.
	handle("GET /contacts/{id}/tags", auth.ContactRead, s.listContactTags)
	handle("POST /contacts/{id}/tags", auth.ContactWrite, s.addContactTags)
	handle("DELETE /contacts/{id}/tags/{name}", auth.ContactWrite, s.removeContactTag)
	handle("POST /contacts/{id}/tags/delete/_bulk", auth.ContactWrite, s.removeContactTags)

	// Users, meetings, teams (reference §3.2).
	handle("GET /users/list", auth.UserRead, s.listUsers)
	handle("GET /users", auth.UserRead, s.listUsers)
	handle("GET /users/{id}", auth.UserRead, s.getUser)
	handle("PATCH /users/update", auth.UserWrite, s.updateUser)
	handle("GET /users/meetings/org", auth.UserRead, s.listMeetings)
	handle("GET /teams/org", auth.UserRead, s.listTeams)
	handle("GET /teams/users/{id}", auth.UserRead, s.listUserTeams)

	// Conversations and messages (reference §3.3).
	handle("POST /conversations/new", auth.ConversationWrite, s.createConversation)
	handle("GET /conversations", auth.ConversationRead, s.listConversations)
	handle("GET /conversations/list", auth.ConversationRead, s.listConversations)
	handle("GET /conversations/stats", auth.ConversationRead, s.conversationStats)
	handle("GET /conversations/{id}", auth.ConversationRead, s.getConversation)
	handle("GET /conversations/{id}/messages", auth.ConversationRead, s.listMessages)
	handle("POST /conversations/{id}/messages", auth.ConversationWrite, s.postMessage)
	handle("GET /conversations/{id}/transcript", auth.ConversationRead, s.transcript)
	handle("GET /conversations/{id}/json_transcript", auth.ConversationRead, s.jsonTranscript)
	handle("GET /attachments/{id}/data", auth.ConversationRead, s.attachmentData)
	// Drift's conversation reporting API (real, outside the seed listing).
	handle("POST /reports/conversations", auth.ConversationRead, s.conversationReport)
	handle("POST /reports/conversation-summary", auth.ConversationRead, s.conversationSummary)
	// Driftwood's own: an agent's status change (Drift's REST API has none),
	// and what a website visitor does, through the widget's code path.
	handle("PATCH /driftwood/v1/conversations/{id}", auth.Admin, s.setConversationStatus)
	handle("POST /driftwood/v1/conversations/{id}/push", auth.Admin, s.pushConversation)
	handle("POST /driftwood/v1/simulate/conversations", auth.Admin, s.simulateConversation)
	handle("POST /driftwood/v1/simulate/conversations/{id}/messages", auth.Admin, s.simulateMessage)

	// Accounts (reference §3.4).
	handle("POST /accounts/create", auth.AccountWrite, s.createAccount)
	handle("GET /accounts", auth.AccountRead, s.listAccounts)
	handle("GET /accounts/{id}", auth.AccountRead, s.getAccount)
	handle("DELETE /accounts/{id}", auth.AccountWrite, s.deleteAccount)
	handle("PATCH /accounts/update", auth.AccountWrite, s.updateAccount)

	// Playbooks (reference §3.5).
	handle("GET /playbooks/list", auth.PlaybookRead, s.listPlaybooks)
	handle("GET /playbooks/clp", auth.PlaybookRead, s.listLandingPages)

	// Driftwood admin: directory objects Drift only reads, reset and seed.
	handle("POST /driftwood/v1/users", auth.Admin, s.adminCreateUser)
	handle("POST /driftwood/v1/teams", auth.Admin, s.adminCreateTeam)
	handle("PATCH /driftwood/v1/teams/{id}", auth.Admin, s.adminUpdateTeam)
	handle("DELETE /driftwood/v1/teams/{id}", auth.Admin, s.adminDeleteTeam)
	handle("POST /driftwood/v1/playbooks", auth.Admin, s.adminCreatePlaybook)
	handle("PATCH /driftwood/v1/playbooks/{id}", auth.Admin, s.adminUpdatePlaybook)
	handle("GET /driftwood/v1/playbooks", auth.Admin, s.adminListPlaybooks)
	handle("GET /driftwood/v1/playbooks/{id}", auth.Admin, s.adminGetPlaybook)
	handle("DELETE /driftwood/v1/playbooks/{id}", auth.Admin, s.adminDeletePlaybook)
	handle("POST /driftwood/v1/playbooks/{id}/test", auth.Admin, s.adminTestPlaybook)
	handle("GET /driftwood/v1/routing", auth.Admin, s.getRouting)
	handle("PATCH /driftwood/v1/routing", auth.Admin, s.patchRouting)
	handle("POST /driftwood/v1/meetings", auth.Admin, s.adminBookMeeting)
	handle("POST /driftwood/v1/meetings/{eventId}/reschedule", auth.Admin, s.adminRescheduleMeeting)
	handle("POST /driftwood/v1/meetings/{eventId}/cancel", auth.Admin, s.adminCancelMeeting)
	handle("POST /driftwood/v1/reset", auth.Admin, s.adminReset)
	handle("POST /driftwood/v1/seed", auth.Admin, s.adminSeed)

	// App admin (reference §8). token_info carries its token in the body.
	noToken("POST /app/token_info", s.public(s.tokenInfo))
	noToken("POST /app/uninstall", s.public(s.uninstallApp))

	// GDPR (reference §9).
	handle("POST /gdpr/retrieve", auth.GDPRRead, s.gdprRetrieve)
	handle("POST /gdpr/delete", auth.GDPRWrite, s.gdprDelete)
	handle("GET /driftwood/v1/gdpr/requests", auth.Admin, s.listGDPRRequests)
	handle("GET /driftwood/v1/gdpr/requests/{id}", auth.Admin, s.getGDPRRequest)

	// SCIM 2.0 (reference §10), at /scim and /scim/v2, with the seed's id-less
	// forms. Errors on these paths answer in SCIM's schema (see writeError).
	for _, base := range []string{"/scim", "/scim/v2"} {
		handle("GET "+base+"/Users", auth.Admin, s.listSCIMUsers)
		handle("GET "+base+"/Users/{$}", auth.Admin, s.listSCIMUsers)
		handle("POST "+base+"/Users", auth.Admin, s.createSCIMUser)
		handle("PUT "+base+"/Users", auth.Admin, s.replaceSCIMUser)
		handle("DELETE "+base+"/Users", auth.Admin, s.deleteSCIMUser)
		handle("GET "+base+"/Users/{id}", auth.Admin, s.getSCIMUser)
		handle("PUT "+base+"/Users/{id}", auth.Admin, s.replaceSCIMUser)
		handle("PATCH "+base+"/Users/{id}", auth.Admin, s.patchSCIMUser)
		handle("DELETE "+base+"/Users/{id}", auth.Admin, s.deleteSCIMUser)
		handle("GET "+base+"/Groups", auth.Admin, s.scimGroups)
		handle("GET "+base+"/Groups/{$}", auth.Admin, s.scimGroups)
		handle("POST "+base+"/Groups", auth.Admin, s.createSCIMGroup)
		handle("GET "+base+"/Groups/{id}", auth.Admin, s.scimGroup)
		handle("PUT "+base+"/Groups/{id}", auth.Admin, s.replaceSCIMGroup)
		handle("PATCH "+base+"/Groups/{id}", auth.Admin, s.patchSCIMGroup)
		handle("DELETE "+base+"/Groups/{id}", auth.Admin, s.deleteSCIMGroup)
		handle("GET "+base+"/ServiceProviderConfig", auth.Admin, s.scimServiceProviderConfig)
		handle("GET "+base+"/serviceConfiguration", auth.Admin, s.scimServiceProviderConfig) // Microsoft's old name
		handle("GET "+base+"/Schemas", auth.Admin, s.scimSchemas)
		handle("GET "+base+"/Schemas/{id}", auth.Admin, s.scimDocument(scim.Schemas))
		handle("GET "+base+"/ResourceTypes", auth.Admin, s.scimResourceTypes)
		handle("GET "+base+"/ResourceTypes/{id}", auth.Admin, s.scimDocument(scim.ResourceTypes))
	}

	// Driftwood's own API: apps and their webhook deliveries (docs/design.md).
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
	handle("GET /driftwood/v1/events/stream", auth.Admin, s.streamEvents)

	// OAuth 2.0 (reference §2): no bearer token.
	// The consent form posts back to /oauth2/authorize, with the admin token
	// of the consenting org (docs/design.md, "Installing an app by script").
	noToken("GET /oauth2/authorize", s.public(s.authorize))
	noToken("GET /authorize", s.public(s.authorize))
	noToken("POST /oauth2/authorize", s.public(s.consent))
	noToken("POST /oauth2/token", s.public(s.token))
	noToken("POST /oauth2/revoke", s.public(s.revoke))
	handle("GET /driftwood/v1/audit", auth.Admin, s.listAudit)

	s.widgetRoutes(handle, noToken)
	s.inboxRoutes(handle, noToken)
	s.chatExtrasRoutes(handle, noToken)
}

// chatExtrasRoutes are meetings booked in the chat and the visitor's email
// replies (issue 19: meetings in chat, offline access by email).
func (s *Server) chatExtrasRoutes(handle func(string, auth.Scope, handlerFunc), noToken func(string, http.Handler)) {
	handle("GET /driftwood/v1/users/{id}/availability", auth.Admin, s.getAvailability)
	handle("PUT /driftwood/v1/users/{id}/availability", auth.Admin, s.putAvailability)
	noToken("GET /widget/v1/{embedId}/meetings/slots", s.widgetRoute(true, s.visitorSlots))
	noToken("POST /widget/v1/{embedId}/meetings", s.widgetRoute(true, s.visitorBook))
	noToken("POST /widget/v1/{embedId}/resume", s.widgetRoute(true, s.visitorResume))
	s.register("POST /driftwood/v1/inbound-email", auth.ConversationWrite, basicAsBearer(s.api(auth.ConversationWrite, s.inboundEmail)))
}

// widgetRoutes are the website widget's (design.md, "The live-chat
// product"): its settings, with an admin token; the loader, the chat
// pages and assets, and the visitor endpoints, with no API token (the
// visitor endpoints take a visitor session).
func (s *Server) widgetRoutes(handle func(string, auth.Scope, handlerFunc), noToken func(string, http.Handler)) {
	handle("GET /driftwood/v1/widget", auth.Admin, s.getWidget)
	handle("PATCH /driftwood/v1/widget", auth.Admin, s.patchWidget)
	handle("POST /driftwood/v1/conversations/{id}/typing", auth.Admin, s.agentTyping)

	noToken("GET /include/{bucket}/{file}", s.public(s.widgetLoader))
	noToken("GET /widget.js", s.public(s.widgetScript))
	noToken("GET /widget/assets/{file}", s.public(s.widgetAsset))
	noToken("GET /widget/frame/{embedId}", s.public(s.widgetFrame))
	noToken("GET /widget/demo/{embedId}", s.public(s.widgetDemo))
	noToken("GET /chat/{embedId}", s.public(s.widgetChat))

	noToken("POST /widget/v1/{embedId}/sessions", s.widgetRoute(false, s.createVisitorSession))
	noToken("GET /widget/v1/{embedId}/conversation", s.widgetRoute(true, s.visitorState))
	noToken("POST /widget/v1/{embedId}/messages", s.widgetRoute(true, s.visitorPost))
	noToken("POST /widget/v1/{embedId}/identify", s.widgetRoute(true, s.visitorIdentify))
	noToken("POST /widget/v1/{embedId}/email", s.widgetRoute(true, s.visitorEmail))
	noToken("POST /widget/v1/{embedId}/playbook", s.widgetRoute(true, s.visitorPlaybook))
	noToken("POST /widget/v1/{embedId}/read", s.widgetRoute(true, s.visitorRead))
	noToken("POST /widget/v1/{embedId}/typing", s.widgetRoute(true, s.visitorTyping))
	noToken("GET /widget/v1/{embedId}/attachments/{id}", s.widgetRoute(true, s.visitorAttachment))
	noToken("GET /widget/v1/{embedId}/stream", s.widgetRoute(true, s.visitorStream))
}

// Route is one registered pattern and the scope it needs ("" for none).
type Route struct {
	Method string
	Path   string // the ServeMux pattern's path, with its {wildcards}
	Scope  auth.Scope
}

// Routes lists every registered route in registration order, so that tests
// can probe the real surface rather than a copy of it.
func (s *Server) Routes() []Route { return slices.Clone(s.routeList) }

// register adds a route to the mux and to Routes.
func (s *Server) register(pattern string, scope auth.Scope, h http.Handler) {
	s.mux.Handle(pattern, h)
	method, path, _ := strings.Cut(pattern, " ")
	s.routeList = append(s.routeList, Route{Method: method, Path: path, Scope: scope})
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) error {
	return writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// retryUnavailable is the Retry-After, in seconds, of a 503 for a database
// that takes no writes now: soon enough to find it back, not so soon as to
// hammer it.
const retryUnavailable = "5"

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) error {
	if err := s.cfg.Store.Ready(r.Context()); err != nil {
		s.log.Warn("not ready", logkey.Err, err)
		w.Header().Set("Retry-After", retryUnavailable)
		return writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable"})
	}
	return writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) openapi(w http.ResponseWriter, r *http.Request) error {
	doc, err := s.cfg.OpenAPI()
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/yaml")
	_, err = w.Write(doc)
	return err
}
