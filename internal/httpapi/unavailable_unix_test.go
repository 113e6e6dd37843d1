//go:build unix

package httpapi_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/driftwood-chat/driftwood/internal/apitest"
	"github.com/driftwood-chat/driftwood/internal/audit"
	"github.com/driftwood-chat/driftwood/internal/store/storetest"
)

// A SQLite database whose file cannot be written (every file write of the
// process fails, as on a full disk): writes answer 503 with Retry-After,
// reads go on, /readyz answers 503, and all of it recovers by itself once
// writes work again, the audit entries of the meantime included. Not
// parallel: the file size limit is the whole process's.
func TestUnavailable_SQLiteCannotWrite(t *testing.T) {
	e := apitest.Start(t, storetest.Backends()[0])
	e.Call(t, "POST", "/contacts", map[string]any{"attributes": map[string]any{"email": "before@x.example"}}, 200)

	restore := apitest.FailFileWrites(t)
	r := e.Do(t, apitest.Request{Method: "POST", Path: "/contacts", Token: e.Token,
		Body: map[string]any{"attributes": map[string]any{"email": "during@x.example"}}})
	wantUnavailable(t, r)
	e.Call(t, "GET", "/contacts?email=before@x.example", nil, 200)
	waitFor(t, "the audit log's writer to fail and keep its entries", func() bool { return e.App.Audit.Pending() > 0 })
	if r := e.Do(t, apitest.Request{Method: "GET", Path: "/readyz"}); r.Status != http.StatusServiceUnavailable || r.Header.Get("Retry-After") == "" {
		t.Fatalf("/readyz while the database cannot be written: %d %s", r.Status, r.Body)
	}

	restore()
	waitFor(t, "/readyz 200 once writes work again", func() bool {
		return e.Do(t, apitest.Request{Method: "GET", Path: "/readyz"}).Status == http.StatusOK
	})
	e.Call(t, "POST", "/contacts", map[string]any{"attributes": map[string]any{"email": "during@x.example"}}, 200)
	// The audit entry of the refused write, recorded while nothing could be
	// written, was kept and written since.
	waitFor(t, "the audit entry of the 503", func() bool {
		entries, err := e.App.DB.ListAudit(context.Background(), e.OrgID, audit.Filter{Kind: audit.Use, Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		for _, en := range entries {
			if en.Route == "POST /contacts" && en.Status == http.StatusServiceUnavailable {
				return true
			}
		}
		return false
	})
	if n := e.App.Audit.Dropped(); n != 0 {
		t.Fatalf("%d audit entries dropped", n)
	}
	waitFor(t, "no audit entry pending", func() bool { return e.App.Audit.Pending() == 0 })
}

// A PostgreSQL server whose sessions are read-only (as on a standby):
// writes answer 503 with Retry-After, reads go on, /readyz answers 503; a
// replica on writable sessions of the same database is ready.
func TestUnavailable_PostgresReadOnly(t *testing.T) {
	t.Parallel()
	e := apitest.Start(t, storetest.Backends()[1])
	ro := e.ReadOnlyReplica(t)
	r := ro.Do(t, apitest.Request{Method: "POST", Path: "/contacts", Token: ro.Token,
		Body: map[string]any{"attributes": map[string]any{"email": "ro@x.example"}}})
	wantUnavailable(t, r)
	ro.Call(t, "GET", "/users/list", nil, 200)
	if r := ro.Do(t, apitest.Request{Method: "GET", Path: "/readyz"}); r.Status != http.StatusServiceUnavailable {
		t.Fatalf("/readyz on read-only sessions: %d %s", r.Status, r.Body)
	}
	if r := e.Do(t, apitest.Request{Method: "GET", Path: "/readyz"}); r.Status != http.StatusOK {
		t.Fatalf("/readyz on writable sessions: %d %s", r.Status, r.Body)
	}
	e.Call(t, "POST", "/contacts", map[string]any{"attributes": map[string]any{"email": "rw@x.example"}}, 200)
}
