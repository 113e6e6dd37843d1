package httpapi

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/driftwood-chat/driftwood/internal/apperr"
	"github.com/driftwood-chat/driftwood/internal/contact"
	"github.com/driftwood-chat/driftwood/internal/conversation"
	"github.com/driftwood-chat/driftwood/internal/pagetoken"
)

// MaxUploadBytes caps a multipart request: its files, up to their own limit,
// and the message beside them.
const MaxUploadBytes = conversation.MaxAttachmentBytes + MaxBodyBytes

// Page sizes of conversation lists (docs/design.md) and message pages (Drift's 50).
const (
	conversationsDefault = 25
	conversationsMax     = 100
	messagesPage         = 50
)

// startBody is POST /conversations/new.
type startBody struct {
	Email   string `json:"email"`
	Message struct {
		Body       string         `json:"body"`
		Attributes map[string]any `json:"attributes"`
	} `json:"message"`
}

// startAnswer is the conversation at the top level and under data, as the
// clients of POST /conversations/new read it (docs/design.md).
type startAnswer struct {
	*conversation.Conversation
	Data *conversation.Conversation `json:"data"`
}

func (s *Server) createConversation(w http.ResponseWriter, r *http.Request) error {
	var body startBody
	if err := decodeJSON(r, &body); err != nil {
		return err
	}
	assignee, err := autoAssignee(body.Message.Attributes)
	if err != nil {
		return err
	}
	c, _, err := s.cfg.Store.StartConversation(r.Context(), orgID(r), conversation.Start{
		Email: body.Email, Body: body.Message.Body, Attributes: body.Message.Attributes, PublicURL: s.cfg.PublicURL,
		AssigneeID: assignee,
	})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, startAnswer{c, c})
}

// autoAssignee reads message.attributes.autoAssigneeId: a user id as a
// number or numeric string; absent, null or 0 is none.
func autoAssignee(attrs map[string]any) (int64, error) {
	v, ok := attrs["autoAssigneeId"]
	if !ok || v == nil || scalarString(v) == "0" {
		return 0, nil
	}
	return parseID(conversation.AutoAssigneeParam, scalarString(v))
}

func (s *Server) getConversation(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	c, err := s.cfg.Store.GetConversation(r.Context(), orgID(r), id)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, data(c))
}

// listConversations serves GET /conversations/list and its alias: newest
// update first, with both of Drift's paging styles. The cursor arrives as
// page_token (links.next) or next (pagination.next); both carry the same
// signed token.
func (s *Server) listConversations(w http.ResponseWriter, r *http.Request) error {
	limit, err := queryInt(r, "limit", conversationsDefault, 1, conversationsMax)
	if err != nil {
		return err
	}
	statuses, err := statusFilter(r.URL.Query()["statusId"])
	if err != nil {
		return err
	}
	q := conversation.ListQuery{Statuses: statuses, Limit: limit}
	purpose := fmt.Sprintf("conversations/%d/%v", orgID(r), statuses)
	if q.After, err = pageCursor[conversation.Cursor](s.cfg.Pages, purpose, r); err != nil {
		return err
	}
	cs, err := s.cfg.Store.ListConversations(r.Context(), orgID(r), q)
	if err != nil {
		return err
	}
	links := map[string]string{"self": s.cfg.PublicURL + r.URL.RequestURI()}
	pagination := map[string]any{"more": len(cs) > limit}
	if len(cs) > limit {
		cs = cs[:limit]
		last := cs[limit-1]
		tok, err := s.cfg.Pages.Encode(purpose, conversation.Cursor{UpdatedAt: last.UpdatedAt, ID: last.ID})
		if err != nil {
			return err
		}
		next := r.URL.Query()
		next.Del("next")
		next.Set("page_token", tok)
		links["next"] = s.cfg.PublicURL + r.URL.Path + "?" + next.Encode()
		pagination["next"] = tok
	}
	if cs == nil {
		cs = []*conversation.Conversation{}
	}
	return writeJSON(w, http.StatusOK, map[string]any{"data": cs, "links": links, "pagination": pagination})
}

