// Package sqlite opens Driftwood's embedded store: SQLite through the pure-Go
// modernc.org/sqlite driver (chosen by the benchmark in bench/sqlitedriver),
// in WAL mode with one writer connection beside a pool of readers.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"net/url"
	"runtime"
	"strings"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/driftwood-chat/driftwood/internal/store"
)

//go:embed migrations/*.sql
var migrations embed.FS

// DSN is the data source name of the database file at path with the
// pragmas every connection gets. bench/ opens its raw baseline with it, so
// that the baseline and the store run on the same configuration.
func DSN(path string) string {
	// busy_timeout first so that the pragmas after it wait instead of failing
	// while another process (the CLI beside a server) holds the write lock.
	pragmas := "_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=foreign_keys(ON)"
	return "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + pragmas
}

// WriteDSN is DSN for the one writer connection: IMMEDIATE write
// transactions take the write lock at BEGIN, so two processes never deadlock
// upgrading a read lock.
func WriteDSN(path string) string { return DSN(path) + "&_txlock=immediate" }

// Open opens (creating if needed) the database file at path.
func Open(path string) (*store.DB, error) {
	base := DSN(path)
	write, err := sql.Open("sqlite", WriteDSN(path))
	if err != nil {
		return nil, err
	}
	write.SetMaxOpenConns(1)
	write.SetMaxIdleConns(1)
	write.SetConnMaxLifetime(0)
	read, err := sql.Open("sqlite", base+"&_pragma=query_only(ON)")
	if err != nil {
		write.Close()
		return nil, err
	}
	n := max(4, runtime.NumCPU())
	read.SetMaxOpenConns(n)
	read.SetMaxIdleConns(n)
	if err := write.Ping(); err != nil {
		write.Close()
		read.Close()
		return nil, fmt.Errorf("sqlite: opening %s: %w", path, err)
	}
	return store.New(write, read, dialect{}), nil
}

type dialect struct{}

func (dialect) Name() string { return "sqlite" }

// SnapshotTx is nil: in WAL mode a transaction reads one snapshot.
func (dialect) SnapshotTx() *sql.TxOptions { return nil }
func (dialect) LockRows() string           { return "" }
func (dialect) SkipLocked() string         { return "" }
func (dialect) CacheWriteStatements() bool { return true }

// SearchMatch matches the FTS5 index of the entries (migration 0018): each
// word quoted, as a prefix, all of them.
func (dialect) SearchMatch(words []string, param string) (join, cond string, value any) {
	terms := make([]string, len(words))
	for i, w := range words {
		terms[i] = `"` + w + `"*`
	}
	return "JOIN search_fts ON search_fts.rowid = s.id", "search_fts MATCH " + param, strings.Join(terms, " AND ")
}
func (dialect) Migrations() fs.FS {
	sub, _ := fs.Sub(migrations, "migrations")
	return sub
}

// LockEvents needs nothing: the one writer commits events in id order.
func (dialect) LockEvents(context.Context, *sql.Tx, int64) error { return nil }

// SettledEventID: every committed event is settled, as the one writer
// commits events in id order.
func (dialect) SettledEventID(context.Context, *sql.DB, int64) (int64, error) {
	return math.MaxInt64, nil
}

// LockRevocations needs nothing either, for the same reason.
func (dialect) LockRevocations(context.Context, *sql.Tx) error { return nil }

// LockMigrations needs nothing: the IMMEDIATE transaction holds the write lock.
func (dialect) LockMigrations(context.Context, *sql.Tx) error { return nil }

func (dialect) IsUniqueViolation(err error) bool {
	var e *sqlite.Error
	if !errors.As(err, &e) {
		return false
	}
	return e.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || e.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
}

func (dialect) IsRetryable(err error) bool {
	var e *sqlite.Error
	return errors.As(err, &e) && (e.Code()&0xff == sqlite3.SQLITE_BUSY || e.Code()&0xff == sqlite3.SQLITE_LOCKED)
}

// IsUnavailable reports the errors of a database file that cannot be
// written now: read-only (file, directory or file system), full, or failing
// I/O, which an operator can clear without restarting Driftwood.
func (dialect) IsUnavailable(err error) bool {
	var e *sqlite.Error
	if !errors.As(err, &e) {
		return false
	}
	switch e.Code() & 0xff {
	case sqlite3.SQLITE_READONLY, sqlite3.SQLITE_FULL, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_CANTOPEN:
		return true
	}
	return false
}

// ReadOnly is false: SQLite tells only by failing a write.
func (dialect) ReadOnly(context.Context, *sql.DB) (bool, error) { return false, nil }
