package store

import (
	"context"
	"errors"

	"github.com/driftwood-chat/driftwood/internal/apperr"
	"github.com/driftwood-chat/driftwood/internal/derrors"
	"github.com/driftwood-chat/driftwood/internal/user"
)

var _ user.Store = (*DB)(nil)

const userColumns = `id, org_id, name, alias, email, phone, locale, availability, role, time_zone, avatar_url, verified, bot, created_at, updated_at`

// userFields are the scan destinations of userColumns, shared with the
// queries that read more of a user's columns (store/scim.go).
func userFields(u *user.User) []any {
	return []any{&u.ID, &u.OrgID, &u.Name, &u.Alias, &u.Email, &u.Phone, &u.Locale, &u.Availability, &u.Role,
		&u.TimeZone, &u.AvatarURL, &u.Verified, &u.Bot, &u.CreatedAt, &u.UpdatedAt}
}

// CreateUser implements user.Store. It validates u first.
func (db *DB) CreateUser(ctx context.Context, u *user.User) (err error) {
	defer derrors.Wrap(&err, "store.CreateUser(%d)", u.OrgID)
	u.SetDefaults()
	if err := u.Validate(); err != nil {
		return err
	}
	return db.Transact(ctx, func(ctx context.Context, tx *Tx) error { return tx.insertUser(ctx, u) })
}

// InsertUser inserts u as part of tx.
func (tx *Tx) InsertUser(ctx context.Context, u *user.User) (err error) {
	defer derrors.Wrap(&err, "store.Tx.InsertUser(%d)", u.OrgID)
	return tx.insertUser(ctx, u)
}

func (tx *Tx) insertUser(ctx context.Context, u *user.User) error {
	u.CreatedAt, u.UpdatedAt = tx.now, tx.now
	u.SetDefaults()
	return tx.q.QueryRowContext(ctx, `INSERT INTO users (org_id, name, alias, email, phone, locale, availability, role,
		time_zone, avatar_url, verified, bot, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id`,
		u.OrgID, u.Name, u.Alias, u.Email, u.Phone, u.Locale, u.Availability, u.Role, u.TimeZone, u.AvatarURL,
		u.Verified, u.Bot, u.CreatedAt, u.UpdatedAt).Scan(&u.ID)
}

// GetUser implements user.Store.
func (db *DB) GetUser(ctx context.Context, orgID, id int64) (_ *user.User, err error) {
	defer derrors.Wrap(&err, "store.GetUser(%d, %d)", orgID, id)
	return getUser(ctx, db.reads, orgID, id, "")
}

func getUser(ctx context.Context, q queryer, orgID, id int64, lock string) (*user.User, error) {
	us, err := queryUsers(ctx, q, `WHERE id = $1 AND org_id = $2`+lock, id, orgID)
	if err != nil {
		return nil, err
	}
	if len(us) == 0 {
		return nil, apperr.NotFoundf("no user with id %d", id)
	}
	return us[0], nil
}

// UpdateUser implements user.Store.
func (db *DB) UpdateUser(ctx context.Context, orgID, id int64, p user.Patch) (_ *user.User, err error) {
	defer derrors.Wrap(&err, "store.UpdateUser(%d, %d)", orgID, id)
	var u *user.User
	err = db.Transact(ctx, func(ctx context.Context, tx *Tx) error {
		if p.Availability != nil {
			// A change of availability drains the queue, which locks every
			// agent in id order (lockAgents): take them before this user's
			// row, or a routed conversation holding some could deadlock with it.
			if err := tx.lockAgents(ctx, orgID, nil); err != nil {
				return err
			}
		}
		var err error
		if u, err = getUser(ctx, tx.q, orgID, id, db.dialect.LockRows()); err != nil {
			return err
		}
		changed, evs, err := u.Apply(p, tx.now)
		if err != nil || !changed {
			return err
		}
		if _, err := tx.q.ExecContext(ctx, `UPDATE users SET name = $1, alias = $2, email = $3, phone = $4, locale = $5,
			avatar_url = $6, availability = $7, updated_at = $8 WHERE id = $9 AND org_id = $10`,
			u.Name, u.Alias, u.Email, u.Phone, u.Locale, u.AvatarURL, u.Availability, u.UpdatedAt, u.ID, orgID); err != nil {
			return err
		}
		if err := tx.appendEvents(ctx, evs); err != nil {
			return err
		}
		return tx.drainQueue(ctx, orgID) // an agent back takes the queue's oldest
	})
	return u, err
}

// requireUser fails with a validation error on param unless id is a user of
// the org: for ids that a body refers to, where a 404 would read as a
// missing route.
func (tx *Tx) requireUser(ctx context.Context, orgID, id int64, param string) (*user.User, error) {
	u, err := getUser(ctx, tx.q, orgID, id, "")
	if errors.Is(err, apperr.ErrNotFound) {
		return nil, apperr.Invalidf(param, "%s %d is not a user of this org", param, id)
	}
	return u, err
}

// ListUsers implements user.Store.
func (db *DB) ListUsers(ctx context.Context, orgID int64) (_ []*user.User, err error) {
	defer derrors.Wrap(&err, "store.ListUsers(%d)", orgID)
	return queryUsers(ctx, db.reads, `WHERE org_id = $1 ORDER BY id`, orgID)
}

// BotUser implements user.Store.
func (db *DB) BotUser(ctx context.Context, orgID int64) (_ *user.User, err error) {
	defer derrors.Wrap(&err, "store.BotUser(%d)", orgID)
	us, err := queryUsers(ctx, db.reads, `WHERE org_id = $1 AND bot = $2 ORDER BY id LIMIT 1`, orgID, true)
	if err != nil {
		return nil, err
	}
	if len(us) == 0 {
		return nil, apperr.NotFoundf("org %d has no bot user", orgID)
	}
	return us[0], nil
}

func queryUsers(ctx context.Context, q queryer, where string, args ...any) ([]*user.User, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+userColumns+` FROM users `+where, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*user.User
	for rows.Next() {
		u := &user.User{}
		if err := rows.Scan(userFields(u)...); err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, rows.Err()
}
