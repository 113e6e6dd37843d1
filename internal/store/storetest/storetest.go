// Package storetest opens fresh real databases for tests, SQLite always and
// PostgreSQL when DRIFTWOOD_TEST_POSTGRES_URL is set, and holds the store
// conformance suite that runs unchanged against both.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/driftwood-chat/driftwood/internal/store"
	"github.com/driftwood-chat/driftwood/internal/store/postgres"
	"github.com/driftwood-chat/driftwood/internal/store/sqlite"
)

// PostgresEnv names the variable holding the test PostgreSQL URL.
const PostgresEnv = "DRIFTWOOD_TEST_POSTGRES_URL"

// RequirePostgresEnv, when set to 1 (CI sets it), makes a missing PostgreSQL
// a failure instead of a skip.
const RequirePostgresEnv = "DRIFTWOOD_REQUIRE_POSTGRES"

// Backend is a kind of database a test can run on.
type Backend struct {
	Name string // "sqlite" or "postgres"
	// DSN returns a --db value naming a new, empty database, removed when
	// the test ends.
	DSN func(t testing.TB) string
}

// Backends lists the databases to test on: SQLite, and PostgreSQL when
// configured.
func Backends() []Backend {
	return []Backend{{Name: "sqlite", DSN: SQLiteDSN}, {Name: "postgres", DSN: PostgresDSN}}
}

// Each runs fn as a subtest on every backend (PostgreSQL skips, or fails in
// CI, when it is not configured).
func Each(t *testing.T, fn func(t *testing.T, b Backend)) {
	t.Helper()
	for _, b := range Backends() {
		t.Run(b.Name, func(t *testing.T) { fn(t, b) })
	}
}

// EachDB is Each with the database opened and migrated.
func EachDB(t *testing.T, fn func(t *testing.T, db *store.DB)) {
	t.Helper()
	Each(t, func(t *testing.T, b Backend) { fn(t, Open(t, b)) })
}

// SQLiteDSN returns a new SQLite database file in the test's temp dir.
func SQLiteDSN(t testing.TB) string {
	return "sqlite:" + filepath.Join(t.TempDir(), "driftwood.db")
}

// PostgresDSN returns the test PostgreSQL URL pointed at a new schema of its
// own (dropped at the end of the test), so tests run in parallel on one
// database without seeing each other.
func PostgresDSN(t testing.TB) string {
	t.Helper()
	base := postgresURL(t)
	schema := randomName("t_")
	serverObject(t, base, `CREATE SCHEMA `+schema, `DROP SCHEMA `+schema+` CASCADE`)
	return withPool(t, base, func(u *url.URL, q url.Values) { q.Set("search_path", schema) })
}

// randomName is prefix and 12 random hex digits: a schema's or database's
// name that no other test takes.
func randomName(prefix string) string {
	b := make([]byte, 6)
	rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

// serverObject runs create on the test server at base now, and drop when
// the test ends.
func serverObject(t testing.TB, base, create, drop string) {
	t.Helper()
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	if _, err := admin.Exec(create); err != nil {
		t.Fatalf("%s: %v", create, err)
	}
	t.Cleanup(func() {
		admin, err := sql.Open("pgx", base)
		if err != nil {
			return
		}
		defer admin.Close()
		if _, err := admin.Exec(drop); err != nil {
			t.Errorf("%s: %v", drop, err)
		}
	})
}

// postgresURL returns the test PostgreSQL URL, or skips the test (fails it
// in CI) when there is none.
func postgresURL(t testing.TB) string {
	t.Helper()
	base := os.Getenv(PostgresEnv)
	if base == "" {
		if os.Getenv(RequirePostgresEnv) == "1" {
			t.Fatalf("%s is not set but %s=1", PostgresEnv, RequirePostgresEnv)
		}
		t.Skipf("PostgreSQL tests skipped: set %s (e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable)", PostgresEnv)
	}
	return base
}

// withPool is base changed by fn, with a small pool: a package's parallel
// tests each run servers of their own, and at the default (32 and the
// dispatcher's 4, kept idle) they held more than the server's 400
// connections at once.
func withPool(t testing.TB, base string, fn func(u *url.URL, q url.Values)) string {
	t.Helper()
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("%s: %v", PostgresEnv, err)
	}
	q := u.Query()
	fn(u, q)
	if !q.Has("pool_max_conns") {
		q.Set("pool_max_conns", "8")
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// PostgresDatabaseDSN is PostgresDSN for a new database of its own rather
// than a schema, dropped (with any session left in it) when the test ends:
// for tests that close their database to connections or end its sessions,
// which in the shared database would hit every other test.
func PostgresDatabaseDSN(t testing.TB) string {
	t.Helper()
	base := postgresURL(t)
	name := randomName("dw_t_")
	serverObject(t, base, `CREATE DATABASE `+name, `DROP DATABASE `+name+` WITH (FORCE)`)
	return withPool(t, base, func(u *url.URL, q url.Values) { u.Path = "/" + name })
}

// Open opens and migrates a new database of backend b, closed at the end of
// the test.
func Open(t testing.TB, b Backend) *store.DB {
	t.Helper()
	dsn := b.DSN(t)
	var db *store.DB
	var err error
	if b.Name == "sqlite" {
		db, err = sqlite.Open(dsn[len("sqlite:"):])
	} else {
		db, err = postgres.Open(context.Background(), dsn)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return db
}
