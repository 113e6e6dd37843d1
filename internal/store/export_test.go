package store

import "database/sql"

// Pools exposes the raw pools to the benchmarks' baselines.
func (db *DB) Pools() (write, read *sql.DB) { return db.write, db.read }

// CachedWriteStatements is how many statements of write transactions are
// kept prepared.
func (db *DB) CachedWriteStatements() int64 {
	if db.writes == nil {
		return 0
	}
	return db.writes.count.Load()
}

// ResetTables are the tables ResetOrg empties.
func ResetTables() []string { return resetTables }

// GDPRTables are the tables a GDPR request covers.
func GDPRTables() []string {
	var out []string
	for _, t := range gdprTables {
		out = append(out, t.name)
	}
	return out
}

// SetBeforeCommit makes fn run in every write transaction right before its
// commit, after its events are written: a test holds a transaction there.
func (db *DB) SetBeforeCommit(fn func()) { db.beforeCommit = fn }

// BackfillSearch is migration 0018's Go step.
var BackfillSearch = backfillSearch