// statusFilter reads statusId values (repeatable, or comma-separated) as
// 1/2/3 or OPEN/CLOSED/PENDING in any case, sorted and without duplicates.
func statusFilter(values []string) ([]conversation.Status, error) {
	var out []conversation.Status
	for _, v := range values {
		for _, f := range strings.Split(v, ",") {
			st, ok := conversation.ParseStatus(f)
			if !ok {
				return nil, apperr.Invalidf("statusId", "statusId must be 1, 2, 3 or OPEN, CLOSED, PENDING; got %q", f)
			}
			if !slices.Contains(out, st) {
				out = append(out, st)
			}
		}
	}
	slices.Sort(out)
	return out, nil
}

// pageCursor decodes the page token of the request (page_token, or the
// older next), nil on a first page. A forged, altered, foreign or expired
// token is a 400.
func pageCursor[T any](pages *pagetoken.Codec, purpose string, r *http.Request) (*T, error) {
	q := r.URL.Query()
	param := "page_token"
	tok := q.Get(param)
	if tok == "" {
		param, tok = "next", q.Get("next")
	}
	if tok == "" {
		return nil, nil
	}
	var pos T
	switch err := pages.Decode(purpose, tok, &pos); {
	case errors.Is(err, pagetoken.ErrExpired):
		return nil, apperr.Invalidf(param, "%s has expired; start again from the first page", param)
	case err != nil:
		return nil, apperr.Invalidf(param, "%s is not a token this list issued", param)
	}
	return &pos, nil
}

func (s *Server) conversationStats(w http.ResponseWriter, r *http.Request) error {
	st, err := s.cfg.Store.ConversationStats(r.Context(), orgID(r))
	if err != nil {
		return err
	}
	counts := map[string]int{}
	for _, status := range conversation.Statuses {
		counts[strings.ToUpper(string(status))] = st[status]
	}
	// Drift's clients read the counts both under data and at the top level.
	return writeJSON(w, http.StatusOK, map[string]any{"data": map[string]any{"conversationCount": counts}, "conversationCount": counts})
}

// messagesCursor is the position of a messages page: after this message id.
type messagesCursor struct {
	After int64 `json:"a"`
}

// listMessages serves a conversation's messages, oldest first, 50 a page.
func (s *Server) listMessages(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	purpose := fmt.Sprintf("messages/%d/%d", orgID(r), id)
	cur, err := pageCursor[messagesCursor](s.cfg.Pages, purpose, r)
	if err != nil {
		return err
	}
	var after int64
	if cur != nil {
		after = cur.After
	}
	ms, err := s.cfg.Store.ListMessages(r.Context(), orgID(r), id, after, messagesPage+1)
	if err != nil {
		return err
	}
	pagination := map[string]any{"more": len(ms) > messagesPage}
	if len(ms) > messagesPage {
		ms = ms[:messagesPage]
		tok, err := s.cfg.Pages.Encode(purpose, messagesCursor{After: ms[messagesPage-1].ID})
		if err != nil {
			return err
		}
		pagination["next"] = tok
	}
	for _, m := range ms {
		m.SetURLs(s.cfg.PublicURL)
	}
	return writeJSON(w, http.StatusOK, map[string]any{"data": map[string]any{"messages": ms}, "pagination": pagination})
}

// messageBody is POST /conversations/{id}/messages. Ids arrive as numbers or
// numeric strings; clients also send orgId, which the token already says.
type messageBody struct {
	Type            string                `json:"type"`
	Body            string                `json:"body"`
	Buttons         []conversation.Button `json:"buttons"`
	UserID          any                   `json:"userId"`
	EditedMessageID any                   `json:"editedMessageId"`
	EditType        string                `json:"editType"`
	Attributes      map[string]any        `json:"attributes"`
}

// postMessage posts as a user (userId) or as the org's bot. Files come as
// multipart/form-data: the JSON body in a "message" field, each file part an
// attachment.
func (s *Server) postMessage(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var body messageBody
	files, err := decodeMessage(r, &body)
	if err != nil {
		return err
	}
	p := conversation.Post{Type: conversation.Type(body.Type), Body: body.Body, Buttons: body.Buttons,
		EditType: conversation.EditType(body.EditType), Attributes: body.Attributes, Attachments: files, PublicURL: s.cfg.PublicURL}
	if p.UserID, err = optionalID("userId", body.UserID); err != nil {
		return err
	}
	if p.EditedMessageID, err = optionalID("editedMessageId", body.EditedMessageID); err != nil {
		return err
	}
	return s.post(w, r, id, p)
}

