package store

import (
	"context"
	"database/sql"
	"errors"

	"github.com/driftwood-chat/driftwood/internal/apperr"
	"github.com/driftwood-chat/driftwood/internal/auth"
	"github.com/driftwood-chat/driftwood/internal/derrors"
	"github.com/driftwood-chat/driftwood/internal/integration"
	"github.com/driftwood-chat/driftwood/internal/oauth"
)

var _ oauth.Store = (*DB)(nil)

// AppByClientID implements oauth.Store.
func (db *DB) AppByClientID(ctx context.Context, clientID string) (_ *integration.App, err error) {
	defer derrors.Wrap(&err, "store.AppByClientID()")
	apps, err := queryApps(ctx, db.read, `WHERE client_id = $1`, clientID)
	if err != nil {
		return nil, err
	}
	if len(apps) == 0 {
		return nil, apperr.NotFoundf("no app with this client id")
	}
	return apps[0], nil
}

// InsertCode implements oauth.Store.
func (db *DB) InsertCode(ctx context.Context, c *oauth.Code, hash string) (err error) {
	defer derrors.Wrap(&err, "store.InsertCode(%d, %d)", c.AppID, c.OrgID)
	return db.Transact(ctx, func(ctx context.Context, tx *Tx) error {
		c.CreatedAt = tx.now
		return tx.q.QueryRowContext(ctx, `INSERT INTO oauth_codes (hash, app_id, org_id, redirect_uri, scopes,
			code_challenge, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
			hash, c.AppID, c.OrgID, c.RedirectURI, auth.JoinScopes(c.Scopes), c.Challenge, c.CreatedAt, c.ExpiresAt,
		).Scan(&c.ID)
	})
}

// RedeemCode implements oauth.Store.
func (db *DB) RedeemCode(ctx context.Context, hash string, check func(c *oauth.Code) error, pair func(g *oauth.Grant) *oauth.Pair) (_ *oauth.Grant, err error) {
	defer derrors.Wrap(&err, "store.RedeemCode()")
	var g *oauth.Grant
	var refused error // committed with the revocation it caused, then returned
	err = db.Transact(ctx, func(ctx context.Context, tx *Tx) error {
		refused = nil
		c := &oauth.Code{}
		var scopes string
		err := tx.q.QueryRowContext(ctx, `SELECT id, app_id, org_id, redirect_uri, scopes, code_challenge, grant_id,
			created_at, expires_at, used_at FROM oauth_codes WHERE hash = $1`+db.dialect.LockRows(), hash).Scan(
			&c.ID, &c.AppID, &c.OrgID, &c.RedirectURI, &scopes, &c.Challenge, &c.GrantID, &c.CreatedAt, &c.ExpiresAt, &c.UsedAt)
		if err != nil {
			return db.mapErr(err, "")
		}
		c.Scopes = splitScopes(scopes)
		if err := check(c); err != nil {
			if errors.Is(err, oauth.ErrReplay) {
				refused = err
				return tx.revokeGrant(ctx, c.GrantID)
			}
			return err
		}
		g = &oauth.Grant{AppID: c.AppID, OrgID: c.OrgID, Scopes: c.Scopes, CreatedAt: tx.now}
		if err := tx.q.QueryRowContext(ctx, `INSERT INTO oauth_grants (app_id, org_id, scopes, created_at)
			VALUES ($1, $2, $3, $4) RETURNING id`, g.AppID, g.OrgID, scopes, g.CreatedAt).Scan(&g.ID); err != nil {
			return err
		}
		if _, err := tx.q.ExecContext(ctx, `UPDATE oauth_codes SET used_at = $1, grant_id = $2 WHERE id = $3`,
			tx.now, g.ID, c.ID); err != nil {
			return err
		}
		if err := tx.install(ctx, &integration.Installation{AppID: g.AppID, OrgID: g.OrgID, Scopes: g.Scopes}); err != nil {
			return err
		}
		return tx.insertPair(ctx, g, pair(g))
	})
	if err == nil {
		err = refused
	}
	if err != nil {
		return nil, err
	}
	return g, nil
}

// RotateRefresh implements oauth.Store.
func (db *DB) RotateRefresh(ctx context.Context, hash string, check func(r *oauth.Refresh, g *oauth.Grant) error, pair func(g *oauth.Grant) *oauth.Pair) (_ *oauth.Grant, err error) {
	defer derrors.Wrap(&err, "store.RotateRefresh()")
	var g *oauth.Grant
	var refused error
	err = db.Transact(ctx, func(ctx context.Context, tx *Tx) error {
		refused = nil
		r, gr := &oauth.Refresh{}, &oauth.Grant{}
		var scopes string
		err := tx.q.QueryRowContext(ctx, `SELECT r.id, r.grant_id, r.created_at, r.expires_at, r.used_at,
			g.app_id, g.org_id, g.scopes, g.created_at, g.revoked_at
			FROM oauth_refresh_tokens r JOIN oauth_grants g ON g.id = r.grant_id WHERE r.hash = $1`+db.dialect.LockRows(), hash).Scan(
			&r.ID, &r.GrantID, &r.CreatedAt, &r.ExpiresAt, &r.UsedAt, &gr.AppID, &gr.OrgID, &scopes, &gr.CreatedAt, &gr.RevokedAt)
		if err != nil {
			return db.mapErr(err, "")
		}
		gr.ID, gr.Scopes = r.GrantID, splitScopes(scopes)
		if err := check(r, gr); err != nil {
			if errors.Is(err, oauth.ErrReplay) {
				refused = err
				return tx.revokeGrant(ctx, gr.ID)
			}
			return err
		}
		if _, err := tx.q.ExecContext(ctx, `UPDATE oauth_refresh_tokens SET used_at = $1 WHERE id = $2`, tx.now, r.ID); err != nil {
			return err
		}
		// The previous access token goes with the refresh token it came with.
		if _, err := tx.q.ExecContext(ctx, `UPDATE tokens SET revoked_at = $1 WHERE grant_id = $2 AND revoked_at = 0`,
			tx.now, gr.ID); err != nil {
			return err
		}
		tx.logRevocation(auth.Revocation{GrantID: gr.ID})
		g = gr
		return tx.insertPair(ctx, g, pair(g))
	})
	if err == nil {
		err = refused
	}
	if err != nil {
		return nil, err
	}
	return g, nil
}

// RevokeHash implements oauth.Store.
func (db *DB) RevokeHash(ctx context.Context, hash string, appID int64) (err error) {
	defer derrors.Wrap(&err, "store.RevokeHash(%d)", appID)
	return db.Transact(ctx, func(ctx context.Context, tx *Tx) error {
		var id, grantID int64
		err := tx.q.QueryRowContext(ctx, `SELECT id, grant_id FROM tokens WHERE hash = $1 AND app_id = $2`, hash, appID).Scan(&id, &grantID)
		if errors.Is(err, sql.ErrNoRows) {
			err = tx.q.QueryRowContext(ctx, `SELECT r.grant_id FROM oauth_refresh_tokens r JOIN oauth_grants g ON g.id = r.grant_id
				WHERE r.hash = $1 AND g.app_id = $2`, hash, appID).Scan(&grantID)
		}
		switch {
		case errors.Is(err, sql.ErrNoRows):
			return nil // RFC 7009 §2.2: an unknown token is not an error
		case err != nil:
			return err
		case grantID != 0:
			return tx.revokeGrant(ctx, grantID)
		}
		tx.logRevocation(auth.Revocation{TokenID: id})
		_, err = tx.q.ExecContext(ctx, `UPDATE tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at = 0`, tx.now, id)
		return err
	})
}

// revokeGrant revokes a grant and every access token issued under it; its
// refresh tokens die with it.
func (tx *Tx) revokeGrant(ctx context.Context, id int64) error {
	if _, err := tx.q.ExecContext(ctx, `UPDATE oauth_grants SET revoked_at = $1 WHERE id = $2 AND revoked_at = 0`, tx.now, id); err != nil {
		return err
	}
	tx.logRevocation(auth.Revocation{GrantID: id})
	_, err := tx.q.ExecContext(ctx, `UPDATE tokens SET revoked_at = $1 WHERE grant_id = $2 AND revoked_at = 0`, tx.now, id)
	return err
}

// insertPair stores an access and a refresh token under grant g.
func (tx *Tx) insertPair(ctx context.Context, g *oauth.Grant, p *oauth.Pair) error {
	p.Access.GrantID = g.ID
	if err := tx.insertToken(ctx, &p.Access, p.AccessHash); err != nil {
		return err
	}
	_, err := tx.q.ExecContext(ctx, `INSERT INTO oauth_refresh_tokens (grant_id, hash, created_at, expires_at)
		VALUES ($1, $2, $3, $4)`, g.ID, p.RefreshHash, tx.now, p.RefreshExpiresAt)
	return err
}
