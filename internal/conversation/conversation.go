// Package conversation is Drift's conversation and its messages: the shapes,
// the rules a post must follow, how a message changes its conversation
// (status, participants) and the events it causes. The store applies these
// rules inside one transaction; the REST API, the simulated visitor and the
// website widget all post through the same Store methods.
package conversation

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/driftwood-chat/driftwood/internal/apperr"
	"github.com/driftwood-chat/driftwood/internal/contact"
	"github.com/driftwood-chat/driftwood/internal/events"
)

// Status is a conversation's status, lowercase as Drift writes it in objects.
type Status string

// The statuses of a conversation. bulk_sent is Drift's for conversations
// opened by an email campaign; Driftwood never sets it itself.
const (
	Open     Status = "open"
	Closed   Status = "closed"
	Pending  Status = "pending"
	BulkSent Status = "bulk_sent"
)

// Statuses lists the statuses a list can filter on, in statusId order
// (1 = open, 2 = closed, 3 = pending).
var Statuses = []Status{Open, Closed, Pending}

// ParseStatus reads a status as Drift's clients send it: statusId 1/2/3, or
// OPEN/CLOSED/PENDING in any case.
func ParseStatus(s string) (Status, bool) {
	s = strings.TrimSpace(s)
	if n, err := strconv.Atoi(s); err == nil {
		if n >= 1 && n <= len(Statuses) {
			return Statuses[n-1], true
		}
		return "", false
	}
	st := Status(strings.ToLower(s))
	if !slices.Contains(Statuses, st) {
		return "", false
	}
	return st, true
}

// Tag is a conversation tag.
type Tag struct {
	Color string `json:"color"`
	Name  string `json:"name"`
}

// Conversation is Drift's conversation object.
type Conversation struct {
	ID           int64   `json:"id"`
	OrgID        int64   `json:"orgId"`
	Participants []int64 `json:"participants"` // the users who have taken part
	Status       Status  `json:"status"`
	ContactID    int64   `json:"contactId"`
	// InboxID is the org's one inbox; Driftwood numbers it with the org id.
	InboxID          int64 `json:"inboxId"`
	CreatedAt        int64 `json:"createdAt"`
	UpdatedAt        int64 `json:"updatedAt"`
	ConversationTags []Tag `json:"conversationTags"`
	// AssigneeID is the user the conversation is assigned to (0: nobody);
	// the inbox's, outside Drift's shape.
	AssigneeID int64 `json:"-"`
}

// New returns an open conversation of the contact, created at now.
func New(orgID, contactID, now int64) *Conversation {
	return &Conversation{OrgID: orgID, InboxID: orgID, ContactID: contactID, Status: Open,
		Participants: []int64{}, ConversationTags: []Tag{}, CreatedAt: now, UpdatedAt: now}
}

// Change is what a message or a status update did to its conversation.
type Change struct {
	StatusChanged bool
	Added         []int64 // participants added
}

// record applies m to c: the conversation is updated at m's time, a contact's
// message reopens a closed conversation, and a user who posts becomes a
// participant.
func (c *Conversation) record(m *Message) Change {
	var ch Change
	c.UpdatedAt = m.CreatedAt
	switch m.Author.Type {
	case AuthorContact:
		if c.Status == Closed {
			c.Status, ch.StatusChanged = Open, true
		}
	case AuthorUser:
		if !slices.Contains(c.Participants, m.Author.ID) {
			c.Participants = append(c.Participants, m.Author.ID)
			ch.Added = []int64{m.Author.ID}
		}
	}
	return ch
}

// SetStatus changes c's status at now and returns the
// conversation_status_updated event. Setting the status it already has
// changes nothing and causes no event.
func (c *Conversation) SetStatus(s Status, now int64) ([]events.Event, error) {
	if !slices.Contains(Statuses, s) {
		return nil, apperr.Invalidf("status", "status must be one of open, closed, pending; got %q", s)
	}
	if c.Status == s {
		return nil, nil
	}
	c.Status, c.UpdatedAt = s, now
	return c.ChangeEvents(Change{StatusChanged: true}), nil
}

