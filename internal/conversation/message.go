package conversation

import (
	"slices"
	"strconv"
	"strings"

	"github.com/driftwood-chat/driftwood/internal/apperr"
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
	ButtonReply   = "reply"   // the visitor's answer; value equals label
	ButtonCompose = "compose" // private prompts only: fills the agent's composer
	ButtonAction  = "action"  // private prompts only: tells the app
	ButtonNoop    = "noop"    // private prompts only (babel-bot sends it)
)

// Button is a message button.
type Button struct {
	Label    string    `json:"label"`
	Value    string    `json:"value"`
	Type     string    `json:"type"`
	Style    string    `json:"style,omitempty"` // primary or danger, private prompts only
	Reaction *Reaction `json:"reaction,omitempty"`
}

// Reaction is what happens to a prompt when one of its buttons is clicked.
type Reaction struct {
	Type    string `json:"type"` // replace or delete
	Message string `json:"message,omitempty"`
}

// Attachment is a file a message carries, as messages list it. Its bytes are
// served at URL.
type Attachment struct {
	ID       int64  `json:"-"`
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
}

// SetURLs points the message's attachments at base.
func (m *Message) SetURLs(base string) {
	for i := range m.Attachments {
		m.Attachments[i].URL = AttachmentURL(base, m.Attachments[i].ID)
	}
}

// Post is a message to post. The store resolves its author: the contact when
// FromContact, else the user UserID, else the org's bot user.
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

// validateButtons checks buttons for a message of type t: reply buttons
// carry their label as value; compose, action, noop and styles belong to
// private prompts; private notes have none.
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
			if b.Value == "" {
				b.Value = b.Label
			}
			if b.Value != b.Label {
				return apperr.Invalidf(param+".value", "a reply button's value must equal its label")
			}
		case ButtonCompose, ButtonAction, ButtonNoop:
			if t != PrivatePrompt {
				return apperr.Invalidf(param+".type", "%s buttons belong to private_prompt messages only", b.Type)
			}
		default:
			return apperr.Invalidf(param+".type", "button type must be one of reply, compose, action, noop; got %q", b.Type)
		}
		if b.Style != "" && (t != PrivatePrompt || (b.Style != "primary" && b.Style != "danger")) {
			return apperr.Invalidf(param+".style", "style is primary or danger, in private_prompt messages only")
		}
		if b.Reaction != nil && b.Reaction.Type != "replace" && b.Reaction.Type != "delete" {
			return apperr.Invalidf(param+".reaction.type", "reaction type must be replace or delete; got %q", b.Reaction.Type)
		}
	}
	return nil
}

// NewMessage builds the message p posts in c, by author, at now.
func (p *Post) NewMessage(c *Conversation, author Author, now int64) *Message {
	m := &Message{OrgID: c.OrgID, ConversationID: c.ID, Body: p.Body, Author: author, Type: p.Type,
		CreatedAt: now, Buttons: p.Buttons, Attributes: p.Attributes,
		EditedMessageID: p.EditedMessageID, EditType: p.EditType}
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
