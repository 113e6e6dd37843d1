package conversation

import "github.com/driftwood-chat/driftwood/internal/events"

// Typing is Driftwood's own event (not one of Drift's webhook events, so no
// app receives it): someone is writing in a conversation. The widget shows
// an agent's; the inbox will show a visitor's. Clients send it at most
// every few seconds while the person types, and forget it after a few more.
const Typing events.Type = "conversation_typing"

// TypingPayload is the data of a Typing event.
type TypingPayload struct {
	ConversationID int64        `json:"conversationId"`
	Author         ButtonAuthor `json:"author"`
	At             int64        `json:"at"`
}

// TypingEvent announces that author is writing in conversationID at at.
func TypingEvent(orgID, conversationID int64, author Author, at int64) events.Event {
	return events.New(orgID, Typing, TypingPayload{
		ConversationID: conversationID, Author: ButtonAuthor{Type: author.Type, ID: author.ID}, At: at})
}
