// Package postgres opens Driftwood's PostgreSQL store through pgx's
// database/sql driver. Any number of stateless replicas share one database.
package postgres

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver

	"github.com/driftwood-chat/driftwood/internal/store"
)

//go:embed migrations/*.sql
var migrations embed.FS

// DefaultMaxConns is each replica's pool size unless the URL sets
// pool_max_conns. Each replica also opens the webhook dispatcher's pool of 4
// (app.dispatcherConns): replicas times (pool size + 4) must stay under the
// server's max_connections (100 by default), so lower it to run more than
// two replicas.
const DefaultMaxConns = 32

// Open connects to the database at dsn (postgres://…). The URL may set the
// pool size with pool_max_conns, pgxpool's name for it.
func Open(ctx context.Context, dsn string) (*store.DB, error) {
	dsn, conns, err := poolSize(dsn)
	if err != nil {
		return nil, err
	}
	return open(ctx, dsn, conns)
}

// OpenPool is Open with a pool of conns connections, whatever the URL says:
// a second, small pool for background work that must not queue behind the
// API's requests for a connection.
func OpenPool(ctx context.Context, dsn string, conns int) (*store.DB, error) {
	dsn, _, err := poolSize(dsn)
	if err != nil {
		return nil, err
	}
	return open(ctx, dsn, conns)
}

// ConnDSN is dsn for one connection of its own (a LISTEN, a NOTIFY): the
// pool's settings taken out, which PostgreSQL would refuse at connection
// as unknown parameters.
func ConnDSN(dsn string) (string, error) {
	dsn, _, err := poolSize(dsn)
	return dsn, err
}

func open(ctx context.Context, dsn string, conns int) (*store.DB, error) {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(conns)
	// Keep every connection the load needed: with fewer idle slots than
	// open ones, database/sql closes the surplus on release and the next
	// request forks a new backend (bench: ×1.7–2.2 req/s, p99 ÷3–5). Idle
	// ones still close after a minute.
	db.SetMaxIdleConns(conns)
	db.SetConnMaxIdleTime(time.Minute)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("postgres: connecting: %w", err)
	}
	return store.New(db, db, dialect{}), nil
}

// poolSize takes pool_max_conns out of dsn, which PostgreSQL itself would
// refuse as an unknown setting.
func poolSize(dsn string) (string, int, error) {
	u, err := url.Parse(dsn)
	if err != nil {
		return "", 0, errors.New("postgres: the database URL does not parse") // its error would show the password
	}
	q := u.Query()
	v := q.Get("pool_max_conns")
	if v == "" {
		return dsn, DefaultMaxConns, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return "", 0, fmt.Errorf("postgres: pool_max_conns=%q is not a positive number", v)
	}
	// Drop it from the raw query rather than re-encoding the rest: an
	// encoded space (options=-c%20…) would come back as a '+', which pgx
	// then passes on as it is.
	var kept []string
	for _, kv := range strings.Split(u.RawQuery, "&") {
		if k, _, _ := strings.Cut(kv, "="); k != "pool_max_conns" {
			kept = append(kept, kv)
		}
	}
	u.RawQuery = strings.Join(kept, "&")
	return u.String(), n, nil
}

type dialect struct{}

func (dialect) Name() string { return "postgres" }

// SnapshotTx asks for REPEATABLE READ: under the default READ COMMITTED
// each statement would see a newer snapshot.
func (dialect) SnapshotTx() *sql.TxOptions {
	return &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true}
}
func (dialect) LockRows() string   { return " FOR UPDATE" }
func (dialect) SkipLocked() string { return " FOR UPDATE SKIP LOCKED" }

