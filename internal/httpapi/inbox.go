package httpapi

import (
	"encoding/base64"
	"encoding/json"
	"html"
	"html/template"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/driftwood-chat/driftwood/internal/apperr"
	"github.com/driftwood-chat/driftwood/internal/auth"
	"github.com/driftwood-chat/driftwood/internal/contact"
	"github.com/driftwood-chat/driftwood/internal/conversation"
	"github.com/driftwood-chat/driftwood/internal/user"
	webinbox "github.com/driftwood-chat/driftwood/web/inbox"
)

// inboxRoutes are the agent inbox's (design.md, "The live-chat product"):
// sign-in pages, the inbox page and its assets, and the inbox's own JSON
// API and event stream, which take the session cookie, never a bearer
// token. Inbox writes go through the same store methods as the REST API,
// so they fire the same events.
func (s *Server) inboxRoutes(handle func(string, auth.Scope, handlerFunc), noToken func(string, http.Handler)) {
	handle("POST /driftwood/v1/users/{id}/invite", auth.Admin, s.inviteUser)
	handle("GET /driftwood/v1/canned-replies", auth.Admin, s.listCanned)
	handle("POST /driftwood/v1/canned-replies", auth.Admin, s.createCanned)
	handle("PATCH /driftwood/v1/canned-replies/{id}", auth.Admin, s.updateCanned)
	handle("DELETE /driftwood/v1/canned-replies/{id}", auth.Admin, s.deleteCanned)

	noToken("GET /invite/{token}", s.public(s.invitePage))
	noToken("POST /invite/{token}", s.public(s.acceptInvite))
	noToken("GET /login", s.public(s.loginPage))
	noToken("POST /login", s.public(s.login))
	noToken("GET /inbox/assets/{file}", s.public(s.inboxAsset))
	noToken("GET /inbox", s.agentRoute(true, s.inboxPage))
	noToken("POST /logout", s.agentRoute(true, s.logout))

	noToken("GET /inbox/api/conversations", s.agentRoute(false, s.inboxList))
	noToken("GET /inbox/api/conversations/{id}", s.agentRoute(false, s.inboxConversation))
	noToken("POST /inbox/api/conversations/{id}/messages", s.agentRoute(false, s.inboxPost))
	noToken("POST /inbox/api/conversations/{id}/assign", s.agentRoute(false, s.inboxAssign))
	noToken("POST /inbox/api/conversations/{id}/status", s.agentRoute(false, s.inboxStatus))
	noToken("GET /inbox/api/attachments/{id}", s.agentRoute(false, s.inboxAttachment))
	noToken("POST /inbox/api/availability", s.agentRoute(false, s.inboxAvailability))
	noToken("GET /inbox/api/canned-replies", s.agentRoute(false, s.listCanned))
	noToken("POST /inbox/api/canned-replies", s.agentRoute(false, s.createCanned))
	noToken("GET /inbox/api/events", s.agentRoute(false, s.inboxEvents))
	noToken("GET /inbox/api/search", s.agentRoute(false, s.inboxSearch))
	noToken("GET /inbox/api/awaiting", s.agentRoute(false, s.inboxAwaiting))
	noToken("GET /inbox/api/contacts/{id}", s.agentRoute(false, s.inboxContact))
	noToken("PATCH /inbox/api/contacts/{id}", s.agentRoute(false, s.updateContact))
	noToken("POST /inbox/api/conversations/{id}/typing", s.agentRoute(false, s.inboxTyping))
	noToken("POST /inbox/api/conversations/{id}/read", s.agentRoute(false, s.inboxMarkRead))
	noToken("GET /inbox/api/unread", s.agentRoute(false, s.inboxUnread))
	s.inboxPlaybookRoutes(noToken)
}

// inboxAsset serves GET /inbox/assets/{file}: the inbox's script and
// styles under content-hashed names, cached for a year.
func (s *Server) inboxAsset(w http.ResponseWriter, r *http.Request) error {
	a := webinbox.ByHashedName(r.PathValue("file"))
	if a == nil {
		return apperr.NotFoundf("no inbox asset %q", r.PathValue("file"))
	}
	return serveAsset(w, r, a.Type, "public, max-age=31536000, immutable", a.Raw, a.Gzip)
}