// post posts p and answers the message as Drift does.
func (s *Server) post(w http.ResponseWriter, r *http.Request, conversationID int64, p conversation.Post) error {
	m, err := s.cfg.Store.PostMessage(r.Context(), orgID(r), conversationID, p)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, data(map[string]any{"messages": []*conversation.Message{m}}))
}

// optionalID reads an id given as a JSON number or numeric string; absent
// or null is 0.
func optionalID(param string, v any) (int64, error) {
	if v == nil {
		return 0, nil
	}
	return parseID(param, scalarString(v))
}

// decodeMessage decodes a JSON body into v, or a multipart/form-data body
// whose "message" field is that JSON and whose file parts are attachments,
// their type sniffed from their bytes.
func decodeMessage(r *http.Request, v any) ([]conversation.NewAttachment, error) {
	if !isMultipart(r) {
		return nil, decodeJSON(r, v)
	}
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, apperr.New(apperr.BadRequest, "malformed multipart body: %v", err)
	}
	var files []conversation.NewAttachment
	total := 0
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			return files, nil
		}
		if err != nil {
			return nil, multipartError(err)
		}
		switch {
		case part.FileName() != "":
			b, err := io.ReadAll(io.LimitReader(part, int64(conversation.MaxAttachmentBytes-total+1)))
			if err != nil {
				return nil, multipartError(err)
			}
			if total += len(b); total > conversation.MaxAttachmentBytes {
				return nil, apperr.New(apperr.TooLarge, "attachments are larger than %d bytes together", conversation.MaxAttachmentBytes)
			}
			files = append(files, conversation.NewAttachment{FileName: part.FileName(), MimeType: http.DetectContentType(b), Data: b})
		case part.FormName() == "message":
			if err := decodeJSONFrom(io.LimitReader(part, MaxBodyBytes), v); err != nil {
				return nil, err
			}
		}
	}
}

func multipartError(err error) error {
	if errors.As(err, new(*http.MaxBytesError)) {
		return apperr.New(apperr.TooLarge, "request body is larger than %d bytes", MaxUploadBytes)
	}
	return apperr.New(apperr.BadRequest, "malformed multipart body: %v", err)
}

// isMultipart reports a multipart/form-data request (an upload).
func isMultipart(r *http.Request) bool {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return mt == "multipart/form-data"
}

// transcriptOf builds the conversation's transcript, naming the contact by
// name or email and users by name.
func (s *Server) transcriptOf(r *http.Request) (conversation.Transcript, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	ctx, org := r.Context(), orgID(r)
	c, err := s.cfg.Store.GetConversation(ctx, org, id)
	if err != nil {
		return nil, err
	}
	var msgs []*conversation.Message
	for after := int64(0); ; {
		page, err := s.cfg.Store.ListMessages(ctx, org, id, after, 1000)
		if err != nil {
			return nil, err
		}
		msgs = append(msgs, page...)
		if len(page) < 1000 {
			break
		}
		after = page[len(page)-1].ID
	}
	users, err := s.cfg.Store.ListUsers(ctx, org)
	if err != nil {
		return nil, err
	}
	names := map[int64]string{}
	for _, u := range users {
		names[u.ID] = u.Name
	}
	contactName := "Visitor" // the contact may have been deleted since
	if ct, err := s.cfg.Store.GetContact(ctx, org, c.ContactID); err == nil {
		contactName = displayName(ct)
	} else if !errors.Is(err, apperr.ErrNotFound) {
		return nil, err
	}
	return conversation.NewTranscript(msgs, func(a conversation.Author) string {
		if a.Type == conversation.AuthorContact {
			return contactName
		}
		return names[a.ID]
	}), nil
}

func displayName(c *contact.Contact) string {
	if n, _ := c.Attributes["name"].(string); strings.TrimSpace(n) != "" {
		return n
	}
	return c.Email()
}

// transcript serves the plain-text transcript. It is text/plain with
// nosniff, so the HTML a visitor sent is never rendered by a browser.
func (s *Server) transcript(w http.ResponseWriter, r *http.Request) error {
	t, err := s.transcriptOf(r)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	_, err = io.WriteString(w, t.Text())
	return err
}

