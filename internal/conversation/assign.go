package conversation

import (
	"slices"

	"github.com/driftwood-chat/driftwood/internal/events"
)

// AssignTo hands c to user userID at now (0: nobody), as an agent does in
// the inbox: the new assignee becomes a participant
// (conversation_participant_added) and the previous one stops being one
// (conversation_participant_removed). Assigning to the current assignee
// changes nothing and causes no event. The caller checks that userID is a
// user of the org.
func (c *Conversation) AssignTo(userID, now int64) []events.Event {
	if userID == c.AssigneeID {
		return nil
	}
	prev := c.AssigneeID
	c.AssigneeID, c.UpdatedAt = userID, now
	var evs []events.Event
	if userID != 0 && !slices.Contains(c.Participants, userID) {
		c.Participants = append(c.Participants, userID)
		evs = c.ChangeEvents(Change{Added: []int64{userID}})
	}
	if prev != 0 {
		evs = append(evs, c.RemoveParticipant(prev, now)...)
	}
	return evs
}
