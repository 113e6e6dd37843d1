package conversation

import "context"

// Inbox views: whose conversations a list shows.
const (
	ViewMine       = "mine"
	ViewUnassigned = "unassigned"
	ViewAll        = "all"
	ViewTeam       = "team" // assigned to a member of InboxQuery.TeamID
)

// InboxQuery selects a page of an org's conversations for an agent's inbox,
// the most recent activity first.
type InboxQuery struct {
	View      string // ViewMine (assigned to UserID), ViewUnassigned or ViewAll
	UserID    int64
	ContactID int64    // when not 0, only this contact's conversations
	TeamID    int64    // for ViewTeam
	Statuses  []Status // empty: every status
	Limit     int
	After     *Cursor // nil: the first page
}

// Summary is one line of the inbox's list: the conversation, its contact's
// attributes and its last chat message.
type Summary struct {
	*Conversation
	Contact    map[string]any // the contact's attributes
	LastBody   string         // the last chat message's body, as sent
	LastAuthor string         // its author type ("" without one)
}

// Awaiting counts an org's open conversations whose last chat message is
// the contact's (awaiting an agent's reply), per view of one agent.
type Awaiting struct {
	Mine       int `json:"mine"`
	Unassigned int `json:"unassigned"`
	All        int `json:"all"`
	// ByAssignee counts them per assignee, for the views of teams.
	ByAssignee map[int64]int `json:"-"`
}

// InboxStore reads and writes what the inbox adds to conversations.
type InboxStore interface {
	// InboxAwaiting counts the org's open conversations awaiting a reply,
	// for the views of user userID.
	InboxAwaiting(ctx context.Context, orgID, userID int64) (Awaiting, error)
	// InboxConversations returns up to q.Limit+1 summaries, so that the
	// caller can tell whether there is a next page.
	InboxConversations(ctx context.Context, orgID int64, q InboxQuery) ([]Summary, error)
	// AssignConversation assigns the conversation to a user of the org
	// (0: nobody) with AssignTo, and records its events. A user id that is
	// not one of the org's users is invalid input.
	AssignConversation(ctx context.Context, orgID, id, userID int64) (*Conversation, error)
}
