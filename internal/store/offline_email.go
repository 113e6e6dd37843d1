package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/driftwood-chat/driftwood/internal/apperr"
	"github.com/driftwood-chat/driftwood/internal/conversation"
	"github.com/driftwood-chat/driftwood/internal/derrors"
	"github.com/driftwood-chat/driftwood/internal/offlinemail"
	"github.com/driftwood-chat/driftwood/internal/visitor"
)

var _ offlinemail.Store = (*DB)(nil)

// QueueOfflineEmails turns on the offline email queue: from now on each
// agent's chat message queues an email to the conversation's visitor (one
// pending per conversation; later messages join it). Off by default, so
// that a server without SMTP keeps no queue.
func (db *DB) QueueOfflineEmails(on bool) { db.offlineEmail.Store(on) }

// agentChat is the condition on messages of an agent's chat messages.
const agentChat = `type = 'chat' AND author_type = 'user' AND author_bot = $%d`

// queueOfflineEmail queues the email of an agent's chat message m, in the
// transaction that writes it.
func (tx *Tx) queueOfflineEmail(ctx context.Context, m *conversation.Message) error {
	if !tx.db.offlineEmail.Load() || m.Type != conversation.Chat || m.Author.Type != conversation.AuthorUser || m.Author.Bot {
		return nil
	}
	_, err := tx.q.ExecContext(ctx, `INSERT INTO offline_emails (org_id, conversation_id, message_id, created_at, due_at)
		VALUES ($1, $2, $3, $4, $4) ON CONFLICT DO NOTHING`, m.OrgID, m.ConversationID, m.ID, m.CreatedAt)
	return err
}

// MarkVisitorOnline records that the session's widget is open now (its
// stream is connected): the visitor is online for offline email.
func (db *DB) MarkVisitorOnline(ctx context.Context, sessionID int64) (err error) {
	defer derrors.Wrap(&err, "store.MarkVisitorOnline(%d)", sessionID)
	return db.Transact(ctx, func(ctx context.Context, tx *Tx) error {
		_, err := tx.q.ExecContext(ctx, `UPDATE visitor_sessions SET last_seen_at = $1 WHERE id = $2`, tx.now, sessionID)
		return err
	})
}

type claimedEmail struct{ id, org, conversation, message, attempts int64 }

