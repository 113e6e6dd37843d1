package store

import (
	"context"
	"fmt"

	"github.com/driftwood-chat/driftwood/internal/audit"
	"github.com/driftwood-chat/driftwood/internal/derrors"
)

var _ audit.Store = (*DB)(nil)

const auditColumns = `org_id, token_id, app_id, kind, at, client_ip, method, route, status, row_count, detail`

var auditTypes = untyped(11)

// AppendAudit implements audit.Store: one transaction, multi-row INSERTs.
func (db *DB) AppendAudit(ctx context.Context, entries []audit.Entry) (err error) {
	defer derrors.Wrap(&err, "store.AppendAudit(%d entries)", len(entries))
	args := make([]any, 0, len(entries)*len(auditTypes))
	for _, e := range entries {
		args = append(args, e.OrgID, e.TokenID, e.AppID, string(e.Kind), e.At, e.ClientIP, e.Method, e.Route,
			e.Status, e.Rows, e.Detail)
	}
	return db.Transact(ctx, func(ctx context.Context, tx *Tx) error {
		return tx.execRows(ctx, auditTypes, args, func(values string) string {
			return `INSERT INTO audit_log (` + auditColumns + `) VALUES ` + values
		})
	})
}

// ListAudit implements audit.Store.
func (db *DB) ListAudit(ctx context.Context, orgID int64, f audit.Filter) (_ []audit.Entry, err error) {
	defer derrors.Wrap(&err, "store.ListAudit(%d)", orgID)
	where, args := `WHERE org_id = $1`, []any{orgID}
	add := func(cond string, v any) {
		args = append(args, v)
		where += fmt.Sprintf(" AND %s $%d", cond, len(args))
	}
	if f.TokenID > 0 {
		add("token_id =", f.TokenID)
	}
	if f.Kind != "" {
		add("kind =", string(f.Kind))
	}
	if f.Before > 0 {
		add("id <", f.Before)
	}
	args = append(args, f.Limit)
	rows, err := db.read.QueryContext(ctx, `SELECT id, `+auditColumns+` FROM audit_log `+where+
		fmt.Sprintf(` ORDER BY id DESC LIMIT $%d`, len(args)), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []audit.Entry{}
	for rows.Next() {
		var e audit.Entry
		var kind string
		if err := rows.Scan(&e.ID, &e.OrgID, &e.TokenID, &e.AppID, &kind, &e.At, &e.ClientIP, &e.Method, &e.Route,
			&e.Status, &e.Rows, &e.Detail); err != nil {
			return nil, err
		}
		e.Kind = audit.Kind(kind)
		out = append(out, e)
	}
	return out, rows.Err()
}
