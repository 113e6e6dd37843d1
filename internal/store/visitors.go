package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"strings"

	"github.com/driftwood-chat/driftwood/internal/apperr"
	"github.com/driftwood-chat/driftwood/internal/contact"
	"github.com/driftwood-chat/driftwood/internal/conversation"
	"github.com/driftwood-chat/driftwood/internal/derrors"
	"github.com/driftwood-chat/driftwood/internal/events"
	"github.com/driftwood-chat/driftwood/internal/routing"
	"github.com/driftwood-chat/driftwood/internal/visitor"
)

var _ visitor.Store = (*DB)(nil)

const sessionColumns = `id, org_id, contact_id, verified, created_at, last_used_at`

// CreateVisitorSession implements visitor.Store.
func (db *DB) CreateVisitorSession(ctx context.Context, orgID int64, tokenHash string) (_ *visitor.Session, err error) {
	defer derrors.Wrap(&err, "store.CreateVisitorSession(%d)", orgID)
	s := &visitor.Session{OrgID: orgID}
	err = db.Transact(ctx, func(ctx context.Context, tx *Tx) error {
		s.CreatedAt, s.LastUsedAt = tx.now, tx.now
		return tx.q.QueryRowContext(ctx, `INSERT INTO visitor_sessions (org_id, token_hash, verified, created_at, last_used_at)
			VALUES ($1, $2, $3, $4, $4) RETURNING id`, orgID, tokenHash, false, tx.now).Scan(&s.ID)
	})
	return s, err
}

// VisitorSession implements visitor.Store.
func (db *DB) VisitorSession(ctx context.Context, tokenHash string) (_ *visitor.Session, err error) {
	defer derrors.Wrap(&err, "store.VisitorSession()")
	s := &visitor.Session{}
	var contactID sql.NullInt64
	err = db.reads.QueryRowContext(ctx, `SELECT `+sessionColumns+` FROM visitor_sessions WHERE token_hash = $1`, tokenHash).
		Scan(&s.ID, &s.OrgID, &contactID, &s.Verified, &s.CreatedAt, &s.LastUsedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, apperr.ErrNotFound
	}
	s.ContactID = contactID.Int64
	return s, err
}

// TouchVisitorSession implements visitor.Store.
func (db *DB) TouchVisitorSession(ctx context.Context, id, at int64) (err error) {
	defer derrors.Wrap(&err, "store.TouchVisitorSession(%d)", id)
	return db.Transact(ctx, func(ctx context.Context, tx *Tx) error {
		_, err := tx.q.ExecContext(ctx, `UPDATE visitor_sessions SET last_used_at = $1 WHERE id = $2 AND last_used_at < $1`, at, id)
		return err
	})
}

