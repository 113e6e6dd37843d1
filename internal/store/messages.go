package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/driftwood-chat/driftwood/internal/apperr"
	"github.com/driftwood-chat/driftwood/internal/conversation"
	"github.com/driftwood-chat/driftwood/internal/derrors"
	"github.com/driftwood-chat/driftwood/internal/events"
)

const messageColumns = `id, org_id, conversation_id, type, body, author_type, author_id, author_bot,
	buttons, attributes, edited_message_id, edit_type, attachments, created_at, context`

// storedAttachment is an entry of messages.attachments: the attachment's
// metadata, kept on the message so that a page of messages is one query.
type storedAttachment struct {
	ID       int64  `json:"id"`
	FileName string `json:"fileName"`
	MimeType string `json:"mimeType"`
}

// PostMessage implements conversation.Store.
func (db *DB) PostMessage(ctx context.Context, orgID, conversationID int64, p conversation.Post) (_ *conversation.Message, err error) {
	defer derrors.Wrap(&err, "store.PostMessage(%d, %d)", orgID, conversationID)
	if err := p.Validate(); err != nil {
		return nil, err
	}
	var m *conversation.Message
	err = db.Transact(ctx, func(ctx context.Context, tx *Tx) error {
		c, err := getConversation(ctx, tx.q, orgID, conversationID, db.dialect.LockRows())
		if err != nil {
			return err
		}
		var evs []events.Event
		if m, evs, err = tx.post(ctx, c, &p); err != nil {
			return err
		}
		return tx.appendEvents(ctx, evs)
	})
	return m, err
}

// post is the one way a message is written: it loads what p refers to,
// has the conversation decide the post, and writes the message, its files,
// the message an edit changed and the conversation, all in tx; it returns
// the message and its events, for the caller to append. c must be locked
// by tx.
func (tx *Tx) post(ctx context.Context, c *conversation.Conversation, p *conversation.Post) (*conversation.Message, []events.Event, error) {
	refs, err := tx.postRefs(ctx, c, p)
	if err != nil {
		return nil, nil, err
	}
	x, err := c.Post(p, refs, tx.now)
	if err != nil {
		return nil, nil, err
	}
	if x.Edited != nil {
		if err := tx.saveMessage(ctx, x.Edited); err != nil {
			return nil, nil, err
		}
	}
	if err := tx.insertMessage(ctx, x.Message); err != nil {
		return nil, nil, err
	}
	if err := tx.queueOfflineEmail(ctx, x.Message); err != nil {
		return nil, nil, err
	}
	if len(p.Attachments) > 0 {
		if err := tx.insertAttachments(ctx, x.Message, p.Attachments); err != nil {
			return nil, nil, err
		}
	}
	if err := tx.indexMessage(ctx, x.Message, c.ContactID); err != nil {
		return nil, nil, err
	}
	if x.Edited != nil {
		if err := tx.indexMessage(ctx, x.Edited, c.ContactID); err != nil {
			return nil, nil, err
		}
	}
	if err := tx.saveConversation(ctx, c); err != nil {
		return nil, nil, err
	}
	if a := x.Message.Author; a.Type == conversation.AuthorUser && !a.Bot && x.Message.Type == conversation.Chat {
		if err := tx.stopRun(ctx, c); err != nil { // an agent takes over from the bot
			return nil, nil, err
		}
	}
	return x.Message, x.Events(), nil
}

// postRefs loads what p refers to: its author, and the message of c that a
// click or an edit names.
func (tx *Tx) postRefs(ctx context.Context, c *conversation.Conversation, p *conversation.Post) (refs conversation.Refs, err error) {
	if refs.Author, err = tx.author(ctx, c, p); err != nil {
		return refs, err
	}
	if p.Click != nil {
		if refs.Source, err = tx.messageIn(ctx, c, p.Click.MessageID, "button.messageId"); err != nil {
			return refs, err
		}
	}
	if p.Type == conversation.Edit {
		refs.Target, err = tx.messageIn(ctx, c, p.EditedMessageID, "editedMessageId")
	}
	return refs, err
}

