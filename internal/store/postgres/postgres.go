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
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver

	"github.com/driftwood-chat/driftwood/internal/store"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Open connects to the database at url (postgres://…).
func Open(ctx context.Context, url string) (*store.DB, error) {
	db, err := sql.Open("pgx", url)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(32)
	db.SetMaxIdleConns(8)
	db.SetConnMaxIdleTime(time.Minute)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("postgres: connecting: %w", err)
	}
	return store.New(db, db, dialect{}), nil
}

type dialect struct{}

func (dialect) Name() string       { return "postgres" }
func (dialect) LockRows() string   { return " FOR UPDATE" }
func (dialect) SkipLocked() string { return " FOR UPDATE SKIP LOCKED" }
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
