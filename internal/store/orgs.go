package store

import (
	"context"
	"database/sql"
	"errors"

	"github.com/driftwood-chat/driftwood/internal/apperr"
	"github.com/driftwood-chat/driftwood/internal/derrors"
	"github.com/driftwood-chat/driftwood/internal/org"
	"github.com/driftwood-chat/driftwood/internal/user"
)

var _ org.Store = (*DB)(nil)

// CreateOrg implements org.Store.
func (db *DB) CreateOrg(ctx context.Context, name string) (_ *org.Org, err error) {
	defer derrors.Wrap(&err, "store.CreateOrg()")
	var o *org.Org
	err = db.Transact(ctx, func(ctx context.Context, tx *Tx) (err error) {
		o, err = tx.insertOrg(ctx, name)
		return err
	})
	return o, err
}

// InsertOrg creates an org and its bot user as part of tx.
func (tx *Tx) InsertOrg(ctx context.Context, name string) (_ *org.Org, err error) {
	defer derrors.Wrap(&err, "store.Tx.InsertOrg()")
	return tx.insertOrg(ctx, name)
}

func (tx *Tx) insertOrg(ctx context.Context, name string) (*org.Org, error) {
	o := &org.Org{Name: name, CreatedAt: tx.now}
	if err := tx.q.QueryRowContext(ctx, `INSERT INTO orgs (name, created_at) VALUES ($1, $2) RETURNING id`,
		name, tx.now).Scan(&o.ID); err != nil {
		return nil, err
	}
	return o, tx.insertUser(ctx, user.NewBot(o.ID, name))
}

// ClaimOnce reports whether this transaction is the first ever to claim
// name in this database; the claim holds only if tx commits. Several
// replicas starting on an empty database use it so that one of them seeds it.
func (tx *Tx) ClaimOnce(ctx context.Context, name string) (_ bool, err error) {
	defer derrors.Wrap(&err, "store.Tx.ClaimOnce(%q)", name)
	res, err := tx.q.ExecContext(ctx, `INSERT INTO once (name, created_at) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING`, name, tx.now)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// GetOrg implements org.Store.
func (db *DB) GetOrg(ctx context.Context, id int64) (_ *org.Org, err error) {
	defer derrors.Wrap(&err, "store.GetOrg(%d)", id)
	o := &org.Org{}
	err = db.read.QueryRowContext(ctx, `SELECT id, name, created_at FROM orgs WHERE id = $1`, id).Scan(&o.ID, &o.Name, &o.CreatedAt)
	if err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, apperr.NotFoundf("no org with id %d", id)
		}
		return nil, err
	}
	return o, nil
}

// FirstOrg returns the oldest org (nil when there is none).
func (db *DB) FirstOrg(ctx context.Context) (_ *org.Org, err error) {
	defer derrors.Wrap(&err, "store.FirstOrg()")
	o := &org.Org{}
	err = db.read.QueryRowContext(ctx, `SELECT id, name, created_at FROM orgs ORDER BY id LIMIT 1`).Scan(&o.ID, &o.Name, &o.CreatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return o, err
}

// CountOrgs implements org.Store.
func (db *DB) CountOrgs(ctx context.Context) (_ int, err error) {
	defer derrors.Wrap(&err, "store.CountOrgs()")
	var n int
	err = db.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM orgs`).Scan(&n)
	return n, err
}
