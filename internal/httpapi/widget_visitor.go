package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"html"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/driftwood-chat/driftwood/internal/apperr"
	"github.com/driftwood-chat/driftwood/internal/conversation"
	"github.com/driftwood-chat/driftwood/internal/secrets"
	"github.com/driftwood-chat/driftwood/internal/user"
	"github.com/driftwood-chat/driftwood/internal/visitor"
	"github.com/driftwood-chat/driftwood/internal/widget"
)

// visit is one request to a widget endpoint: the org of its embed id, the
// org's settings, and the visitor's session when the endpoint needs one.
type visit struct {
	org      int64
	settings *widget.Settings
	sealed   string // the sealed identity secret
	session  *visitor.Session
}

type visitorHandler func(w http.ResponseWriter, r *http.Request, v *visit) error

// Visitor rate limits, per client IP and per session, when the API's rate
// limit is on: a page's widget makes a handful of requests a minute, a
// busy office behind one address a few hundred.
const (
	visitorIPRate      = 20
	visitorIPBurst     = 100
	visitorSessionRate = 5
	visitorBurst       = 30
	maxVisitorLimiters = 100_000 // the maps are dropped whole beyond this
)

// visitorLimits holds the rate limiters of widget clients.
type visitorLimits struct {
	mu sync.Mutex
	m  map[string]*rate.Limiter
}

func (l *visitorLimits) allow(key string, r rate.Limit, burst int) bool {
	l.mu.Lock()
	if l.m == nil || len(l.m) > maxVisitorLimiters {
		l.m = map[string]*rate.Limiter{}
	}
	lim, ok := l.m[key]
	if !ok {
		lim = rate.NewLimiter(r, burst)
		l.m[key] = lim
	}
	l.mu.Unlock()
	return lim.Allow()
}

// widgetRoute wraps a widget endpoint: the embed id names the org; the
// request's Origin, when it has one, must be Driftwood's own or one the
// widget allows (CORS); requests are rate limited per IP and per session;
// needSession endpoints take the visitor's session token as a bearer token.
// No API token is ever accepted here.
func (s *Server) widgetRoute(needSession bool, h visitorHandler) http.Handler {
	return s.public(func(w http.ResponseWriter, r *http.Request) error {
		if err := checkURLText(r); err != nil {
			return err
		}
		limited := s.cfg.RateLimit > 0
		if limited && !s.visitors.allow("ip "+clientIP(r).String(), visitorIPRate, visitorIPBurst) {
			return apperr.New(apperr.RateLimited, "too many widget requests from this address; retry after the time in Retry-After")
		}
		org, err := s.orgOfEmbed(r.PathValue("embedId"))
		if err != nil {
			return err
		}
		v := &visit{org: org}
		if v.settings, v.sealed, err = s.widgetSettings(r.Context(), org); err != nil {
			return err
		}
		if origin := r.Header.Get("Origin"); origin != "" {
			if !s.sameOrigin(r, origin) && !v.settings.Allows(origin, s.cfg.PublicURL) {
				return apperr.New(apperr.Forbidden, "the origin %q may not use this widget; add it to the widget's allowedOrigins", origin)
			}
			w.Header().Set("Access-Control-Allow-Origin", origin)
			w.Header().Add("Vary", "Origin")
		}
		if needSession {
			if v.session, err = s.visitorSession(r, org); err != nil {
				return err
			}
			if limited && !s.visitors.allow("session "+strconv.FormatInt(v.session.ID, 10), visitorSessionRate, visitorBurst) {
				return apperr.New(apperr.RateLimited, "too many requests from this visitor; retry after the time in Retry-After")
			}
		}
		return h(w, r, v)
	})
}

// sameOrigin reports a request from a page of Driftwood itself (the chat
// frame, the full-page chat, the demo page).
func (s *Server) sameOrigin(r *http.Request, origin string) bool {
	o, ok := widget.NormalizeOrigin(origin)
	if !ok {
		return false
	}
	if own, ok := widget.NormalizeOrigin(s.cfg.PublicURL); ok && own == o {
		return true
	}
	return o == "http://"+strings.ToLower(r.Host) || o == "https://"+strings.ToLower(r.Host)
}

