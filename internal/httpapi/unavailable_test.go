package httpapi_test

import (
	"database/sql"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/driftwood-chat/driftwood/internal/apitest"
	"github.com/driftwood-chat/driftwood/internal/store/storetest"
)

// wantUnavailable checks a 503 in Drift's shape with a Retry-After.
func wantUnavailable(t *testing.T, r *apitest.Response) {
	t.Helper()
	apitest.WantError(t, r, http.StatusServiceUnavailable, "service_unavailable")
	if r.Header.Get("Retry-After") == "" {
		t.Fatalf("503 without Retry-After: %v", r.Header)
	}
}

// waitFor polls cond until it holds; the minute is a guard against a hang,
// not a measure.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for give := time.Now().Add(time.Minute); !cond(); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(give) {
			t.Fatalf("%s: not after a minute", what)
		}
	}
}

// A PostgreSQL database that cannot be reached for reads (its sessions
// ended, new ones refused, as in a restart or a failover): a GET answers
// 503 with Retry-After in Drift's error shape, not 500, and 200 again once
// the database is back. A genuine fault of a read (a table gone) stays a
// 500. The database is one of the test's own, so that closing it disturbs
// no other test.
func TestUnavailable_PostgresReadsUnreachable(t *testing.T) {
	t.Parallel()
	e := apitest.Start(t, storetest.Backend{Name: "postgres", DSN: storetest.PostgresDatabaseDSN})
	c := e.Call(t, "POST", "/contacts", map[string]any{"attributes": map[string]any{"email": "read@x.example"}}, 200)
	path := fmt.Sprintf("/contacts/%v", c["data"].(map[string]any)["id"])
	e.Call(t, "GET", path, nil, 200) // the token is cached from here on
	get := func() *apitest.Response {
		return e.Do(t, apitest.Request{Method: "GET", Path: path, Token: e.Token})
	}

	// A read that fails for a fault of ours is a 500, not a 503.
	raw := e.RawDB(t)
	if _, err := raw.Exec(`ALTER TABLE contacts RENAME TO contacts_gone`); err != nil {
		t.Fatal(err)
	}
	apitest.WantError(t, get(), http.StatusInternalServerError, "server_error")
	if _, err := raw.Exec(`ALTER TABLE contacts_gone RENAME TO contacts`); err != nil {
		t.Fatal(err)
	}
	e.Call(t, "GET", path, nil, 200)

	u, err := url.Parse(e.App.Config.DB)
	if err != nil {
		t.Fatal(err)
	}
	name := strings.TrimPrefix(u.Path, "/")
	admin, err := sql.Open("pgx", os.Getenv(storetest.PostgresEnv))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close() })
	exec := func(query string, args ...any) {
		t.Helper()
		if _, err := admin.Exec(query, args...); err != nil {
			t.Fatalf("%s: %v", query, err)
		}
	}
	reopen := func() { exec(`ALTER DATABASE ` + name + ` ALLOW_CONNECTIONS true`) }
	t.Cleanup(reopen) // also when the test fails while the database is closed

	// Closed to new sessions first, so that the server finds none to open
	// once its open ones are ended.
	exec(`ALTER DATABASE ` + name + ` ALLOW_CONNECTIONS false`)
	exec(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`, name)
	r := get()
	wantUnavailable(t, r)
	if m := r.Object(t)["error"].(map[string]any)["message"]; m != "the database cannot be reached at the moment; retry later" {
		t.Fatalf("message %q", m)
	}
	// A list, through another kind of read, and a new session's refusal.
	for range 3 {
		wantUnavailable(t, e.Do(t, apitest.Request{Method: "GET", Path: "/contacts?email=read@x.example", Token: e.Token}))
	}

	reopen()
	// A pooled session the server ended is found out by the read that
	// uses it (pgx checks only sessions idle for over a second): those
	// reads are 503s too, until the pool holds live ones again.
	waitFor(t, "200 once the database is back", func() bool {
		r := get()
		if r.Status != http.StatusOK {
			wantUnavailable(t, r)
		}
		return r.Status == http.StatusOK
	})
}
