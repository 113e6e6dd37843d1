package store

import (
	"context"
	"strconv"

	"github.com/driftwood-chat/driftwood/internal/conversation"
	"github.com/driftwood-chat/driftwood/internal/derrors"
)

var _ conversation.QuietStore = (*DB)(nil)

// MarkQuiet implements conversation.QuietStore. The conversations taken
// are locked (on PostgreSQL, skipped by other replicas' sweeps) until they
// are marked, in the same transaction as their events; a message posted
// meanwhile waits for the lock and starts a new quiet period.
func (db *DB) MarkQuiet(ctx context.Context, cutoff int64, limit int) (_ int, err error) {
	defer derrors.Wrap(&err, "store.MarkQuiet(%d)", cutoff)
	// A read first: nothing quiet costs no write transaction.
	if none, err := db.noRows(ctx, `SELECT 1 FROM conversations WHERE inactive_for <> updated_at AND updated_at <= $1 LIMIT 1`, cutoff); err != nil || none {
		return 0, err
	}
	var n int
	err = db.Transact(ctx, func(ctx context.Context, tx *Tx) error {
		n = 0
		rows, err := tx.q.QueryContext(ctx, `SELECT id, org_id, contact_id, updated_at FROM conversations
			WHERE inactive_for <> updated_at AND updated_at <= $1 ORDER BY updated_at, id LIMIT $2`+db.dialect.SkipLocked(), cutoff, limit)
		if err != nil {
			return err
		}
		type quiet struct{ id, org, contact, updated int64 }
		var qs []quiet
		for rows.Next() {
			var q quiet
			if err := rows.Scan(&q.id, &q.org, &q.contact, &q.updated); err != nil {
				rows.Close()
				return err
			}
			qs = append(qs, q)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, q := range qs {
			if _, err := tx.q.ExecContext(ctx, `UPDATE conversations SET inactive_for = $1 WHERE id = $2`, q.updated, q.id); err != nil {
				return err
			}
			if err := tx.appendEvents(ctx, conversation.QuietEvents(q.org, q.id, q.contact, q.updated)); err != nil {
				return err
			}
		}
		n = len(qs)
		return nil
	})
	return n, err
}

// PushConversation implements conversation.QuietStore.
func (db *DB) PushConversation(ctx context.Context, orgID, id int64) (_ *conversation.Conversation, err error) {
	defer derrors.Wrap(&err, "store.PushConversation(%d, %d)", orgID, id)
	var c *conversation.Conversation
	err = db.Transact(ctx, func(ctx context.Context, tx *Tx) error {
		var err error
		if c, err = getConversation(ctx, tx.q, orgID, id, ""); err != nil {
			return err
		}
		return tx.AppendEvent(ctx, conversation.PushEvent(orgID, c.ID, c.ContactID, c.UpdatedAt, conversation.PushManual))
	})
	return c, err
}

// removeParticipant takes a user out of the participants of every
// conversation of the org it took part in, with
// conversation_participant_removed for each (the user deprovisioned).
func (tx *Tx) removeParticipant(ctx context.Context, orgID, userID int64) error {
	// The JSON array text holds the id's digits; the exact test is Go's.
	cs, err := queryConversations(ctx, tx.q, `WHERE org_id = $1 AND participants LIKE $2`+tx.db.dialect.LockRows(),
		orgID, "%"+strconv.FormatInt(userID, 10)+"%")
	if err != nil {
		return err
	}
	for _, c := range cs {
		evs := c.RemoveParticipant(userID, tx.now)
		if len(evs) == 0 {
			continue
		}
		if err := tx.saveConversation(ctx, c); err != nil {
			return err
		}
		if err := tx.appendEvents(ctx, evs); err != nil {
			return err
		}
	}
	return nil
}
