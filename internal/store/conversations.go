package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/driftwood-chat/driftwood/internal/apperr"
	"github.com/driftwood-chat/driftwood/internal/contact"
	"github.com/driftwood-chat/driftwood/internal/conversation"
	"github.com/driftwood-chat/driftwood/internal/derrors"
	"github.com/driftwood-chat/driftwood/internal/events"
)

var _ conversation.Store = (*DB)(nil)

const conversationColumns = `id, org_id, contact_id, inbox_id, status, participants, tags, created_at, updated_at, assignee_id`

// StartConversation implements conversation.Store.
func (db *DB) StartConversation(ctx context.Context, orgID int64, s conversation.Start) (_ *conversation.Conversation, _ *conversation.Message, err error) {
	defer derrors.Wrap(&err, "store.StartConversation(%d)", orgID)
	if err := s.Validate(); err != nil {
		return nil, nil, err
	}
	var c *conversation.Conversation
	var m *conversation.Message
	start := func(ctx context.Context, tx *Tx) error {
		ct, err := tx.contactForEmail(ctx, orgID, s.Email)
		if err != nil {
			return err
		}
		c = conversation.New(orgID, ct.ID, tx.now)
		if err := tx.q.QueryRowContext(ctx, `INSERT INTO conversations (org_id, contact_id, inbox_id, status, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, orgID, c.ContactID, c.InboxID, c.Status, c.CreatedAt, c.UpdatedAt).Scan(&c.ID); err != nil {
			return err
		}
		evs := c.StartEvents(ct, s.Visitor)
		p := s.FirstPost()
		var postEvs []events.Event
		if m, postEvs, err = tx.post(ctx, c, &p); err != nil {
			return err
		}
		if err := tx.appendEvents(ctx, append(evs, postEvs...)); err != nil {
			return err
		}
		return tx.assign(ctx, c, s.AssigneeID)
	}
	err = db.Transact(ctx, start)
	if errors.Is(err, apperr.ErrConflict) {
		// A concurrent start created the contact first; now it is found.
		err = db.Transact(ctx, start)
	}
	if err != nil {
		return nil, nil, err
	}
	return c, m, nil
}

// assign assigns c, locked by tx, to user userID of its org (none when 0):
// another org's user is refused as an unknown one.
func (tx *Tx) assign(ctx context.Context, c *conversation.Conversation, userID int64) error {
	if userID == 0 {
		return nil
	}
	if _, err := tx.requireUser(ctx, c.OrgID, userID, conversation.AutoAssigneeParam); err != nil {
		return err
	}
	evs := c.Assign(userID)
	if err := tx.saveConversation(ctx, c); err != nil {
		return err
	}
	return tx.appendEvents(ctx, evs)
}

// contactForEmail returns the first-created contact with the email, creating
// one when there is none.
func (tx *Tx) contactForEmail(ctx context.Context, orgID int64, email string) (*contact.Contact, error) {
	rows, err := tx.q.QueryContext(ctx, `SELECT `+contactColumns+` FROM contacts
		WHERE org_id = $1 AND email_norm = $2 ORDER BY id LIMIT 1`, orgID, strings.ToLower(email))
	if err != nil {
		return nil, err
	}
	cs, err := scanContacts(rows)
	if err != nil {
		return nil, err
	}
	if len(cs) > 0 {
		return cs[0], nil
	}
	c, err := contact.New(map[string]any{contact.AttrEmail: email}, tx.now)
	if err != nil {
		return nil, err
	}
	c.OrgID = orgID
	return c, tx.insertContact(ctx, c)
}

// GetConversation implements conversation.Store.
func (db *DB) GetConversation(ctx context.Context, orgID, id int64) (_ *conversation.Conversation, err error) {
	defer derrors.Wrap(&err, "store.GetConversation(%d, %d)", orgID, id)
	return getConversation(ctx, db.reads, orgID, id, "")
}

func getConversation(ctx context.Context, q queryer, orgID, id int64, lock string) (*conversation.Conversation, error) {
	cs, err := queryConversations(ctx, q, `WHERE id = $1 AND org_id = $2`+lock, id, orgID)
	if err != nil {
		return nil, err
	}
	if len(cs) == 0 {
		return nil, apperr.NotFoundf("no conversation with id %d", id)
	}
	return cs[0], nil
}

// ListConversations implements conversation.Store.
func (db *DB) ListConversations(ctx context.Context, orgID int64, q conversation.ListQuery) (_ []*conversation.Conversation, err error) {
	defer derrors.Wrap(&err, "store.ListConversations(%d)", orgID)
	args := []any{orgID}
	arg := func(v any) string { args = append(args, v); return fmt.Sprintf("$%d", len(args)) }
	where := `WHERE org_id = $1`
	if len(q.Statuses) > 0 {
		marks := make([]string, len(q.Statuses))
		for i, s := range q.Statuses {
			marks[i] = arg(string(s))
		}
		where += ` AND status IN (` + strings.Join(marks, ", ") + `)`
	}
	if q.After != nil {
		u, id := arg(q.After.UpdatedAt), arg(q.After.ID)
		where += ` AND (updated_at < ` + u + ` OR (updated_at = ` + u + ` AND id < ` + id + `))`
	}
	return queryConversations(ctx, db.reads, where+` ORDER BY updated_at DESC, id DESC LIMIT `+arg(q.Limit+1), args...)
}

func queryConversations(ctx context.Context, q queryer, where string, args ...any) ([]*conversation.Conversation, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+conversationColumns+` FROM conversations `+where, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*conversation.Conversation
	for rows.Next() {
		c := &conversation.Conversation{}
		var participants, tags string
		if err := rows.Scan(&c.ID, &c.OrgID, &c.ContactID, &c.InboxID, &c.Status, &participants, &tags, &c.CreatedAt, &c.UpdatedAt, &c.AssigneeID); err != nil {
			return nil, err
		}
		if c.Participants, err = decodeIDs(participants); err != nil {
			return nil, fmt.Errorf("store: conversation %d participants: %w", c.ID, err)
		}
		if tags == "[]" { // most conversations: no decoder (json.Unmarshal would give the same empty list)
			c.ConversationTags = []conversation.Tag{}
		} else if err := json.Unmarshal([]byte(tags), &c.ConversationTags); err != nil {
			return nil, fmt.Errorf("store: conversation %d tags: %w", c.ID, err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// saveConversation writes what messages and status updates change.
func (tx *Tx) saveConversation(ctx context.Context, c *conversation.Conversation) error {
	participants, err := json.Marshal(c.Participants)
	if err != nil {
		return err
	}
	_, err = tx.q.ExecContext(ctx, `UPDATE conversations SET status = $1, participants = $2, updated_at = $3, assignee_id = $4 WHERE id = $5`,
		c.Status, string(participants), c.UpdatedAt, c.AssigneeID, c.ID)
	return err
}

// ConversationStats implements conversation.Store.
func (db *DB) ConversationStats(ctx context.Context, orgID int64) (_ conversation.Stats, err error) {
	defer derrors.Wrap(&err, "store.ConversationStats(%d)", orgID)
	rows, err := db.read.QueryContext(ctx, `SELECT status, COUNT(*) FROM conversations WHERE org_id = $1 GROUP BY status`, orgID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := conversation.Stats{}
	for rows.Next() {
		var s conversation.Status
		var n int
		if err := rows.Scan(&s, &n); err != nil {
			return nil, err
		}
		out[s] = n
	}
	return out, rows.Err()
}

// SetConversationStatus implements conversation.Store.
func (db *DB) SetConversationStatus(ctx context.Context, orgID, id int64, s conversation.Status) (_ *conversation.Conversation, err error) {
	defer derrors.Wrap(&err, "store.SetConversationStatus(%d, %d)", orgID, id)
	var c *conversation.Conversation
	err = db.Transact(ctx, func(ctx context.Context, tx *Tx) error {
		var err error
		if c, err = getConversation(ctx, tx.q, orgID, id, db.dialect.LockRows()); err != nil {
			return err
		}
		evs, err := c.SetStatus(s, tx.now)
		if err != nil || len(evs) == 0 {
			return err
		}
		if err := tx.saveConversation(ctx, c); err != nil {
			return err
		}
		if err := tx.appendEvents(ctx, evs); err != nil {
			return err
		}
		return tx.drainQueue(ctx, orgID) // a close frees its agent's capacity
	})
	return c, err
}

// decodeIDs decodes a stored JSON list of ids, such as "[1,2]", as
// json.Unmarshal would, but without its reflection: listing conversations
// spent most of its allocations there. What is not a plain list of
// integers (spaces, null) goes to json.Unmarshal.
func decodeIDs(s string) ([]int64, error) {
	inner, ok := strings.CutPrefix(s, "[")
	if inner, ok2 := strings.CutSuffix(inner, "]"); ok && ok2 {
		ids := make([]int64, 0, strings.Count(inner, ",")+1)
		if inner == "" {
			return ids, nil
		}
		for f := range strings.SplitSeq(inner, ",") {
			id, err := strconv.ParseInt(f, 10, 64)
			if err != nil {
				return decodeIDsJSON(s)
			}
			ids = append(ids, id)
		}
		return ids, nil
	}
	return decodeIDsJSON(s)
}

func decodeIDsJSON(s string) ([]int64, error) {
	var ids []int64
	err := json.Unmarshal([]byte(s), &ids)
	return ids, err
}
