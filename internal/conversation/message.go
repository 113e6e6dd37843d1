package conversation

import (
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/driftwood-chat/driftwood/internal/apperr"
	"github.com/driftwood-chat/driftwood/internal/events"
)

// Type is a message type.
type Type string

// The message types a client may post. private_note and private_prompt are
// shown to users only; an edit changes an earlier message.
const (
	Chat          Type = "chat"
	PrivateNote   Type = "private_note"
	PrivatePrompt Type = "private_prompt"
	Edit          Type = "edit"
)

var types = []Type{Chat, PrivateNote, PrivatePrompt, Edit}

// EditType says what an edit message changes in the message it edits.
type EditType string

// The edit types.
const (
	EditDelete         EditType = "delete"
	EditReplace        EditType = "replace" // body and buttons
	EditReplaceBody    EditType = "replace_body"
	EditReplaceButtons EditType = "replace_buttons"
)

var editTypes = []EditType{EditDelete, EditReplace, EditReplaceBody, EditReplaceButtons}

// Author types of a message.
const (
	AuthorContact = "contact"
	AuthorUser    = "user"
)

// Author is who wrote a message: the conversation's contact or a user (the
// org's bot is a user with Bot set).
type Author struct {
	ID   int64  `json:"id"`
	Type string `json:"type"`
	Bot  bool   `json:"bot"`
}

// Button types.
const (
	ButtonReply   = "reply"   // the visitor's answer; value defaults to the label
	ButtonCompose = "compose" // private prompts only: fills the agent's composer
	ButtonAction  = "action"  // private prompts only: tells the app
	ButtonNoop    = "noop"    // private prompts only (babel-bot sends it)
)

// Button is a message button.
type Button struct {
	Label    string    `json:"label"`
	Value    string    `json:"value"`
	Type     string    `json:"type"`
	Style    string    `json:"style,omitempty"` // primary or danger on prompts; as sent on reply buttons
	Reaction *Reaction `json:"reaction,omitempty"`
}

// Reaction is what happens to a prompt when one of its buttons is clicked.
type Reaction struct {
	Type    string `json:"type"` // replace or delete
	Message string `json:"message,omitempty"`
}

// Attachment is a file a message carries, as messages list it. Its bytes are
// served at URL, which ends in its ID.
type Attachment struct {
	ID       int64  `json:"id"`
	FileName string `json:"fileName"`
	MimeType string `json:"mimeType"`
	URL      string `json:"url"`
}

// NewAttachment is a file uploaded with a post.
type NewAttachment struct {
	FileName string
	MimeType string // sniffed from the bytes by the caller
	Data     []byte
}

// AttachmentData is an attachment with its bytes.
type AttachmentData struct {
	Attachment
	Data []byte
}

// Attachment limits: docs/design.md lets attachments exceed the 1 MiB body limit,
// up to their own.
const (
	MaxAttachmentBytes = 10 << 20 // all files of one message together
	MaxAttachments     = 10
)

// Message is Drift's message object.
type Message struct {
	ID              int64          `json:"id"`
	OrgID           int64          `json:"orgId"`
	ConversationID  int64          `json:"conversationId"`
	Body            string         `json:"body"` // HTML, as sent
	Author          Author         `json:"author"`
	Type            Type           `json:"type"`
	CreatedAt       int64          `json:"createdAt"`
	Buttons         []Button       `json:"buttons,omitempty"`
	Attributes      map[string]any `json:"attributes,omitempty"`
	EditedMessageID int64          `json:"editedMessageId,omitempty"`
	EditType        EditType       `json:"editType,omitempty"`
	Attachments     []Attachment   `json:"attachments,omitempty"`
	// Context is always present: {} when nothing is known.
	Context Context `json:"context"`
}

// Context is where a message came from (Drift's message model): the
// visitor's address and browser, when known.
type Context struct {
	IP        string `json:"ip,omitempty"`
	UserAgent string `json:"userAgent,omitempty"`
}

// MaxUserAgent bounds a message context's userAgent.
const MaxUserAgent = 1024

// Validate checks a context: ip an IP address, userAgent not over-long.
func (c Context) Validate() error {
	if c.IP != "" {
		if _, err := netip.ParseAddr(c.IP); err != nil {
			return apperr.Invalidf("context.ip", "context.ip must be an IP address, got %q", c.IP)
		}
	}
	if len(c.UserAgent) > MaxUserAgent {
		return apperr.Invalidf("context.userAgent", "context.userAgent is longer than %d bytes", MaxUserAgent)
	}
	return nil
}

// SetURLs points the message's attachments at base.
func (m *Message) SetURLs(base string) {
	for i := range m.Attachments {
		m.Attachments[i].URL = AttachmentURL(base, m.Attachments[i].ID)
	}
}

