package store_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/url"
	"testing"
	"time"

	"github.com/driftwood-chat/driftwood/internal/apperr"
	"github.com/driftwood-chat/driftwood/internal/store/postgres"
	"github.com/driftwood-chat/driftwood/internal/store/storetest"
)

// A role whose sessions turn read-only (ALTER ROLE … SET
// default_transaction_read_only, which only new sessions see): writes are
// apperr.ErrUnavailable and Ready says so; once the setting is reset, the
// pool turns over to new sessions and writes and Ready recover by
// themselves, with no restart.
func TestReady_PostgresRoleReadOnlyAndBack(t *testing.T) {
	b := storetest.Backends()[1]
	dsn := b.DSN(t) // skips without PostgreSQL
	admin, err := postgres.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	if _, err := admin.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	raw, _ := admin.Pools()
	u, _ := url.Parse(dsn)
	schema := u.Query().Get("search_path")
	suffix := make([]byte, 6)
	rand.Read(suffix)
	role := "r_" + hex.EncodeToString(suffix)
	for _, q := range []string{
		`CREATE ROLE ` + role + ` LOGIN PASSWORD 'ro-test'`,
		`GRANT USAGE ON SCHEMA ` + schema + ` TO ` + role,
		`GRANT ALL ON ALL TABLES IN SCHEMA ` + schema + ` TO ` + role,
		`GRANT ALL ON ALL SEQUENCES IN SCHEMA ` + schema + ` TO ` + role,
		`ALTER ROLE ` + role + ` SET default_transaction_read_only = on`,
	} {
		if _, err := raw.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	t.Cleanup(func() {
		raw.Exec(`DROP OWNED BY ` + role)
		raw.Exec(`DROP ROLE ` + role)
	})
	u.User = url.UserPassword(role, "ro-test")
	db, err := postgres.Open(ctx, u.String())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	write := func() error {
		_, err := db.CreateOrg(ctx, "Acme")
		return err
	}
	if err := write(); !errors.Is(err, apperr.ErrUnavailable) {
		t.Fatalf("a write on read-only sessions: %v, want apperr.ErrUnavailable", err)
	}
	if err := db.Ready(ctx); !errors.Is(err, apperr.ErrUnavailable) {
		t.Fatalf("Ready on read-only sessions: %v", err)
	}

	if _, err := raw.Exec(`ALTER ROLE ` + role + ` RESET default_transaction_read_only`); err != nil {
		t.Fatal(err)
	}
	recovered := func(what string, try func() error) {
		t.Helper()
		for give := time.Now().Add(time.Minute); ; time.Sleep(100 * time.Millisecond) {
			err := try()
			if err == nil {
				return
			}
			if !errors.Is(err, apperr.ErrUnavailable) || time.Now().After(give) {
				t.Fatalf("%s after the setting was reset: %v", what, err)
			}
		}
	}
	recovered("a write", write)
	recovered("Ready", func() error { return db.Ready(ctx) })
}
