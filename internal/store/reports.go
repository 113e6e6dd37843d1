package store

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"

	"github.com/driftwood-chat/driftwood/internal/conversation"
	"github.com/driftwood-chat/driftwood/internal/derrors"
	"github.com/driftwood-chat/driftwood/internal/events"
	"github.com/driftwood-chat/driftwood/internal/report"
)

var _ report.Store = (*DB)(nil)

// ConversationFacts implements report.Store: one pass over the org's
// conversations, one over its messages and one over its status changes
// (the outbox's conversation_status_updated events), folded in order.
func (db *DB) ConversationFacts(ctx context.Context, orgID int64) (_ []report.Facts, err error) {
	defer derrors.Wrap(&err, "store.ConversationFacts(%d)", orgID)
	byID := map[int64]*report.Facts{}
	rows, err := db.read.QueryContext(ctx, `SELECT id, contact_id, status, participants, created_at, updated_at
		FROM conversations WHERE org_id = $1`, orgID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var f report.Facts
		var participants string
		if err := rows.Scan(&f.ConversationID, &f.ContactID, &f.Status, &participants, &f.CreatedAt, &f.UpdatedAt); err != nil {
			return nil, err
		}
		var ids []int64
		if err := json.Unmarshal([]byte(participants), &ids); err != nil {
			return nil, fmt.Errorf("store: conversation %d participants: %w", f.ConversationID, err)
		}
		f.Participants = len(ids)
		byID[f.ConversationID] = &f
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows.Close()

	msgs, err := db.read.QueryContext(ctx, `SELECT conversation_id, author_type, author_id, author_bot, type, created_at
		FROM messages WHERE org_id = $1 ORDER BY id`, orgID)
	if err != nil {
		return nil, err
	}
	defer msgs.Close()
	for msgs.Next() {
		var convID, authorID, at int64
		var authorType, typ string
		var bot bool
		if err := msgs.Scan(&convID, &authorType, &authorID, &bot, &typ, &at); err != nil {
			return nil, err
		}
		if f := byID[convID]; f != nil {
			f.AddMessage(authorType, authorID, bot, typ, at)
		}
	}
	if err := msgs.Err(); err != nil {
		return nil, err
	}
	msgs.Close()

	evs, err := db.read.QueryContext(ctx, `SELECT data FROM events WHERE org_id = $1 AND type = $2 ORDER BY id`,
		orgID, string(events.ConversationStatusUpdated))
	if err != nil {
		return nil, err
	}
	defer evs.Close()
	for evs.Next() {
		var data string
		if err := evs.Scan(&data); err != nil {
			return nil, err
		}
		var p conversation.StatusPayload
		if err := json.Unmarshal([]byte(data), &p); err != nil {
			return nil, fmt.Errorf("store: status event: %w", err)
		}
		if f := byID[p.ConversationID]; f != nil {
			f.AddStatus(string(p.Status), p.ChangedAt)
		}
	}
	if err := evs.Err(); err != nil {
		return nil, err
	}

	out := make([]report.Facts, 0, len(byID))
	for _, f := range byID {
		out = append(out, *f)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ConversationID < out[j].ConversationID })
	return out, nil
}
