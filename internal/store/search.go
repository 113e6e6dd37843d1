package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/driftwood-chat/driftwood/internal/contact"
	"github.com/driftwood-chat/driftwood/internal/conversation"
	"github.com/driftwood-chat/driftwood/internal/derrors"
	"github.com/driftwood-chat/driftwood/internal/search"
)

var _ search.Store = (*DB)(nil)

// messageWords are the words a message is found by: its text and its
// files' names. Edits are not found themselves: the message they change is.
func messageWords(m *conversation.Message) string {
	if m.Type == conversation.Edit {
		return ""
	}
	parts := []string{conversation.DisplayText(m.Body)}
	for _, a := range m.Attachments {
		parts = append(parts, a.FileName)
	}
	return search.Text(parts...)
}

// contactWords are the words a contact is found by: its name and email.
func contactWords(attrs map[string]any) string {
	name, _ := attrs["name"].(string)
	email, _ := attrs[contact.AttrEmail].(string)
	return search.Text(name, email)
}

// indexMessage writes (or rewrites) the search entry of m, a message of
// contactID's conversation, in tx: a message is never written without it.
func (tx *Tx) indexMessage(ctx context.Context, m *conversation.Message, contactID int64) error {
	return tx.putSearchEntry(ctx, m.OrgID, contactID, m.ConversationID, m.ID, messageWords(m))
}

// indexContact writes (or rewrites) the search entry of c in tx.
func (tx *Tx) indexContact(ctx context.Context, c *contact.Contact) error {
	return tx.putSearchEntry(ctx, c.OrgID, c.ID, 0, 0, contactWords(c.Attributes))
}

// putSearchEntry makes the entry of (contactID, messageID) hold words; an
// entry without words is none. In the common case of a contact saved with
// the same name and email it costs one read and writes nothing.
func (tx *Tx) putSearchEntry(ctx context.Context, orgID, contactID, conversationID, messageID int64, words string) error {
	var old string
	err := tx.q.QueryRowContext(ctx, `SELECT words FROM search_entries WHERE contact_id = $1 AND message_id = $2`,
		contactID, messageID).Scan(&old)
	switch {
	case err == sql.ErrNoRows && words == "":
		return nil
	case err == sql.ErrNoRows:
		_, err = tx.q.ExecContext(ctx, `INSERT INTO search_entries (org_id, contact_id, conversation_id, message_id, words)
			VALUES ($1, $2, $3, $4, $5)`, orgID, contactID, conversationID, messageID, words)
		return err
	case err != nil:
		return err
	case words == "":
		_, err = tx.q.ExecContext(ctx, `DELETE FROM search_entries WHERE contact_id = $1 AND message_id = $2`, contactID, messageID)
		return err
	case words != old:
		_, err = tx.q.ExecContext(ctx, `UPDATE search_entries SET words = $1 WHERE contact_id = $2 AND message_id = $3`,
			words, contactID, messageID)
		return err
	}
	return nil
}

// Search implements search.Store: the org's entries holding every word,
// newest first, with what the inbox shows of each.
func (db *DB) Search(ctx context.Context, orgID int64, q search.Query) (_ []search.Hit, err error) {
	defer derrors.Wrap(&err, "store.Search(%d)", orgID)
	if len(q.Words) == 0 {
		return nil, fmt.Errorf("store: a search without words")
	}
	args := []any{orgID}
	arg := func(v any) string { args = append(args, v); return fmt.Sprintf("$%d", len(args)) }
	join, match, value := db.dialect.SearchMatch(q.Words, arg(nil))
	args[len(args)-1] = value
	var query string
	switch q.Kind {
	case search.Messages:
		where := ` AND s.message_id <> 0`
		if q.After > 0 {
			where += ` AND s.message_id < ` + arg(q.After)
		}
		query = `SELECT s.contact_id, s.conversation_id, s.message_id, ct.attributes, m.body, m.type, m.created_at, c.status
			FROM search_entries s ` + join + `
			JOIN messages m ON m.id = s.message_id
			JOIN conversations c ON c.id = s.conversation_id
			LEFT JOIN contacts ct ON ct.id = s.contact_id
			WHERE s.org_id = $1 AND ` + match + where + `
			ORDER BY s.message_id DESC LIMIT ` + arg(q.Limit+1)
	case search.Contacts:
		where := ` AND s.message_id = 0`
		if q.After > 0 {
			where += ` AND s.contact_id < ` + arg(q.After)
		}
		// The contact's latest conversation, if any, is where the inbox
		// takes the agent.
		latest := `(SELECT %s FROM conversations c WHERE c.org_id = $1 AND c.contact_id = s.contact_id ORDER BY c.id DESC LIMIT 1)`
		query = `SELECT s.contact_id, ` + fmt.Sprintf(latest, "c.id") + `, 0, ct.attributes, '', '', ct.created_at, ` + fmt.Sprintf(latest, "c.status") + `
			FROM search_entries s ` + join + `
			JOIN contacts ct ON ct.id = s.contact_id
			WHERE s.org_id = $1 AND ` + match + where + `
			ORDER BY s.contact_id DESC LIMIT ` + arg(q.Limit+1)
	default:
		return nil, fmt.Errorf("store: no search of kind %q", q.Kind)
	}
	rows, err := db.read.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []search.Hit{}
	for rows.Next() {
		var h search.Hit
		var conv sql.NullInt64
		var attrs, status sql.NullString
		if err := rows.Scan(&h.ContactID, &conv, &h.MessageID, &attrs, &h.Body, &h.Type, &h.CreatedAt, &status); err != nil {
			return nil, err
		}
		h.ConversationID, h.Status = conv.Int64, status.String
		if attrs.Valid {
			if err := json.Unmarshal([]byte(attrs.String), &h.Contact); err != nil {
				return nil, fmt.Errorf("store: contact %d: %w", h.ContactID, err)
			}
		}
		out = append(out, h)
	}
	return out, rows.Err()
}

