package conversation

import "context"

// Read state: what each agent has read of each conversation, for the
// inbox's unread counts. It is the agent's own bookkeeping, not Drift's: it
// fires no event.

// Unread counts, for one agent, the org's open conversations that have
// messages the agent has not read, per view (as Awaiting counts those
// awaiting a reply).
type Unread struct {
	Mine       int `json:"mine"`
	Unassigned int `json:"unassigned"`
	All        int `json:"all"`
	// ByAssignee counts them per assignee, for the views of teams.
	ByAssignee map[int64]int `json:"-"`
}

// Unread reports whether a message is unread for user userID whose read
// marker is lastRead: it is newer, and someone else wrote it (the visitor,
// a bot, another agent). Edits are not messages one reads. The stores'
// queries say the same in SQL.
func (m *Message) Unread(userID, lastRead int64) bool {
	return m.ID > lastRead && m.Type != Edit && !(m.Author.Type == AuthorUser && m.Author.ID == userID)
}

// ReadStore keeps the agents' read markers.
type ReadStore interface {
	// MarkRead records that user userID has read the conversation up to
	// message upTo (its latest message when 0), and returns the marker: the
	// id of the last message of the conversation at or before upTo. A
	// marker never moves back. Another org's conversation is not found.
	MarkRead(ctx context.Context, orgID, userID, conversationID, upTo int64) (int64, error)
	// UnreadMessages counts the messages of each conversation (of the org)
	// that user userID has not read; conversations without any are left out.
	UnreadMessages(ctx context.Context, orgID, userID int64, conversationIDs []int64) (map[int64]int, error)
	// InboxUnread counts the org's open conversations with unread messages
	// for user userID, per view.
	InboxUnread(ctx context.Context, orgID, userID int64) (Unread, error)
}