// Post is a message to post. The store loads what it refers to (Refs): its
// author (the contact when FromContact, else the user UserID, else the
// org's bot user) and the message a click or an edit names.
type Post struct {
	Type            Type
	Body            string
	Buttons         []Button
	UserID          int64
	FromContact     bool // the visitor side: the widget, the simulate endpoints
	EditedMessageID int64
	EditType        EditType
	Attributes      map[string]any
	Attachments     []NewAttachment
	// Click is a visitor's click on a reply button; the message posted is
	// the button's label, as the contact.
	Click *Click
	// PublicURL is the base of the attachment URLs in the message's events.
	PublicURL string
	// Context is where the message came from, when known.
	Context Context
}

// Click names the reply button a visitor clicked.
type Click struct {
	MessageID int64
	Value     string
}

// Validate checks everything about p that needs no stored data, and fills
// defaults (type chat, a reply button's value).
func (p *Post) Validate() error {
	if p.Type == "" {
		p.Type = Chat
	}
	if err := p.Context.Validate(); err != nil {
		return err
	}
	if !slices.Contains(types, p.Type) {
		return apperr.Invalidf("type", "type must be one of chat, private_note, private_prompt, edit; got %q", p.Type)
	}
	if p.FromContact && p.Type != Chat {
		return apperr.Invalidf("type", "a contact can only post chat messages")
	}
	if p.Click != nil {
		if !p.FromContact {
			return apperr.Invalidf("button", "only the visitor clicks reply buttons")
		}
		if p.Click.MessageID <= 0 || p.Click.Value == "" {
			return apperr.Invalidf("button", "a click needs the messageId and the value of a reply button")
		}
		return nil // the body is the button's label
	}
	if err := p.validateAttachments(); err != nil {
		return err
	}
	if p.Type == Edit {
		return p.validateEdit()
	}
	if p.EditedMessageID != 0 || p.EditType != "" {
		return apperr.Invalidf("editedMessageId", "editedMessageId and editType belong to edit messages only")
	}
	if p.FromContact && len(p.Buttons) > 0 {
		return apperr.Invalidf("buttons", "a contact's message has no buttons")
	}
	if err := validateButtons(p.Type, p.Buttons); err != nil {
		return err
	}
	if strings.TrimSpace(p.Body) == "" && len(p.Attachments) == 0 && !(p.Type == PrivatePrompt && len(p.Buttons) > 0) {
		return apperr.Invalidf("body", "body must not be empty")
	}
	return nil
}

func (p *Post) validateEdit() error {
	if p.EditedMessageID <= 0 {
		return apperr.Invalidf("editedMessageId", "an edit needs the editedMessageId of the message it edits")
	}
	if !slices.Contains(editTypes, p.EditType) {
		return apperr.Invalidf("editType", "editType must be one of delete, replace, replace_body, replace_buttons; got %q", p.EditType)
	}
	if len(p.Attachments) > 0 {
		return apperr.Invalidf("attachments", "an edit carries no attachments")
	}
	if (p.EditType == EditReplace || p.EditType == EditReplaceBody) && strings.TrimSpace(p.Body) == "" {
		return apperr.Invalidf("body", "body must not be empty for editType %s", p.EditType)
	}
	return nil
}

func (p *Post) validateAttachments() error {
	if len(p.Attachments) > MaxAttachments {
		return apperr.Invalidf("attachments", "at most %d attachments per message, got %d", MaxAttachments, len(p.Attachments))
	}
	total := 0
	for i := range p.Attachments {
		a := &p.Attachments[i]
		total += len(a.Data)
		if a.FileName = strings.TrimSpace(a.FileName); a.FileName == "" {
			a.FileName = "file"
		}
		if a.MimeType == "" {
			a.MimeType = "application/octet-stream"
		}
	}
	if total > MaxAttachmentBytes {
		return apperr.New(apperr.TooLarge, "attachments are larger than %d bytes together", MaxAttachmentBytes)
	}
	return nil
}

// MaxButtonStyle bounds a reply button's style.
const MaxButtonStyle = 64