// ClaimOfflineEmails implements offlinemail.Store. The rows are leased in
// one transaction (skipped by other replicas' claims on PostgreSQL while
// it runs, and after it until the lease ends); what each email needs is
// read after it.
func (db *DB) ClaimOfflineEmails(ctx context.Context, now, leaseUntil, onlineSince int64, limit int) (_ []offlinemail.Pending, err error) {
	defer derrors.Wrap(&err, "store.ClaimOfflineEmails(%d)", now)
	const due = `FROM offline_emails WHERE done_at = 0 AND due_at <= $1 AND claimed_until <= $1`
	if none, err := db.noRows(ctx, `SELECT 1 `+due+` LIMIT 1`, now); err != nil || none {
		return nil, err
	}
	var claimed []claimedEmail
	err = db.Transact(ctx, func(ctx context.Context, tx *Tx) error {
		claimed = claimed[:0]
		rows, err := tx.q.QueryContext(ctx, `SELECT id, org_id, conversation_id, message_id, attempts `+due+
			` ORDER BY due_at, id LIMIT $2`+db.dialect.SkipLocked(), now, limit)
		if err != nil {
			return err
		}
		for rows.Next() {
			var c claimedEmail
			if err := rows.Scan(&c.id, &c.org, &c.conversation, &c.message, &c.attempts); err != nil {
				rows.Close()
				return err
			}
			claimed = append(claimed, c)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, c := range claimed {
			if _, err := tx.q.ExecContext(ctx, `UPDATE offline_emails SET claimed_until = $1, attempts = attempts + 1 WHERE id = $2`,
				leaseUntil, c.id); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := make([]offlinemail.Pending, 0, len(claimed))
	for _, c := range claimed {
		p, err := db.pendingEmail(ctx, c, onlineSince)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

// pendingEmail reads what a claimed email needs: the contact, whether they
// are online, and the agent messages since the one that queued it that
// they have not read.
func (db *DB) pendingEmail(ctx context.Context, c claimedEmail, onlineSince int64) (offlinemail.Pending, error) {
	p := offlinemail.Pending{ID: c.id, OrgID: c.org, ConversationID: c.conversation, Attempts: int(c.attempts + 1), AuthorNames: map[int64]string{}}
	var contactID, read int64
	if err := db.read.QueryRowContext(ctx, `SELECT contact_id FROM conversations WHERE id = $1 AND org_id = $2`, c.conversation, c.org).
		Scan(&contactID); err != nil {
		return p, err
	}
	if err := db.read.QueryRowContext(ctx, `SELECT COALESCE(MAX(read_message_id), 0) FROM visitor_conversations WHERE conversation_id = $1`,
		c.conversation).Scan(&read); err != nil {
		return p, err
	}
	if err := db.read.QueryRowContext(ctx, `SELECT COALESCE(MAX(id), 0) FROM messages WHERE conversation_id = $1 AND `+
		sqlf(agentChat, 2), c.conversation, false).Scan(&p.Through); err != nil {
		return p, err
	}
	ct, err := getContact(ctx, db.read, c.org, contactID, "")
	if err != nil {
		return p, err
	}
	p.ContactEmail = ct.Email()
	p.ContactName, _ = ct.Attributes["name"].(string)
	online, err := db.noRows(ctx, `SELECT 1 FROM visitor_sessions WHERE org_id = $1 AND contact_id = $2 AND last_seen_at >= $3 LIMIT 1`,
		c.org, contactID, onlineSince)
	if err != nil {
		return p, err
	}
	p.Online = !online
	if p.Unread, err = queryMessages(ctx, db.read, `WHERE conversation_id = $1 AND id >= $2 AND id > $3 AND id <= $4 AND `+
		sqlf(agentChat, 5)+` ORDER BY id LIMIT 50`, c.conversation, c.message, read, p.Through, false); err != nil {
		return p, err
	}
	for _, m := range p.Unread {
		if _, ok := p.AuthorNames[m.Author.ID]; !ok {
			if u, err := getUser(ctx, db.read, c.org, m.Author.ID, ""); err == nil {
				p.AuthorNames[m.Author.ID] = u.Name
			}
		}
	}
	return p, nil
}

// PostponeOfflineEmail implements offlinemail.Store.
func (db *DB) PostponeOfflineEmail(ctx context.Context, id, due int64) (err error) {
	defer derrors.Wrap(&err, "store.PostponeOfflineEmail(%d)", id)
	return db.Transact(ctx, func(ctx context.Context, tx *Tx) error {
		_, err := tx.q.ExecContext(ctx, `UPDATE offline_emails SET due_at = $1, claimed_until = 0 WHERE id = $2 AND done_at = 0`, due, id)
		return err
	})
}

// FinishOfflineEmail implements offlinemail.Store. Agent messages after
// through, written while the email was claimed, queue the next one.
func (db *DB) FinishOfflineEmail(ctx context.Context, id int64, outcome string, through int64) (err error) {
	defer derrors.Wrap(&err, "store.FinishOfflineEmail(%d, %s)", id, outcome)
	return db.Transact(ctx, func(ctx context.Context, tx *Tx) error {
		var conv int64
		if err := tx.q.QueryRowContext(ctx, `UPDATE offline_emails SET done_at = $1, outcome = $2, claimed_until = 0
			WHERE id = $3 AND done_at = 0 RETURNING conversation_id`, tx.now, outcome, id).Scan(&conv); err != nil {
			return ignoreNoRows(err) // finished already (a lease that ran out)
		}
		_, err := tx.q.ExecContext(ctx, `INSERT INTO offline_emails (org_id, conversation_id, message_id, created_at, due_at)
			SELECT org_id, conversation_id, id, created_at, created_at FROM messages
			WHERE conversation_id = $1 AND id > $2 AND `+sqlf(agentChat, 3)+` ORDER BY id LIMIT 1
			ON CONFLICT DO NOTHING`, conv, through, false)
		return err
	})
}

// sqlf numbers the one placeholder of a condition.
func sqlf(cond string, n int) string { return fmt.Sprintf(cond, n) }

func ignoreNoRows(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	return err
}

// ResumeVisitorSession ties the session to the contact of a conversation
// whose signed offline-email link the visitor followed: the link reached
// the contact's own mailbox, so the session becomes theirs (verified: it
// sees their conversations). A session that is another contact's already is
// a conflict.
func (db *DB) ResumeVisitorSession(ctx context.Context, s *visitor.Session, conversationID int64) (err error) {
	defer derrors.Wrap(&err, "store.ResumeVisitorSession(%d, %d)", s.OrgID, conversationID)
	var contactID int64
	err = db.Transact(ctx, func(ctx context.Context, tx *Tx) error {
		c, err := getConversation(ctx, tx.q, s.OrgID, conversationID, "")
		if err != nil {
			return err
		}
		if s.ContactID != 0 && s.ContactID != c.ContactID {
			return apperr.New(apperr.Conflict, "this visitor session is another contact's")
		}
		contactID = c.ContactID
		_, err = tx.q.ExecContext(ctx, `UPDATE visitor_sessions SET contact_id = $1, verified = $2 WHERE id = $3`, c.ContactID, true, s.ID)
		return err
	})
	if err == nil {
		s.ContactID, s.Verified = contactID, true
	}
	return err
}
