package conversation

import (
	"context"
	"log/slog"
	"slices"
	"time"

	"github.com/driftwood-chat/driftwood/internal/events"
	"github.com/driftwood-chat/driftwood/internal/logkey"
)

// RemovedPayload is the data of conversation_participant_removed.
type RemovedPayload struct {
	ConversationID      int64   `json:"conversationId"`
	RemovedParticipants []int64 `json:"removedParticipants"`
	ChangedAt           int64   `json:"changedAt"`
}

// InactivePayload is the data of conversation_inactive.
type InactivePayload struct {
	ConversationID int64 `json:"conversationId"`
	LastUpdated    int64 `json:"lastUpdated"`
}

// Push triggers: why a conversation_push was sent.
const (
	PushInactive = "inactive" // the conversation went quiet
	PushManual   = "manual"   // POST /driftwood/v1/conversations/{id}/push
)

// PushPayload is the data of conversation_push: the conversation is ready
// for export (Drift documents no payload; this is Driftwood's).
type PushPayload struct {
	ConversationID int64  `json:"conversationId"`
	ContactID      int64  `json:"contactId"`
	LastUpdated    int64  `json:"lastUpdated"`
	Trigger        string `json:"trigger"` // inactive or manual
}

// RemoveParticipant takes user out of c's participants at now (an agent
// deprovisioned) and returns conversation_participant_removed, or nothing
// when the user was not one. The conversation's updatedAt is left as it
// is: no message was posted.
func (c *Conversation) RemoveParticipant(userID, now int64) []events.Event {
	if c.AssigneeID == userID {
		c.AssigneeID = 0
	}
	i := slices.Index(c.Participants, userID)
	if i < 0 {
		return nil
	}
	c.Participants = slices.Delete(c.Participants, i, i+1)
	return []events.Event{events.New(c.OrgID, events.ConversationParticipantRem,
		RemovedPayload{ConversationID: c.ID, RemovedParticipants: []int64{userID}, ChangedAt: now})}
}

// QuietEvents are the events of a conversation that has had no activity
// since lastUpdated for the quiet period: conversation_inactive and
// conversation_push.
func QuietEvents(orgID, id, contactID, lastUpdated int64) []events.Event {
	return []events.Event{
		events.New(orgID, events.ConversationInactive, InactivePayload{ConversationID: id, LastUpdated: lastUpdated}),
		PushEvent(orgID, id, contactID, lastUpdated, PushInactive),
	}
}

// PushEvent is conversation_push for a conversation.
func PushEvent(orgID, id, contactID, lastUpdated int64, trigger string) events.Event {
	return events.New(orgID, events.ConversationPush,
		PushPayload{ConversationID: id, ContactID: contactID, LastUpdated: lastUpdated, Trigger: trigger})
}

// QuietStore finds conversations gone quiet.
type QuietStore interface {
	// MarkQuiet records QuietEvents for up to limit conversations not
	// updated since before cutoff (epoch ms) and not yet announced for
	// their current quiet period, and marks them announced, in one
	// transaction: each period is announced once however many replicas
	// sweep. It returns how many it marked.
	MarkQuiet(ctx context.Context, cutoff int64, limit int) (int, error)
	// PushConversation records conversation_push for a conversation.
	PushConversation(ctx context.Context, orgID, id int64) (*Conversation, error)
}

// DefaultQuietPeriod is how long a conversation goes without activity
// before conversation_inactive (Drift cites 10 minutes).
const DefaultQuietPeriod = 10 * time.Minute

// Sweeper announces conversations that went quiet.
type Sweeper struct {
	Store QuietStore
	// After is the quiet period; zero turns the sweeper off.
	After time.Duration
	Log   *slog.Logger
	Now   func() time.Time // time.Now when nil
}

// sweepBatch is how many conversations one transaction marks.
const sweepBatch = 200

// interval is how often the sweeper looks: a tenth of the period, within
// a second and a minute, so an announcement comes at most that late.
func (s *Sweeper) interval() time.Duration {
	return min(max(s.After/10, time.Second), time.Minute)
}

// Run sweeps until ctx ends.
func (s *Sweeper) Run(ctx context.Context) {
	if s.After <= 0 {
		return
	}
	t := time.NewTicker(s.interval())
	defer t.Stop()
	for {
		s.Sweep(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Sweep announces every conversation quiet now, in batches.
func (s *Sweeper) Sweep(ctx context.Context) {
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	cutoff := now().Add(-s.After).UnixMilli()
	for ctx.Err() == nil {
		n, err := s.Store.MarkQuiet(ctx, cutoff, sweepBatch)
		if err != nil {
			if ctx.Err() == nil && s.Log != nil {
				s.Log.Error("sweeping quiet conversations", logkey.Err, err)
			}
			return
		}
		if n < sweepBatch {
			return
		}
	}
}
