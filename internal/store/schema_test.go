package store_test

import (
	"database/sql"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/driftwood-chat/driftwood/internal/store"
	"github.com/driftwood-chat/driftwood/internal/store/storetest"
)

// schemaOnlyIn are the columns one dialect has and the other has not on
// purpose, "table.column" → why. The parity test fails on any other
// difference, and on an entry here that no longer differs.
var schemaOnlyIn = map[string]string{
	"events.txid": "PostgreSQL only: the writing transaction, for SettledEvents (SQLite's one writer commits in id order)",
}

// orgTablesKept are the tables with an org_id that neither ResetOrg empties
// nor a GDPR request covers, each with the reason.
var orgTablesKept = map[string]string{
	"tokens":        "credentials: a reset keeps the org's tokens; no personal data",
	"apps":          "credentials and app registrations are kept by a reset; no personal data",
	"installations": "kept with the apps by a reset; no personal data",
	"oauth_grants":  "kept with the tokens by a reset; no personal data",
	"oauth_codes":   "kept with the grants by a reset, single-use and short-lived; no personal data",
	"deliveries":    "the delivery history is kept by a reset; payloads live in events (GDPR-covered)",
	"audit_log":     "append-only by design (no API deletes from it); token ids and addresses, no contact data",
	"widgets":       "the widget's settings are kept by a reset, as apps are; no personal data",
	"gdpr_requests": "the requests themselves; a delete request clears its email from them (eraseSubject)",
	"revocations":   "announcements of ended credentials for the replicas' token caches, pruned after a day; ids only, no personal data",
}

// column is what the parity test compares of a column.
type column struct {
	name    string
	notNull bool
}

// The migrations of both dialects must build the same tables and columns,
// with the same nullability, read back from each database's own catalog.
func TestSchema_SQLiteAndPostgresMatch(t *testing.T) {
	lite := storetest.Open(t, storetest.Backend{Name: "sqlite", DSN: storetest.SQLiteDSN})
	pg := storetest.Open(t, storetest.Backend{Name: "postgres", DSN: storetest.PostgresDSN})
	a, b := sqliteColumns(t, lite), postgresColumns(t, pg)
	if len(a) == 0 || len(b) == 0 {
		t.Fatalf("read %d SQLite and %d PostgreSQL tables", len(a), len(b))
	}
	stale := maps.Clone(schemaOnlyIn)
	for _, table := range slices.Sorted(maps.Keys(union(a, b))) {
		ca, inA := a[table]
		cb, inB := b[table]
		if !inA || !inB {
			t.Errorf("table %s: in SQLite %v, in PostgreSQL %v", table, inA, inB)
			continue
		}
		for _, name := range slices.Sorted(maps.Keys(union(ca, cb))) {
			x, inA := ca[name]
			y, inB := cb[name]
			key := table + "." + name
			if _, ok := schemaOnlyIn[key]; ok && inA != inB {
				delete(stale, key)
				continue
			}
			switch {
			case !inA || !inB:
				t.Errorf("column %s: in SQLite %v, in PostgreSQL %v", key, inA, inB)
			case x.notNull != y.notNull:
				t.Errorf("column %s: NOT NULL in SQLite %v, in PostgreSQL %v", key, x.notNull, y.notNull)
			}
		}
	}
	for key := range stale {
		t.Errorf("schemaOnlyIn lists %s, which is no longer in one dialect only", key)
	}
}

func union[V any](a, b map[string]V) map[string]bool {
	out := map[string]bool{}
	for k := range a {
		out[k] = true
	}
	for k := range b {
		out[k] = true
	}
	return out
}

// sqliteColumns reads sqlite_master and pragma table_info. A PRIMARY KEY
// column cannot hold NULL in either database, whatever SQLite's notnull
// flag says of an INTEGER PRIMARY KEY.
func sqliteColumns(t *testing.T, db *store.DB) map[string]map[string]column {
	_, read := db.Pools()
	// Ordinary tables only: FTS5's virtual table and its shadow tables
	// (search_fts) are SQLite's index, as the GIN index is PostgreSQL's.
	tables := queryStrings(t, read, `SELECT name FROM pragma_table_list WHERE schema = 'main' AND type = 'table' AND name NOT LIKE 'sqlite_%'`)
	out := map[string]map[string]column{}
	for _, table := range tables {
		rows, err := read.Query(`SELECT name, "notnull", pk FROM pragma_table_info($1)`, table)
		if err != nil {
			t.Fatal(err)
		}
		cols := map[string]column{}
		for rows.Next() {
			var c column
			var pk int
			if err := rows.Scan(&c.name, &c.notNull, &pk); err != nil {
				t.Fatal(err)
			}
			c.notNull = c.notNull || pk > 0
			cols[c.name] = c
		}
		if err := rows.Close(); err != nil {
			t.Fatal(err)
		}
		out[table] = cols
	}
	return out
}

// postgresColumns reads information_schema for the test's own schema.
func postgresColumns(t *testing.T, db *store.DB) map[string]map[string]column {
	_, read := db.Pools()
	rows, err := read.Query(`SELECT table_name, column_name, is_nullable FROM information_schema.columns
		WHERE table_schema = current_schema()`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]map[string]column{}
	for rows.Next() {
		var table, nullable string
		var c column
		if err := rows.Scan(&table, &c.name, &nullable); err != nil {
			t.Fatal(err)
		}
		c.notNull = nullable == "NO"
		if out[table] == nil {
			out[table] = map[string]column{}
		}
		out[table][c.name] = c
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func queryStrings(t *testing.T, q *sql.DB, query string, args ...any) []string {
	t.Helper()
	rows, err := q.Query(query, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// Every table with an org_id is emptied by ResetOrg, covered by GDPR
// requests, or kept on purpose (orgTablesKept): a new table must choose.
func TestSchema_OrgTablesAreResetOrCoveredOrKept(t *testing.T) {
	db := storetest.Open(t, storetest.Backend{Name: "sqlite", DSN: storetest.SQLiteDSN})
	listed := map[string]string{}
	for _, name := range store.ResetTables() {
		listed[name] = "reset"
	}
	for _, name := range store.GDPRTables() {
		listed[name] += " gdpr"
	}
	covered := map[string]bool{}
	for table, cols := range sqliteColumns(t, db) {
		if _, ok := cols["org_id"]; !ok {
			continue
		}
		covered[table] = true
		why, kept := orgTablesKept[table]
		switch {
		case listed[table] == "" && !kept:
			t.Errorf("table %s has an org_id but is in neither the reset list (reset.go) nor the GDPR list (gdpr.go), nor in orgTablesKept with a reason", table)
		case listed[table] != "" && kept:
			t.Errorf("table %s is in the %s list(s) and in orgTablesKept (%s): pick one", table, strings.TrimSpace(listed[table]), why)
		}
	}
	for _, table := range slices.Sorted(maps.Keys(orgTablesKept)) {
		if !covered[table] {
			t.Errorf("orgTablesKept lists %s, which has no org_id column", table)
		}
	}
	for table, lists := range listed {
		if !covered[table] {
			t.Errorf("table %s in the %s list(s) has no org_id column", table, strings.TrimSpace(lists))
		}
	}
	if t.Failed() {
		t.Logf("reset: %v; gdpr: %v", store.ResetTables(), store.GDPRTables())
	}
}
