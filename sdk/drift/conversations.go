package drift

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
)

// Conversation is a chat between a contact and the org (Drift's
// conversation model).
type Conversation struct {
	ID                int64      `json:"id"`
	OrgID             int64      `json:"orgId"`
	Participants      []int64    `json:"participants"` // user ids
	Status            string     `json:"status"`       // open, closed, pending (lowercase); may be absent
	ContactID         int64      `json:"contactId"`
	InboxID           int64      `json:"inboxId"`
	CreatedAt         int64      `json:"createdAt"`
	UpdatedAt         int64      `json:"updatedAt"`
	RelatedPlaybookID FlexibleID `json:"relatedPlaybookId,omitempty"`
	ConversationTags  []Tag      `json:"conversationTags,omitempty"`
}

// Conversation statuses as conversation objects carry them.
const (
	StatusOpen    = "open"
	StatusClosed  = "closed"
	StatusPending = "pending"
)

// Tag is a conversation tag, or a (legacy) contact tag.
type Tag struct {
	Color string `json:"color"` // hex
	Name  string `json:"name"`
}

// StatusID selects conversations by status in ListConversations.
type StatusID int

// Status ids of the statusId filter.
const (
	StatusIDOpen    StatusID = 1
	StatusIDClosed  StatusID = 2
	StatusIDPending StatusID = 3
)

// NewConversation starts a conversation with a contact.
type NewConversation struct {
	// Email finds the contact (the first created with it) or creates one.
	Email   string             `json:"email"`
	Message NewConversationMsg `json:"message"`
}

// NewConversationMsg is the first message of a new conversation.
type NewConversationMsg struct {
	Body       string         `json:"body"` // HTML
	Attributes map[string]any `json:"attributes,omitempty"`
}

// CreateConversation starts a conversation as the org.
func (c *Client) CreateConversation(ctx context.Context, nc NewConversation) (*Conversation, error) {
	// Drift answers the bare conversation; Driftwood also repeats it under
	// "data", which some clients read.
	var out struct {
		Conversation
		Data *Conversation `json:"data"`
	}
	if err := c.Do(ctx, http.MethodPost, "/conversations/new", nc, &out); err != nil {
		return nil, err
	}
	if out.Data != nil {
		return out.Data, nil
	}
	return &out.Conversation, nil
}

// GetConversation returns conversation id.
func (c *Client) GetConversation(ctx context.Context, id int64) (*Conversation, error) {
	return getData[*Conversation](ctx, c, "/conversations/"+pathID(id), nil)
}

// ConversationListOptions filters and pages ListConversations.
type ConversationListOptions struct {
	Limit    int        // page size; 0: the server's default (25), at most 100
	Statuses []StatusID // none: every status
	// PageToken continues a list in the newer style (links.next); Next
	// continues it in the older style (pagination.next). Set at most one.
	PageToken string
	Next      string
}

func (o ConversationListOptions) query() url.Values {
	q := url.Values{}
	if o.Limit > 0 {
		q.Set("limit", strconv.Itoa(o.Limit))
	}
	for _, s := range o.Statuses {
		q.Add("statusId", strconv.Itoa(int(s)))
	}
	if o.PageToken != "" {
		q.Set("page_token", o.PageToken)
	}
	if o.Next != "" {
		q.Set("next", o.Next)
	}
	return q
}

// ConversationPage is one page of conversations, most recently updated
// first, in both of Drift's paging styles.
type ConversationPage struct {
	Data       []Conversation `json:"data"`
	Links      Links          `json:"links"`
	Pagination Pagination     `json:"pagination"`
}

// Links is the newer paging style: absolute URLs of this and the next page.
type Links struct {
	Self string `json:"self,omitempty"`
	Next string `json:"next,omitempty"`
}

// Pagination is the older paging style: whether there is more, and the
// cursor of the next page.
type Pagination struct {
	More bool   `json:"more"`
	Next string `json:"next,omitempty"`
}

// NextPageToken returns the page_token of the next page, from links.next,
// or else the pagination.next cursor; "" on the last page.
func (p *ConversationPage) NextPageToken() string {
	if u, err := url.Parse(p.Links.Next); err == nil && p.Links.Next != "" {
		if t := u.Query().Get("page_token"); t != "" {
			return t
		}
	}
	if p.Pagination.More {
		return p.Pagination.Next
	}
	return ""
}