// errVisitorToken is the one answer for a session token that is missing,
// forged, unknown or of another widget.
var errVisitorToken = apperr.New(apperr.Unauthenticated, "the visitor session token is missing or invalid; start a session first")

func (s *Server) visitorSession(r *http.Request, org int64) (*visitor.Session, error) {
	scheme, token, ok := strings.Cut(strings.TrimSpace(r.Header.Get("Authorization")), " ")
	token = strings.TrimSpace(token)
	if !ok || !strings.EqualFold(scheme, "bearer") || !strings.HasPrefix(token, visitor.TokenPrefix) || len(token) > 100 {
		return nil, errVisitorToken
	}
	sess, err := s.cfg.Store.VisitorSession(r.Context(), s.cfg.Tokens.Key.Hash(token))
	if errors.Is(err, apperr.ErrNotFound) || (err == nil && sess.OrgID != org) {
		return nil, errVisitorToken
	}
	if err != nil || s.cfg.VisitorSessionTTL <= 0 {
		return sess, err
	}
	now := time.Now().UnixMilli()
	idle := time.Duration(now-max(sess.LastUsedAt, sess.CreatedAt)) * time.Millisecond
	if idle > s.cfg.VisitorSessionTTL {
		// Expired: the widget starts a new session. The expired ones go
		// now (a bounded batch), not only at the next sweep.
		if _, err := s.cfg.Store.DeleteIdleVisitorSessions(r.Context(), now-s.cfg.VisitorSessionTTL.Milliseconds(), 1000); err != nil {
			return nil, err
		}
		return nil, errVisitorToken
	}
	if idle > sessionTouchEvery(s.cfg.VisitorSessionTTL) {
		if err := s.cfg.Store.TouchVisitorSession(r.Context(), sess.ID, now); err != nil {
			return nil, err
		}
	}
	return sess, nil
}

// sessionTouchEvery is how stale a session's last use may be before a
// request records it again: a write per request would cost every page view
// a transaction; an hour (a hundredth of a short TTL) is exact enough.
func sessionTouchEvery(ttl time.Duration) time.Duration { return min(time.Hour, ttl/100) }

// sweepIdleSessions deletes sessions idle past the TTL, a bounded batch at
// most once a minute per process, when a new session is made.
func (s *Server) sweepIdleSessions(ctx context.Context) error {
	now := time.Now()
	last := s.sessionsSwept.Load()
	if s.cfg.VisitorSessionTTL <= 0 || now.UnixMilli()-last < time.Minute.Milliseconds() || !s.sessionsSwept.CompareAndSwap(last, now.UnixMilli()) {
		return nil
	}
	_, err := s.cfg.Store.DeleteIdleVisitorSessions(ctx, now.Add(-s.cfg.VisitorSessionTTL).UnixMilli(), 1000)
	return err
}

// createVisitorSession serves POST /widget/v1/{embedId}/sessions: a new
// session whose token the widget keeps (shown once, stored hashed).
func (s *Server) createVisitorSession(w http.ResponseWriter, r *http.Request, v *visit) error {
	if s.cfg.RateLimit > 0 && !s.visitors.allow("new "+clientIP(r).String(), 1, 20) {
		return apperr.New(apperr.RateLimited, "too many new visitor sessions from this address; retry after the time in Retry-After")
	}
	if b, err := io.ReadAll(r.Body); err != nil {
		return apperr.New(apperr.TooLarge, "request body is larger than %d bytes", MaxBodyBytes)
	} else if len(bytes.TrimSpace(b)) > 0 { // an optional {} for now: nothing to set yet
		var body struct{}
		if err := requireJSON(r); err != nil {
			return err
		}
		if err := decodeJSONFrom(bytes.NewReader(b), &body); err != nil {
			return err
		}
	}
	raw := secrets.RandomToken(visitor.TokenPrefix)
	if err := s.sweepIdleSessions(r.Context()); err != nil {
		return err
	}
	sess, err := s.cfg.Store.CreateVisitorSession(r.Context(), v.org, s.cfg.Tokens.Key.Hash(raw))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, data(map[string]any{"token": raw, "visitorId": sess.ID}))
}