// inboxUser is a user as the inbox shows it.
type inboxUser struct {
	ID           int64  `json:"id"`
	Name         string `json:"name"`
	Email        string `json:"email,omitempty"`
	Role         string `json:"role"`
	Availability string `json:"availability"`
	Bot          bool   `json:"bot"`
}

func toInboxUser(u *user.User) inboxUser {
	return inboxUser{ID: u.ID, Name: u.Name, Email: u.Email, Role: u.Role, Availability: u.Availability, Bot: u.Bot}
}

// inboxPageData is the data of inbox.html; Boot is read by inbox.js.
type inboxPageData struct {
	Me      inboxUser
	CSRF    string
	Admin   bool
	JS, CSS string
	Boot    template.JS
}

// inboxPage serves GET /inbox: the page, whose script then loads the
// conversations and follows the org's events.
func (s *Server) inboxPage(w http.ResponseWriter, r *http.Request) error {
	sess := sessionOf(r)
	users, err := s.cfg.Store.ListUsers(r.Context(), orgID(r))
	if err != nil {
		return err
	}
	list := make([]inboxUser, 0, len(users))
	for _, u := range users {
		list = append(list, toInboxUser(u))
	}
	teams, err := s.myTeams(r)
	if err != nil {
		return err
	}
	boot, err := json.Marshal(map[string]any{"me": toInboxUser(sess.User), "users": list, "csrf": sess.CSRF, "teams": teams})
	if err != nil {
		return err
	}
	// The JSON sits in a <script type="application/json">: "<" escaped so
	// that no text can close the element.
	boot = []byte(strings.ReplaceAll(string(boot), "<", `\u003c`))
	return renderPage(w, http.StatusOK, "inbox.html", inboxPageData{Me: toInboxUser(sess.User), CSRF: sess.CSRF,
		Admin: sess.User.Role == user.RoleAdmin, JS: "/inbox/assets/" + webinbox.Get("inbox.js").HashedName(),
		CSS: "/inbox/assets/" + webinbox.Get("inbox.css").HashedName(), Boot: template.JS(boot)})
}

// inboxSummary is one line of the inbox's list.
type inboxSummary struct {
	ID           int64               `json:"id"`
	Status       conversation.Status `json:"status"`
	AssigneeID   int64               `json:"assigneeId"`
	Participants []int64             `json:"participants"`
	ContactID    int64               `json:"contactId"`
	ContactName  string              `json:"contactName"`
	ContactEmail string              `json:"contactEmail"`
	Preview      string              `json:"preview"`
	Awaiting     bool                `json:"awaitingReply"` // the last chat message is the contact's
	Unread       int                 `json:"unread"`        // messages the signed-in agent has not read
	UpdatedAt    int64               `json:"updatedAt"`
	CreatedAt    int64               `json:"createdAt"`
	Tags         []conversation.Tag  `json:"tags"`
}

const inboxPage = 50

// inboxList serves GET /inbox/api/conversations?view=mine|unassigned|all
// |team (with team=ID: assigned to a member of one of the org's teams)
// &status=open|pending|closed (repeated or comma-separated; none: every
// status)&cursor=: a page of the org's conversations, the most recent
// activity first.
func (s *Server) inboxList(w http.ResponseWriter, r *http.Request) error {
	q := conversation.InboxQuery{View: r.URL.Query().Get("view"), UserID: sessionOf(r).User.ID, Limit: inboxPage}
	if q.View == "" {
		q.View = conversation.ViewAll
	}
	if !slices.Contains([]string{conversation.ViewMine, conversation.ViewUnassigned, conversation.ViewAll, conversation.ViewTeam}, q.View) {
		return apperr.Invalidf("view", "view must be mine, unassigned, all or team; got %q", q.View)
	}
	if q.View == conversation.ViewTeam {
		id, err := parseID("team", r.URL.Query().Get("team"))
		if err != nil {
			return err
		}
		if err := s.teamOfOrg(r, id); err != nil {
			return err
		}
		q.TeamID = id
	}
	for _, v := range r.URL.Query()["status"] {
		for _, part := range strings.Split(v, ",") {
			if part == "" {
				continue
			}
			st, ok := conversation.ParseStatus(part)
			if !ok {
				return apperr.Invalidf("status", "status must be open, pending or closed; got %q", part)
			}
			q.Statuses = append(q.Statuses, st)
		}
	}
	if c := r.URL.Query().Get("cursor"); c != "" {
		b, err := base64.RawURLEncoding.DecodeString(c)
		var cur conversation.Cursor
		if err != nil || json.Unmarshal(b, &cur) != nil {
			return apperr.Invalidf("cursor", "cursor is not one this list gave")
		}
		q.After = &cur
	}
	rows, err := s.cfg.Store.InboxConversations(r.Context(), orgID(r), q)
	if err != nil {
		return err
	}
	next := ""
	if len(rows) > q.Limit {
		rows = rows[:q.Limit]
		last := rows[len(rows)-1]
		b, _ := json.Marshal(conversation.Cursor{UpdatedAt: last.UpdatedAt, ID: last.ID})
		next = base64.RawURLEncoding.EncodeToString(b)
	}
	unread, err := s.unreadOf(r, rows)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"data": toInboxSummaries(rows, unread), "next": next})
}