// ListConversations returns one page of conversations.
func (c *Client) ListConversations(ctx context.Context, opts ConversationListOptions) (*ConversationPage, error) {
	var p ConversationPage
	if err := c.get(ctx, "/conversations/list", opts.query(), &p); err != nil {
		return nil, err
	}
	return &p, nil
}

// Conversations iterates over every conversation that opts selects, page
// after page (opts' page token, if any, is where it starts).
func (c *Client) Conversations(ctx context.Context, opts ConversationListOptions) iter.Seq2[Conversation, error] {
	return paginate(func(cursor string) ([]Conversation, string, error) {
		if cursor != "" {
			opts.PageToken, opts.Next = cursor, ""
		}
		p, err := c.ListConversations(ctx, opts)
		if err != nil {
			return nil, "", err
		}
		return p.Data, p.NextPageToken(), nil
	})
}

// ConversationStats counts the org's conversations by status.
type ConversationStats struct {
	// ConversationCount maps OPEN, CLOSED and PENDING to their counts.
	ConversationCount map[string]int `json:"conversationCount"`
}

// GetConversationStats counts the org's conversations by status. The
// counts come under data and, on newer servers, at the top level as well;
// either is read.
func (c *Client) GetConversationStats(ctx context.Context) (*ConversationStats, error) {
	var out struct {
		Data              *ConversationStats `json:"data"`
		ConversationCount map[string]int     `json:"conversationCount"`
	}
	if err := c.get(ctx, "/conversations/stats", nil, &out); err != nil {
		return nil, err
	}
	if out.Data == nil || out.Data.ConversationCount == nil {
		return &ConversationStats{ConversationCount: out.ConversationCount}, nil
	}
	return out.Data, nil
}

// Message is a message of a conversation (Drift's message model).
type Message struct {
	ID              int64           `json:"id"`
	OrgID           int64           `json:"orgId"`
	ConversationID  int64           `json:"conversationId"`
	Body            string          `json:"body"` // HTML
	Author          Author          `json:"author"`
	Type            string          `json:"type"` // chat, private_note, private_prompt, edit
	CreatedAt       int64           `json:"createdAt"`
	Buttons         []Button        `json:"buttons,omitempty"`
	Context         *MessageContext `json:"context,omitempty"`
	Attributes      map[string]any  `json:"attributes,omitempty"`
	EditedMessageID int64           `json:"editedMessageId,omitempty"`
	EditType        string          `json:"editType,omitempty"`
	Attachments     []Attachment    `json:"attachments,omitempty"`
	// EndUserID is the conversation's contact, in new_message webhooks.
	EndUserID int64 `json:"endUserId,omitempty"`
}

// Message types.
const (
	MessageChat          = "chat"
	MessagePrivateNote   = "private_note"
	MessagePrivatePrompt = "private_prompt"
	MessageEdit          = "edit"
)

// Edit types of an edit message.
const (
	EditDelete         = "delete"
	EditReplace        = "replace"
	EditReplaceBody    = "replace_body"
	EditReplaceButtons = "replace_buttons"
)

// Author is who wrote a message.
type Author struct {
	ID   int64  `json:"id"`
	Type string `json:"type"` // contact or user
	Bot  bool   `json:"bot"`
}

// Author types.
const (
	AuthorContact = "contact"
	AuthorUser    = "user"
)

// Button is a message button. In chat messages a reply button's value must
// equal its label; compose and action buttons (with Style and Reaction)
// belong in private prompts.
type Button struct {
	Label    string    `json:"label"`
	Value    string    `json:"value"`
	Type     string    `json:"type"`            // reply, compose, action
	Style    string    `json:"style,omitempty"` // primary or danger
	Reaction *Reaction `json:"reaction,omitempty"`
}

// Button types.
const (
	ButtonReply   = "reply"
	ButtonCompose = "compose"
	ButtonAction  = "action"
)

// Reaction is what happens to a private prompt when a button is clicked.
type Reaction struct {
	Type    string `json:"type"` // replace or delete
	Message string `json:"message,omitempty"`
}

