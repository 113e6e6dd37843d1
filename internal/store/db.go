// Package store is Driftwood's persistence API. One implementation of every
// domain's store interface, written once in SQL that both SQLite and
// PostgreSQL accept ($N placeholders, RETURNING, ON CONFLICT, partial
// indexes); the few differences live behind Dialect, implemented by the
// sqlite and postgres subpackages, which also open the pools and map driver
// errors onto the sentinels below.
//
// Error contract for every method: an object that does not exist and an
// object of another org both read as apperr.ErrNotFound; a uniqueness clash
// is apperr.ErrConflict; a write the database cannot take now (read-only,
// full, unreachable) is apperr.ErrUnavailable; anything else is a server
// fault, except that a read's error the database may not return later
// (unreachable, out of connections, shutting down) reads as
// apperr.ErrUnavailable through MapUnavailable.
package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/driftwood-chat/driftwood/internal/apperr"
	"github.com/driftwood-chat/driftwood/internal/auth"
	"github.com/driftwood-chat/driftwood/internal/events"
)

// Dialect is what differs between the SQL databases Driftwood runs on.
type Dialect interface {
	// Name is "sqlite" or "postgres".
	Name() string
	// IsUniqueViolation reports a unique-constraint error.
	IsUniqueViolation(err error) bool
	// IsRetryable reports an error after which the whole transaction may be
	// run again (serialization failure, deadlock, busy database).
	IsRetryable(err error) bool
	// LockRows is the clause that locks selected rows for the transaction
	// (" FOR UPDATE" on PostgreSQL; empty on SQLite, whose single writer
	// already serializes write transactions).
	LockRows() string
	// SkipLocked is LockRows for work queues: rows another transaction holds
	// are skipped, not waited for.
	SkipLocked() string
	// LockMigrations serializes concurrent migrators inside tx.
	LockMigrations(ctx context.Context, tx *sql.Tx) error
	// Migrations holds the dialect's numbered .sql files.
	Migrations() fs.FS
	// SnapshotTx are the options of a read transaction whose statements all
	// see one snapshot (nil where a plain transaction already does).
	SnapshotTx() *sql.TxOptions
	// LockEvents is run in tx just before it writes its events to the
	// outbox, once per org in increasing org id order: it marks tx as a
	// writer of the org's events until it commits, so that SettledEventID
	// can tell which ids may still be committed. It does nothing where
	// writers already commit in id order, as SQLite's one writer does.
	LockEvents(ctx context.Context, tx *sql.Tx, orgID int64) error
	// SettledEventID returns an id at or below which no event of the org
	// can still be committed (the org's writers marked by LockEvents that
	// have not committed all took higher ids), so that a reader going on
	// from the last id it read, reading no higher, passes none over.
	// math.MaxInt64 where every committed event is settled (SQLite).
	SettledEventID(ctx context.Context, q *sql.DB, orgID int64) (int64, error)
	// LockRevocations is LockEvents for the revocation log, run before
	// LockEvents: a token cache reading on from the last revocation it
	// read passes none over.
	LockRevocations(ctx context.Context, tx *sql.Tx) error
	// IsUnavailable reports an error after which a request cannot be served
	// now but may later, with no change to Driftwood: a database that
	// cannot be reached, refuses connections, is shutting down, or takes no
	// writes, read-only or full (see DB.Ready, DB.MapUnavailable).
	IsUnavailable(err error) bool
	// ReadOnly reports, cheaply and without writing, a database that
	// announces it takes no writes (false where it cannot tell).
	ReadOnly(ctx context.Context, db *sql.DB) (bool, error)
	// CacheWriteStatements asks the store to keep the statements of write
	// transactions prepared, where the driver parses every call (SQLite's)
	// rather than caching per connection (pgx).
	CacheWriteStatements() bool
	// SearchMatch finds the search entries (alias s) that hold every one
	// of words as a prefix (each of letters and digits only, see package
	// search): a join to add after "FROM search_entries s", a condition in
	// which param stands for value, and value.
	SearchMatch(words []string, param string) (join, cond string, value any)
}

