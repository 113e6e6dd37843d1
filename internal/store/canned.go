package store

import (
	"context"

	"github.com/driftwood-chat/driftwood/internal/apperr"
	"github.com/driftwood-chat/driftwood/internal/canned"
	"github.com/driftwood-chat/driftwood/internal/derrors"
)

var _ canned.Store = (*DB)(nil)

const cannedColumns = `id, org_id, shortcut, body, created_at, updated_at`

func shortcutTaken(s string) error {
	return apperr.New(apperr.Conflict, "the shortcut /%s is already taken", s)
}

// ListCannedReplies implements canned.Store: by shortcut.
func (db *DB) ListCannedReplies(ctx context.Context, orgID int64) (_ []*canned.Reply, err error) {
	defer derrors.Wrap(&err, "store.ListCannedReplies(%d)", orgID)
	return queryCanned(ctx, db.read, `WHERE org_id = $1 ORDER BY shortcut LIMIT 1000`, orgID)
}

func queryCanned(ctx context.Context, q queryer, where string, args ...any) ([]*canned.Reply, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+cannedColumns+` FROM canned_replies `+where, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []*canned.Reply{}
	for rows.Next() {
		r := &canned.Reply{}
		if err := rows.Scan(&r.ID, &r.OrgID, &r.Shortcut, &r.Body, &r.CreatedAt, &r.UpdatedAt); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// CreateCannedReply implements canned.Store.
func (db *DB) CreateCannedReply(ctx context.Context, orgID int64, p canned.Patch) (_ *canned.Reply, err error) {
	defer derrors.Wrap(&err, "store.CreateCannedReply(%d)", orgID)
	r := &canned.Reply{OrgID: orgID}
	err = db.Transact(ctx, func(ctx context.Context, tx *Tx) error {
		if err := r.Apply(p, tx.now); err != nil {
			return err
		}
		err := tx.q.QueryRowContext(ctx, `INSERT INTO canned_replies (org_id, shortcut, body, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5) RETURNING id`, orgID, r.Shortcut, r.Body, r.CreatedAt, r.UpdatedAt).Scan(&r.ID)
		if db.dialect.IsUniqueViolation(err) {
			return shortcutTaken(r.Shortcut)
		}
		return err
	})
	return r, err
}

// UpdateCannedReply implements canned.Store.
func (db *DB) UpdateCannedReply(ctx context.Context, orgID, id int64, p canned.Patch) (_ *canned.Reply, err error) {
	defer derrors.Wrap(&err, "store.UpdateCannedReply(%d, %d)", orgID, id)
	var r *canned.Reply
	err = db.Transact(ctx, func(ctx context.Context, tx *Tx) error {
		rs, err := queryCanned(ctx, tx.q, `WHERE id = $1 AND org_id = $2`+db.dialect.LockRows(), id, orgID)
		if err != nil {
			return err
		}
		if len(rs) == 0 {
			return apperr.NotFoundf("no canned reply with id %d", id)
		}
		r = rs[0]
		if err := r.Apply(p, tx.now); err != nil {
			return err
		}
		_, err = tx.q.ExecContext(ctx, `UPDATE canned_replies SET shortcut = $1, body = $2, updated_at = $3 WHERE id = $4`,
			r.Shortcut, r.Body, r.UpdatedAt, id)
		if db.dialect.IsUniqueViolation(err) {
			return shortcutTaken(r.Shortcut)
		}
		return err
	})
	return r, err
}

// DeleteCannedReply implements canned.Store.
func (db *DB) DeleteCannedReply(ctx context.Context, orgID, id int64) (err error) {
	defer derrors.Wrap(&err, "store.DeleteCannedReply(%d, %d)", orgID, id)
	return db.Transact(ctx, func(ctx context.Context, tx *Tx) error {
		res, err := tx.q.ExecContext(ctx, `DELETE FROM canned_replies WHERE id = $1 AND org_id = $2`, id, orgID)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return cmpErr(err, apperr.NotFoundf("no canned reply with id %d", id))
		}
		return nil
	})
}