// MessageContext is where a contact's message came from. Driftwood always
// sends it, empty when nothing is known, and fills IP and UserAgent.
type MessageContext struct {
	IP        string    `json:"ip,omitempty"`
	UserAgent string    `json:"userAgent,omitempty"`
	Title     string    `json:"title,omitempty"`
	Referrer  string    `json:"referrer,omitempty"`
	Timezone  string    `json:"timezone,omitempty"`
	Locale    string    `json:"locale,omitempty"`
	Location  *Location `json:"location,omitempty"`
}

// Location is a contact's place, as Drift guesses it.
type Location struct {
	City        string  `json:"city,omitempty"`
	Region      string  `json:"region,omitempty"`
	Country     string  `json:"country,omitempty"`
	CountryName string  `json:"countryName,omitempty"`
	PostalCode  string  `json:"postalCode,omitempty"`
	Latitude    float64 `json:"latitude,omitempty"`
	Longitude   float64 `json:"longitude,omitempty"`
}

// Attachment is a file attached to a message, served at URL.
type Attachment struct {
	ID       int64  `json:"id,omitempty"` // the id GetAttachment takes
	FileName string `json:"fileName"`
	MimeType string `json:"mimeType"`
	URL      string `json:"url"`
}

var attachmentPath = regexp.MustCompile(`/attachments/(\d+)/data$`)

// DocumentID returns the attachment's id for GetAttachment: ID, or (from
// servers that do not send it) the id its URL names, or 0.
func (a Attachment) DocumentID() int64 {
	if a.ID != 0 {
		return a.ID
	}
	m := attachmentPath.FindStringSubmatch(a.URL)
	if m == nil {
		return 0
	}
	id, _ := strconv.ParseInt(m[1], 10, 64)
	return id
}

// MessagePage is one page of a conversation's messages, oldest first.
type MessagePage struct {
	Messages   []Message
	Pagination Pagination
}

// ListMessages returns a page of conversation id's messages (50 a page);
// next is "" for the first page, else the previous page's Pagination.Next.
func (c *Client) ListMessages(ctx context.Context, id int64, next string) (*MessagePage, error) {
	q := url.Values{}
	if next != "" {
		q.Set("next", next)
	}
	var out struct {
		Data struct {
			Messages []Message `json:"messages"`
		} `json:"data"`
		Pagination Pagination `json:"pagination"`
	}
	if err := c.get(ctx, "/conversations/"+pathID(id)+"/messages", q, &out); err != nil {
		return nil, err
	}
	return &MessagePage{Messages: out.Data.Messages, Pagination: out.Pagination}, nil
}

// Messages iterates over every message of conversation id, oldest first.
func (c *Client) Messages(ctx context.Context, id int64) iter.Seq2[Message, error] {
	return paginate(func(cursor string) ([]Message, string, error) {
		p, err := c.ListMessages(ctx, id, cursor)
		if err != nil {
			return nil, "", err
		}
		if !p.Pagination.More {
			return p.Messages, "", nil
		}
		return p.Messages, p.Pagination.Next, nil
	})
}

// NewMessage is a message to post.
type NewMessage struct {
	Type    string   `json:"type"` // chat, private_note, private_prompt or edit
	Body    string   `json:"body,omitempty"`
	Buttons []Button `json:"buttons,omitempty"`
	// UserID is the author; 0 posts as the org's bot.
	UserID int64 `json:"userId,omitempty"`
	// EditedMessageID and EditType make an edit message.
	EditedMessageID int64          `json:"editedMessageId,omitempty"`
	EditType        string         `json:"editType,omitempty"`
	Attributes      map[string]any `json:"attributes,omitempty"`
	// Files are uploaded with the message as attachments (multipart/form-data;
	// a Driftwood extension, Drift's API documents no upload).
	Files []File `json:"-"`
}

// File is a file to attach.
type File struct {
	Name string
	Data []byte
}

// PostMessage posts a message to conversation id and returns it.
func (c *Client) PostMessage(ctx context.Context, id int64, m NewMessage) (*Message, error) {
	return c.postMessage(ctx, "/conversations/"+pathID(id)+"/messages", m, m.Files)
}

