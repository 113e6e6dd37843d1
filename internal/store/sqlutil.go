package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// Small helpers for the SQL that every dialect shares.

// scanIDs reads a one-column result of ids.
func scanIDs(rows *sql.Rows) ([]int64, error) {
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// placeholders returns "$from, $from+1, …", n of them.
func placeholders(from, n int) string {
	marks := make([]string, n)
	for i := range marks {
		marks[i] = fmt.Sprintf("$%d", from+i)
	}
	return strings.Join(marks, ", ")
}

// EachRow calls fn with each row of rows, of whatever columns, and closes
// rows: for code that reads tables it does not know (GDPR exports, the
// tests that look through every table). Text comes as string, whichever
// the driver gave.
func EachRow(rows *sql.Rows, fn func(cols []string, vals []any) error) error {
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return err
	}
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return err
		}
		for i, v := range vals {
			if b, ok := v.([]byte); ok {
				vals[i] = string(b)
			}
		}
		if err := fn(cols, vals); err != nil {
			return err
		}
	}
	return rows.Err()
}

// nullable maps "" to SQL NULL.
func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// decodeJSONObject decodes a stored JSON object keeping numbers exact
// (int64 ids survive the round trip).
func decodeJSONObject(s string) (map[string]any, error) {
	var m map[string]any
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	err := dec.Decode(&m)
	return m, err
}

// rowsPerStatement is the rows of one multi-row statement (execRows). Small
// on purpose: SQLite looks each $N up in a list when it parses and when it
// binds, so a statement's cost grows with the square of its parameters.
// BenchmarkAppendAudit, 1000 entries of 11 columns a batch, entries/s by
// rows per INSERT (medians of 3):
//
//	rows        1      4      8     16     32    200
//	sqlite   140k   172k   167k   140k   109k    12k
//	postgres  10k    25k    31k    38k    44k    51k
//
// At 200 an audit flush held SQLite's one writer for 80 ms; 16 is 7 ms
// there. PostgreSQL has no such square, and each statement is a round trip
// (under load several ms each: the dispatcher's fan-out and recording spent
// most of their time in them), so there a statement takes up to
// pgRowsPerStatement rows, within its 65 535 parameters.
const (
	rowsPerStatement   = 16
	pgRowsPerStatement = 1024
	pgMaxParams        = 65535
)

// execRows runs a multi-row statement over args, which holds rows of
// len(types) values one after another, rowsPerStatement rows at a time.
// stmt returns the statement's text around values, the rows' placeholders
// as VALUES wants them; types casts each column where it is not "" (a
// parameter in UPDATE … FROM (VALUES …) has no type PostgreSQL can infer).
// A full chunk's text is the same each time, so it stays prepared (tx.q;
// pgx keeps each text it sees prepared per connection).
func (tx *Tx) execRows(ctx context.Context, types []string, args []any, stmt func(values string) string) error {
	per := tx.rowsPerStatement(len(types)) * len(types)
	for start := 0; start < len(args); start += per {
		chunk := args[start:min(start+per, len(args))]
		if _, err := tx.q.ExecContext(ctx, stmt(valueRows(len(chunk)/len(types), types)), chunk...); err != nil {
			return err
		}
	}
	return nil
}

// rowsPerStatement is how many rows of cols columns one statement takes.
func (tx *Tx) rowsPerStatement(cols int) int {
	if tx.db.dialect.Name() == "postgres" {
		return min(pgRowsPerStatement, pgMaxParams/cols)
	}
	return rowsPerStatement
}

// queryRows is execRows for a statement that returns rows (RETURNING):
// scan is called with each row of each chunk.
func (tx *Tx) queryRows(ctx context.Context, types []string, args []any, stmt func(values string) string,
	scan func(*sql.Rows) error) error {
	per := tx.rowsPerStatement(len(types)) * len(types)
	for start := 0; start < len(args); start += per {
		chunk := args[start:min(start+per, len(args))]
		rows, err := tx.q.QueryContext(ctx, stmt(valueRows(len(chunk)/len(types), types)), chunk...)
		if err != nil {
			return err
		}
		for rows.Next() {
			if err := scan(rows); err != nil {
				rows.Close()
				return err
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	return nil
}

// valueRows renders rows rows of placeholders from $1: "($1, $2), ($3, $4)".
func valueRows(rows int, types []string) string {
	var sb strings.Builder
	n := 0
	for i := range rows {
		if i > 0 {
			sb.WriteString(", ")
		}
		sb.WriteByte('(')
		for j, typ := range types {
			if j > 0 {
				sb.WriteString(", ")
			}
			n++
			mark := "$" + strconv.Itoa(n)
			if typ != "" {
				mark = "CAST(" + mark + " AS " + typ + ")"
			}
			sb.WriteString(mark)
		}
		sb.WriteByte(')')
	}
	return sb.String()
}

// untyped is types for n columns that need no cast.
func untyped(n int) []string { return make([]string, n) }