// jsonTranscript serves the transcript as {"data": {"messages": […]}}, the
// shape Drift's clients read.
func (s *Server) jsonTranscript(w http.ResponseWriter, r *http.Request) error {
	t, err := s.transcriptOf(r)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, data(map[string]any{"messages": t}))
}

// attachmentData serves a file's bytes. It is always a download, sandboxed
// and not sniffed, so an uploaded HTML or SVG file cannot run script on
// Driftwood's origin.
func (s *Server) attachmentData(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	a, err := s.cfg.Store.GetAttachment(r.Context(), orgID(r), id)
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", a.MimeType)
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": a.FileName}))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	_, err = w.Write(a.Data)
	return err
}

// setConversationStatus serves PATCH /driftwood/v1/conversations/{id}
// {"status": "closed"}: an agent closing, reopening or pending a
// conversation, which Drift's REST API cannot do.
func (s *Server) setConversationStatus(w http.ResponseWriter, r *http.Request) error {
	c, err := s.changeStatus(r)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, data(c))
}

// changeStatus makes the status change r asks for: the conversation of the
// path's id, to the body's {"status"} (the admin API's and the inbox's).
func (s *Server) changeStatus(r *http.Request) (*conversation.Conversation, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return nil, err
	}
	var body struct {
		Status string `json:"status"`
	}
	if err := decodeJSON(r, &body); err != nil {
		return nil, err
	}
	st, ok := conversation.ParseStatus(body.Status)
	if !ok {
		return nil, apperr.Invalidf("status", "status must be open, closed or pending; got %q", body.Status)
	}
	return s.cfg.Store.SetConversationStatus(r.Context(), orgID(r), id, st)
}

// simulateConversation starts a conversation as a website visitor who gives
// their email: the widget's code path.
func (s *Server) simulateConversation(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		Email   string                `json:"email"`
		Body    string                `json:"body"`
		Context *conversation.Context `json:"context"`
	}
	files, err := decodeMessage(r, &body)
	if err != nil {
		return err
	}
	c, _, err := s.startVisitorConversation(r.Context(), orgID(r), nil, conversation.Start{
		Email: body.Email, Body: body.Body, Visitor: true, Attachments: files, PublicURL: s.cfg.PublicURL,
		Context: visitorContext(r, body.Context),
	})
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, data(c))
}

// simulateMessage posts as the conversation's contact: a chat message, or a
// click on a reply button ({"button": {"messageId", "value"}}).
func (s *Server) simulateMessage(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var body struct {
		Body   string `json:"body"`
		Button *struct {
			MessageID any    `json:"messageId"`
			Value     string `json:"value"`
		} `json:"button"`
		Context *conversation.Context `json:"context"`
	}
	files, err := decodeMessage(r, &body)
	if err != nil {
		return err
	}
	p := conversation.Post{Type: conversation.Chat, Body: body.Body, FromContact: true, Attachments: files, PublicURL: s.cfg.PublicURL,
		Context: visitorContext(r, body.Context)}
	if body.Button != nil {
		mid, err := parseID("button.messageId", scalarString(body.Button.MessageID))
		if err != nil {
			return err
		}
		p.Click = &conversation.Click{MessageID: mid, Value: body.Button.Value}
	}
	return s.post(w, r, id, p)
}

// visitorContext is the context of a visitor's message: the one the
// simulating caller gives, else the request's own address and browser.
func visitorContext(r *http.Request, given *conversation.Context) conversation.Context {
	if given != nil {
		return *given
	}
	var c conversation.Context
	if ip := clientIP(r); ip.IsValid() {
		c.IP = ip.String()
	}
	c.UserAgent = plainPrefix(r.UserAgent(), conversation.MaxUserAgent)
	return c
}

// plainPrefix is s as text every store keeps (see plainText), cut to at
// most n bytes on a character boundary.
func plainPrefix(s string, n int) string {
	s = strings.ToValidUTF8(strings.ReplaceAll(s, "\x00", ""), "")
	for len(s) > n {
		_, size := utf8.DecodeLastRuneInString(s)
		s = s[:len(s)-size]
	}
	return s
}
