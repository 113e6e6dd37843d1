package conversation

import (
	"github.com/driftwood-chat/driftwood/internal/contact"
	"github.com/driftwood-chat/driftwood/internal/events"
)

// StatusPayload is the data of conversation_status_updated.
type StatusPayload struct {
	ConversationID int64  `json:"conversationId"`
	Status         Status `json:"status"`
	ChangedAt      int64  `json:"changedAt"`
}

// MessagePayload is the data of new_message and new_command_message: the
// message and, as Drift's deliveries carry it, the conversation's contact.
type MessagePayload struct {
	*Message
	EndUserID int64 `json:"endUserId"`
}

// ParticipantsPayload is the data of conversation_participant_added.
type ParticipantsPayload struct {
	ConversationID    int64   `json:"conversationId"`
	AddedParticipants []int64 `json:"addedParticipants"`
	ChangedAt         int64   `json:"changedAt"`
}

// ButtonPayload is the data of button_clicked and of its older name
// button_action.
type ButtonPayload struct {
	ConversationID  int64        `json:"conversationId"`
	Author          ButtonAuthor `json:"author"`
	SourceMessageID int64        `json:"sourceMessageId"`
	Button          Button       `json:"button"`
}

// ButtonAuthor is who clicked a button.
type ButtonAuthor struct {
	Type string `json:"type"`
	ID   int64  `json:"id"`
}

// Clicked is a reply button a visitor clicked, found in its source message.
type Clicked struct {
	SourceMessageID int64
	Button          Button
}

// Add records m, just posted, in c (see record) and returns the events the
// post causes (see messageEvents).
func (c *Conversation) Add(m *Message, click *Clicked) []events.Event {
	return c.messageEvents(m, c.record(m), click)
}

// messageEvents are the events of m, posted in c with change ch: new_message
// for every message, new_command_message for a command, and the
// participant, status and button events it implies.
func (c *Conversation) messageEvents(m *Message, ch Change, click *Clicked) []events.Event {
	payload := MessagePayload{Message: m, EndUserID: c.ContactID}
	evs := []events.Event{events.New(c.OrgID, events.NewMessage, payload)}
	if m.IsCommand() {
		evs = append(evs, events.New(c.OrgID, events.NewCommandMessage, payload))
	}
	evs = append(evs, c.ChangeEvents(ch)...)
	if click != nil {
		p := ButtonPayload{ConversationID: c.ID, Author: ButtonAuthor{Type: m.Author.Type, ID: m.Author.ID},
			SourceMessageID: click.SourceMessageID, Button: click.Button}
		evs = append(evs, events.New(c.OrgID, events.ButtonClicked, p), events.New(c.OrgID, events.ButtonAction, p))
	}
	return evs
}

// ChangeEvents returns the events of a change to c: participants added and
// a status update.
func (c *Conversation) ChangeEvents(ch Change) []events.Event {
	var evs []events.Event
	if len(ch.Added) > 0 {
		evs = append(evs, events.New(c.OrgID, events.ConversationParticipantAdded,
			ParticipantsPayload{ConversationID: c.ID, AddedParticipants: ch.Added, ChangedAt: c.UpdatedAt}))
	}
	if ch.StatusChanged {
		evs = append(evs, events.New(c.OrgID, events.ConversationStatusUpdated,
			StatusPayload{ConversationID: c.ID, Status: c.Status, ChangedAt: c.UpdatedAt}))
	}
	return evs
}

// StartEvents returns the events of a conversation a contact started, before
// those of its first message: contact_identified when a visitor gave their
// email, and new_conversation.
func (c *Conversation) StartEvents(ct *contact.Contact, visitor bool) []events.Event {
	var evs []events.Event
	if visitor {
		evs = append(evs, ct.Identified())
	}
	return append(evs, events.New(c.OrgID, events.NewConversation, c))
}