// author resolves who posts p: the conversation's contact, the user
// p.UserID of the org, or the org's bot user.
func (tx *Tx) author(ctx context.Context, c *conversation.Conversation, p *conversation.Post) (conversation.Author, error) {
	if p.FromContact {
		return conversation.Author{ID: c.ContactID, Type: conversation.AuthorContact}, nil
	}
	where, args := `WHERE org_id = $1 AND bot = $2 ORDER BY id LIMIT 1`, []any{c.OrgID, true}
	if p.UserID != 0 {
		where, args = `WHERE org_id = $1 AND id = $2`, []any{c.OrgID, p.UserID}
	}
	a := conversation.Author{Type: conversation.AuthorUser}
	err := tx.q.QueryRowContext(ctx, `SELECT id, bot FROM users `+where, args...).Scan(&a.ID, &a.Bot)
	switch {
	case errors.Is(err, sql.ErrNoRows) && p.UserID != 0:
		return a, apperr.Invalidf("userId", "userId %d is not a user of this org", p.UserID)
	case errors.Is(err, sql.ErrNoRows):
		return a, fmt.Errorf("store: org %d has no bot user", c.OrgID)
	}
	return a, err
}

// messageIn finds a message of conversation c that a post refers to through
// param; any other message is invalid input.
func (tx *Tx) messageIn(ctx context.Context, c *conversation.Conversation, id int64, param string) (*conversation.Message, error) {
	ms, err := queryMessages(ctx, tx.q, `WHERE id = $1 AND conversation_id = $2`, id, c.ID)
	if err != nil {
		return nil, err
	}
	if len(ms) == 0 {
		return nil, apperr.Invalidf(param, "%s %d is not a message of conversation %d", param, id, c.ID)
	}
	return ms[0], nil
}

func (tx *Tx) insertMessage(ctx context.Context, m *conversation.Message) error {
	buttons, attrs, err := messageJSON(m)
	if err != nil {
		return err
	}
	var msgContext any // NULL when nothing is known
	if m.Context != (conversation.Context{}) {
		if msgContext, err = jsonText(m.Context); err != nil {
			return err
		}
	}
	return tx.q.QueryRowContext(ctx, `INSERT INTO messages (org_id, conversation_id, type, body, author_type, author_id, author_bot,
		buttons, attributes, edited_message_id, edit_type, created_at, context)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id`,
		m.OrgID, m.ConversationID, m.Type, m.Body, m.Author.Type, m.Author.ID, m.Author.Bot,
		buttons, attrs, m.EditedMessageID, m.EditType, m.CreatedAt, msgContext).Scan(&m.ID)
}

// saveMessage writes what an edit changes in the message it edits.
func (tx *Tx) saveMessage(ctx context.Context, m *conversation.Message) error {
	buttons, _, err := messageJSON(m)
	if err != nil {
		return err
	}
	atts, err := attachmentsJSON(m.Attachments)
	if err != nil {
		return err
	}
	_, err = tx.q.ExecContext(ctx, `UPDATE messages SET body = $1, buttons = $2, attachments = $3 WHERE id = $4`,
		m.Body, buttons, atts, m.ID)
	return err
}

