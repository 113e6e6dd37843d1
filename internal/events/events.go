// Package events defines the event log (the transactional outbox): every write
// that Drift would announce records an Event in the same database transaction
// as the change. Webhook delivery, the inbox and playbooks read from it.
package events

import (
	"encoding/json"
	"fmt"
	"slices"
)

// Type is a Drift webhook event name.
type Type string

// Event types Drift sends (docs/drift-reference.md §5).
const (
	NewMessage                   Type = "new_message"
	NewCommandMessage            Type = "new_command_message"
	NewConversation              Type = "new_conversation"
	ContactIdentified            Type = "contact_identified"
	ContactUpdated               Type = "contact_updated"
	ConversationStatusUpdated    Type = "conversation_status_updated"
	ConversationParticipantAdded Type = "conversation_participant_added"
	ConversationParticipantRem   Type = "conversation_participant_removed"
	ConversationInactive         Type = "conversation_inactive"
	ConversationPush             Type = "conversation_push"
	ButtonAction                 Type = "button_action"
	ButtonClicked                Type = "button_clicked"
	PlaybookGoalMet              Type = "playbook_goal_met"
	PhoneCaptured                Type = "phone_captured"
	NewMeeting                   Type = "new_meeting"
	MeetingUpdated               Type = "meeting_updated"
	UserAvailabilityUpdated      Type = "user_availability_updated"
	UserUnsubscribed             Type = "user_unsubscribed"
	// UserUnsubscribe is Drift's older name of user_unsubscribed: apps may
	// subscribe to it and receive user_unsubscribed events under it.
	UserUnsubscribe Type = "user_unsubscribe"
)

// Aliases maps an older event name apps may subscribe to onto the event
// Driftwood records.
var Aliases = map[Type]Type{UserUnsubscribe: UserUnsubscribed}

// SubscribedAs is the name under which a subscriber to names receives an
// event of type typ: typ itself, or an older name of it subscribed to
// instead. false when names has neither.
func SubscribedAs(names []Type, typ Type) (Type, bool) {
	if slices.Contains(names, typ) {
		return typ, true
	}
	for _, name := range names {
		if Aliases[name] == typ {
			return name, true
		}
	}
	return "", false
}

// Event is one entry of the outbox.
type Event struct {
	ID        int64           `json:"id"`
	OrgID     int64           `json:"orgId"`
	Type      Type            `json:"type"`
	Data      json.RawMessage `json:"data"`
	CreatedAt int64           `json:"createdAt"` // epoch ms
}

// New builds an event whose data is v encoded as JSON. It panics only if v
// cannot be encoded, which is a programming error for the payload types used.
func New(orgID int64, typ Type, v any) Event {
	data, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("events: encoding %s payload: %v", typ, err))
	}
	return Event{OrgID: orgID, Type: typ, Data: data}
}
