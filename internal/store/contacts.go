package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"

	"github.com/driftwood-chat/driftwood/internal/apperr"
	"github.com/driftwood-chat/driftwood/internal/contact"
	"github.com/driftwood-chat/driftwood/internal/derrors"
)

var _ contact.Store = (*DB)(nil)

const contactColumns = `id, org_id, attributes, created_at, updated_at`

const (
	conflictEmail    = "a contact with this email already exists; give an externalId to create another"
	conflictExternal = "a contact with this externalId already exists"
)

// CreateContact implements contact.Store.
func (db *DB) CreateContact(ctx context.Context, orgID int64, attrs map[string]any) (_ *contact.Contact, err error) {
	defer derrors.Wrap(&err, "store.CreateContact(%d)", orgID)
	var c *contact.Contact
	err = db.Transact(ctx, func(ctx context.Context, tx *Tx) error {
		var err error
		if c, err = contact.New(attrs, tx.now); err != nil {
			return err
		}
		c.OrgID = orgID
		return tx.insertContact(ctx, c)
	})
	return c, err
}

func (tx *Tx) insertContact(ctx context.Context, c *contact.Contact) error {
	data, err := json.Marshal(c.Attributes)
	if err != nil {
		return err
	}
	err = tx.q.QueryRowContext(ctx, `INSERT INTO contacts (org_id, email_norm, external_id, attributes, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
		c.OrgID, nullable(strings.ToLower(c.Email())), nullable(c.ExternalID()), string(data), c.CreatedAt, c.UpdatedAt).Scan(&c.ID)
	if err != nil {
		return tx.db.mapErr(err, contactConflictMessage(c))
	}
	if err := tx.indexContact(ctx, c); err != nil {
		return err
	}
	return tx.recordAttributeTypes(ctx, c.OrgID, c.Attributes)
}

func contactConflictMessage(c *contact.Contact) string {
	if c.ExternalID() != "" {
		return conflictExternal
	}
	return conflictEmail
}

// GetContact implements contact.Store.
func (db *DB) GetContact(ctx context.Context, orgID, id int64) (_ *contact.Contact, err error) {
	defer derrors.Wrap(&err, "store.GetContact(%d, %d)", orgID, id)
	return getContact(ctx, db.reads, orgID, id, "")
}

func getContact(ctx context.Context, q queryer, orgID, id int64, lock string) (*contact.Contact, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+contactColumns+` FROM contacts WHERE id = $1 AND org_id = $2`+lock, id, orgID)
	if err != nil {
		return nil, err
	}
	cs, err := scanContacts(rows)
	if err != nil {
		return nil, err
	}
	if len(cs) == 0 {
		return nil, apperr.NotFoundf("no contact with id %d", id)
	}
	return cs[0], nil
}

// ContactsByEmail implements contact.Store.
func (db *DB) ContactsByEmail(ctx context.Context, orgID int64, email string, limit int) (_ []*contact.Contact, err error) {
	defer derrors.Wrap(&err, "store.ContactsByEmail(%d)", orgID)
	rows, err := db.reads.QueryContext(ctx, `SELECT `+contactColumns+` FROM contacts
		WHERE org_id = $1 AND email_norm = $2 ORDER BY id LIMIT $3`, orgID, strings.ToLower(strings.TrimSpace(email)), limit)
	if err != nil {
		return nil, err
	}
	return scanContacts(rows)
}

// ListContacts implements contact.Store.
func (db *DB) ListContacts(ctx context.Context, orgID, beforeID int64, limit int) (_ []*contact.Contact, err error) {
	defer derrors.Wrap(&err, "store.ListContacts(%d, %d)", orgID, beforeID)
	if beforeID <= 0 {
		beforeID = math.MaxInt64
	}
	rows, err := db.reads.QueryContext(ctx, `SELECT `+contactColumns+` FROM contacts
		WHERE org_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3`, orgID, beforeID, limit)
	if err != nil {
		return nil, err
	}
	return scanContacts(rows)
}

// ContactsByExternalID implements contact.Store.
func (db *DB) ContactsByExternalID(ctx context.Context, orgID int64, externalIDs []string) (_ []*contact.Contact, err error) {
	defer derrors.Wrap(&err, "store.ContactsByExternalID(%d)", orgID)
	if len(externalIDs) == 0 {
		return nil, nil
	}
	args := []any{orgID}
	for _, id := range externalIDs {
		args = append(args, id)
	}
	rows, err := db.read.QueryContext(ctx, `SELECT `+contactColumns+` FROM contacts
		WHERE org_id = $1 AND external_id IN (`+placeholders(2, len(externalIDs))+`) ORDER BY id`, args...)
	if err != nil {
		return nil, err
	}
	return scanContacts(rows)
}

func scanContacts(rows *sql.Rows) ([]*contact.Contact, error) {
	defer rows.Close()
	var out []*contact.Contact
	for rows.Next() {
		c := &contact.Contact{}
		var attrs string
		if err := rows.Scan(&c.ID, &c.OrgID, &attrs, &c.CreatedAt, &c.UpdatedAt); err != nil {
			return nil, err
		}
		m, err := decodeJSONObject(attrs)
		if err != nil {
			return nil, fmt.Errorf("store: contact %d attributes: %w", c.ID, err)
		}
		c.Attributes = m
		out = append(out, c)
	}
	return out, rows.Err()
}

// UpdateContact implements contact.Store.
func (db *DB) UpdateContact(ctx context.Context, orgID, id int64, attrs map[string]any) (_ *contact.Contact, err error) {
	defer derrors.Wrap(&err, "store.UpdateContact(%d, %d)", orgID, id)
	return db.updateContactWith(ctx, orgID, id, func(*contact.Contact) (map[string]any, error) { return attrs, nil })
}

// UpdateContactWith implements contact.Store.
func (db *DB) UpdateContactWith(ctx context.Context, orgID, id int64, patch func(*contact.Contact) (map[string]any, error)) (_ *contact.Contact, err error) {
	defer derrors.Wrap(&err, "store.UpdateContactWith(%d, %d)", orgID, id)
	return db.updateContactWith(ctx, orgID, id, patch)
}

func (db *DB) updateContactWith(ctx context.Context, orgID, id int64, patch func(*contact.Contact) (map[string]any, error)) (*contact.Contact, error) {
	var c *contact.Contact
	err := db.Transact(ctx, func(ctx context.Context, tx *Tx) error {
		var err error
		if c, err = getContact(ctx, tx.q, orgID, id, db.dialect.LockRows()); err != nil {
			return err
		}
		attrs, err := patch(c)
		if err != nil {
			return err
		}
		evs, err := c.Update(attrs, tx.now)
		if err != nil || len(evs) == 0 {
			return err
		}
		if err := tx.saveContact(ctx, c); err != nil {
			return err
		}
		return tx.appendEvents(ctx, evs)
	})
	return c, err
}

func (tx *Tx) saveContact(ctx context.Context, c *contact.Contact) error {
	data, err := json.Marshal(c.Attributes)
	if err != nil {
		return err
	}
	_, err = tx.q.ExecContext(ctx, `UPDATE contacts SET email_norm = $1, external_id = $2, attributes = $3, updated_at = $4
		WHERE id = $5 AND org_id = $6`,
		nullable(strings.ToLower(c.Email())), nullable(c.ExternalID()), string(data), c.UpdatedAt, c.ID, c.OrgID)
	if err != nil {
		return tx.db.mapErr(err, contactConflictMessage(c))
	}
	if err := tx.indexContact(ctx, c); err != nil {
		return err
	}
	return tx.recordAttributeTypes(ctx, c.OrgID, c.Attributes)
}

// recordAttributeTypes keeps the org's attribute definitions: every attribute
// ever set appears, typed by the values seen. In the common case (nothing
// new) it costs one read.
func (tx *Tx) recordAttributeTypes(ctx context.Context, orgID int64, attrs contact.Attributes) error {
	seen := map[string]string{}
	args := []any{orgID}
	for _, name := range slices.Sorted(maps.Keys(attrs)) {
		if typ := contact.InferType(name, attrs[name]); typ != "" {
			seen[name] = typ
			args = append(args, name)
		}
	}
	if len(seen) == 0 {
		return nil
	}
	// Through tx.q, prepared once per number of names: parsed on every
	// contact write (SQLite parses each unprepared call inside its one
	// writer), it was 7% of the server's CPU on the contacts load.
	rows, err := tx.q.QueryContext(ctx, `SELECT name, type FROM contact_attributes WHERE org_id = $1 AND name IN (`+placeholders(2, len(seen))+`)`, args...)
	if err != nil {
		return err
	}
	known := map[string]string{}
	for rows.Next() {
		var name, typ string
		if err := rows.Scan(&name, &typ); err != nil {
			rows.Close()
			return err
		}
		known[name] = typ
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, name := range slices.Sorted(maps.Keys(seen)) {
		old, ok := known[name]
		merged := contact.MergeType(old, seen[name])
		switch {
		case !ok:
			_, err = tx.q.ExecContext(ctx, `INSERT INTO contact_attributes (org_id, name, type) VALUES ($1, $2, $3)
				ON CONFLICT (org_id, name) DO NOTHING`, orgID, name, merged)
		case merged != old:
			_, err = tx.q.ExecContext(ctx, `UPDATE contact_attributes SET type = $1 WHERE org_id = $2 AND name = $3`, merged, orgID, name)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// DeleteContact implements contact.Store.
func (db *DB) DeleteContact(ctx context.Context, orgID, id int64) (err error) {
	defer derrors.Wrap(&err, "store.DeleteContact(%d, %d)", orgID, id)
	return db.Transact(ctx, func(ctx context.Context, tx *Tx) error {
		res, err := tx.q.ExecContext(ctx, `DELETE FROM contacts WHERE id = $1 AND org_id = $2`, id, orgID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return apperr.NotFoundf("no contact with id %d", id)
		}
		// Its conversations stay, found by their messages; it is found no more.
		_, err = tx.q.ExecContext(ctx, `DELETE FROM search_entries WHERE contact_id = $1 AND message_id = 0`, id)
		return err
	})
}

// AddTimelineEvent implements contact.Store.
func (db *DB) AddTimelineEvent(ctx context.Context, orgID int64, ref contact.TimelineRef, ev contact.TimelineEvent) (_ *contact.TimelineEvent, err error) {
	defer derrors.Wrap(&err, "store.AddTimelineEvent(%d, %d)", orgID, ref.ContactID)
	err = db.Transact(ctx, func(ctx context.Context, tx *Tx) error {
		c, err := tx.contactByRef(ctx, orgID, ref)
		if err != nil {
			return err
		}
		ev.ContactID, ev.ExternalID = c.ID, c.ExternalID()
		if ev.CreatedAt == 0 {
			ev.CreatedAt = tx.now
		}
		var attrs any // NULL when there are none
		if len(ev.Attributes) > 0 {
			b, err := json.Marshal(ev.Attributes)
			if err != nil {
				return err
			}
			attrs = string(b)
		}
		return tx.q.QueryRowContext(ctx, `INSERT INTO timeline_events (org_id, contact_id, event, attributes, created_at)
			VALUES ($1, $2, $3, $4, $5) RETURNING id`, orgID, c.ID, ev.Event, attrs, ev.CreatedAt).Scan(&ev.ID)
	})
	if err != nil {
		return nil, err
	}
	return &ev, nil
}

func (tx *Tx) contactByRef(ctx context.Context, orgID int64, ref contact.TimelineRef) (*contact.Contact, error) {
	if ref.ContactID != 0 {
		return getContact(ctx, tx.q, orgID, ref.ContactID, "")
	}
	rows, err := tx.q.QueryContext(ctx, `SELECT `+contactColumns+` FROM contacts WHERE org_id = $1 AND external_id = $2`, orgID, ref.ExternalID)
	if err != nil {
		return nil, err
	}
	cs, err := scanContacts(rows)
	if err != nil {
		return nil, err
	}
	if len(cs) == 0 {
		return nil, apperr.NotFoundf("no contact with externalId %q", ref.ExternalID)
	}
	return cs[0], nil
}

// ListContactAttributes implements contact.Store.
func (db *DB) ListContactAttributes(ctx context.Context, orgID int64) (_ []contact.AttributeDef, err error) {
	defer derrors.Wrap(&err, "store.ListContactAttributes(%d)", orgID)
	rows, err := db.read.QueryContext(ctx, `SELECT name, type FROM contact_attributes WHERE org_id = $1 ORDER BY name`, orgID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []contact.AttributeDef{}
	for rows.Next() {
		var d contact.AttributeDef
		if err := rows.Scan(&d.Name, &d.Type); err != nil {
			return nil, err
		}
		d.DisplayName = contact.DisplayName(d.Name)
		out = append(out, d)
	}
	return out, rows.Err()
}

// Unsubscribe implements contact.Store.
func (db *DB) Unsubscribe(ctx context.Context, orgID int64, emails []string) (_ int, err error) {
	defer derrors.Wrap(&err, "store.Unsubscribe(%d)", orgID)
	n := 0
	err = db.Transact(ctx, func(ctx context.Context, tx *Tx) error {
		n = 0
		for _, email := range emails {
			rows, err := tx.q.QueryContext(ctx, `SELECT `+contactColumns+` FROM contacts WHERE org_id = $1 AND email_norm = $2 ORDER BY id`+db.dialect.LockRows(),
				orgID, strings.ToLower(strings.TrimSpace(email)))
			if err != nil {
				return err
			}
			cs, err := scanContacts(rows)
			if err != nil {
				return err
			}
			for _, c := range cs {
				evs, err := c.Unsubscribe(tx.now)
				if err != nil {
					return err
				}
				if err := tx.saveContact(ctx, c); err != nil {
					return err
				}
				if err := tx.appendEvents(ctx, evs); err != nil {
					return err
				}
				n++
			}
		}
		return nil
	})
	return n, err
}
