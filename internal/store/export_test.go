package store

import "database/sql"

// Pools exposes the raw pools to the benchmarks' baselines.
func (db *DB) Pools() (write, read *sql.DB) { return db.write, db.read }
