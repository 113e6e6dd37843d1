package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/driftwood-chat/driftwood/internal/apperr"
	"github.com/driftwood-chat/driftwood/internal/derrors"
	"github.com/driftwood-chat/driftwood/internal/scim"
)

var _ scim.Store = (*DB)(nil)

const scimColumns = userColumns + `, active, user_name, given_name, family_name, formatted_name, external_id, scim_emails`

// SCIMUsers implements scim.Store.
func (db *DB) SCIMUsers(ctx context.Context, orgID int64) (_ []*scim.Record, err error) {
	defer derrors.Wrap(&err, "store.SCIMUsers(%d)", orgID)
	return queryRecords(ctx, db.read, `WHERE org_id = $1 AND bot = $2 ORDER BY id`, orgID, false)
}

// SCIMUser implements scim.Store.
func (db *DB) SCIMUser(ctx context.Context, orgID, id int64) (_ *scim.Record, err error) {
	defer derrors.Wrap(&err, "store.SCIMUser(%d, %d)", orgID, id)
	return getRecord(ctx, db.read, orgID, id, "")
}

func getRecord(ctx context.Context, q queryer, orgID, id int64, lock string) (*scim.Record, error) {
	rs, err := queryRecords(ctx, q, `WHERE id = $1 AND org_id = $2 AND bot = $3`+lock, id, orgID, false)
	if err != nil {
		return nil, err
	}
	if len(rs) == 0 {
		return nil, apperr.NotFoundf("no user with id %d", id)
	}
	return rs[0], nil
}

func queryRecords(ctx context.Context, q queryer, where string, args ...any) ([]*scim.Record, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+scimColumns+` FROM users `+where, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*scim.Record
	for rows.Next() {
		r := &scim.Record{}
		var emails sql.NullString
		dest := append(userFields(&r.User), &r.Active, &r.UserName, &r.GivenName, &r.FamilyName, &r.Formatted, &r.ExternalID, &emails)
		if err := rows.Scan(dest...); err != nil {
			return nil, err
		}
		if emails.Valid {
			if err := json.Unmarshal([]byte(emails.String), &r.Emails); err != nil {
				return nil, fmt.Errorf("store: user %d scim_emails: %w", r.ID, err)
			}
			if r.Emails == nil {
				r.Emails = []scim.MultiValue{}
			}
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// CreateSCIMUser implements scim.Store.
func (db *DB) CreateSCIMUser(ctx context.Context, r *scim.Record) (err error) {
	defer derrors.Wrap(&err, "store.CreateSCIMUser(%d)", r.OrgID)
	return db.Transact(ctx, func(ctx context.Context, tx *Tx) error {
		if err := tx.checkUserName(ctx, r); err != nil {
			return err
		}
		if err := tx.insertUser(ctx, &r.User); err != nil {
			return err
		}
		return tx.saveRecord(ctx, r)
	})
}

// UpdateSCIMUser implements scim.Store.
func (db *DB) UpdateSCIMUser(ctx context.Context, orgID, id int64, change func(*scim.Record) error) (_ *scim.Record, err error) {
	defer derrors.Wrap(&err, "store.UpdateSCIMUser(%d, %d)", orgID, id)
	var r *scim.Record
	err = db.Transact(ctx, func(ctx context.Context, tx *Tx) error {
		var err error
		if r, err = getRecord(ctx, tx.q, orgID, id, db.dialect.LockRows()); err != nil {
			return err
		}
		wasActive := r.Active
		if err := change(r); err != nil {
			return err
		}
		if err := tx.checkUserName(ctx, r); err != nil {
			return err
		}
		if wasActive && !r.Active { // deprovisioned: no longer in its conversations, signed out
			if err := tx.removeParticipant(ctx, orgID, id); err != nil {
				return err
			}
			if err := tx.endSessions(ctx, id); err != nil {
				return err
			}
		}
		r.UpdatedAt = tx.now
		return tx.saveRecord(ctx, r)
	})
	return r, err
}

// checkUserName refuses a userName another user of the org has, compared
// by scim.UserNameKey; a user made outside SCIM goes by its email, folded
// the same way here in Go. The unique index on user_name_key backs this up
// against concurrent creates.
func (tx *Tx) checkUserName(ctx context.Context, r *scim.Record) error {
	key := scim.UserNameKey(r.UserName)
	var n int
	err := tx.q.QueryRowContext(ctx, `SELECT COUNT(*) FROM users WHERE org_id = $1 AND id <> $2 AND user_name_key = $3`,
		r.OrgID, r.ID, key).Scan(&n)
	if err != nil {
		return err
	}
	if n > 0 {
		return userNameTaken(r.UserName)
	}
	rows, err := tx.q.QueryContext(ctx, `SELECT email FROM users WHERE org_id = $1 AND id <> $2 AND bot = $3
		AND user_name = '' AND email <> ''`, r.OrgID, r.ID, false)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var email string
		if err := rows.Scan(&email); err != nil {
			return err
		}
		if scim.UserNameKey(email) == key {
			return userNameTaken(r.UserName)
		}
	}
	return rows.Err()
}

func userNameTaken(name string) error {
	return &apperr.Error{Code: apperr.Conflict, Message: fmt.Sprintf("userName %q is already taken", name), Err: scim.Uniqueness}
}

// saveRecord writes every column SCIM manages.
func (tx *Tx) saveRecord(ctx context.Context, r *scim.Record) error {
	var emails, key sql.NullString
	if r.Emails != nil {
		b, err := json.Marshal(r.Emails)
		if err != nil {
			return err
		}
		emails = sql.NullString{String: string(b), Valid: true}
	}
	if r.UserName != "" {
		key = sql.NullString{String: scim.UserNameKey(r.UserName), Valid: true}
	}
	_, err := tx.q.ExecContext(ctx, `UPDATE users SET name = $1, email = $2, phone = $3, locale = $4, role = $5,
		time_zone = $6, avatar_url = $7, active = $8, user_name = $9, given_name = $10, family_name = $11,
		formatted_name = $12, external_id = $13, updated_at = $14, user_name_key = $15, scim_emails = $16
		WHERE id = $17 AND org_id = $18`,
		r.Name, r.Email, r.Phone, r.Locale, r.Role, r.TimeZone, r.AvatarURL, r.Active, r.UserName, r.GivenName,
		r.FamilyName, r.Formatted, r.ExternalID, r.UpdatedAt, key, emails, r.ID, r.OrgID)
	if tx.db.dialect.IsUniqueViolation(err) {
		return userNameTaken(r.UserName)
	}
	return err
}

// DeleteSCIMUser implements scim.Store.
func (db *DB) DeleteSCIMUser(ctx context.Context, orgID, id int64) (err error) {
	defer derrors.Wrap(&err, "store.DeleteSCIMUser(%d, %d)", orgID, id)
	return db.Transact(ctx, func(ctx context.Context, tx *Tx) error {
		res, err := tx.q.ExecContext(ctx, `DELETE FROM users WHERE id = $1 AND org_id = $2 AND bot = $3`, id, orgID, false)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return cmpErr(err, apperr.NotFoundf("no user with id %d", id))
		}
		if err := tx.endSessions(ctx, id); err != nil {
			return err
		}
		return tx.removeParticipant(ctx, orgID, id)
	})
}

// cmpErr returns err if it is not nil, else fallback.
func cmpErr(err, fallback error) error {
	if err != nil {
		return err
	}
	return fallback
}