// visitorAuthor is a message's author as the widget shows it.
type visitorAuthor struct {
	Type      string `json:"type"`
	ID        int64  `json:"id"`
	Bot       bool   `json:"bot"`
	Name      string `json:"name,omitempty"`
	AvatarURL string `json:"avatarUrl,omitempty"`
}

// visitorMessage is a message as the widget gets it: plain text (rendered
// as text, never as HTML), reply buttons, file names; private messages are
// never sent.
type visitorMessage struct {
	ID              int64                 `json:"id"`
	ConversationID  int64                 `json:"conversationId"`
	Type            conversation.Type     `json:"type"`
	Text            string                `json:"text"`
	Author          visitorAuthor         `json:"author"`
	CreatedAt       int64                 `json:"createdAt"`
	Buttons         []conversation.Button `json:"buttons,omitempty"`
	Attachments     []visitorAttachment   `json:"attachments,omitempty"`
	EditedMessageID int64                 `json:"editedMessageId,omitempty"`
	EditType        conversation.EditType `json:"editType,omitempty"`
	Meeting         *visitorMeeting       `json:"meeting,omitempty"` // the bot offers these free slots
}

type visitorAttachment struct {
	ID       int64  `json:"id"`
	FileName string `json:"fileName"`
	MimeType string `json:"mimeType"`
}

// visitorView turns m into what the widget shows; ok is false for what a
// visitor never sees.
func visitorView(m *conversation.Message, users map[int64]*user.User) (visitorMessage, bool) {
	if m.Type != conversation.Chat && m.Type != conversation.Edit {
		return visitorMessage{}, false
	}
	vm := visitorMessage{ID: m.ID, ConversationID: m.ConversationID, Type: m.Type, Text: conversation.DisplayText(m.Body),
		Author: visitorAuthor{Type: m.Author.Type, ID: m.Author.ID, Bot: m.Author.Bot}, CreatedAt: m.CreatedAt,
		EditedMessageID: m.EditedMessageID, EditType: m.EditType}
	if u := users[m.Author.ID]; u != nil && m.Author.Type == conversation.AuthorUser {
		vm.Author.Name, vm.Author.AvatarURL = u.Alias, u.AvatarURL
		if vm.Author.Name == "" {
			vm.Author.Name = u.Name
		}
	}
	for _, b := range m.Buttons {
		if b.Type == conversation.ButtonReply {
			vm.Buttons = append(vm.Buttons, conversation.Button{Label: b.Label, Value: b.Value, Type: b.Type})
		}
	}
	vm.Meeting = meetingOffer(m)
	for _, a := range m.Attachments {
		vm.Attachments = append(vm.Attachments, visitorAttachment{ID: a.ID, FileName: a.FileName, MimeType: a.MimeType})
	}
	return vm, true
}

func (s *Server) usersByID(ctx context.Context, org int64) (map[int64]*user.User, error) {
	us, err := s.cfg.Store.ListUsers(ctx, org)
	if err != nil {
		return nil, err
	}
	out := make(map[int64]*user.User, len(us))
	for _, u := range us {
		out[u.ID] = u
	}
	return out, nil
}

// visitorMessageLimit is how many of the conversation's latest messages the
// widget loads.
const visitorMessageLimit = 500