// Start is a conversation started by a contact: through POST
// /conversations/new, or by a website visitor.
type Start struct {
	Email      string
	Body       string
	Attributes map[string]any // the first message's attributes (integrationSource)
	// Visitor is set when a website visitor starts it by giving their email
	// (the widget, the simulate endpoint): that identifies the contact.
	Visitor     bool
	Attachments []NewAttachment
	// PublicURL is the base of the attachment URLs in the message's events.
	PublicURL string
	// Context is where the first message came from, when known.
	Context Context
	// AssigneeID, when not 0, is the user of the org the conversation is
	// assigned to as it starts (the first message's autoAssigneeId).
	AssigneeID int64
	// Country is the website visitor's country as the server found it
	// (ISO 3166 alpha-2, "" when unknown), kept for routing rules.
	Country string
}

// AutoAssigneeParam names autoAssigneeId in errors.
const AutoAssigneeParam = "message.attributes.autoAssigneeId"

// Validate checks a start request before anything is written.
func (s *Start) Validate() error {
	s.Email = strings.TrimSpace(s.Email)
	if s.Email == "" {
		return apperr.Invalidf("email", "email is required")
	}
	if _, err := contact.New(map[string]any{contact.AttrEmail: s.Email}, 0); err != nil {
		return apperr.Invalidf("email", "email %q is not an email address", s.Email)
	}
	if s.AssigneeID < 0 {
		return apperr.Invalidf(AutoAssigneeParam, "autoAssigneeId must be a user id, got %d", s.AssigneeID)
	}
	p := s.FirstPost()
	return p.Validate()
}

// FirstPost is the first message of the conversation, as the contact.
func (s *Start) FirstPost() Post {
	return Post{Type: Chat, Body: s.Body, FromContact: true, Attributes: s.Attributes,
		Attachments: s.Attachments, PublicURL: s.PublicURL, Context: s.Context}
}

// ListQuery selects a page of an org's conversations, newest update first.
type ListQuery struct {
	Statuses []Status // empty: every status
	Limit    int
	After    *Cursor // nil: the first page
}

// Cursor is the position after which a conversations page starts: the last
// conversation of the previous page.
type Cursor struct {
	UpdatedAt int64 `json:"u"`
	ID        int64 `json:"i"`
}

// Stats counts an org's conversations by status.
type Stats map[Status]int

// Store is the persistence of conversations and messages. Every write runs in
// one transaction with the events it causes, and validates before it writes.
// An id of another org reads as not found.
type Store interface {
	// StartConversation finds the first-created contact with the email (or
	// creates one), opens a conversation and posts the first message as the
	// contact.
	StartConversation(ctx context.Context, orgID int64, s Start) (*Conversation, *Message, error)
	GetConversation(ctx context.Context, orgID, id int64) (*Conversation, error)
	// ListConversations returns up to q.Limit+1 conversations, so that the
	// caller can tell whether there is a next page.
	ListConversations(ctx context.Context, orgID int64, q ListQuery) ([]*Conversation, error)
	ConversationStats(ctx context.Context, orgID int64) (Stats, error)
	// SetConversationStatus changes the status as an agent closing or
	// reopening it would.
	SetConversationStatus(ctx context.Context, orgID, id int64, s Status) (*Conversation, error)
	// PostMessage posts p to the conversation.
	PostMessage(ctx context.Context, orgID, conversationID int64, p Post) (*Message, error)
	// ListMessages returns up to limit messages of the conversation with an
	// id above afterID, oldest first.
	ListMessages(ctx context.Context, orgID, conversationID, afterID int64, limit int) ([]*Message, error)
	// GetAttachment returns an attachment with its bytes.
	GetAttachment(ctx context.Context, orgID, id int64) (*AttachmentData, error)
}

// AttachmentURL is where an attachment's bytes are served, on base.
func AttachmentURL(base string, id int64) string {
	return fmt.Sprintf("%s/attachments/%d/data", base, id)
}

// Assign makes user a participant of c, as an assignment does (Drift's
// autoAssigneeId), and returns the conversation_participant_added event;
// assigning a participant changes nothing and causes no event.
func (c *Conversation) Assign(userID int64) []events.Event {
	if slices.Contains(c.Participants, userID) {
		return nil
	}
	c.Participants = append(c.Participants, userID)
	if c.AssigneeID == 0 {
		c.AssigneeID = userID
	}
	return c.ChangeEvents(Change{Added: []int64{userID}})
}
