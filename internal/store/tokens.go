package store

import (
	"context"
	"strings"

	"github.com/driftwood-chat/driftwood/internal/apperr"
	"github.com/driftwood-chat/driftwood/internal/auth"
	"github.com/driftwood-chat/driftwood/internal/derrors"
)

var _ auth.TokenStore = (*DB)(nil)

// tokenColumns reads a token with its app's IP allowlist, which every
// authentication checks: one read per request, not two.
const tokenColumns = `id, org_id, app_id, grant_id, name, hint, scopes, created_at, expires_at, revoked_at, last_used_at,
	COALESCE((SELECT allowed_ips FROM apps WHERE apps.id = tokens.app_id), '')`

// InsertToken implements auth.TokenStore.
func (db *DB) InsertToken(ctx context.Context, t *auth.Token, hash string) (err error) {
	defer derrors.Wrap(&err, "store.InsertToken(%d)", t.OrgID)
	return db.Transact(ctx, func(ctx context.Context, tx *Tx) error { return tx.insertToken(ctx, t, hash) })
}

// InsertToken stores t under hash as part of tx, setting its ID and CreatedAt.
func (tx *Tx) InsertToken(ctx context.Context, t *auth.Token, hash string) (err error) {
	defer derrors.Wrap(&err, "store.Tx.InsertToken(%d)", t.OrgID)
	return tx.insertToken(ctx, t, hash)
}

func (tx *Tx) insertToken(ctx context.Context, t *auth.Token, hash string) error {
	t.CreatedAt = tx.now
	err := tx.q.QueryRowContext(ctx, `INSERT INTO tokens (org_id, app_id, grant_id, name, hash, hint, scopes, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
		t.OrgID, t.AppID, t.GrantID, t.Name, hash, t.Hint, auth.JoinScopes(t.Scopes), t.CreatedAt, t.ExpiresAt).Scan(&t.ID)
	return tx.db.mapErr(err, "a token with this value already exists")
}

// TokenByHash implements auth.TokenStore.
func (db *DB) TokenByHash(ctx context.Context, hash string) (_ *auth.Token, err error) {
	defer derrors.Wrap(&err, "store.TokenByHash()")
	ts, err := queryTokens(ctx, db.reads, `WHERE hash = $1`, hash) // on every API request
	if err != nil {
		return nil, err
	}
	if len(ts) == 0 {
		return nil, apperr.NotFoundf("no such token")
	}
	return ts[0], nil
}

// ListTokens implements auth.TokenStore.
func (db *DB) ListTokens(ctx context.Context, orgID int64) (_ []*auth.Token, err error) {
	defer derrors.Wrap(&err, "store.ListTokens(%d)", orgID)
	return queryTokens(ctx, db.read, `WHERE org_id = $1 ORDER BY id`, orgID)
}

// RevokeToken implements auth.TokenStore.
func (db *DB) RevokeToken(ctx context.Context, orgID, id int64) (err error) {
	defer derrors.Wrap(&err, "store.RevokeToken(%d, %d)", orgID, id)
	return db.Transact(ctx, func(ctx context.Context, tx *Tx) error {
		res, err := tx.q.ExecContext(ctx, `UPDATE tokens SET revoked_at = $1 WHERE id = $2 AND org_id = $3 AND revoked_at = 0`,
			tx.now, id, orgID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n > 0 {
			tx.logRevocation(auth.Revocation{OrgID: orgID, TokenID: id})
		} else {
			var exists int
			err := tx.q.QueryRowContext(ctx, `SELECT COUNT(*) FROM tokens WHERE id = $1 AND org_id = $2`, id, orgID).Scan(&exists)
			if err != nil {
				return err
			}
			if exists == 0 {
				return apperr.NotFoundf("no token with id %d", id)
			}
		}
		return nil
	})
}

// TouchToken implements auth.TokenStore. It is a plain write outside
// Transact's retries: losing one to a busy database only delays the next.
func (db *DB) TouchToken(ctx context.Context, id, at int64) (err error) {
	defer derrors.Wrap(&err, "store.TouchToken(%d)", id)
	_, err = db.write.ExecContext(ctx, `UPDATE tokens SET last_used_at = $1 WHERE id = $2 AND last_used_at < $1`, at, id)
	return db.noteWrite(err)
}

// RevokeAll revokes, at once, every live token and OAuth grant of an app
// (appID > 0), of an org (orgID > 0), or of the app's installation in the
// org (both). It returns how many tokens it revoked.
func (db *DB) RevokeAll(ctx context.Context, appID, orgID int64) (_ int64, err error) {
	defer derrors.Wrap(&err, "store.RevokeAll(%d, %d)", appID, orgID)
	if appID <= 0 && orgID <= 0 {
		return 0, apperr.Invalidf("app", "name an app, an org or both")
	}
	var n int64
	err = db.Transact(ctx, func(ctx context.Context, tx *Tx) error {
		var err error
		n, err = tx.revokeAll(ctx, appID, orgID)
		return err
	})
	return n, err
}

// revokeAll is RevokeAll inside tx.
func (tx *Tx) revokeAll(ctx context.Context, appID, orgID int64) (int64, error) {
	where := ` AND (CAST($2 AS BIGINT) = 0 OR app_id = $2) AND (CAST($3 AS BIGINT) = 0 OR org_id = $3)`
	if _, err := tx.q.ExecContext(ctx, `UPDATE oauth_grants SET revoked_at = $1 WHERE revoked_at = 0`+where, tx.now, appID, orgID); err != nil {
		return 0, err
	}
	res, err := tx.q.ExecContext(ctx, `UPDATE tokens SET revoked_at = $1 WHERE revoked_at = 0`+where, tx.now, appID, orgID)
	if err != nil {
		return 0, err
	}
	tx.logRevocation(auth.Revocation{OrgID: orgID, AppID: appID})
	return res.RowsAffected()
}

func queryTokens(ctx context.Context, q queryer, where string, args ...any) ([]*auth.Token, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+tokenColumns+` FROM tokens `+where, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*auth.Token
	for rows.Next() {
		t := &auth.Token{}
		var scopes, ips string
		if err := rows.Scan(&t.ID, &t.OrgID, &t.AppID, &t.GrantID, &t.Name, &t.Hint, &scopes, &t.CreatedAt, &t.ExpiresAt,
			&t.RevokedAt, &t.LastUsedAt, &ips); err != nil {
			return nil, err
		}
		t.AllowedIPs = strings.Fields(ips)
		for _, s := range strings.Fields(scopes) {
			t.Scopes = append(t.Scopes, auth.Scope(s))
		}
		out = append(out, t)
	}
	return out, rows.Err()
}
