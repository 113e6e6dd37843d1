// Package sqlitedriver benchmarks SQLite drivers for Driftwood through
// database/sql. Every driver is configured identically (see Pragmas) and runs
// the same scenarios via Bench; the per-driver _test.go files only open pools.
package sqlitedriver

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// Pragmas is the per-connection configuration every driver must apply.
// Drivers express it in their own DSN syntax; Bench verifies the result.
var Pragmas = map[string]string{
	"busy_timeout": "5000",
	"journal_mode": "wal",
	"synchronous":  "1", // NORMAL
	"foreign_keys": "1",
}

// Opener opens the DSN-configured driver on the database file at path.
type Opener func(path string) (*sql.DB, error)

const schema = `
CREATE TABLE contacts (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	org_id INTEGER NOT NULL,
	email TEXT,
	external_id TEXT,
	attributes TEXT NOT NULL,
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL
);
CREATE INDEX contacts_org_email ON contacts (org_id, email);
CREATE TABLE events (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	org_id INTEGER,
	type TEXT,
	data TEXT,
	created_at INTEGER
);`

const (
	seedRows = 10_000
	orgs     = 10
	emails   = 1_000 // (org_id, email) pairs match seedRows/emails = 10 rows each
	attrs    = `{"name":"Jane Doe","plan":"pro","tags":["a","b"],"seats":12}`

	insertContact = `INSERT INTO contacts (org_id, email, external_id, attributes, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`
	seedContact = `INSERT INTO contacts (org_id, email, external_id, attributes, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $5)`
	insertEvent = `INSERT INTO events (org_id, type, data, created_at) VALUES ($1, $2, $3, $4)`
	selectCols  = `SELECT id, org_id, email, external_id, attributes, created_at, updated_at FROM contacts`
	getByID     = selectCols + ` WHERE id = $1`
	listByEmail = selectCols + ` WHERE org_id = $1 AND email = $2`
)

type contact struct {
	ID, OrgID            int64
	Email, ExternalID    sql.NullString
	Attributes           string
	CreatedAt, UpdatedAt int64
}

func (c *contact) dest() []any {
	return []any{&c.ID, &c.OrgID, &c.Email, &c.ExternalID, &c.Attributes, &c.CreatedAt, &c.UpdatedAt}
}

// Pools opens a fresh database in tb.TempDir() the way Driftwood runs it:
// a single-connection write pool and a separate read pool, schema created and
// seedRows contacts inserted.
func Pools(tb testing.TB, open Opener) (w, r *sql.DB) {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "driftwood.db")
	w, r = mustOpen(tb, open, path), mustOpen(tb, open, path)
	w.SetMaxOpenConns(1)
	n := max(4, runtime.GOMAXPROCS(0))
	r.SetMaxOpenConns(n)
	r.SetMaxIdleConns(n)
	for _, db := range []*sql.DB{w, r} {
		for name, want := range Pragmas {
			var got string
			if err := db.QueryRow("PRAGMA " + name).Scan(&got); err != nil || got != want {
				tb.Fatalf("PRAGMA %s = %q (err %v), want %q", name, got, err, want)
			}
		}
	}
	if _, err := w.Exec(schema); err != nil {
		tb.Fatal(err)
	}
	tx, err := w.Begin()
	if err != nil {
		tb.Fatal(err)
	}
	for i := range seedRows {
		if _, err := tx.Exec(seedContact, i%orgs+1, email(i%emails), fmt.Sprint("ext-", i), attrs, 1_700_000_000+i); err != nil {
			tb.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		tb.Fatal(err)
	}
	return w, r
}

