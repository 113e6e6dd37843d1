package routing

import "github.com/driftwood-chat/driftwood/internal/events"

// QueueMoved is Driftwood's own event (not one of Drift's webhook events,
// so no app receives it): conversations entered or left the org's queue,
// so the places of those behind them moved. The visitors' streams of the
// conversations still waiting then tell each visitor their own new place;
// the event names only the conversations that moved in or out, never a
// place, which is read when it is told.
const QueueMoved events.Type = "routing_queue_moved"

// QueueMovedPayload is the data of a QueueMoved event.
type QueueMovedPayload struct {
	ConversationIDs []int64 `json:"conversationIds"` // those that entered or left
}

// QueueMovedEvent announces that ids entered or left the org's queue.
func QueueMovedEvent(orgID int64, ids []int64) events.Event {
	return events.New(orgID, QueueMoved, QueueMovedPayload{ConversationIDs: ids})
}