// postMessage posts body as JSON, or as multipart with files, and reads
// the posted message from Drift's {"data": {"messages": [m]}} (or a bare
// {"data": m}).
func (c *Client) postMessage(ctx context.Context, path string, body any, files []File) (*Message, error) {
	req := request{method: http.MethodPost, path: path}
	js, err := json.Marshal(body)
	if err != nil {
		return nil, fmt.Errorf("drift: encoding the message: %w", err)
	}
	req.body, req.contentType = js, "application/json"
	if len(files) > 0 {
		if req.body, req.contentType, err = multipartMessage(js, files); err != nil {
			return nil, err
		}
	}
	resp, err := c.send(ctx, req)
	if err != nil {
		return nil, err
	}
	var out struct {
		Data json.RawMessage `json:"data"`
	}
	if err := decode(resp, &out); err != nil {
		return nil, err
	}
	var list struct {
		Messages []Message `json:"messages"`
	}
	if err := json.Unmarshal(out.Data, &list); err == nil && len(list.Messages) > 0 {
		return &list.Messages[0], nil
	}
	var m Message
	if err := json.Unmarshal(out.Data, &m); err != nil || m.ID == 0 {
		return nil, fmt.Errorf("drift: POST %s: the answer holds no message", path)
	}
	return &m, nil
}

// multipartMessage encodes the message JSON as the "message" field and
// each file as a file part.
func multipartMessage(js []byte, files []File) ([]byte, string, error) {
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	if err := w.WriteField("message", string(js)); err != nil {
		return nil, "", err
	}
	for _, f := range files {
		part, err := w.CreateFormFile("file", f.Name)
		if err != nil {
			return nil, "", err
		}
		if _, err := part.Write(f.Data); err != nil {
			return nil, "", err
		}
	}
	if err := w.Close(); err != nil {
		return nil, "", err
	}
	return buf.Bytes(), w.FormDataContentType(), nil
}

// Transcript returns conversation id's transcript as plain text.
func (c *Client) Transcript(ctx context.Context, id int64) (string, error) {
	resp, err := c.send(ctx, request{method: http.MethodGet, path: "/conversations/" + pathID(id) + "/transcript"})
	if err != nil {
		return "", err
	}
	return string(resp.body), nil
}

// TranscriptEntry is one message of a JSON transcript, with edits applied.
type TranscriptEntry struct {
	Author    TranscriptAuthor `json:"author"`
	Body      string           `json:"body"`
	CreatedAt int64            `json:"createdAt"`
	Type      string           `json:"type"`
}

// TranscriptAuthor is a message's author with the name readers know.
type TranscriptAuthor struct {
	Author
	Name string `json:"name"`
}

// JSONTranscript returns conversation id's transcript as entries. It reads
// Drift's {"data": {"messages": […]}} and the bare data array older
// Driftwoods served.
func (c *Client) JSONTranscript(ctx context.Context, id int64) ([]TranscriptEntry, error) {
	raw, err := getData[json.RawMessage](ctx, c, "/conversations/"+pathID(id)+"/json_transcript", nil)
	if err != nil {
		return nil, err
	}
	var entries []TranscriptEntry
	if bytes.HasPrefix(bytes.TrimSpace(raw), []byte("[")) {
		err = json.Unmarshal(raw, &entries)
	} else {
		var wrapped struct {
			Messages []TranscriptEntry `json:"messages"`
		}
		err = json.Unmarshal(raw, &wrapped)
		entries = wrapped.Messages
	}
	if err != nil {
		return nil, fmt.Errorf("drift: json_transcript of %d: %w", id, err)
	}
	return entries, nil
}

// AttachmentData is an attachment's content.
type AttachmentData struct {
	FileName    string // from Content-Disposition, when given
	ContentType string
	Data        []byte
}

// GetAttachment downloads attachment (document) id.
func (c *Client) GetAttachment(ctx context.Context, id int64) (*AttachmentData, error) {
	resp, err := c.send(ctx, request{method: http.MethodGet, path: "/attachments/" + pathID(id) + "/data"})
	if err != nil {
		return nil, err
	}
	a := &AttachmentData{ContentType: resp.header.Get("Content-Type"), Data: resp.body}
	if _, params, err := mime.ParseMediaType(resp.header.Get("Content-Disposition")); err == nil {
		a.FileName = params["filename"]
	}
	return a, nil
}
