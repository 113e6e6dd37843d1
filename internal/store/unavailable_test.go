package store_test

import (
	"context"
	"database/sql"
	"errors"
	"net"
	"net/url"
	"path/filepath"
	"testing"

	"github.com/driftwood-chat/driftwood/internal/apperr"
	"github.com/driftwood-chat/driftwood/internal/store"
	"github.com/driftwood-chat/driftwood/internal/store/postgres"
	"github.com/driftwood-chat/driftwood/internal/store/storetest"
)

// The store's reads of a database that cannot be reached (PostgreSQL: a
// closed port; SQLite: a file that cannot be opened), through each way the
// store reads (prepared, plain, one snapshot), fail with errors that
// MapUnavailable turns into apperr.ErrUnavailable; a read that fails for a
// fault of ours (no such table) is left a server fault. Each store is New
// over a pool that has never had a connection, with the real dialect.
func TestMapUnavailable_Reads(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		db := storetest.Open(t, b)
		driver, unreachable, unmigrated := "sqlite", "file:"+filepath.Join(t.TempDir(), "gone", "driftwood.db")+"?mode=ro", storetest.SQLiteDSN(t)[len("sqlite:"):]
		if b.Name == "postgres" {
			driver, unreachable, unmigrated = "pgx", closedPortDSN(t, b.DSN(t)), connDSN(t, b.DSN(t)) // an empty schema
		}
		reads := map[string]func(db *store.DB) error{
			"prepared": func(db *store.DB) error { _, err := db.GetContact(ctx, 1, 1); return err },
			"plain":    func(db *store.DB) error { _, err := db.GetAccount(ctx, 1, "x"); return err },
			"snapshot": func(db *store.DB) error { _, err := db.SCIMGroups(ctx, 1); return err },
		}
		for name, read := range reads {
			err := read(open(t, driver, unreachable, db.Dialect()))
			if !errors.Is(db.MapUnavailable(err), apperr.ErrUnavailable) {
				t.Errorf("%s read of an unreachable database: %v, not mapped to ErrUnavailable", name, err)
			}
			err = read(open(t, driver, unmigrated, db.Dialect()))
			if err == nil || apperr.CodeOf(db.MapUnavailable(err)) != apperr.Internal {
				t.Errorf("%s read of a missing table: %v, mapped to %v; want a server fault", name, err, db.MapUnavailable(err))
			}
		}
		if err := db.MapUnavailable(nil); err != nil {
			t.Errorf("MapUnavailable(nil) = %v", err)
		}
	})
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