// visitorState serves GET /widget/v1/{embedId}/conversation: what the
// widget shows when it opens — the visitor's latest conversation with its
// messages, whether the widget is online, and the event id from which its
// stream goes on (taken before the messages are read, so nothing falls
// between them; the widget drops what it already has by message id).
func (s *Server) visitorState(w http.ResponseWriter, r *http.Request, v *visit) error {
	ctx := r.Context()
	lastEvent, err := s.cfg.Store.LastEventID(ctx, v.org)
	if err != nil {
		return err
	}
	online, teams, users, err := s.availability(ctx, v.org, v.settings)
	if err != nil {
		return err
	}
	byID := map[int64]*user.User{}
	agents := []visitorAuthor{}
	for _, u := range users {
		byID[u.ID] = u
		if !u.Bot && u.Availability == user.Available && len(agents) < 3 {
			agents = append(agents, visitorAuthor{Type: conversation.AuthorUser, ID: u.ID, Name: cmpOr(u.Alias, u.Name), AvatarURL: u.AvatarURL})
		}
	}
	out := map[string]any{"conversation": nil, "messages": []visitorMessage{}, "lastEventId": strconv.FormatInt(lastEvent, 10),
		"isOnline": online, "teamAvailability": teams, "agents": agents, "contactId": v.session.ContactID, "verified": v.session.Verified}
	convs, err := s.cfg.Store.VisitorConversations(ctx, v.session, 1)
	if err != nil {
		return err
	}
	if len(convs) > 0 {
		c := convs[0]
		vc := map[string]any{"id": c.ID, "status": c.Status, "createdAt": c.CreatedAt}
		if c.Status == conversation.Open && c.AssigneeID == 0 {
			// Read after lastEventId: a move after that the stream tells.
			places, err := s.cfg.Store.VisitorQueuePositions(ctx, v.session)
			if err != nil {
				return err
			}
			if n := places[c.ID]; n > 0 {
				vc["queuePosition"] = n
			}
		}
		out["conversation"] = vc
		var msgs []visitorMessage
		for after := int64(0); len(msgs) < visitorMessageLimit; {
			page, err := s.cfg.Store.ListMessages(ctx, v.org, c.ID, after, 100)
			if err != nil {
				return err
			}
			for _, m := range page {
				after = m.ID
				if vm, ok := visitorView(m, byID); ok {
					msgs = append(msgs, vm)
				}
			}
			if len(page) < 100 {
				break
			}
		}
		if msgs != nil {
			out["messages"] = msgs
		}
	}
	return writeJSON(w, http.StatusOK, data(out))
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// Visitor attachments: at most this size in all, and only these types (as
// sniffed from the bytes): pictures, PDFs and plain text.
const maxVisitorAttachmentBytes = 5 << 20

var visitorAttachmentTypes = []string{"image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf", "text/plain"}

// visitorPost serves POST /widget/v1/{embedId}/messages: the visitor's
// message (or click on a reply button) in the conversation they name, or,
// without conversationId, in a new conversation.
func (s *Server) visitorPost(w http.ResponseWriter, r *http.Request, v *visit) error {
	var body struct {
		Body           string `json:"body"`
		ConversationID any    `json:"conversationId"`
		Email          string `json:"email"`
		Button         *struct {
			MessageID any    `json:"messageId"`
			Value     string `json:"value"`
		} `json:"button"`
	}
	files, err := decodeMessage(r, &body)
	if err != nil {
		return err
	}
	if err := checkVisitorFiles(files); err != nil {
		return err
	}
	if len(body.Body) > 20_000 {
		return apperr.Invalidf("body", "body must be at most 20000 bytes")
	}
	ctx := r.Context()
	text := html.EscapeString(body.Body) // the visitor writes text; a message body is HTML
	vc := conversation.Context{IP: clientIP(r).String(), UserAgent: r.UserAgent()}
	if len(vc.UserAgent) > 512 {
		vc.UserAgent = vc.UserAgent[:512]
	}
	if body.ConversationID == nil || body.ConversationID == "" {
		if body.Button != nil {
			return apperr.Invalidf("conversationId", "a button click names its conversation")
		}
		c, m, err := s.startVisitorConversation(ctx, v.org, v.session, conversation.Start{Email: body.Email, Body: text,
			Visitor: body.Email != "", Attachments: files, PublicURL: s.cfg.PublicURL, Context: vc, Country: s.visitorCountry(r)})
		if err != nil {
			return err
		}
		return s.answerVisitorPost(w, r, v, c, m, true)
	}
	cid, err := parseID("conversationId", scalarString(body.ConversationID))
	if err != nil {
		return err
	}
	p := conversation.Post{Type: conversation.Chat, Body: text, FromContact: true, Attachments: files, PublicURL: s.cfg.PublicURL, Context: vc}
	if body.Button != nil {
		mid, err := parseID("button.messageId", scalarString(body.Button.MessageID))
		if err != nil {
			return err
		}
		p.Click = &conversation.Click{MessageID: mid, Value: body.Button.Value}
	}
	m, err := s.cfg.Store.PostVisitorMessage(ctx, v.session, cid, p)
	if err != nil {
		return err
	}
	return s.answerVisitorPost(w, r, v, nil, m, false)
}

// startVisitorConversation is the one way a visitor's conversation starts:
// the widget, and POST /driftwood/v1/simulate/conversations (without a
// session), fire the same events through it.
func (s *Server) startVisitorConversation(ctx context.Context, org int64, sess *visitor.Session, start conversation.Start) (*conversation.Conversation, *conversation.Message, error) {
	return s.cfg.Store.StartVisitorConversation(ctx, org, sess, start)
}

func (s *Server) answerVisitorPost(w http.ResponseWriter, r *http.Request, v *visit, c *conversation.Conversation, m *conversation.Message, started bool) error {
	vm, _ := visitorView(m, nil)
	out := map[string]any{"message": vm, "started": started}
	if c != nil {
		out["conversation"] = map[string]any{"id": c.ID, "status": c.Status, "createdAt": c.CreatedAt, "inboxId": c.InboxID}
	}
	return writeJSON(w, http.StatusOK, data(out))
}

func checkVisitorFiles(files []conversation.NewAttachment) error {
	total := 0
	for _, f := range files {
		total += len(f.Data)
		mt, _, _ := strings.Cut(f.MimeType, ";")
		if !slices.Contains(visitorAttachmentTypes, mt) {
			return apperr.New(apperr.UnsupportedMedia, "%q is a %s file; the widget takes pictures, PDFs and text files", f.FileName, mt)
		}
	}
	if total > maxVisitorAttachmentBytes {
		return apperr.New(apperr.TooLarge, "attachments are larger than %d bytes together", maxVisitorAttachmentBytes)
	}
	return nil
}

// visitorIdentify serves POST /widget/v1/{embedId}/identify, the widget's
// side of drift.identify(externalId, attributes, {userJwt}). The identity
// mode decides: DISABLED applies it unverified; ENABLED verifies a userJwt
// and otherwise applies it unverified (the anonymous visitor); REQUIRED
// applies only verified identities and ignores the rest. Unverified, it
// only ever changes the visitor's own contact.
func (s *Server) visitorIdentify(w http.ResponseWriter, r *http.Request, v *visit) error {
	var body struct {
		ExternalID any            `json:"externalId"`
		Attributes map[string]any `json:"attributes"`
		UserJWT    string         `json:"userJwt"`
	}
	if err := decodeJSON(r, &body); err != nil {
		return err
	}
	ext := scalarString(body.ExternalID)
	if len(ext) > 256 {
		return apperr.Invalidf("externalId", "externalId must be at most 256 bytes")
	}
	if len(body.Attributes) > 100 {
		return apperr.Invalidf("attributes", "at most 100 attributes")
	}
	id := visitor.Identify{ExternalID: ext, Attributes: body.Attributes}
	if email, ok := body.Attributes["email"].(string); ok {
		id.Email = email
	}
	mode := v.settings.IdentityMode
	if mode != widget.IdentityDisabled && body.UserJWT != "" {
		secret, err := s.cfg.Tokens.Key.Open(v.sealed)
		if err == nil {
			if ident, err := widget.VerifyIdentity(body.UserJWT, secret, time.Now()); err == nil && (ext == "" || ext == ident.ExternalID) {
				id.Verified, id.ExternalID = true, ident.ExternalID
				if ident.Email != "" {
					id.Email = ident.Email
				}
			}
		}
	}
	if mode == widget.IdentityRequired && !id.Verified {
		return writeJSON(w, http.StatusOK, data(map[string]any{"applied": false, "verified": false}))
	}
	if !id.Verified && mode == widget.IdentityEnabled {
		// An invalid or missing signature: the visitor stays anonymous;
		// their attributes may go on their own contact, never a name.
		id.ExternalID, id.Email = "", ""
	}
	if !id.Verified && len(id.Attributes) == 0 && id.ExternalID == "" && id.Email == "" {
		return writeJSON(w, http.StatusOK, data(map[string]any{"applied": false, "verified": false}))
	}
	if err := s.cfg.Store.IdentifyVisitor(r.Context(), v.session, id); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, data(map[string]any{"applied": true, "verified": id.Verified, "contactId": v.session.ContactID}))
}