func toInboxSummaries(rows []conversation.Summary, unread map[int64]int) []inboxSummary {
	out := make([]inboxSummary, 0, len(rows))
	for _, row := range rows {
		name, email := contactNames(row.Contact)
		out = append(out, inboxSummary{ID: row.ID, Status: row.Status, AssigneeID: row.AssigneeID, Participants: row.Participants,
			ContactID: row.ContactID, ContactName: name, ContactEmail: email, Preview: truncate(conversation.DisplayText(row.LastBody), 140),
			Awaiting: row.LastAuthor == conversation.AuthorContact, UpdatedAt: row.UpdatedAt, CreatedAt: row.CreatedAt, Tags: row.ConversationTags, Unread: unread[row.ID]})
	}
	return out
}

// contactNames reads a contact's name and email from its attributes.
func contactNames(attrs map[string]any) (name, email string) {
	name, _ = attrs["name"].(string)
	email, _ = attrs[contact.AttrEmail].(string)
	return name, email
}

func truncate(s string, n int) string {
	r := []rune(strings.Join(strings.Fields(s), " "))
	if len(r) <= n {
		return string(r)
	}
	return string(r[:n-1]) + "…"
}

// inboxMessage is a message as the inbox shows it: its body as text.
type inboxMessage struct {
	*conversation.Message
	Text string `json:"text"`
}

// maxTranscript is how many messages a conversation's view loads.
const maxTranscript = 1000

// inboxConversation serves GET /inbox/api/conversations/{id}: the
// conversation, its contact and its transcript.
func (s *Server) inboxConversation(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	c, err := s.cfg.Store.GetConversation(r.Context(), orgID(r), id)
	if err != nil {
		return err
	}
	ct, err := s.cfg.Store.GetContact(r.Context(), orgID(r), c.ContactID)
	if err != nil {
		return err
	}
	msgs, err := s.cfg.Store.ListMessages(r.Context(), orgID(r), id, 0, maxTranscript)
	if err != nil {
		return err
	}
	out := make([]inboxMessage, 0, len(msgs))
	for _, m := range msgs {
		out = append(out, toInboxMessage(m))
	}
	name, email := contactNames(ct.Attributes)
	return writeJSON(w, http.StatusOK, map[string]any{"data": map[string]any{
		"id": c.ID, "status": c.Status, "assigneeId": c.AssigneeID, "participants": c.Participants,
		"createdAt": c.CreatedAt, "updatedAt": c.UpdatedAt, "tags": c.ConversationTags,
		"contact":  map[string]any{"id": ct.ID, "name": name, "email": email, "attributes": ct.Attributes},
		"messages": out,
	}})
}