// validateButtons checks buttons for a message of type t: a reply button's
// value defaults to its label, and its style is kept as sent; compose,
// action and noop buttons (styled primary or danger) belong to private
// prompts; private notes have none.
func validateButtons(t Type, bs []Button) error {
	if len(bs) > 0 && t == PrivateNote {
		return apperr.Invalidf("buttons", "a private_note has no buttons")
	}
	for i := range bs {
		b := &bs[i]
		param := "buttons[" + strconv.Itoa(i) + "]"
		if strings.TrimSpace(b.Label) == "" {
			return apperr.Invalidf(param+".label", "%s.label must not be empty", param)
		}
		if b.Type == "" {
			b.Type = ButtonReply
		}
		switch b.Type {
		case ButtonReply:
			// Clients build reply buttons with a value of their own and a
			// style; both are kept as sent. A click posts the label.
			if b.Value == "" {
				b.Value = b.Label
			}
			if len(b.Style) > MaxButtonStyle {
				return apperr.Invalidf(param+".style", "%s.style is longer than %d bytes", param, MaxButtonStyle)
			}
		case ButtonCompose, ButtonAction, ButtonNoop:
			if t != PrivatePrompt {
				return apperr.Invalidf(param+".type", "%s buttons belong to private_prompt messages only", b.Type)
			}
			if b.Style != "" && b.Style != "primary" && b.Style != "danger" {
				return apperr.Invalidf(param+".style", "style is primary or danger, in private_prompt messages only")
			}
		default:
			return apperr.Invalidf(param+".type", "button type must be one of reply, compose, action, noop; got %q", b.Type)
		}
		if b.Reaction != nil && b.Reaction.Type != "replace" && b.Reaction.Type != "delete" {
			return apperr.Invalidf(param+".reaction.type", "reaction type must be replace or delete; got %q", b.Reaction.Type)
		}
	}
	return nil
}

// Refs are what a post refers to, loaded by the store before the post is
// decided.
type Refs struct {
	Author Author
	Source *Message // the message whose button Post.Click names
	Target *Message // the message an edit changes
}

// Posting is a decided post: what the store writes, then the events.
type Posting struct {
	Message *Message // to insert; the store sets its id and its attachments'
	Edited  *Message // the earlier message an edit changed, to save; or nil

	conv      *Conversation
	change    Change
	click     *Clicked
	publicURL string
}

// Post decides p in c: it applies a click or an edit to the message it
// names, builds the message and records it in c (status, participants,
// update time). c is changed in place, for the store to save with the
// Posting's messages.
func (c *Conversation) Post(p *Post, refs Refs, now int64) (*Posting, error) {
	x := &Posting{conv: c, publicURL: p.PublicURL}
	if p.Click != nil {
		b, err := p.Click.ClickedButton(refs.Source)
		if err != nil {
			return nil, err
		}
		p.Body, x.click = b.Label, &Clicked{SourceMessageID: refs.Source.ID, Button: b}
	}
	if p.Type == Edit {
		if err := p.ApplyEdit(refs.Target); err != nil {
			return nil, err
		}
		x.Edited = refs.Target
	}
	x.Message = p.NewMessage(c, refs.Author, now)
	x.change = c.record(x.Message)
	return x, nil
}

// Events returns the events of the post, once the store has inserted the
// message: they carry its id and its attachments' URLs, set here.
func (x *Posting) Events() []events.Event {
	x.Message.SetURLs(x.publicURL)
	return x.conv.messageEvents(x.Message, x.change, x.click)
}

// NewMessage builds the message p posts in c, by author, at now.
func (p *Post) NewMessage(c *Conversation, author Author, now int64) *Message {
	m := &Message{OrgID: c.OrgID, ConversationID: c.ID, Body: p.Body, Author: author, Type: p.Type,
		CreatedAt: now, Buttons: p.Buttons, Attributes: p.Attributes,
		EditedMessageID: p.EditedMessageID, EditType: p.EditType, Context: p.Context}
	for _, a := range p.Attachments {
		m.Attachments = append(m.Attachments, Attachment{FileName: a.FileName, MimeType: a.MimeType})
	}
	return m
}

// ApplyEdit changes target, a message of the same conversation, as the edit
// post p says.
func (p *Post) ApplyEdit(target *Message) error {
	if target.Type == Edit {
		return apperr.Invalidf("editedMessageId", "message %d is itself an edit", target.ID)
	}
	if p.EditType == EditReplace || p.EditType == EditReplaceButtons {
		if err := validateButtons(target.Type, p.Buttons); err != nil {
			return err
		}
	}
	switch p.EditType {
	case EditDelete:
		target.Body, target.Buttons, target.Attachments = "", nil, nil
	case EditReplace:
		target.Body, target.Buttons = p.Body, p.Buttons
	case EditReplaceBody:
		target.Body = p.Body
	case EditReplaceButtons:
		target.Buttons = p.Buttons
	}
	return nil
}

// ClickedButton returns the reply button of source that a visitor's click
// names. source must be a message of the same conversation.
func (c *Click) ClickedButton(source *Message) (Button, error) {
	if source.Type == Chat {
		for _, b := range source.Buttons {
			if b.Type == ButtonReply && b.Value == c.Value {
				return b, nil
			}
		}
	}
	return Button{}, apperr.Invalidf("button.value", "message %d has no reply button with value %q", source.ID, c.Value)
}

// IsCommand reports a message whose text starts with "/" (new_command_message).
func (m *Message) IsCommand() bool {
	return m.Type != Edit && strings.HasPrefix(PlainText(m.Body), "/")
}