// DeleteIdleVisitorSessions implements visitor.Store. The conversations
// stay (they are their contacts'); what the session saw goes with it.
func (db *DB) DeleteIdleVisitorSessions(ctx context.Context, before int64, limit int) (n int64, err error) {
	defer derrors.Wrap(&err, "store.DeleteIdleVisitorSessions(%d)", before)
	err = db.Transact(ctx, func(ctx context.Context, tx *Tx) error {
		res, err := tx.q.ExecContext(ctx, `DELETE FROM visitor_sessions WHERE id IN
			(SELECT id FROM visitor_sessions WHERE last_used_at < $1 ORDER BY last_used_at LIMIT $2)`, before, limit)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return n, err
}

// lockVisibleConversation reads and locks conversation id if session s sees
// it; one it does not see is a not-found, as a missing one.
func (tx *Tx) lockVisibleConversation(ctx context.Context, s *visitor.Session, id int64) (*conversation.Conversation, error) {
	args := []any{id}
	cs, err := queryConversations(ctx, tx.q, `WHERE id = $1 AND `+visibleTo(s, &args)+tx.db.dialect.LockRows(), args...)
	if err != nil {
		return nil, err
	}
	if len(cs) == 0 {
		return nil, apperr.NotFoundf("no conversation with id %d", id)
	}
	return cs[0], nil
}

// visibleTo is the condition on conversations that a session sees: those
// it started, and all its contact's when a signed identity verified it.
func visibleTo(s *visitor.Session, args *[]any) string {
	arg := func(v any) string { *args = append(*args, v); return fmt.Sprintf("$%d", len(*args)) }
	where := `org_id = ` + arg(s.OrgID) + ` AND (id IN (SELECT conversation_id FROM visitor_conversations WHERE session_id = ` + arg(s.ID) + `)`
	if s.Verified && s.ContactID != 0 {
		where += ` OR contact_id = ` + arg(s.ContactID)
	}
	return where + `)`
}

// VisitorConversations implements visitor.Store.
func (db *DB) VisitorConversations(ctx context.Context, s *visitor.Session, limit int) (_ []*conversation.Conversation, err error) {
	defer derrors.Wrap(&err, "store.VisitorConversations(%d)", s.OrgID)
	var args []any
	where := visibleTo(s, &args)
	args = append(args, limit)
	return queryConversations(ctx, db.read, `WHERE `+where+` ORDER BY created_at DESC, id DESC LIMIT `+fmt.Sprintf("$%d", len(args)), args...)
}

// VisitorQueuePositions implements visitor.Store. A place counts the
// conversations that wait before it, oldest first as the queue is served:
// the same count the bot told when the conversation entered the queue.
func (db *DB) VisitorQueuePositions(ctx context.Context, s *visitor.Session) (_ map[int64]int, err error) {
	defer derrors.Wrap(&err, "store.VisitorQueuePositions(%d)", s.OrgID)
	args := []any{s.OrgID}
	out := map[int64]int{}
	err = scanRows(ctx, db.read, `SELECT q.conversation_id, (SELECT COUNT(*) FROM routing_queue p WHERE p.org_id = q.org_id
			AND (p.since < q.since OR (p.since = q.since AND p.conversation_id <= q.conversation_id)))
		FROM routing_queue q WHERE q.org_id = $1 AND q.conversation_id IN (SELECT id FROM conversations WHERE `+visibleTo(s, &args)+`)`,
		args, func(scan func(...any) error) error {
			var id int64
			var n int
			err := scan(&id, &n)
			out[id] = n
			return err
		})
	return out, err
}

// insertVisitorConversation inserts a new conversation of contact
// contactID started by session s (nil: by no session) from country, and
// links s to the contact when it was made for it (created). The country is
// kept in tx too: routing in the same transaction reads it there.
func (tx *Tx) insertVisitorConversation(ctx context.Context, orgID int64, s *visitor.Session, contactID int64, created bool, country string) (*conversation.Conversation, error) {
	c := conversation.New(orgID, contactID, tx.now)
	if err := tx.q.QueryRowContext(ctx, `INSERT INTO conversations (org_id, contact_id, inbox_id, status, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, orgID, c.ContactID, c.InboxID, c.Status, c.CreatedAt, c.UpdatedAt).Scan(&c.ID); err != nil {
		return nil, err
	}
	if s == nil {
		return c, nil
	}
	if _, err := tx.q.ExecContext(ctx, `INSERT INTO visitor_conversations (conversation_id, session_id, org_id, country) VALUES ($1, $2, $3, $4)`,
		c.ID, s.ID, orgID, country); err != nil {
		return nil, err
	}
	if tx.countries == nil {
		tx.countries = map[int64]string{}
	}
	tx.countries[c.ID] = country
	if created {
		if err := tx.setSessionContact(ctx, s, contactID, s.Verified); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// VisitorSees implements visitor.Store.
func (db *DB) VisitorSees(ctx context.Context, s *visitor.Session, conversationID int64) (_ bool, err error) {
	defer derrors.Wrap(&err, "store.VisitorSees(%d)", conversationID)
	args := []any{conversationID}
	var n int
	err = db.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM conversations WHERE id = $1 AND `+visibleTo(s, &args), args...).Scan(&n)
	return n > 0, err
}

// StartVisitorConversation implements visitor.Store.
func (db *DB) StartVisitorConversation(ctx context.Context, orgID int64, s *visitor.Session, start conversation.Start) (_ *conversation.Conversation, _ *conversation.Message, err error) {
	defer derrors.Wrap(&err, "store.StartVisitorConversation(%d)", orgID)
	start.Email = strings.TrimSpace(start.Email)
	if start.Email != "" || s == nil {
		if err := start.Validate(); err != nil {
			return nil, nil, err
		}
	} else {
		p := start.FirstPost()
		if err := p.Validate(); err != nil {
			return nil, nil, err
		}
	}
	var c *conversation.Conversation
	var m *conversation.Message
	run := func(ctx context.Context, tx *Tx) error {
		ct, created, err := tx.visitorContact(ctx, orgID, s, start.Email)
		if err != nil {
			return err
		}
		if c, err = tx.insertVisitorConversation(ctx, orgID, s, ct.ID, created, start.Country); err != nil {
			return err
		}
		if err := tx.appendEvents(ctx, c.StartEvents(ct, start.Email != "")); err != nil {
			return err
		}
		p := start.FirstPost()
		var evs []events.Event
		if m, evs, err = tx.post(ctx, c, &p); err != nil {
			return err
		}
		if err := tx.appendEvents(ctx, evs); err != nil {
			return err
		}
		// No playbook greeted it: the org's routing takes it, when on.
		if on, err := tx.routesNew(ctx, orgID); err != nil || !on {
			return err
		}
		return tx.routeVisitor(ctx, c, ct, routing.Target{To: "rules"})
	}
	contactBefore := int64(0)
	if s != nil {
		contactBefore = s.ContactID
	}
	err = db.Transact(ctx, run)
	if errors.Is(err, apperr.ErrConflict) {
		if s != nil {
			s.ContactID = contactBefore
		}
		err = db.Transact(ctx, run) // a concurrent start made the contact first
	}
	if err != nil {
		if s != nil {
			s.ContactID = contactBefore
		}
		return nil, nil, err
	}
	return c, m, nil
}

// PostVisitorMessage posts p as the visitor in a conversation the session
// sees, with its context kept for the message.
func (db *DB) PostVisitorMessage(ctx context.Context, s *visitor.Session, conversationID int64, p conversation.Post) (_ *conversation.Message, err error) {
	defer derrors.Wrap(&err, "store.PostVisitorMessage(%d)", conversationID)
	p.FromContact = true
	if err := p.Validate(); err != nil {
		return nil, err
	}
	var m *conversation.Message
	err = db.Transact(ctx, func(ctx context.Context, tx *Tx) error {
		c, err := tx.lockVisibleConversation(ctx, s, conversationID)
		if err != nil {
			return err
		}
		var evs []events.Event
		if m, evs, err = tx.post(ctx, c, &p); err != nil {
			return err
		}
		if err := tx.appendEvents(ctx, evs); err != nil {
			return err
		}
		answer := conversation.DisplayText(m.Body)
		if answer == "" {
			return nil // files alone answer no question
		}
		return tx.moveRun(ctx, c, &answer) // the bot waits for this answer, maybe
	})
	return m, err
}

// visitorContact is the contact a visitor's new conversation belongs to:
// the session's own; else the first with the email the visitor gave (or a
// new one with it); else a new anonymous contact. created tells whether
// the session made it (and so may keep it as its own).
func (tx *Tx) visitorContact(ctx context.Context, orgID int64, s *visitor.Session, email string) (*contact.Contact, bool, error) {
	if s != nil && s.ContactID != 0 {
		ct, err := getContact(ctx, tx.q, orgID, s.ContactID, "")
		if err == nil {
			return ct, false, nil
		}
		if !errors.Is(err, apperr.ErrNotFound) {
			return nil, false, err
		}
	}
	if email != "" {
		var n int
		if err := tx.q.QueryRowContext(ctx, `SELECT COUNT(*) FROM contacts WHERE org_id = $1 AND email_norm = $2`,
			orgID, strings.ToLower(email)).Scan(&n); err != nil {
			return nil, false, err
		}
		ct, err := tx.contactForEmail(ctx, orgID, email)
		return ct, n == 0, err
	}
	ct, err := contact.NewVisitor(nil, tx.now)
	if err != nil {
		return nil, false, err
	}
	ct.OrgID = orgID
	return ct, true, tx.insertContact(ctx, ct)
}

func (tx *Tx) setSessionContact(ctx context.Context, s *visitor.Session, contactID int64, verified bool) error {
	if _, err := tx.q.ExecContext(ctx, `UPDATE visitor_sessions SET contact_id = $1, verified = $2 WHERE id = $3`,
		contactID, verified, s.ID); err != nil {
		return err
	}
	s.ContactID, s.Verified = contactID, verified
	return nil
}

// IdentifyVisitor implements visitor.Store.
func (db *DB) IdentifyVisitor(ctx context.Context, s *visitor.Session, id visitor.Identify) (err error) {
	defer derrors.Wrap(&err, "store.IdentifyVisitor(%d)", s.OrgID)
	attrs := maps.Clone(id.Attributes)
	if attrs == nil {
		attrs = map[string]any{}
	}
	for _, k := range []string{contact.AttrEmail, contact.AttrExternalID, "external_id"} {
		delete(attrs, k) // only the identify's own fields name the contact
	}
	if id.ExternalID != "" {
		attrs[contact.AttrExternalID] = id.ExternalID
	}
	if id.Email != "" {
		attrs[contact.AttrEmail] = id.Email
	}
	if id.Verified && id.ExternalID == "" {
		return apperr.Invalidf("externalId", "a signed identity needs the externalId it signs")
	}
	before := *s
	err = db.Transact(ctx, func(ctx context.Context, tx *Tx) error {
		*s = before
		if id.Verified {
			return tx.identifyVerified(ctx, s, id.ExternalID, attrs)
		}
		return tx.identifyUnverified(ctx, s, attrs)
	})
	if err != nil {
		*s = before
	}
	return err
}

// identifyVerified ties the session to the contact with the externalId a
// signed identity names, making it when there is none.
func (tx *Tx) identifyVerified(ctx context.Context, s *visitor.Session, externalID string, attrs map[string]any) error {
	rows, err := tx.q.QueryContext(ctx, `SELECT `+contactColumns+` FROM contacts WHERE org_id = $1 AND external_id = $2`, s.OrgID, externalID)
	if err != nil {
		return err
	}
	cs, err := scanContacts(rows)
	if err != nil {
		return err
	}
	var ct *contact.Contact
	if len(cs) > 0 {
		ct = cs[0]
		if err := tx.updateVisitorContact(ctx, ct, attrs); err != nil {
			return err
		}
	} else {
		if ct, err = contact.NewVisitor(attrs, tx.now); err != nil {
			return err
		}
		ct.OrgID = s.OrgID
		if err := tx.insertContact(ctx, ct); err != nil {
			return err
		}
	}
	return tx.setSessionContact(ctx, s, ct.ID, true)
}

// identifyUnverified applies an unsigned identify to the session's own
// contact. An email or externalId that another contact holds is dropped:
// an unsigned identify never reaches another contact or its conversations.
func (tx *Tx) identifyUnverified(ctx context.Context, s *visitor.Session, attrs map[string]any) error {
	if err := tx.dropTaken(ctx, s, attrs); err != nil {
		return err
	}
	if s.ContactID != 0 {
		ct, err := getContact(ctx, tx.q, s.OrgID, s.ContactID, tx.db.dialect.LockRows())
		if err == nil {
			if s.Verified {
				delete(attrs, contact.AttrEmail)
				delete(attrs, contact.AttrExternalID)
			}
			return tx.updateVisitorContact(ctx, ct, attrs)
		}
		if !errors.Is(err, apperr.ErrNotFound) {
			return err
		}
	}
	if len(attrs) == 0 {
		return nil
	}
	ct, err := contact.NewVisitor(attrs, tx.now)
	if err != nil {
		return err
	}
	ct.OrgID = s.OrgID
	if err := tx.insertContact(ctx, ct); err != nil {
		return err
	}
	return tx.setSessionContact(ctx, s, ct.ID, false)
}

// dropTaken removes from attrs an email or externalId that a contact other
// than the session's already has.
func (tx *Tx) dropTaken(ctx context.Context, s *visitor.Session, attrs map[string]any) error {
	for key, col := range map[string]string{contact.AttrEmail: "email_norm", contact.AttrExternalID: "external_id"} {
		v, ok := attrs[key].(string)
		if !ok {
			continue
		}
		if col == "email_norm" {
			v = strings.ToLower(strings.TrimSpace(v))
		}
		var n int
		if err := tx.q.QueryRowContext(ctx, `SELECT COUNT(*) FROM contacts WHERE org_id = $1 AND `+col+` = $2 AND id <> $3`,
			s.OrgID, v, s.ContactID).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			delete(attrs, key)
		}
	}
	return nil
}

// updateVisitorContact applies attrs to ct with contact_updated, as a
// PATCH /contacts/{id} would.
func (tx *Tx) updateVisitorContact(ctx context.Context, ct *contact.Contact, attrs map[string]any) error {
	if len(attrs) == 0 {
		return nil
	}
	evs, err := ct.Update(attrs, tx.now)
	if err != nil || len(evs) == 0 {
		return err
	}
	if err := tx.saveContact(ctx, ct); err != nil {
		return err
	}
	return tx.appendEvents(ctx, evs)
}

// CaptureVisitorEmail implements visitor.Store.
func (db *DB) CaptureVisitorEmail(ctx context.Context, s *visitor.Session, email string) (_ bool, err error) {
	defer derrors.Wrap(&err, "store.CaptureVisitorEmail(%d)", s.OrgID)
	email = strings.TrimSpace(email)
	if _, err := contact.NewVisitor(map[string]any{contact.AttrEmail: email}, 0); err != nil || email == "" {
		return false, apperr.Invalidf("email", "%q is not an email address", email)
	}
	identified := false
	before := *s
	err = db.Transact(ctx, func(ctx context.Context, tx *Tx) error {
		*s, identified = before, false
		attrs := map[string]any{contact.AttrEmail: email}
		if err := tx.dropTaken(ctx, s, attrs); err != nil || len(attrs) == 0 {
			return err
		}
		var ct *contact.Contact
		var err error
		if s.ContactID != 0 {
			if ct, err = getContact(ctx, tx.q, s.OrgID, s.ContactID, tx.db.dialect.LockRows()); err != nil && !errors.Is(err, apperr.ErrNotFound) {
				return err
			}
		}
		if ct == nil {
			if ct, err = contact.NewVisitor(attrs, tx.now); err != nil {
				return err
			}
			ct.OrgID = s.OrgID
			if err := tx.insertContact(ctx, ct); err != nil {
				return err
			}
			if err := tx.setSessionContact(ctx, s, ct.ID, s.Verified); err != nil {
				return err
			}
		} else if strings.EqualFold(ct.Email(), email) {
			return nil // already known
		} else if err := tx.updateVisitorContact(ctx, ct, attrs); err != nil {
			return err
		}
		identified = true
		return tx.AppendEvent(ctx, ct.Identified())
	})
	if err != nil {
		*s = before
	}
	return identified, err
}

// MarkVisitorRead implements visitor.Store.
func (db *DB) MarkVisitorRead(ctx context.Context, s *visitor.Session, r visitor.Read) (err error) {
	defer derrors.Wrap(&err, "store.MarkVisitorRead(%d)", s.OrgID)
	return db.Transact(ctx, func(ctx context.Context, tx *Tx) error {
		_, err := tx.q.ExecContext(ctx, `UPDATE visitor_conversations SET read_message_id = $1
			WHERE session_id = $2 AND conversation_id = $3 AND read_message_id < $1`, r.MessageID, s.ID, r.ConversationID)
		return err
	})
}

// VisitorAttachment returns a file of a conversation the session sees; any
// other reads as not found.
func (db *DB) VisitorAttachment(ctx context.Context, s *visitor.Session, id int64) (_ *conversation.AttachmentData, err error) {
	defer derrors.Wrap(&err, "store.VisitorAttachment(%d)", id)
	args := []any{id}
	a := &conversation.AttachmentData{}
	err = db.read.QueryRowContext(ctx, `SELECT a.id, a.file_name, a.mime_type, a.data FROM attachments a
		JOIN messages m ON m.id = a.message_id
		WHERE a.id = $1 AND m.conversation_id IN (SELECT id FROM conversations WHERE `+visibleTo(s, &args)+`)`, args...).
		Scan(&a.ID, &a.FileName, &a.MimeType, &a.Data)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, apperr.NotFoundf("no attachment with id %d", id)
	}
	return a, err
}

// RecordTyping announces that author is writing in the conversation (a
// conversation.Typing event); another org's conversation is not found.
func (db *DB) RecordTyping(ctx context.Context, orgID, conversationID int64, author conversation.Author) (err error) {
	defer derrors.Wrap(&err, "store.RecordTyping(%d, %d)", orgID, conversationID)
	return db.Transact(ctx, func(ctx context.Context, tx *Tx) error {
		if _, err := getConversation(ctx, tx.q, orgID, conversationID, ""); err != nil {
			return err
		}
		if author.Type == conversation.AuthorUser {
			if _, err := tx.requireUser(ctx, orgID, author.ID, "userId"); err != nil {
				return err
			}
		}
		return tx.AppendEvent(ctx, conversation.TypingEvent(orgID, conversationID, author, tx.now))
	})
}