// inboxPost serves POST /inbox/api/conversations/{id}/messages {body,
// type: chat|private_note}: the signed-in agent's message, through the
// REST API's write (new_message, author a user). With files it is
// multipart/form-data: the JSON in a "message" field, and the files.
func (s *Server) inboxPost(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var body struct {
		Body string `json:"body"`
		Type string `json:"type"`
	}
	files, err := decodeMessage(r, &body)
	if err != nil {
		return err
	}
	typ := conversation.Type(body.Type)
	if typ == "" {
		typ = conversation.Chat
	}
	if typ != conversation.Chat && typ != conversation.PrivateNote {
		return apperr.Invalidf("type", "type must be chat or private_note; got %q", body.Type)
	}
	if strings.TrimSpace(body.Body) == "" && len(files) == 0 {
		return apperr.Invalidf("body", "the message is empty")
	}
	// The agent typed text: it is escaped into the HTML body Drift carries.
	// Files follow the REST API's rules (conversation.Post.Validate).
	p := conversation.Post{Type: typ, Body: textToHTML(body.Body), UserID: sessionOf(r).User.ID, PublicURL: s.cfg.PublicURL,
		Attachments: files}
	m, err := s.cfg.Store.PostMessage(r.Context(), orgID(r), id, p)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, data(toInboxMessage(m)))
}

// toInboxMessage is m with its text, its files under the inbox's URLs.
func toInboxMessage(m *conversation.Message) inboxMessage {
	for i := range m.Attachments {
		m.Attachments[i].URL = "/inbox/api/attachments/" + strconv.FormatInt(m.Attachments[i].ID, 10)
	}
	return inboxMessage{Message: m, Text: conversation.DisplayText(m.Body)}
}

// textToHTML turns typed text into a message body: escaped, with its line
// breaks kept.
func textToHTML(s string) string {
	return strings.ReplaceAll(html.EscapeString(strings.TrimSpace(s)), "\n", "<br>")
}

// inboxAssign serves POST /inbox/api/conversations/{id}/assign {userId}
// (0 or null: unassign).
func (s *Server) inboxAssign(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var body struct {
		UserID any `json:"userId"`
	}
	if err := decodeJSON(r, &body); err != nil {
		return err
	}
	uid := int64(0)
	if body.UserID != nil && scalarString(body.UserID) != "0" {
		if uid, err = optionalID("userId", body.UserID); err != nil {
			return err
		}
	}
	c, err := s.cfg.Store.AssignConversation(r.Context(), orgID(r), id, uid)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, data(map[string]any{"id": c.ID, "assigneeId": c.AssigneeID, "participants": c.Participants}))
}

// inboxStatus serves POST /inbox/api/conversations/{id}/status {status}:
// close, reopen, mark pending (conversation_status_updated).
func (s *Server) inboxStatus(w http.ResponseWriter, r *http.Request) error {
	c, err := s.changeStatus(r)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, data(map[string]any{"id": c.ID, "status": c.Status}))
}

// inboxAttachment serves GET /inbox/api/attachments/{id}: a file of a
// message, to the org's agents.
func (s *Server) inboxAttachment(w http.ResponseWriter, r *http.Request) error {
	return s.attachmentData(w, r)
}

// inboxAvailability serves POST /inbox/api/availability {availability:
// AVAILABLE|OFFLINE}: the agent's Available / Away switch
// (user_availability_updated).
func (s *Server) inboxAvailability(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		Availability string `json:"availability"`
	}
	if err := decodeJSON(r, &body); err != nil {
		return err
	}
	if body.Availability != user.Available && body.Availability != user.Offline {
		return apperr.Invalidf("availability", "availability must be AVAILABLE or OFFLINE; got %q", body.Availability)
	}
	u, err := s.cfg.Store.UpdateUser(r.Context(), orgID(r), sessionOf(r).User.ID, user.Patch{Availability: &body.Availability})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, data(toInboxUser(u)))
}

// inboxEvents serves GET /inbox/api/events: the org's event stream (see
// streamEvents) for the signed-in agent. A browser's EventSource sends
// Last-Event-ID itself when it reconnects; a new one made after it gave up
// passes the last id it saw as ?lastEventId=.
func (s *Server) inboxEvents(w http.ResponseWriter, r *http.Request) error {
	if v := r.URL.Query().Get("lastEventId"); v != "" && r.Header.Get("Last-Event-ID") == "" {
		r.Header.Set("Last-Event-ID", v)
	}
	return s.streamEvents(w, r)
}