// DB is an open database: a write pool and a read pool (the same pool on
// PostgreSQL; on SQLite one writer connection beside several readers).
type DB struct {
	write   *sql.DB
	read    *sql.DB
	dialect Dialect
	// reads is the read pool through prepared statements, for hot reads.
	reads *preparedReads
	// writes caches the statements of write transactions; nil where the
	// driver caches them itself (pgx).
	writes *writeStatements
	// clock, when set (SetClock, tests), replaces time.Now: atomic, since
	// the app's background loops read it while a test sets it.
	clock atomic.Pointer[func() time.Time]

	hooksMu    sync.Mutex
	eventHooks []func()
	revokeHook []func([]auth.Revocation)
	// health is whether the database takes writes, for Ready.
	health writeHealth
	// beforeCommit, when set (by tests), runs in every write transaction
	// between its last statement and its commit.
	beforeCommit func()
	// offlineEmail queues an offline email with each agent message (see
	// QueueOfflineEmails).
	offlineEmail atomic.Bool
}

// OnEvents registers fn to run after each commit of a transaction that
// appended events, so that consumers in this process (the webhook
// dispatcher) need not wait for their next poll. fn must not block.
func (db *DB) OnEvents(fn func()) {
	db.hooksMu.Lock()
	defer db.hooksMu.Unlock()
	db.eventHooks = append(db.eventHooks, fn)
}

// New wraps opened pools. read may equal write.
func New(write, read *sql.DB, d Dialect) *DB {
	db := &DB{write: write, read: read, dialect: d, reads: &preparedReads{pool: read}}
	if d.CacheWriteStatements() {
		db.writes = &writeStatements{pool: write}
	}
	return db
}

// Dialect returns the database's dialect.
func (db *DB) Dialect() Dialect { return db.dialect }

// Close closes both pools.
func (db *DB) Close() error {
	db.reads.close()
	if db.writes != nil {
		db.writes.close()
	}
	err := db.write.Close()
	if db.read != db.write {
		err = errors.Join(err, db.read.Close())
	}
	return err
}

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error { return db.read.PingContext(ctx) }

// queryer is what *sql.DB and *sql.Tx share, so read queries are written once
// and run either on the read pool or inside a write transaction.
type queryer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Tx is one write transaction. It carries the fixed time of the transaction
// so that every row it writes has the same timestamp.
type Tx struct {
	tx *sql.Tx
	// q runs the transaction's statements, each text prepared once (see
	// writeStatements); texts built per call from data (a table's name)
	// run on tx directly. An IN list's texts, one per length, go through q:
	// the cache is bounded, and its few lengths are worth not parsing.
	q   txQueryer
	db  *DB
	now int64 // epoch ms
	// events are the outbox events appended, written just before commit.
	events []events.Event
	// revocations are the revocations logged, written just before commit.
	revocations []auth.Revocation
	// unprepared are the statements run while not yet in db.writes.
	unprepared []string
	// countries are the visitors' countries of the conversations started
	// in this transaction (see insertVisitorConversation).
	countries map[int64]string
}

// Now is the clock every transaction reads once.
func (db *DB) Now() time.Time {
	if f := db.clock.Load(); f != nil {
		return (*f)()
	}
	return time.Now()
}

// SetClock makes now the clock of db (tests).
func (db *DB) SetClock(now func() time.Time) { db.clock.Store(&now) }

// Now is the transaction's time in epoch milliseconds.
func (tx *Tx) Now() int64 { return tx.now }

const maxTxAttempts = 4

// ErrNestedTransaction is Transact's answer when called with the context of
// a transaction it is running: on SQLite the single writer would wait for
// itself forever, so a store write inside a transaction is refused at once.
var ErrNestedTransaction = errors.New("store: Transact called inside a transaction (a store write inside Transact's fn)")

// inTx marks the context Transact hands to fn, with the DB running it.
type inTx struct{}

// Transact runs fn in a write transaction and commits it when fn returns nil.
// fn may be called more than once: a transaction that fails with a retryable
// error (serialization failure, deadlock) is run again from the start, so fn
// must not have effects outside tx. fn gets a context marked as inside the
// transaction and must use it: a store write (Transact) called with it
// fails with ErrNestedTransaction instead of deadlocking. A panic in fn
// rolls the transaction back and goes on.
func (db *DB) Transact(ctx context.Context, fn func(ctx context.Context, tx *Tx) error) (err error) {
	if ctx.Value(inTx{}) == db {
		return ErrNestedTransaction
	}
	ctx = context.WithValue(ctx, inTx{}, db)
	for attempt := 1; ; attempt++ {
		err = db.transactOnce(ctx, fn)
		if err == nil || attempt == maxTxAttempts || !db.dialect.IsRetryable(err) {
			return err
		}
	}
}