// visitorEmail serves POST /widget/v1/{embedId}/email: the email capture.
func (s *Server) visitorEmail(w http.ResponseWriter, r *http.Request, v *visit) error {
	var body struct {
		Email string `json:"email"`
	}
	if err := decodeJSON(r, &body); err != nil {
		return err
	}
	identified, err := s.cfg.Store.CaptureVisitorEmail(r.Context(), v.session, body.Email)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, data(map[string]any{"identified": identified}))
}

// visitorRead serves POST /widget/v1/{embedId}/read {conversationId,
// messageId}: the visitor has seen the conversation up to that message.
func (s *Server) visitorRead(w http.ResponseWriter, r *http.Request, v *visit) error {
	var body struct {
		ConversationID any `json:"conversationId"`
		MessageID      any `json:"messageId"`
	}
	if err := decodeJSON(r, &body); err != nil {
		return err
	}
	cid, err := s.visitorConversation(r, v, body.ConversationID)
	if err != nil {
		return err
	}
	mid, err := parseID("messageId", scalarString(body.MessageID))
	if err != nil {
		return err
	}
	if err := s.cfg.Store.MarkVisitorRead(r.Context(), v.session, visitor.Read{ConversationID: cid, MessageID: mid}); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"ok": true})
}

// visitorConversation reads the conversationId of a visitor's request: a
// conversation the session sees, any other being a 404 like a missing one.
func (s *Server) visitorConversation(r *http.Request, v *visit, raw any) (int64, error) {
	cid, err := parseID("conversationId", scalarString(raw))
	if err != nil {
		return 0, err
	}
	ok, err := s.cfg.Store.VisitorSees(r.Context(), v.session, cid)
	if err != nil {
		return 0, err
	}
	if !ok {
		return 0, apperr.NotFoundf("no conversation with id %d", cid)
	}
	return cid, nil
}

