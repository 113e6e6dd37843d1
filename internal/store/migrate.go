package store

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"slices"
	"time"

	"github.com/driftwood-chat/driftwood/internal/derrors"
)

// Migrate applies, in name order, every migration of the dialect not yet
// recorded in schema_migrations, each in its own transaction. Concurrent
// migrators (several replicas starting at once) are serialized by the dialect.
func (db *DB) Migrate(ctx context.Context) (applied []string, err error) {
	defer derrors.Wrap(&err, "store.Migrate()")
	if db.migrated(ctx) {
		return nil, nil // nothing to write: a read-only database still starts
	}
	if _, err := db.write.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		name TEXT PRIMARY KEY, applied_at BIGINT NOT NULL)`); err != nil {
		return nil, fmt.Errorf("store: creating schema_migrations: %w", err)
	}
	names, err := fs.Glob(db.dialect.Migrations(), "*.sql")
	if err != nil {
		return nil, err
	}
	slices.Sort(names)
	for _, name := range names {
		ok, err := db.migrateFile(ctx, name)
		if err != nil {
			return applied, fmt.Errorf("store: migration %s: %w", name, err)
		}
		if ok {
			applied = append(applied, name)
		}
	}
	return applied, nil
}

// migrated reports whether every migration is recorded as applied, found by
// reading alone.
func (db *DB) migrated(ctx context.Context) bool {
	names, err := fs.Glob(db.dialect.Migrations(), "*.sql")
	if err != nil {
		return false
	}
	args := make([]any, len(names))
	for i, name := range names {
		args[i] = name
	}
	var n int
	if err := db.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations WHERE name IN (`+placeholders(1, len(names))+`)`,
		args...).Scan(&n); err != nil {
		return false // no schema_migrations yet
	}
	return n == len(names)
}

// migrationSteps are the Go steps of migrations, by file name, run in the
// migration's transaction after its SQL: what SQL alone cannot compute.
var migrationSteps = map[string]func(ctx context.Context, tx *sql.Tx) error{
	"0018_search.sql": backfillSearch,
}

func (db *DB) migrateFile(ctx context.Context, name string) (bool, error) {
	body, err := fs.ReadFile(db.dialect.Migrations(), name)
	if err != nil {
		return false, err
	}
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return false, err
	}
	defer tx.Rollback()
	if err := db.dialect.LockMigrations(ctx, tx); err != nil {
		return false, err
	}
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations WHERE name = $1`, name).Scan(&n); err != nil {
		return false, err
	}
	if n > 0 {
		return false, nil
	}
	if _, err := tx.ExecContext(ctx, string(body)); err != nil {
		return false, err
	}
	if step := migrationSteps[name]; step != nil {
		if err := step(ctx, tx); err != nil {
			return false, err
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (name, applied_at) VALUES ($1, $2)`,
		name, time.Now().UnixMilli()); err != nil {
		return false, err
	}
	return true, tx.Commit()
}
