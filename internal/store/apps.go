package store

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/driftwood-chat/driftwood/internal/apperr"
	"github.com/driftwood-chat/driftwood/internal/auth"
	"github.com/driftwood-chat/driftwood/internal/derrors"
	"github.com/driftwood-chat/driftwood/internal/events"
	"github.com/driftwood-chat/driftwood/internal/integration"
)

var _ integration.Store = (*DB)(nil)

const appColumns = `id, org_id, name, client_id, client_secret_hash, verification_token, signing_secret,
	redirect_uris, scopes, webhook_url, events, public, webhook_disabled_at, created_at, updated_at,
	previous_signing_secret, signing_rotated_at, allowed_ips`

// InsertApp implements integration.Store.
func (db *DB) InsertApp(ctx context.Context, a *integration.App) (err error) {
	defer derrors.Wrap(&err, "store.InsertApp(%d)", a.OrgID)
	uris, err := json.Marshal(a.RedirectURIs)
	if err != nil {
		return err
	}
	return db.Transact(ctx, func(ctx context.Context, tx *Tx) error {
		a.CreatedAt, a.UpdatedAt = tx.now, tx.now
		err := tx.q.QueryRowContext(ctx, `INSERT INTO apps (org_id, name, client_id, client_secret_hash,
			verification_token, signing_secret, redirect_uris, scopes, webhook_url, events, public, created_at, updated_at, allowed_ips)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id`,
			a.OrgID, a.Name, a.ClientID, a.Sealed.ClientSecretHash, a.Sealed.VerificationToken, a.Sealed.SigningSecret,
			string(uris), auth.JoinScopes(a.Scopes), a.WebhookURL, joinEvents(a.Events), a.Public, a.CreatedAt, a.UpdatedAt,
			strings.Join(a.AllowedIPs, " "),
		).Scan(&a.ID)
		return db.mapErr(err, "an app with this client id already exists")
	})
}

// GetApp implements integration.Store.
func (db *DB) GetApp(ctx context.Context, orgID, id int64) (_ *integration.App, err error) {
	defer derrors.Wrap(&err, "store.GetApp(%d, %d)", orgID, id)
	return getApp(ctx, db.read, orgID, id, "")
}

func getApp(ctx context.Context, q queryer, orgID, id int64, lock string) (*integration.App, error) {
	apps, err := queryApps(ctx, q, `WHERE id = $1 AND org_id = $2`+lock, id, orgID)
	if err != nil {
		return nil, err
	}
	if len(apps) == 0 {
		return nil, apperr.NotFoundf("no app with id %d", id)
	}
	return apps[0], nil
}

// ListApps implements integration.Store.
func (db *DB) ListApps(ctx context.Context, orgID int64) (_ []*integration.App, err error) {
	defer derrors.Wrap(&err, "store.ListApps(%d)", orgID)
	return queryApps(ctx, db.read, `WHERE org_id = $1 ORDER BY id`, orgID)
}

// UpdateApp implements integration.Store.
func (db *DB) UpdateApp(ctx context.Context, orgID, id int64, fn func(a *integration.App) error) (_ *integration.App, err error) {
	defer derrors.Wrap(&err, "store.UpdateApp(%d, %d)", orgID, id)
	var a *integration.App
	err = db.Transact(ctx, func(ctx context.Context, tx *Tx) error {
		var err error
		if a, err = getApp(ctx, tx.q, orgID, id, db.dialect.LockRows()); err != nil {
			return err
		}
		ips := strings.Join(a.AllowedIPs, " ")
		if err := fn(a); err != nil {
			return err
		}
		if strings.Join(a.AllowedIPs, " ") != ips {
			// Tokens are cached with their app's allowlist.
			tx.logRevocation(auth.Revocation{AppID: id})
		}
		uris, err := json.Marshal(a.RedirectURIs)
		if err != nil {
			return err
		}
		_, err = tx.q.ExecContext(ctx, `UPDATE apps SET name = $1, verification_token = $2, signing_secret = $3,
			redirect_uris = $4, scopes = $5, webhook_url = $6, events = $7, public = $8, webhook_disabled_at = $9,
			updated_at = $10, previous_signing_secret = $11, signing_rotated_at = $12, allowed_ips = $13 WHERE id = $14 AND org_id = $15`,
			a.Name, a.Sealed.VerificationToken, a.Sealed.SigningSecret, string(uris), auth.JoinScopes(a.Scopes),
			a.WebhookURL, joinEvents(a.Events), a.Public, a.WebhookDisabledAt, a.UpdatedAt,
			a.Sealed.PreviousSigningSecret, a.Sealed.SigningRotatedAt, strings.Join(a.AllowedIPs, " "), id, orgID)
		return err
	})
	return a, err
}