// LockEvents marks tx as a writer of the org's events until it commits,
// with two transaction-scoped advisory locks, both shared so that writers
// never wait for each other (one org's commits still share WAL flushes):
// one keyed by (events table oid, org id), which names the writer; and one
// keyed by the events' id sequence's last value now, below every id tx
// will take (the bigint key form). PostgreSQL releases them only after the
// commit is visible. SettledEventID reads them. The oid makes the key one
// per schema, as advisory locks are per database; two orgs whose ids are
// 2³² apart share a key and only hold each other's streams back a little.
func (dialect) LockEvents(ctx context.Context, tx *sql.Tx, orgID int64) error {
	_, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock_shared('events'::regclass::oid::int4, $1),
		pg_advisory_xact_lock_shared(COALESCE(pg_sequence_last_value(pg_get_serial_sequence('events', 'id')::regclass), 0))`, int32(orgID))
	return err
}

// settledEventID is SettledEventID's statement. First (the OFFSET 0
// subquery, which the rest reads) the sequence's last value b: every id
// taken so far is at most b, every id taken later above it. Then the lock
// table: an org writer that took an id up to b either still holds its locks
// (LockEvents), and all its ids are above the sequence value in its second
// lock's key, or has committed, visibly to the caller's next statement. So
// no event up to the lowest of b and those keys can still commit. The lock
// table is read once (MATERIALIZED), so that the two locks of a writer come
// from one view of it.
const settledEventID = `SELECT COALESCE(LEAST(s.b, (
	WITH held AS MATERIALIZED (
		SELECT virtualtransaction, classid, objid, objsubid FROM pg_locks
		WHERE locktype = 'advisory' AND granted
			AND database = (SELECT oid FROM pg_database WHERE datname = current_database()))
	SELECT min((l.classid::int8 << 32) | l.objid::int8)
	FROM held w JOIN held l USING (virtualtransaction)
	WHERE w.objsubid = 2 AND w.classid = 'events'::regclass::oid AND w.objid = $1::int8::oid
		AND l.objsubid = 1 AND s.b IS NOT NULL)), 0)
FROM (SELECT pg_sequence_last_value(pg_get_serial_sequence('events', 'id')::regclass) AS b OFFSET 0) s`

// SettledEventID reads LockEvents's locks (see settledEventID). Unrelated
// transactions, in this database or another, hold nothing back; a writer of
// the org holds back only the events above the ids it may take, and only
// until it commits.
func (dialect) SettledEventID(ctx context.Context, q *sql.DB, orgID int64) (int64, error) {
	var id int64
	err := q.QueryRowContext(ctx, settledEventID, int64(uint32(orgID))).Scan(&id)
	return id, err
}

// LockRevocations is LockEvents for the revocation log: one lock for all
// orgs, as revocations are rare.
func (dialect) LockRevocations(ctx context.Context, tx *sql.Tx) error {
	_, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock('revocations'::regclass::oid::int4, 0)`)
	return err
}
func (dialect) CacheWriteStatements() bool { return false }

// SearchMatch matches the GIN index of the entries' tsvector (migration
// 0018, whose expression the condition repeats): each word as a prefix,
// all of them.
func (dialect) SearchMatch(words []string, param string) (join, cond string, value any) {
	terms := make([]string, len(words))
	for i, w := range words {
		terms[i] = w + ":*"
	}
	return "", "to_tsvector('simple', s.words) @@ to_tsquery('simple', " + param + ")", strings.Join(terms, " & ")
}
func (dialect) Migrations() fs.FS {
	sub, _ := fs.Sub(migrations, "migrations")
	return sub
}

// migrationLockID is an arbitrary constant naming Driftwood's advisory lock.
const migrationLockID = 0x64726966 // "drif"

func (dialect) LockMigrations(ctx context.Context, tx *sql.Tx) error {
	_, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, migrationLockID)
	return err
}

func (dialect) IsUniqueViolation(err error) bool {
	var e *pgconn.PgError
	return errors.As(err, &e) && e.Code == "23505"
}

func (dialect) IsRetryable(err error) bool {
	var e *pgconn.PgError
	return errors.As(err, &e) && (e.Code == "40001" || e.Code == "40P01")
}

// IsUnavailable reports the errors of a server that cannot serve requests
// now: a read-only transaction (a standby, default_transaction_read_only),
// a full disk or other exhausted resource (class 53, "too many clients
// already" among them), a server starting or shutting down or a session
// terminated (57P01..57P03), a database closed to connections (ALTER
// DATABASE … ALLOW_CONNECTIONS false), and a server that cannot be reached.
// A server that refuses the connection for another reason (a wrong
// password, no such database) is a fault of the configuration.
func (dialect) IsUnavailable(err error) bool {
	var e *pgconn.PgError
	if errors.As(err, &e) {
		switch {
		case e.Code == "25006", strings.HasPrefix(e.Code, "53"), e.Code == "57P01", e.Code == "57P02", e.Code == "57P03":
			return true
		case e.Code == "55000": // object_not_in_prerequisite_state: only at connecting is it the database's allowconn
			return errors.As(err, new(*pgconn.ConnectError))
		}
		return false
	}
	var ce *pgconn.ConnectError
	return errors.As(err, &ce)
}

// ReadOnly asks the server whether a transaction would be read-only: on a
// standby, or under default_transaction_read_only.
func (dialect) ReadOnly(ctx context.Context, db *sql.DB) (bool, error) {
	var v string
	if err := db.QueryRowContext(ctx, `SHOW transaction_read_only`).Scan(&v); err != nil {
		return false, err
	}
	return v == "on", nil
}
