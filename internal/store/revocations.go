package store

import (
	"context"
	"maps"
	"slices"
	"time"

	"github.com/driftwood-chat/driftwood/internal/auth"
	"github.com/driftwood-chat/driftwood/internal/derrors"
)

var _ auth.RevocationLog = (*DB)(nil)

// revocationsKept is how long the revocation log keeps a row: far longer
// than a token cache may go without reading it (auth.Cache).
const revocationsKept = 24 * time.Hour

// OnRevocations registers fn to run after each commit of a transaction that
// logged revocations, with them, so that this process's token cache drops
// them at once (and other replicas are woken). fn must not block.
func (db *DB) OnRevocations(fn func([]auth.Revocation)) {
	db.hooksMu.Lock()
	defer db.hooksMu.Unlock()
	db.revokeHook = append(db.revokeHook, fn)
}

func (db *DB) revoked(revs []auth.Revocation) {
	db.hooksMu.Lock()
	hooks := db.revokeHook
	db.hooksMu.Unlock()
	for _, fn := range hooks {
		fn(revs)
	}
}

// logRevocation records, as part of tx, that the tokens r names ended or
// changed. Every write that revokes tokens, or changes what a token is
// read with, calls it in the same transaction.
func (tx *Tx) logRevocation(r auth.Revocation) {
	tx.revocations = append(tx.revocations, r)
}

// writeRevocations inserts the transaction's revocations right before the
// commit, under Dialect.LockRevocations (see writeEvents), and prunes old
// ones.
func (tx *Tx) writeRevocations(ctx context.Context) error {
	if len(tx.revocations) == 0 {
		return nil
	}
	if err := tx.db.dialect.LockRevocations(ctx, tx.tx); err != nil {
		return err
	}
	for i, r := range tx.revocations {
		err := tx.q.QueryRowContext(ctx, `INSERT INTO revocations (org_id, app_id, grant_id, token_id, at)
			VALUES ($1, $2, $3, $4, $5) RETURNING id`, r.OrgID, r.AppID, r.GrantID, r.TokenID, tx.now).Scan(&tx.revocations[i].ID)
		if err != nil {
			return err
		}
	}
	_, err := tx.q.ExecContext(ctx, `DELETE FROM revocations WHERE at < $1`, tx.now-revocationsKept.Milliseconds())
	return err
}

// RevocationsAfter implements auth.RevocationLog.
func (db *DB) RevocationsAfter(ctx context.Context, id int64, limit int) (_ []auth.Revocation, err error) {
	defer derrors.Wrap(&err, "store.RevocationsAfter(%d)", id)
	rows, err := db.read.QueryContext(ctx, `SELECT id, org_id, app_id, grant_id, token_id FROM revocations
		WHERE id > $1 ORDER BY id LIMIT $2`, id, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []auth.Revocation
	for rows.Next() {
		var r auth.Revocation
		if err := rows.Scan(&r.ID, &r.OrgID, &r.AppID, &r.GrantID, &r.TokenID); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// LastRevocation implements auth.RevocationLog.
func (db *DB) LastRevocation(ctx context.Context) (id int64, err error) {
	defer derrors.Wrap(&err, "store.LastRevocation()")
	err = db.read.QueryRowContext(ctx, `SELECT COALESCE(MAX(id), 0) FROM revocations`).Scan(&id)
	return id, err
}

// TouchTokens implements auth.RevocationLog: the last uses a token cache
// batched, in one transaction.
func (db *DB) TouchTokens(ctx context.Context, lastUse map[int64]int64) (err error) {
	defer derrors.Wrap(&err, "store.TouchTokens(%d)", len(lastUse))
	return db.Transact(ctx, func(ctx context.Context, tx *Tx) error {
		// In id order: two replicas' batches lock the same rows in one order.
		for _, id := range slices.Sorted(maps.Keys(lastUse)) {
			if _, err := tx.q.ExecContext(ctx, `UPDATE tokens SET last_used_at = $1 WHERE id = $2 AND last_used_at < $1`, lastUse[id], id); err != nil {
				return err
			}
		}
		return nil
	})
}
