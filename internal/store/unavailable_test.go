package store_test

import (
	"context"
	"database/sql"
	"errors"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/driftwood-chat/driftwood/internal/apperr"
	"github.com/driftwood-chat/driftwood/internal/store"
	"github.com/driftwood-chat/driftwood/internal/store/postgres"
	"github.com/driftwood-chat/driftwood/internal/store/storetest"
)

// The store's reads of a database that cannot be reached (PostgreSQL: a
// closed port, a database closed to connections; SQLite: a file that
// cannot be opened), through each way the store reads (prepared, plain,
// one snapshot), fail with errors that MapUnavailable turns into
// apperr.ErrUnavailable; a read that fails for a fault of ours (no such
// table) is left a server fault. Each store is New over a pool that has
// never had a connection, with the real dialect.
func TestMapUnavailable_Reads(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		db := storetest.Open(t, b)
		driver, unmigrated := "sqlite", storetest.SQLiteDSN(t)[len("sqlite:"):]
		unreachable := map[string]string{"a file in no directory": "file:" + filepath.Join(t.TempDir(), "gone", "driftwood.db") + "?mode=ro"}
		if b.Name == "postgres" {
			driver, unmigrated = "pgx", connDSN(t, b.DSN(t)) // an empty schema
			unreachable = map[string]string{"a closed port": closedPortDSN(t, b.DSN(t)), "a database closed to connections": closedDatabaseDSN(t)}
		}
		reads := map[string]func(db *store.DB) error{
			"prepared": func(db *store.DB) error { _, err := db.GetContact(ctx, 1, 1); return err },
			"plain":    func(db *store.DB) error { _, err := db.GetAccount(ctx, 1, "x"); return err },
			"snapshot": func(db *store.DB) error { _, err := db.SCIMGroups(ctx, 1); return err },
		}
		for name, read := range reads {
			for what, dsn := range unreachable {
				err := read(open(t, driver, dsn, db.Dialect()))
				if !errors.Is(db.MapUnavailable(err), apperr.ErrUnavailable) {
					t.Errorf("%s read of %s: %v, not mapped to ErrUnavailable", name, what, err)
				}
			}
			err := read(open(t, driver, unmigrated, db.Dialect()))
			if err == nil || apperr.CodeOf(db.MapUnavailable(err)) != apperr.Internal {
				t.Errorf("%s read of a missing table: %v, mapped to %v; want a server fault", name, err, db.MapUnavailable(err))
			}
		}
		if err := db.MapUnavailable(nil); err != nil {
			t.Errorf("MapUnavailable(nil) = %v", err)
		}
	})
}

// closedDatabaseDSN is a new database of the test's own, closed to
// connections (ALTER DATABASE … ALLOW_CONNECTIONS false) until the test
// ends, when it is dropped.
func closedDatabaseDSN(t *testing.T) string {
	t.Helper()
	dsn := connDSN(t, storetest.PostgresDatabaseDSN(t))
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	admin, err := sql.Open("pgx", os.Getenv(storetest.PostgresEnv))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	if _, err := admin.Exec(`ALTER DATABASE ` + strings.TrimPrefix(u.Path, "/") + ` ALLOW_CONNECTIONS false`); err != nil {
		t.Fatal(err)
	}
	return dsn
}

// open is a store over a pool of dsn that has not connected yet.
func open(t *testing.T, driver, dsn string, d store.Dialect) *store.DB {
	t.Helper()
	pool, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	db := store.New(pool, pool, d)
	t.Cleanup(func() { db.Close() })
	return db
}

// closedPortDSN is dsn pointed at a local port nothing listens on.
func closedPortDSN(t *testing.T, dsn string) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	u, err := url.Parse(connDSN(t, dsn))
	if err != nil {
		t.Fatal(err)
	}
	u.Host = addr
	return u.String()
}

// connDSN is dsn without the pool's settings, for sql.Open.
func connDSN(t *testing.T, dsn string) string {
	t.Helper()
	dsn, err := postgres.ConnDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	return dsn
}