// visitorTyping serves POST /widget/v1/{embedId}/typing {conversationId}:
// the visitor is writing (a conversation_typing event for the inbox).
func (s *Server) visitorTyping(w http.ResponseWriter, r *http.Request, v *visit) error {
	var body struct {
		ConversationID any `json:"conversationId"`
	}
	if err := decodeJSON(r, &body); err != nil {
		return err
	}
	cid, err := s.visitorConversation(r, v, body.ConversationID)
	if err != nil {
		return err
	}
	if v.session.ContactID == 0 {
		return apperr.NotFoundf("no conversation with id %d", cid)
	}
	author := conversation.Author{Type: conversation.AuthorContact, ID: v.session.ContactID}
	if err := s.cfg.Store.RecordTyping(r.Context(), v.org, cid, author); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"ok": true})
}

// agentTyping serves POST /driftwood/v1/conversations/{id}/typing
// {userId}: an agent is writing; the visitor's widget shows it.
func (s *Server) agentTyping(w http.ResponseWriter, r *http.Request) error {
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
	uid, err := parseID("userId", scalarString(body.UserID))
	if err != nil {
		return err
	}
	if err := s.cfg.Store.RecordTyping(r.Context(), orgID(r), id, conversation.Author{Type: conversation.AuthorUser, ID: uid}); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"ok": true})
}

// visitorAttachment serves GET /widget/v1/{embedId}/attachments/{id}: a
// file of a conversation the visitor sees, as a download (never rendered
// in Driftwood's origin).
func (s *Server) visitorAttachment(w http.ResponseWriter, r *http.Request, v *visit) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	a, err := s.cfg.Store.VisitorAttachment(r.Context(), v.session, id)
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", a.MimeType)
	h.Set("Content-Disposition", `attachment; filename="`+strings.NewReplacer(`"`, "", "\\", "", "\r", "", "\n", "").Replace(a.FileName)+`"`)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "sandbox")
	h.Set("Cache-Control", "private, max-age=3600")
	_, err = w.Write(a.Data)
	return err
}

// decodeEvent reads an outbox event's data into v.
func decodeEvent(b []byte, v any) bool { return json.Unmarshal(b, v) == nil }