// backfillSearch is migration 0018's Go step: it writes the search entries
// of the contacts and messages written before it, a batch at a time, in
// the migration's transaction.
func backfillSearch(ctx context.Context, tx *sql.Tx) error {
	const batch = 500
	type entry struct {
		org, contact, conversation, message int64
		words                               string
	}
	insert := func(es []entry) error {
		for _, e := range es {
			if e.words == "" {
				continue
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO search_entries (org_id, contact_id, conversation_id, message_id, words)
				VALUES ($1, $2, $3, $4, $5)`, e.org, e.contact, e.conversation, e.message, e.words); err != nil {
				return err
			}
		}
		return nil
	}
	// page reads query's rows (those after $1, $2 at a time, in key order)
	// through read, which gives each row's entry and key, and inserts them.
	page := func(query string, read func(*sql.Rows) (e entry, key int64, err error)) error {
		for after := int64(0); ; {
			var es []entry
			if err := eachRow(ctx, tx, query, []any{after, batch}, func(rows *sql.Rows) error {
				e, key, err := read(rows)
				es, after = append(es, e), key
				return err
			}); err != nil {
				return err
			}
			if err := insert(es); err != nil {
				return err
			}
			if len(es) < batch {
				return nil
			}
		}
	}
	err := page(`SELECT id, org_id, attributes FROM contacts WHERE id > $1 ORDER BY id LIMIT $2`,
		func(rows *sql.Rows) (entry, int64, error) {
			var e entry
			var attrs string
			if err := rows.Scan(&e.contact, &e.org, &attrs); err != nil {
				return e, 0, err
			}
			var a map[string]any
			if err := json.Unmarshal([]byte(attrs), &a); err != nil {
				return e, 0, fmt.Errorf("contact %d: %w", e.contact, err)
			}
			e.words = contactWords(a)
			return e, e.contact, nil
		})
	if err != nil {
		return err
	}
	return page(`SELECT m.id, m.org_id, m.conversation_id, c.contact_id, m.type, m.body, m.attachments
		FROM messages m JOIN conversations c ON c.id = m.conversation_id WHERE m.id > $1 ORDER BY m.id LIMIT $2`,
		func(rows *sql.Rows) (entry, int64, error) {
			var e entry
			m := &conversation.Message{}
			var atts sql.NullString
			if err := rows.Scan(&e.message, &e.org, &e.conversation, &e.contact, &m.Type, &m.Body, &atts); err != nil {
				return e, 0, err
			}
			if err := decodeMessageJSON(m, sql.NullString{}, sql.NullString{}, atts); err != nil {
				return e, 0, fmt.Errorf("message %d: %w", e.message, err)
			}
			e.words = messageWords(m)
			return e, e.message, nil
		})
}

// eachRow runs query in tx and calls fn on each row, all read before the
// transaction runs anything else.
func eachRow(ctx context.Context, tx *sql.Tx, query string, args []any, fn func(*sql.Rows) error) error {
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}
