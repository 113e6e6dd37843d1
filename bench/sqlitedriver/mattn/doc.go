// Package mattn benchmarks the cgo driver github.com/mattn/go-sqlite3 as a
// reference point. It lives in its own package because mattn and ncruces both
// register the database/sql name "sqlite3", which would panic in one binary.
package mattn