func (db *DB) transactOnce(ctx context.Context, fn func(ctx context.Context, tx *Tx) error) (err error) {
	// A connection of its own, so that one that failed for want of writes
	// can be dropped: a new one sees a file made writable again, or a
	// session default_transaction_read_only turned off.
	conn, err := db.write.Conn(ctx)
	if err != nil {
		return db.noteWrite(fmt.Errorf("store: connecting: %w", err))
	}
	defer conn.Close()
	sqlTx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return db.dropIfUnavailable(conn, db.noteWrite(fmt.Errorf("store: begin: %w", err)))
	}
	tx := &Tx{tx: sqlTx, db: db, now: db.Now().UnixMilli()}
	tx.q = txQueryer{tx}
	// A no-op once committed or rolled back below; on a panic in fn it
	// rolls back before the panic goes on, so that the writer connection is
	// never left inside a transaction.
	defer sqlTx.Rollback()
	err = fn(ctx, tx)
	if err == nil {
		err = tx.writeRevocations(ctx)
	}
	if err == nil {
		err = tx.writeEvents(ctx)
	}
	if err == nil && db.beforeCommit != nil {
		db.beforeCommit()
	}
	if err != nil {
		sqlTx.Rollback() // now: prepareAfter needs the writer connection
	} else if err = sqlTx.Commit(); err != nil {
		err = fmt.Errorf("store: commit: %w", err)
	}
	err = db.dropIfUnavailable(conn, db.noteWrite(err))
	conn.Close()
	if len(tx.unprepared) > 0 { // the writer connection is free again
		db.writes.prepareAfter(ctx, tx.unprepared)
	}
	if err != nil {
		return err
	}
	if len(tx.revocations) > 0 {
		db.revoked(tx.revocations)
	}
	if len(tx.events) > 0 {
		db.hooksMu.Lock()
		hooks := db.eventHooks
		db.hooksMu.Unlock()
		for _, fn := range hooks {
			fn()
		}
	}
	return nil
}

// dropIfUnavailable closes conn for good, rather than returning it to the
// pool, when err is apperr.ErrUnavailable; it returns err. At most one
// connection a second is dropped, so that a read-only server is not also
// flooded with new connections, one per refused write.
func (db *DB) dropIfUnavailable(conn *sql.Conn, err error) error {
	if errors.Is(err, apperr.ErrUnavailable) && db.health.mayDrop() {
		conn.Raw(func(any) error { return driver.ErrBadConn })
	}
	return err
}

// AppendEvent records ev in the outbox as part of tx: it becomes visible to
// consumers exactly when tx commits. The row is written at the end of the
// transaction (see writeEvents), so ev has no id before then.
func (tx *Tx) AppendEvent(ctx context.Context, ev events.Event) error {
	tx.events = append(tx.events, ev)
	return nil
}

// writeEvents inserts the transaction's events, in the order they were
// appended, right before the commit: Dialect.LockEvents, which makes event
// ids commit in order, then holds its lock only for these inserts and the
// commit, not for the rest of the transaction's work.
func (tx *Tx) writeEvents(ctx context.Context) error {
	orgs := make([]int64, 0, 1)
	for _, ev := range tx.events {
		if !slices.Contains(orgs, ev.OrgID) {
			orgs = append(orgs, ev.OrgID)
		}
	}
	slices.Sort(orgs) // one order for every transaction: no deadlock
	for _, org := range orgs {
		if err := tx.db.dialect.LockEvents(ctx, tx.tx, org); err != nil {
			return err
		}
	}
	// One statement for them all: a round trip each, made while a routed
	// conversation's agents are locked, was time other decisions waited
	// for. Ids follow the rows' order.
	args := make([]any, 0, 4*len(tx.events))
	for _, ev := range tx.events {
		args = append(args, ev.OrgID, string(ev.Type), string(ev.Data), tx.now)
	}
	return tx.execRows(ctx, make([]string, 4), args, func(values string) string {
		return `INSERT INTO events (org_id, type, data, created_at) VALUES ` + values
	})
}

// mapErr turns driver errors the caller can act on into apperr sentinels.
func (db *DB) mapErr(err error, conflictMsg string) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, sql.ErrNoRows):
		return apperr.ErrNotFound
	case db.dialect.IsUniqueViolation(err):
		return &apperr.Error{Code: apperr.Conflict, Message: conflictMsg, Err: err}
	}
	return err
}

// readSnapshot runs fn with reads that all see one consistent snapshot,
// for answers assembled from several queries.
func (db *DB) readSnapshot(ctx context.Context, fn func(q queryer) error) error {
	tx, err := db.read.BeginTx(ctx, db.dialect.SnapshotTx())
	if err != nil {
		return err
	}
	defer tx.Rollback()
	return fn(tx)
}
