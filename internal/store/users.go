package store

import (
	"context"

	"github.com/driftwood-chat/driftwood/internal/apperr"

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

// CreateUser implements user.Store.
func (db *DB) CreateUser(ctx context.Context, u *user.User) error {
	return db.Transact(ctx, func(tx *Tx) error { return tx.InsertUser(ctx, u) })
}

// InsertUser inserts u as part of tx.
func (tx *Tx) InsertUser(ctx context.Context, u *user.User) error {
	u.CreatedAt, u.UpdatedAt = tx.now, tx.now
	if u.Availability == "" {
		u.Availability = user.Available
	}
	if u.Role == "" {
		u.Role = user.RoleMember
	}
	return tx.tx.QueryRowContext(ctx, `INSERT INTO users (org_id, name, alias, email, phone, locale, availability, role,
		time_zone, avatar_url, verified, bot, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id`,
		u.OrgID, u.Name, u.Alias, u.Email, u.Phone, u.Locale, u.Availability, u.Role, u.TimeZone, u.AvatarURL,
		u.Verified, u.Bot, u.CreatedAt, u.UpdatedAt).Scan(&u.ID)
}

// GetUser implements user.Store.
func (db *DB) GetUser(ctx context.Context, orgID, id int64) (*user.User, error) {
	us, err := queryUsers(ctx, db.read, `WHERE id = $1 AND org_id = $2`, id, orgID)
	if err != nil {
		return nil, err
	}
	if len(us) == 0 {
		return nil, apperr.NotFoundf("no user with id %d", id)
	}
	return us[0], nil
}

// ListUsers implements user.Store.
func (db *DB) ListUsers(ctx context.Context, orgID int64) ([]*user.User, error) {
	return queryUsers(ctx, db.read, `WHERE org_id = $1 ORDER BY id`, orgID)
}

// BotUser implements user.Store.
func (db *DB) BotUser(ctx context.Context, orgID int64) (*user.User, error) {
	us, err := queryUsers(ctx, db.read, `WHERE org_id = $1 AND bot = $2 ORDER BY id LIMIT 1`, orgID, true)
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
