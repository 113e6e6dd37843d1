package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/driftwood-chat/driftwood/internal/account"
	"github.com/driftwood-chat/driftwood/internal/apperr"
	"github.com/driftwood-chat/driftwood/internal/contact"
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
	case conversation.ViewTeam:
		where += ` AND c.assignee_id IN (SELECT tm.user_id FROM team_members tm JOIN teams t ON t.id = tm.team_id
			WHERE t.org_id = $1 AND t.id = ` + arg(q.TeamID) + `)`
	}
	if q.ContactID != 0 {
		where += ` AND c.contact_id = ` + arg(q.ContactID)
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

// InboxAwaiting implements conversation.InboxStore: one pass over the org's
// open conversations, grouped by assignee.
func (db *DB) InboxAwaiting(ctx context.Context, orgID, userID int64) (_ conversation.Awaiting, err error) {
	defer derrors.Wrap(&err, "store.InboxAwaiting(%d, %d)", orgID, userID)
	a := conversation.Awaiting{ByAssignee: map[int64]int{}}
	rows, err := db.read.QueryContext(ctx, `SELECT c.assignee_id, COUNT(*) FROM conversations c
		WHERE c.org_id = $1 AND c.status = $2 AND (SELECT m.author_type FROM messages m
			WHERE m.conversation_id = c.id AND m.type = $3 ORDER BY m.id DESC LIMIT 1) = $4
		GROUP BY c.assignee_id`, orgID, string(conversation.Open), string(conversation.Chat), conversation.AuthorContact)
	if err != nil {
		return a, err
	}
	defer rows.Close()
	for rows.Next() {
		var assignee int64
		var n int
		if err := rows.Scan(&assignee, &n); err != nil {
			return a, err
		}
		a.All += n
		a.ByAssignee[assignee] = n
		switch assignee {
		case 0:
			a.Unassigned += n
		case userID:
			a.Mine += n
		}
	}
	return a, rows.Err()
}

// AccountForDomain returns the org's account (not deleted) of an email
// domain: the account a contact belongs to, as Drift's ABM matches them.
func (db *DB) AccountForDomain(ctx context.Context, orgID int64, domain string) (_ *account.Account, err error) {
	defer derrors.Wrap(&err, "store.AccountForDomain(%d)", orgID)
	as, err := queryAccounts(ctx, db.read, `WHERE org_id = $1 AND lower(domain) = $2 AND deleted = $3`, orgID, strings.ToLower(domain), false)
	if err != nil {
		return nil, err
	}
	if len(as) == 0 {
		return nil, apperr.NotFoundf("no account of domain %q", domain)
	}
	return as[0], nil
}

// ContactTimeline returns the contact's latest timeline events, newest
// first; another org's contact has none.
func (db *DB) ContactTimeline(ctx context.Context, orgID, contactID int64, limit int) (_ []contact.TimelineEvent, err error) {
	defer derrors.Wrap(&err, "store.ContactTimeline(%d, %d)", orgID, contactID)
	rows, err := db.read.QueryContext(ctx, `SELECT id, contact_id, event, attributes, created_at FROM timeline_events
		WHERE org_id = $1 AND contact_id = $2 ORDER BY created_at DESC, id DESC LIMIT $3`, orgID, contactID, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []contact.TimelineEvent{}
	for rows.Next() {
		var ev contact.TimelineEvent
		var attrs sql.NullString
		if err := rows.Scan(&ev.ID, &ev.ContactID, &ev.Event, &attrs, &ev.CreatedAt); err != nil {
			return nil, err
		}
		if attrs.Valid && attrs.String != "" {
			if err := json.Unmarshal([]byte(attrs.String), &ev.Attributes); err != nil {
				return nil, fmt.Errorf("store: timeline event %d: %w", ev.ID, err)
			}
		}
		out = append(out, ev)
	}
	return out, rows.Err()
}
