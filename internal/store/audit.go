package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/driftwood-chat/driftwood/internal/audit"
)

var _ audit.Store = (*DB)(nil)

const (
	auditColumns = `org_id, token_id, app_id, kind, at, client_ip, method, route, status, row_count, detail`
	auditArity   = 11
)

// auditChunk is the rows of one INSERT. Small on purpose: SQLite looks each
// $N up in a list when it parses and when it binds, so a statement's cost
// grows with the square of its parameters. BenchmarkAppendAudit, 1000
// entries a batch, entries/s by rows per INSERT (medians of 3):
//
//	rows        1      4      8     16     32    200
//	sqlite   140k   172k   167k   140k   109k    12k
//	postgres  10k    25k    31k    38k    44k    51k
//
// At 200 a flush held SQLite's one writer for 80 ms; 16 is 7 ms there and
// costs PostgreSQL, whose API rate is a fiftieth of this, little.
const auditChunk = 16

// AppendAudit implements audit.Store: one transaction, a multi-row INSERT
// for each chunk of entries, prepared once (Tx.q) and run again.
func (db *DB) AppendAudit(ctx context.Context, entries []audit.Entry) error {
	return db.Transact(ctx, func(tx *Tx) error {
		args := make([]any, 0, auditChunk*auditArity)
		for start := 0; start < len(entries); start += auditChunk {
			chunk := entries[start:min(start+auditChunk, len(entries))]
			args = args[:0]
			for _, e := range chunk {
				args = append(args, e.OrgID, e.TokenID, e.AppID, string(e.Kind), e.At, e.ClientIP, e.Method, e.Route,
					e.Status, e.Rows, e.Detail)
			}
			query := auditInsertChunk
			if len(chunk) < auditChunk {
				query = auditInsert(len(chunk))
			}
			if _, err := tx.q.ExecContext(ctx, query, args...); err != nil {
				return err
			}
		}
		return nil
	})
}

var auditInsertChunk = auditInsert(auditChunk)

// auditInsert is the INSERT of rows entries.
func auditInsert(rows int) string {
	var sb strings.Builder
	sb.WriteString(`INSERT INTO audit_log (` + auditColumns + `) VALUES `)
	for i := range rows {
		if i > 0 {
			sb.WriteString(", ")
		}
		sb.WriteString("(")
		for j := range auditArity {
			if j > 0 {
				sb.WriteString(", ")
			}
			fmt.Fprintf(&sb, "$%d", i*auditArity+j+1)
		}
		sb.WriteString(")")
	}
	return sb.String()
}

// ListAudit implements audit.Store.
func (db *DB) ListAudit(ctx context.Context, orgID int64, f audit.Filter) ([]audit.Entry, error) {
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
