package store

import (
	"database/sql"
	"encoding/json"
	"fmt"
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