func mustOpen(tb testing.TB, open Opener, path string) *sql.DB {
	db, err := open(path)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

func email(i int) string { return fmt.Sprintf("user%d@example.com", i) }

// Bench runs every Driftwood hot-path scenario against the given driver.
func Bench(b *testing.B, open Opener) {
	ctx := context.Background()

	b.Run("op=CreateContact", func(b *testing.B) {
		w, _ := Pools(b, open)
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			tx, err := w.BeginTx(ctx, nil)
			if err != nil {
				b.Fatal(err)
			}
			var id int64
			if err := tx.QueryRowContext(ctx, insertContact, 1, email(i), nil, attrs, 1_700_000_000, 1_700_000_000).Scan(&id); err != nil {
				b.Fatal(err)
			}
			if _, err := tx.ExecContext(ctx, insertEvent, 1, "contact.created", fmt.Sprintf(`{"contact_id":%d}`, id), 1_700_000_000); err != nil {
				b.Fatal(err)
			}
			if err := tx.Commit(); err != nil {
				b.Fatal(err)
			}
		}
	})

	b.Run("op=GetContactByID", func(b *testing.B) {
		_, r := Pools(b, open)
		b.ReportAllocs()
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			var c contact
			for pb.Next() {
				id := rand.Int64N(seedRows) + 1
				if err := r.QueryRowContext(ctx, getByID, id).Scan(c.dest()...); err != nil || c.ID != id {
					b.Fatalf("id %d: got %d, err %v", id, c.ID, err)
				}
			}
		})
	})

	b.Run("op=ListByEmail", func(b *testing.B) {
		_, r := Pools(b, open)
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			e := i % emails
			rows, err := r.QueryContext(ctx, listByEmail, e%orgs+1, email(e))
			if err != nil {
				b.Fatal(err)
			}
			var list []contact
			for rows.Next() {
				var c contact
				if err := rows.Scan(c.dest()...); err != nil {
					b.Fatal(err)
				}
				list = append(list, c)
			}
			if err := rows.Err(); err != nil || len(list) != seedRows/emails {
				b.Fatalf("got %d rows, err %v", len(list), err)
			}
			rows.Close()
		}
	})
}

// Dialect checks the SQL features Driftwood needs to share SQL text with
// PostgreSQL: RETURNING and $N placeholders in order and repeated. It also
// pins down whether $N bind by number (outOfOrder true) or, like plain
// database/sql ordinals, by order of first appearance in the SQL text, which
// silently swaps arguments in e.g. "UPDATE ... SET email = $2 WHERE id = $1".
func Dialect(t *testing.T, open Opener, outOfOrder bool) {
	w, _ := Pools(t, open)
	query := func(q string, args []any, n int) string {
		got := make([]string, n)
		dest := make([]any, n)
		for i := range got {
			dest[i] = &got[i]
		}
		if err := w.QueryRow(q, args...).Scan(dest...); err != nil {
			return err.Error()
		}
		return fmt.Sprint(got)
	}
	for _, c := range []struct{ q, want string }{
		{`SELECT $1, $2, $1`, "[a b a]"},
		{`SELECT ?2, ?1`, "[b a]"}, // SQLite's own numbered form, for reference
		{strings.Replace(insertContact, "RETURNING id", "RETURNING id, org_id, email", 1), fmt.Sprintf("[%d 1 new@example.com]", seedRows+1)},
	} {
		args := []any{"a", "b"}
		if strings.HasPrefix(c.q, "INSERT") {
			args = []any{1, "new@example.com", nil, attrs, 1, 1}
		}
		if got := query(c.q, args, strings.Count(c.want, " ")+1); got != c.want {
			t.Errorf("%s %v = %s, want %s", c.q, args, got, c.want)
		}
	}
	swapped := `SELECT $2, $1`
	switch got := query(swapped, []any{"a", "b"}, 2); {
	case got == "[b a]" && outOfOrder, got == "[a b]" && !outOfOrder:
		t.Logf("%s [a b] = %s (out-of-order $N supported: %v)", swapped, got, outOfOrder)
	default:
		t.Errorf("%s [a b] = %s, but out-of-order $N expected supported = %v", swapped, got, outOfOrder)
	}
}