// DeleteApp implements integration.Store.
func (db *DB) DeleteApp(ctx context.Context, orgID, id int64) (err error) {
	defer derrors.Wrap(&err, "store.DeleteApp(%d, %d)", orgID, id)
	return db.Transact(ctx, func(ctx context.Context, tx *Tx) error {
		res, err := tx.q.ExecContext(ctx, `DELETE FROM apps WHERE id = $1 AND org_id = $2`, id, orgID)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			if err == nil {
				err = apperr.NotFoundf("no app with id %d", id)
			}
			return err
		}
		tx.logRevocation(auth.Revocation{AppID: id})
		_, err = tx.q.ExecContext(ctx, `UPDATE tokens SET revoked_at = $1 WHERE app_id = $2 AND revoked_at = 0`, tx.now, id)
		return err
	})
}

// Install implements integration.Store.
func (db *DB) Install(ctx context.Context, inst *integration.Installation, tok *auth.Token, hash string) (err error) {
	defer derrors.Wrap(&err, "store.Install(%d, %d)", inst.AppID, inst.OrgID)
	return db.Transact(ctx, func(ctx context.Context, tx *Tx) error {
		if err := tx.install(ctx, inst); err != nil {
			return err
		}
		return tx.insertToken(ctx, tok, hash)
	})
}

// install is Install inside tx.
func (tx *Tx) install(ctx context.Context, inst *integration.Installation) error {
	inst.CreatedAt = tx.now
	return tx.q.QueryRowContext(ctx, `INSERT INTO installations (app_id, org_id, scopes, created_at)
		VALUES ($1, $2, $3, $4)
		ON CONFLICT (app_id, org_id) DO UPDATE SET scopes = excluded.scopes, uninstalled_at = 0
		RETURNING id, created_at`,
		inst.AppID, inst.OrgID, auth.JoinScopes(inst.Scopes), tx.now).Scan(&inst.ID, &inst.CreatedAt)
}

// Uninstall implements integration.Store.
func (db *DB) Uninstall(ctx context.Context, appID, orgID int64) (err error) {
	defer derrors.Wrap(&err, "store.Uninstall(%d, %d)", appID, orgID)
	return db.Transact(ctx, func(ctx context.Context, tx *Tx) error {
		if _, err := tx.q.ExecContext(ctx, `UPDATE installations SET uninstalled_at = $1
			WHERE app_id = $2 AND org_id = $3 AND uninstalled_at = 0`, tx.now, appID, orgID); err != nil {
			return err
		}
		// Deliveries already queued for the installation stop too.
		if _, err := tx.q.ExecContext(ctx, `UPDATE deliveries SET status = 'failed', last_error = 'the app was uninstalled',
			updated_at = $1 WHERE app_id = $2 AND org_id = $3 AND status = 'pending'`, tx.now, appID, orgID); err != nil {
			return err
		}
		_, err := tx.revokeAll(ctx, appID, orgID)
		return err
	})
}

func queryApps(ctx context.Context, q queryer, where string, args ...any) ([]*integration.App, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+appColumns+` FROM apps `+where, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*integration.App
	for rows.Next() {
		a := &integration.App{}
		var uris, scopes, evs, ips string
		if err := rows.Scan(&a.ID, &a.OrgID, &a.Name, &a.ClientID, &a.Sealed.ClientSecretHash,
			&a.Sealed.VerificationToken, &a.Sealed.SigningSecret, &uris, &scopes, &a.WebhookURL, &evs,
			&a.Public, &a.WebhookDisabledAt, &a.CreatedAt, &a.UpdatedAt,
			&a.Sealed.PreviousSigningSecret, &a.Sealed.SigningRotatedAt, &ips); err != nil {
			return nil, err
		}
		a.AllowedIPs = append([]string{}, strings.Fields(ips)...)
		if err := json.Unmarshal([]byte(uris), &a.RedirectURIs); err != nil {
			return nil, err
		}
		a.Scopes = splitScopes(scopes)
		a.Events = splitEvents(evs)
		out = append(out, a)
	}
	return out, rows.Err()
}

func splitScopes(s string) []auth.Scope {
	out := []auth.Scope{}
	for _, f := range strings.Fields(s) {
		out = append(out, auth.Scope(f))
	}
	return out
}

func joinEvents(evs []events.Type) string {
	parts := make([]string, len(evs))
	for i, e := range evs {
		parts[i] = string(e)
	}
	return strings.Join(parts, " ")
}

func splitEvents(s string) []events.Type {
	out := []events.Type{}
	for _, f := range strings.Fields(s) {
		out = append(out, events.Type(f))
	}
	return out
}
