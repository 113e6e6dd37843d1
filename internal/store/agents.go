package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	"github.com/driftwood-chat/driftwood/internal/agent"
	"github.com/driftwood-chat/driftwood/internal/apperr"
	"github.com/driftwood-chat/driftwood/internal/derrors"
	"github.com/driftwood-chat/driftwood/internal/user"
)

var _ agent.Store = (*DB)(nil)

// InsertInvite implements agent.Store.
func (db *DB) InsertInvite(ctx context.Context, orgID, userID int64, hash string, expiresAt int64) (err error) {
	defer derrors.Wrap(&err, "store.InsertInvite(%d, %d)", orgID, userID)
	return db.Transact(ctx, func(ctx context.Context, tx *Tx) error {
		var n int
		if err := tx.q.QueryRowContext(ctx, `SELECT COUNT(*) FROM users WHERE id = $1 AND org_id = $2 AND bot = $3 AND active = $4`,
			userID, orgID, false, true).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return apperr.NotFoundf("no user with id %d", userID)
		}
		if _, err := tx.q.ExecContext(ctx, `DELETE FROM user_invites WHERE user_id = $1`, userID); err != nil {
			return err
		}
		_, err := tx.q.ExecContext(ctx, `INSERT INTO user_invites (token_hash, org_id, user_id, expires_at, created_at)
			VALUES ($1, $2, $3, $4, $5)`, hash, orgID, userID, expiresAt, tx.now)
		return err
	})
}

// RedeemInvite implements agent.Store.
func (db *DB) RedeemInvite(ctx context.Context, hash, passwordHash string, now int64) (_ *user.User, err error) {
	defer derrors.Wrap(&err, "store.RedeemInvite")
	var u *user.User
	err = db.Transact(ctx, func(ctx context.Context, tx *Tx) error {
		var orgID, userID int64
		err := tx.q.QueryRowContext(ctx, `SELECT org_id, user_id FROM user_invites WHERE token_hash = $1 AND expires_at > $2`+
			db.dialect.LockRows(), hash, now).Scan(&orgID, &userID)
		if errors.Is(err, sql.ErrNoRows) {
			return apperr.NotFoundf("no such invitation")
		}
		if err != nil {
			return err
		}
		if u, err = getUser(ctx, tx.q, orgID, userID, db.dialect.LockRows()); err != nil {
			return err
		}
		for _, q := range []string{
			`DELETE FROM user_invites WHERE user_id = $1`,
			`DELETE FROM user_sessions WHERE user_id = $1`, // a new password ends every session
		} {
			if _, err := tx.q.ExecContext(ctx, q, userID); err != nil {
				return err
			}
		}
		res, err := tx.q.ExecContext(ctx, `UPDATE users SET password_hash = $1 WHERE id = $2 AND active = $3 AND bot = $4`,
			passwordHash, userID, true, false)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return cmpErr(err, apperr.NotFoundf("no such invitation"))
		}
		return nil
	})
	return u, err
}

// Credentials implements agent.Store.
func (db *DB) Credentials(ctx context.Context, email string) (_ []agent.Credential, err error) {
	defer derrors.Wrap(&err, "store.Credentials")
	rows, err := db.reads.QueryContext(ctx, `SELECT `+userColumns+`, password_hash FROM users
		WHERE lower(email) = $1 AND active = $2 AND bot = $3 AND password_hash <> '' ORDER BY id LIMIT 10`,
		strings.ToLower(email), true, false)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []agent.Credential
	for rows.Next() {
		c := agent.Credential{User: &user.User{}}
		if err := rows.Scan(append(userFields(c.User), &c.PasswordHash)...); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// InsertSession implements agent.Store.
func (db *DB) InsertSession(ctx context.Context, hash string, s *agent.Session) (err error) {
	defer derrors.Wrap(&err, "store.InsertSession(%d, %d)", s.OrgID, s.UserID)
	return db.Transact(ctx, func(ctx context.Context, tx *Tx) error {
		_, err := tx.q.ExecContext(ctx, `INSERT INTO user_sessions (token_hash, org_id, user_id, created_at, last_seen_at)
			VALUES ($1, $2, $3, $4, $5)`, hash, s.OrgID, s.UserID, s.CreatedAt, s.LastSeenAt)
		return err
	})
}

// SessionUser implements agent.Store.
func (db *DB) SessionUser(ctx context.Context, hash string) (_ *agent.Session, _ *user.User, err error) {
	defer derrors.Wrap(&err, "store.SessionUser")
	s, u := &agent.Session{}, &user.User{}
	cols := strings.ReplaceAll(userColumns, ", ", ", u.")
	err = db.reads.QueryRowContext(ctx, `SELECT s.org_id, s.user_id, s.created_at, s.last_seen_at, u.`+cols+`
		FROM user_sessions s JOIN users u ON u.id = s.user_id AND u.org_id = s.org_id
		WHERE s.token_hash = $1 AND u.active = $2 AND u.bot = $3`, hash, true, false).
		Scan(append([]any{&s.OrgID, &s.UserID, &s.CreatedAt, &s.LastSeenAt}, userFields(u)...)...)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, apperr.NotFoundf("no such session")
	}
	if err != nil {
		return nil, nil, err
	}
	return s, u, nil
}

// TouchSession implements agent.Store.
func (db *DB) TouchSession(ctx context.Context, hash string, now int64) (err error) {
	defer derrors.Wrap(&err, "store.TouchSession")
	return db.Transact(ctx, func(ctx context.Context, tx *Tx) error {
		_, err := tx.q.ExecContext(ctx, `UPDATE user_sessions SET last_seen_at = $1 WHERE token_hash = $2`, now, hash)
		return err
	})
}

// DeleteSession implements agent.Store.
func (db *DB) DeleteSession(ctx context.Context, hash string) (err error) {
	defer derrors.Wrap(&err, "store.DeleteSession")
	return db.Transact(ctx, func(ctx context.Context, tx *Tx) error {
		_, err := tx.q.ExecContext(ctx, `DELETE FROM user_sessions WHERE token_hash = $1`, hash)
		return err
	})
}

// endSessions ends every session of a user, as part of tx: the user was
// deactivated or deleted.
func (tx *Tx) endSessions(ctx context.Context, userID int64) error {
	_, err := tx.q.ExecContext(ctx, `DELETE FROM user_sessions WHERE user_id = $1`, userID)
	return err
}