// insertAttachments stores the files of m, just inserted, and lists them on it.
func (tx *Tx) insertAttachments(ctx context.Context, m *conversation.Message, files []conversation.NewAttachment) error {
	for i, f := range files {
		a := &m.Attachments[i]
		if err := tx.q.QueryRowContext(ctx, `INSERT INTO attachments (org_id, message_id, file_name, mime_type, data, created_at)
			VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, m.OrgID, m.ID, a.FileName, a.MimeType, f.Data, tx.now).Scan(&a.ID); err != nil {
			return err
		}
	}
	atts, err := attachmentsJSON(m.Attachments)
	if err != nil {
		return err
	}
	_, err = tx.q.ExecContext(ctx, `UPDATE messages SET attachments = $1 WHERE id = $2`, atts, m.ID)
	return err
}

// messageJSON encodes the JSON columns of m; an absent value is NULL.
func messageJSON(m *conversation.Message) (buttons, attrs any, err error) {
	if len(m.Buttons) > 0 {
		if buttons, err = jsonText(m.Buttons); err != nil {
			return nil, nil, err
		}
	}
	if len(m.Attributes) > 0 {
		if attrs, err = jsonText(m.Attributes); err != nil {
			return nil, nil, err
		}
	}
	return buttons, attrs, nil
}

func attachmentsJSON(as []conversation.Attachment) (any, error) {
	if len(as) == 0 {
		return nil, nil
	}
	stored := make([]storedAttachment, len(as))
	for i, a := range as {
		stored[i] = storedAttachment{ID: a.ID, FileName: a.FileName, MimeType: a.MimeType}
	}
	return jsonText(stored)
}

func jsonText(v any) (any, error) {
	b, err := json.Marshal(v)
	return string(b), err
}

// ListMessages implements conversation.Store.
func (db *DB) ListMessages(ctx context.Context, orgID, conversationID, afterID int64, limit int) (_ []*conversation.Message, err error) {
	defer derrors.Wrap(&err, "store.ListMessages(%d, %d)", orgID, conversationID)
	ms, err := queryMessages(ctx, db.reads, `WHERE conversation_id = $1 AND org_id = $2 AND id > $3 ORDER BY id LIMIT $4`,
		conversationID, orgID, afterID, limit)
	if err != nil || len(ms) > 0 {
		return ms, err
	}
	// An empty page: tell a missing conversation from a read past the end.
	if _, err := getConversation(ctx, db.reads, orgID, conversationID, ""); err != nil {
		return nil, err
	}
	return ms, nil
}

func queryMessages(ctx context.Context, q queryer, where string, args ...any) ([]*conversation.Message, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+messageColumns+` FROM messages `+where, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []*conversation.Message{}
	for rows.Next() {
		m := &conversation.Message{}
		var buttons, attrs, atts, msgContext sql.NullString
		if err := rows.Scan(&m.ID, &m.OrgID, &m.ConversationID, &m.Type, &m.Body, &m.Author.Type, &m.Author.ID, &m.Author.Bot,
			&buttons, &attrs, &m.EditedMessageID, &m.EditType, &atts, &m.CreatedAt, &msgContext); err != nil {
			return nil, err
		}
		if err := decodeMessageJSON(m, buttons, attrs, atts); err != nil {
			return nil, fmt.Errorf("store: message %d: %w", m.ID, err)
		}
		if msgContext.Valid {
			if err := json.Unmarshal([]byte(msgContext.String), &m.Context); err != nil {
				return nil, fmt.Errorf("store: message %d context: %w", m.ID, err)
			}
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

func decodeMessageJSON(m *conversation.Message, buttons, attrs, atts sql.NullString) error {
	if buttons.Valid {
		if err := json.Unmarshal([]byte(buttons.String), &m.Buttons); err != nil {
			return err
		}
	}
	if attrs.Valid {
		a, err := decodeJSONObject(attrs.String)
		if err != nil {
			return err
		}
		m.Attributes = a
	}
	if atts.Valid {
		var stored []storedAttachment
		if err := json.Unmarshal([]byte(atts.String), &stored); err != nil {
			return err
		}
		for _, a := range stored {
			m.Attachments = append(m.Attachments, conversation.Attachment{ID: a.ID, FileName: a.FileName, MimeType: a.MimeType})
		}
	}
	return nil
}

// GetAttachment implements conversation.Store.
func (db *DB) GetAttachment(ctx context.Context, orgID, id int64) (_ *conversation.AttachmentData, err error) {
	defer derrors.Wrap(&err, "store.GetAttachment(%d, %d)", orgID, id)
	a := &conversation.AttachmentData{}
	err = db.read.QueryRowContext(ctx, `SELECT id, file_name, mime_type, data FROM attachments WHERE id = $1 AND org_id = $2`,
		id, orgID).Scan(&a.ID, &a.FileName, &a.MimeType, &a.Data)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, apperr.NotFoundf("no attachment with id %d", id)
	}
	return a, err
}

// appendEvents records evs in the outbox, in order, as part of tx.
func (tx *Tx) appendEvents(ctx context.Context, evs []events.Event) error {
	for _, ev := range evs {
		if err := tx.AppendEvent(ctx, ev); err != nil {
			return err
		}
	}
	return nil
}
