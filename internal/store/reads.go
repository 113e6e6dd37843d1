package store

import (
	"context"

	"github.com/driftwood-chat/driftwood/internal/conversation"
	"github.com/driftwood-chat/driftwood/internal/derrors"
)

var _ conversation.ReadStore = (*DB)(nil)

// unreadBy is the condition on messages m (of a conversation whose read
// marker row, if any, is r) that Message.Unread states: newer than the
// marker, not an edit, not written by the user $userArg.
func unreadBy(userArg string) string {
	return `m.id > COALESCE(r.last_message_id, 0) AND m.type <> '` + string(conversation.Edit) +
		`' AND NOT (m.author_type = '` + conversation.AuthorUser + `' AND m.author_id = ` + userArg + `)`
}

// MarkRead implements conversation.ReadStore: an upsert that keeps the
// larger marker, so concurrent marks (two tabs) never move it back.
func (db *DB) MarkRead(ctx context.Context, orgID, userID, conversationID, upTo int64) (marker int64, err error) {
	defer derrors.Wrap(&err, "store.MarkRead(%d, %d, %d)", orgID, userID, conversationID)
	err = db.Transact(ctx, func(ctx context.Context, tx *Tx) error {
		if _, err := getConversation(ctx, tx.q, orgID, conversationID, ""); err != nil {
			return err
		}
		bound := ""
		args := []any{conversationID}
		if upTo > 0 {
			bound, args = ` AND id <= $2`, append(args, upTo)
		}
		if err := tx.q.QueryRowContext(ctx, `SELECT COALESCE(MAX(id), 0) FROM messages WHERE conversation_id = $1`+bound,
			args...).Scan(&marker); err != nil {
			return err
		}
		if marker == 0 {
			return nil // nothing to read yet
		}
		_, err := tx.q.ExecContext(ctx, `INSERT INTO conversation_reads (user_id, conversation_id, org_id, last_message_id, updated_at)
			VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (conversation_id, user_id) DO UPDATE SET last_message_id = excluded.last_message_id, updated_at = excluded.updated_at
			WHERE excluded.last_message_id > conversation_reads.last_message_id`,
			userID, conversationID, orgID, marker, tx.now)
		if err != nil {
			return err
		}
		return tx.q.QueryRowContext(ctx, `SELECT last_message_id FROM conversation_reads WHERE conversation_id = $1 AND user_id = $2`,
			conversationID, userID).Scan(&marker)
	})
	return marker, err
}

// UnreadMessages implements conversation.ReadStore: one query for the
// page's conversations, each read from its marker on through the
// messages_conversation index.
func (db *DB) UnreadMessages(ctx context.Context, orgID, userID int64, conversationIDs []int64) (_ map[int64]int, err error) {
	defer derrors.Wrap(&err, "store.UnreadMessages(%d, %d)", orgID, userID)
	out := map[int64]int{}
	if len(conversationIDs) == 0 {
		return out, nil
	}
	args := []any{orgID, userID}
	for _, id := range conversationIDs {
		args = append(args, id)
	}
	rows, err := db.read.QueryContext(ctx, `SELECT m.conversation_id, COUNT(*) FROM messages m
		LEFT JOIN conversation_reads r ON r.conversation_id = m.conversation_id AND r.user_id = $2
		WHERE m.org_id = $1 AND m.conversation_id IN (`+placeholders(3, len(conversationIDs))+`) AND `+unreadBy("$2")+`
		GROUP BY m.conversation_id`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			return nil, err
		}
		out[id] = n
	}
	return out, rows.Err()
}

// InboxUnread implements conversation.ReadStore: one pass over the org's
// open conversations (as InboxAwaiting), each probing its messages after
// its marker for one by someone else.
func (db *DB) InboxUnread(ctx context.Context, orgID, userID int64) (_ conversation.Unread, err error) {
	defer derrors.Wrap(&err, "store.InboxUnread(%d, %d)", orgID, userID)
	u := conversation.Unread{ByAssignee: map[int64]int{}}
	rows, err := db.read.QueryContext(ctx, `SELECT c.assignee_id, COUNT(*) FROM conversations c
		LEFT JOIN conversation_reads r ON r.conversation_id = c.id AND r.user_id = $2
		WHERE c.org_id = $1 AND c.status = $3 AND EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = c.id AND `+unreadBy("$2")+`)
		GROUP BY c.assignee_id`, orgID, userID, string(conversation.Open))
	if err != nil {
		return u, err
	}
	defer rows.Close()
	for rows.Next() {
		var assignee int64
		var n int
		if err := rows.Scan(&assignee, &n); err != nil {
			return u, err
		}
		u.All += n
		u.ByAssignee[assignee] = n
		switch assignee {
		case 0:
			u.Unassigned += n
		case userID:
			u.Mine += n
		}
	}
	return u, rows.Err()
}
