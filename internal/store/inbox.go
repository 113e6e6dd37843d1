package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/driftwood-chat/driftwood/internal/conversation"
	"github.com/driftwood-chat/driftwood/internal/derrors"
)

var _ conversation.InboxStore = (*DB)(nil)

// InboxConversations implements conversation.InboxStore: one query for the
// page, with each conversation's contact and last chat message.
func (db *DB) InboxConversations(ctx context.Context, orgID int64, q conversation.InboxQuery) (_ []conversation.Summary, err error) {
	defer derrors.Wrap(&err, "store.InboxConversations(%d)", orgID)
	args := []any{orgID}
	arg := func(v any) string { args = append(args, v); return fmt.Sprintf("$%d", len(args)) }
	where := `WHERE c.org_id = $1`
	switch q.View {
	case conversation.ViewMine:
		where += ` AND c.assignee_id = ` + arg(q.UserID)
	case conversation.ViewUnassigned:
		where += ` AND c.assignee_id = 0`
	}
	if len(q.Statuses) > 0 {
		marks := make([]string, len(q.Statuses))
		for i, s := range q.Statuses {
			marks[i] = arg(string(s))
		}
		where += ` AND c.status IN (` + strings.Join(marks, ", ") + `)`
	}
	if q.After != nil {
		u, id := arg(q.After.UpdatedAt), arg(q.After.ID)
		where += ` AND (c.updated_at < ` + u + ` OR (c.updated_at = ` + u + ` AND c.id < ` + id + `))`
	}
	chat := arg(string(conversation.Chat))
	last := `(SELECT %s FROM messages m WHERE m.conversation_id = c.id AND m.type = ` + chat + ` ORDER BY m.id DESC LIMIT 1)`
	cols := strings.ReplaceAll(conversationColumns, ", ", ", c.")
	rows, err := db.read.QueryContext(ctx, `SELECT c.`+cols+`, ct.attributes, `+fmt.Sprintf(last, "m.body")+`, `+fmt.Sprintf(last, "m.author_type")+`
		FROM conversations c JOIN contacts ct ON ct.id = c.contact_id `+where+`
		ORDER BY c.updated_at DESC, c.id DESC LIMIT `+arg(q.Limit+1), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []conversation.Summary
	for rows.Next() {
		c := &conversation.Conversation{}
		var participants, tags, attrs string
		var body, author sql.NullString
		if err := rows.Scan(&c.ID, &c.OrgID, &c.ContactID, &c.InboxID, &c.Status, &participants, &tags, &c.CreatedAt,
			&c.UpdatedAt, &c.AssigneeID, &attrs, &body, &author); err != nil {
			return nil, err
		}
		s := conversation.Summary{Conversation: c, LastBody: body.String, LastAuthor: author.String}
		for _, f := range []struct {
			text string
			dst  any
		}{{participants, &c.Participants}, {tags, &c.ConversationTags}, {attrs, &s.Contact}} {
			if err := json.Unmarshal([]byte(f.text), f.dst); err != nil {
				return nil, fmt.Errorf("store: conversation %d: %w", c.ID, err)
			}
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// AssignConversation implements conversation.InboxStore.
func (db *DB) AssignConversation(ctx context.Context, orgID, id, userID int64) (_ *conversation.Conversation, err error) {
	defer derrors.Wrap(&err, "store.AssignConversation(%d, %d, %d)", orgID, id, userID)
	var c *conversation.Conversation
	err = db.Transact(ctx, func(ctx context.Context, tx *Tx) error {
		var err error
		if c, err = getConversation(ctx, tx.q, orgID, id, db.dialect.LockRows()); err != nil {
			return err
		}
		if userID != 0 {
			if _, err := tx.requireUser(ctx, orgID, userID, "userId"); err != nil {
				return err
			}
		}
		if c.AssigneeID == userID {
			return nil // already so: nothing changes
		}
		evs := c.AssignTo(userID, tx.now)
		if err := tx.saveConversation(ctx, c); err != nil {
			return err
		}
		if err := tx.appendEvents(ctx, evs); err != nil {
			return err
		}
		return tx.drainQueue(ctx, orgID) // a reassignment may free capacity
	})
	return c, err
}
